"""Browser tests: Playwright for Python driving Debian's ``chromium`` headless, against the demo
shop served by werkzeug in a thread.

The browser is the system's (``/usr/bin/chromium``): installed here with ``apt-get`` when it is
missing and the tests run as root, never downloaded by Playwright. Without it (and no way to
install it) the browser tests are skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never Playwright's own build

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (pip install "
                                      "playwright; no browser download is needed)")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _find_chromium() -> str | None:
    for candidate in (CHROMIUM, shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _apt_install(pytestconfig) -> None:
    """``apt-get install -y chromium`` once, with its progress on the terminal."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends",
               "-o", "DPkg::Lock::Timeout=300", "chromium"]
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\nchromium is not installed: apt-get install -y chromium", flush=True)
        done = subprocess.run(install, env=env, check=False)
        if done.returncode != 0:  # empty or stale package lists: refresh them once and retry
            print("apt-get install failed: apt-get update, then again", flush=True)
            subprocess.run(["apt-get", "update"], env=env, check=False)
            subprocess.run(install, env=env, check=False)


@pytest.fixture(scope="session")
def chromium_path(pytestconfig) -> str:
    found = _find_chromium()
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(pytestconfig)
        found = _find_chromium()
    if found is None:
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium: install it with "
                    "`sudo apt-get install chromium` (the tests install it themselves when run "
                    "as root on a system with apt-get)")
    return found


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield browser
        browser.close()


# --- the demo shop, served ----------------------------------------------------------------------

class _Dispatch:
    """The server is made first (for its free port); the app, which needs the port for its
    public URL, is plugged in afterwards."""

    app: Any = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveShop:
    base_url: str
    app: Any
    db: Any
    shop_id: int
    promotion_id: int

    def url(self, path: str) -> str:
        return self.base_url + path

    def login_url(self) -> str:
        """A fresh one-time sign-in link (each is used up by one sign-in)."""
        from arrosto.access import create_login_token

        return self.url(f"/admin/login/{create_login_token(self.db, self.shop_id)}")

    def has(self, endpoint: str) -> bool:
        return endpoint in self.app.view_functions


def _pending_promotion(db, shop_id: int) -> int:
    """The demo's pending promotion, or one created by hand for its most discussed product and
    the products people asked to be told about: all three audience groups have people."""
    from arrosto.models import PostProduct, Promotion, Watcher
    from arrosto.promotions.triggers import create_manual_promotion

    with db.transaction(shop_id) as s:
        found = s.scalar(select(Promotion.id).where(Promotion.state == "pending_approval")
                         .order_by(Promotion.id))
        if found is not None:
            return found
        top = s.scalar(select(PostProduct.product_id).group_by(PostProduct.product_id)
                       .order_by(func.count().desc(), PostProduct.product_id).limit(1))
        watched = set(s.scalars(select(Watcher.product_id).where(Watcher.revoked_at.is_(None))))
        promotion = create_manual_promotion(s, title="Autumn roast week",
                                            product_ids={top, *watched}, code="AUTUNNO15",
                                            value="15%")
        return promotion.id


@pytest.fixture
def live_shop(make_app):
    """The demo roastery (catalog, orders, posts, the cases and reply drafts the support
    pipeline made of them, a promotion awaiting approval) behind a real HTTP server."""
    from werkzeug.serving import make_server

    from arrosto.demo import load_demo

    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    # jobs are queued, not run inline: an approved reply stays "approved" (no worker, no network)
    app = make_app(public_url=base_url, jobs_immediate=False)
    dispatch.app = app
    db = app.extensions["arrosto.db"]
    with app.app_context():
        result = load_demo(db, Path(app.instance_path))
    promotion_id = _pending_promotion(db, result.shop_id)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveShop(base_url, app, db, result.shop_id, promotion_id)
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


# --- screenshots ---------------------------------------------------------------------------------

class Screenshots:
    """Full-page screenshots: always into the test's tmp_path; also into docs/screenshots/
    when ARROSTO_UPDATE_SCREENSHOTS=1."""

    def __init__(self, folder: Path, publish: bool):
        self.folder = folder
        self.publish = publish
        self.taken: list[Path] = []

    def take(self, page, name: str, *, publish: bool = True) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        self.taken.append(path)
        if publish and self.publish:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)
        return path


@pytest.fixture
def screenshots(tmp_path) -> Screenshots:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return Screenshots(folder, os.environ.get("ARROSTO_UPDATE_SCREENSHOTS") == "1")


def pytest_report_header(config) -> str:
    found = _find_chromium()
    return f"browser tests: chromium {'at ' + found if found else 'not installed'}"

