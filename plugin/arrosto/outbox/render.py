"""Rendering a message from a template, the same way for support replies and promotion messages.

Templates are Jinja, rendered in the sandbox (:mod:`.sandbox`); an owner's template that fails
to render raises :class:`TemplateProblem` with a readable reason, and the caller falls back to
the default with the reason kept on the message.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from jinja2 import TemplateError

from . import sandbox

LANGUAGES = ("it", "en")


class TemplateProblem(ValueError):
    """An owner's template that cannot be used: the reason, for the admin."""


class TemplateLimit(TemplateProblem):
    """An owner's template over one of the sandbox's bounds (``limit``: work, time, value,
    output, template; ``most``: the bound)."""

    def __init__(self, reason: str, limit: str, most: float) -> None:
        super().__init__(reason)
        self.limit, self.most = limit, most


def render(template: str, context: dict[str, Any]) -> str:
    """Render one template in the sandbox; raise TemplateProblem with a readable reason."""
    try:
        text = sandbox.render(template, context)
    except sandbox.RenderLimit as exc:
        raise TemplateLimit(str(exc), exc.limit, exc.most) from exc
    except TemplateError as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - whatever an owner's template does wrong
        raise TemplateProblem(f"the template failed: {type(exc).__name__}: {exc}") from exc
    return " ".join(text.split())


def render_owned(shop: Any, settings_key: str, key: str, default: str, values: dict[str, Any],
                 problems: list[str]) -> str:
    """The owner's template ``key`` (in ``shop.settings[settings_key]``) if there is one and
    it renders, else ``default``; why the owner's was not used goes to ``problems``."""
    owned = ((shop.settings or {}).get(settings_key) or {}).get(key)
    if owned:
        try:
            return render(owned, values)
        except TemplateProblem as exc:
            problems.append(f"your template {key} was not used: {exc}")
    return render(default, values)


def language(lang: str | None, shop: Any) -> str:
    """The message's language: the person's if Arrosto writes it, else the shop's, else English."""
    for candidate in (lang, shop.language):
        if candidate and candidate[:2] in LANGUAGES:
            return candidate[:2]
    return "en"


def price_text(amount: Decimal | None, currency: str, lang: str) -> str | None:
    if amount is None:
        return None
    value = f"{Decimal(amount):.2f}"
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency)
    if lang == "it":
        return f"{value.replace('.', ',')} {symbol}"
    return f"{symbol}{value}" if len(symbol) == 1 else f"{value} {symbol}"
