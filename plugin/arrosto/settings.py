"""Settings from ``ARROSTO_*`` environment variables (and an optional ``.env``), checked at start.

Each setting is declared once, with its type, default and whether it is a secret; a wrong or missing
value becomes a :class:`~arrosto.errors.ConfigError` whose message is one line naming the variable.
"""
from __future__ import annotations

import os
import secrets as _secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .errors import ConfigError

ENV_PREFIX = "ARROSTO_"


class Settings(BaseSettings):
    """Every setting Arrosto reads. Secrets are ``SecretStr``: ``repr`` and logs never show them."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=os.environ.get("ARROSTO_ENV_FILE", ".env"),
        env_file_encoding="utf-8", extra="ignore", validate_default=True,
    )

    debug: bool = False
    testing: bool = False
    instance_path: Path = Field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str | None = None
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to use (tests isolate runs with one each)")
    redis_url: str | None = None
    secret_key: SecretStr | None = Field(
        default=None, description="comma-separated; the first encrypts, the others only decrypt")
    public_url: str = "http://127.0.0.1:5000"
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # jobs
    jobs_immediate: bool = Field(default=False, description="run jobs inline (tests, demo)")
    jobs_queue_name: str = Field(default="arrosto", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    worker_threads: int = Field(default=2, ge=1, le=64)
    web_workers: int = Field(default=2, ge=1, le=64)
    web_threads: int = Field(default=4, ge=1, le=64)
    listen_interval_minutes: int = Field(default=15, ge=1)
    x_monthly_read_budget: int = Field(
        default=10_000, ge=0, description="X posts read per shop and month (X bills per read)")
    reconcile_interval_minutes: int = Field(default=60, ge=5)

    # X app (developer portal: Keys and tokens → OAuth 2.0 Client ID and Client Secret), for
    # connecting accounts from the admin
    x_client_id: str | None = None
    x_client_secret: SecretStr | None = None

    # Shopify app (Partner dashboard: Client ID and Client secret)
    shopify_api_key: str | None = None
    shopify_api_secret: SecretStr | None = None
    shopify_api_secret_old: SecretStr | None = Field(
        default=None, description="the previous secret, accepted during a rotation")
    shopify_api_version: str = Field(default="2025-10", pattern=r"^\d{4}-(01|04|07|10)$")
    shopify_scopes: str = "read_products,read_orders,read_customers,read_discounts"
    shopify_expiring_tokens: bool = True

    # web
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    login_link_minutes: int = Field(default=15, ge=1)
    trusted_proxies: int = Field(
        default=0, ge=0, le=5,
        description="reverse proxies in front of `arrosto serve` whose X-Forwarded-For is used")
    allow_loopback_hosts: bool = Field(
        default=False, description="development and tests only: stores, instances and servers "
        "may be on this machine (localhost, 127.0.0.0/8, ::1) and on plain http://")

    # the "is this your order?" page (support/verify.py)
    verify_link_days: int = Field(default=7, ge=1, le=90)
    verify_tries_per_case: int = Field(default=5, ge=1)
    verify_tries_per_address: int = Field(default=10, ge=1, description="per hour")

    # outgoing e-mail: the daily digest (digest/send.py)
    smtp_host: str | None = Field(default=None, description="SMTP server; empty: no e-mail")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (port 465) or none")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30, gt=0, description="seconds")
    mail_from: str | None = Field(
        default=None, description='the digest\'s sender, e.g. "Arrosto <digest@example.com>"')

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
            url.get_dialect()
        except NoSuchModuleError:
            raise ValueError(
                f"unknown database driver {value.split(':', 1)[0]!r}; use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST:PORT/DB") from None
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, e.g. https://arrosto.example.com")
        return value.rstrip("/")

    def shopify_secrets(self) -> list[str]:
        """The Shopify app secrets to verify with, current first."""
        return [s.get_secret_value() for s in (self.shopify_api_secret,
                                                 self.shopify_api_secret_old) if s]

    # derived values -----------------------------------------------------------------------------
    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'arrosto.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def secret_keys(self) -> list[str]:
        """The secret keys, newest first (rotation: prepend the new key, drop the old one later)."""
        raw = self.secret_key.get_secret_value() if self.secret_key else ""
        return [k.strip() for k in raw.split(",") if k.strip()]


def _instance_secret(instance_path: Path) -> str:
    """A development key kept in the instance folder, made on first use (debug and demo only)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = _secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(overrides: dict[str, Any] | None = None, *,
                  allow_generated_secret: bool = False) -> Settings:
    """Defaults, then environment, then ``overrides``; raise ConfigError with one clear line."""
    try:
        settings = Settings(**(overrides or {}))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        message = err["msg"].removeprefix("Value error, ")
        raw = err.get("input")
        shown = "" if "secret" in field or not isinstance(raw, str | int) else f" (got {raw!r})"
        raise ConfigError(f"{ENV_PREFIX}{field.upper()}: {message}{shown}") from None
    if not settings.secret_keys():
        if settings.debug or settings.testing or allow_generated_secret:
            settings.secret_key = SecretStr(_instance_secret(settings.instance_path))
        else:
            raise ConfigError(
                f"{ENV_PREFIX}SECRET_KEY is missing: set it to a long random string, e.g. "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'` "
                "(only debug mode and the demo make one by themselves)")
    if any(len(k) < 16 for k in settings.secret_keys()):
        raise ConfigError(f"{ENV_PREFIX}SECRET_KEY: each key must be at least 16 characters long")
    return settings
