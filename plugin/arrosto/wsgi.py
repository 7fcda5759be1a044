"""The WSGI app that `arrosto serve` starts in gunicorn workers (settings from the environment)."""
from __future__ import annotations

import os

from .app import create_app

app = create_app(allow_generated_secret=os.environ.get("ARROSTO_DEMO") == "1")
