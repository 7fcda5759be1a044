"""Settings are checked at start: a wrong value stops with one line naming the variable."""
from __future__ import annotations

import subprocess
import sys

import pytest

from arrosto.errors import ConfigError
from arrosto.settings import load_settings


def test_bad_database_url_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="ARROSTO_DATABASE_URL: unknown database driver"):
        load_settings({"database_url": "mysqlx://nowhere/db", "secret_key": "x" * 32,
                       "instance_path": tmp_path})


def test_missing_secret_outside_debug(tmp_path, monkeypatch):
    monkeypatch.delenv("ARROSTO_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ARROSTO_SECRET_KEY is missing"):
        load_settings({"instance_path": tmp_path})


def test_debug_makes_and_keeps_a_development_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("ARROSTO_SECRET_KEY", raising=False)
    first = load_settings({"instance_path": tmp_path, "debug": True}).secret_keys()
    again = load_settings({"instance_path": tmp_path, "debug": True}).secret_keys()
    assert first == again and len(first[0]) >= 32


def test_short_secret_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="at least 16 characters"):
        load_settings({"instance_path": tmp_path, "secret_key": "short"})


def test_wrong_type_names_variable_and_value(tmp_path):
    with pytest.raises(ConfigError, match=r"ARROSTO_WORKER_THREADS: .*\(got 'many'\)"):
        load_settings({"instance_path": tmp_path, "secret_key": "x" * 32,
                       "worker_threads": "many"})


def run_cli(args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "arrosto", *args], env=env, timeout=timeout,
                          capture_output=True, text=True)


def assert_one_clear_line(proc, code, *needles):
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_cli_bad_database_url(env_for_subprocess):
    env = {**env_for_subprocess, "ARROSTO_DATABASE_URL": "not a url"}
    proc = run_cli(["shop", "list"], env)
    assert_one_clear_line(proc, 2, "ARROSTO_DATABASE_URL")


def test_cli_missing_secret(env_for_subprocess):
    env = {k: v for k, v in env_for_subprocess.items() if k != "ARROSTO_SECRET_KEY"}
    proc = run_cli(["shop", "list"], env)
    assert_one_clear_line(proc, 2, "ARROSTO_SECRET_KEY is missing")


def test_cli_unreachable_database(env_for_subprocess):
    env = {**env_for_subprocess,
           "ARROSTO_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    env.pop("ARROSTO_DATABASE_SCHEMA", None)
    proc = run_cli(["shop", "list"], env)
    assert_one_clear_line(proc, 3, "ARROSTO_DATABASE_URL: cannot connect")


def test_cli_unreachable_redis(env_for_subprocess):
    env = {**env_for_subprocess, "ARROSTO_REDIS_URL": "redis://127.0.0.1:9/0"}
    proc = run_cli(["worker"], env)
    assert_one_clear_line(proc, 3, "ARROSTO_REDIS_URL")
