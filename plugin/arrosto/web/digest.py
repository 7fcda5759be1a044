"""The digest's one-click unsubscribe (RFC 8058): ``POST /digest/unsubscribe/<token>``.

Mail clients post ``List-Unsubscribe=One-Click`` without a session or a CSRF token, so the view is
exempt from CSRF; the signed token is the authority. A ``GET`` (a link followed by a person or a
link scanner) only shows a page with a button, and never unsubscribes by itself.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..digest.send import read_unsubscribe_token, unsubscribe
from .base import csrf, current_db

bp = Blueprint("digest", __name__, url_prefix="/digest")


def _secrets() -> list[str]:
    return current_app.config["ARROSTO"].secret_keys()


@bp.get("/unsubscribe/<token>")
def confirm(token: str):
    if read_unsubscribe_token(_secrets(), token) is None:
        return render_template("digest/unsubscribe.html", state="invalid"), 404
    return render_template("digest/unsubscribe.html", state="confirm", token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def one_click(token: str):
    address = unsubscribe(current_db(), _secrets(), token)
    if address is None:
        return render_template("digest/unsubscribe.html", state="invalid"), 404
    return render_template("digest/unsubscribe.html", state="done", address=address)
