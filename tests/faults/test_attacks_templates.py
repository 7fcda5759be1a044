"""Issue 17 §3: an owner's template must not pin a worker.

``{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}`` posted to the
reply-template preview kept a web worker busy for hours (ten billion loop steps; gunicorn's
timeout kills the worker, SIGTERM does not stop the loop). The sandbox now counts the work of a
render (:mod:`arrosto.outbox.sandbox`): the preview answers with why the template is refused,
saving it is refused, and a template that got into the settings anyway (saved before the fix)
falls back to the default in the jobs that draft replies and promotions.

Every test runs under a hang guard: on the old code the attacks do not finish, and the guard
turns that into a failure instead of a stuck run. Nothing here measures time otherwise.
"""
from __future__ import annotations

import contextlib
import html
import signal
import tracemalloc
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from arrosto.models import Case, Message, Shop
from arrosto.outbox import render as rendering
from arrosto.outbox import sandbox
from arrosto.promotions import messages as promotion_messages
from arrosto.support.drafts import draft_replies

from ..web.forms import post_form
from ..web.test_admin import sign_in
from ..web.test_inbox import support_shop

SETTINGS = "/admin/settings/replies"
KEY = "en/question_general.public"
NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
HANG_GUARD = 20  # seconds: only to turn the old code's endless render into a failure


class Hung(Exception):
    pass


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_GUARD):
    def stop(signum, frame):
        raise Hung(f"still rendering after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def limits(monkeypatch):
    """Which bounds the sandbox reported, with the wall-clock guard pushed out of reach, so
    what stops a render here is the counted work or the size of what it builds."""
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 600.0)
    seen: list[str] = []
    original = sandbox.RenderLimit.__init__

    def record(self, limit, most):
        seen.append(limit)
        original(self, limit, most)

    monkeypatch.setattr(sandbox.RenderLimit, "__init__", record)
    return seen


@pytest.fixture
def shop(client, db):
    data = support_shop(db)
    sign_in(client, db, data.shop)
    return data


def _settings(db, shop_id) -> dict:
    with db.transaction() as s:
        return s.get(Shop, shop_id).settings


def _preview(client, text: str, key: str = KEY):
    with hang_guard():
        res = post_form(client, SETTINGS, {"key": key, "text": text}, url=f"{SETTINGS}/preview")
    return res.status_code, html.unescape(res.get_data(as_text=True))


# --- the nested loop ------------------------------------------------------------------------------

def test_the_nested_loop_in_the_preview_is_stopped_by_the_iteration_cap(client, shop, limits):
    status, body = _preview(client, NESTED)
    assert status == 200
    assert "This template does too much work" in body and "100,000 steps" in body
    assert limits and set(limits) == {"work"}  # the counted loop steps stopped it
    assert body.count("This template does too much work") == 1  # rendered once, not per variant


def test_the_reasons_have_italian_translations():
    """The admin shows them in the owner's language (the lead compiles the .mo: read the .po)."""
    from babel.messages.pofile import read_po

    from ..web.test_i18n import PO

    catalog = {m.id: m.string for m in read_po(PO.open("rb")) if isinstance(m.id, str)}
    for start in ("This template does too much work", "This template builds text or a list",
                  "This template makes more than", "This template is longer than"):
        found = [italian for english, italian in catalog.items() if english.startswith(start)]
        assert len(found) == 1 and found[0].startswith("Questo modello"), start


def test_saving_the_nested_loop_is_refused(client, db, shop, limits):
    with hang_guard():
        res = post_form(client, SETTINGS, {"key": KEY, "text": NESTED},
                        url=f"{SETTINGS}/templates")
    body = html.unescape(res.get_data(as_text=True))
    assert res.status_code == 400
    assert "was not saved" in body and "This template does too much work" in body
    assert "reply_templates" not in _settings(db, shop.shop)
    assert limits and set(limits) == {"work"}


@pytest.mark.parametrize("template", [
    # the same attack in other shapes: a loop over a string, a filter doing the inner loop
    "{% for i in range(100000) %}{% for c in 'x' * 5000 %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{{ range(100000)|sum }}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000)|list %}{% endfor %}{% endfor %}",
    "{% macro m(n) %}{% for i in range(n) %}{% endfor %}{% endmacro %}"
    "{% for i in range(100000) %}{{ m(100000) }}{% endfor %}",
])
def test_other_shapes_of_endless_work_are_stopped_by_the_cap(template, limits):
    with hang_guard(), pytest.raises(rendering.TemplateLimit) as refused:
        rendering.render(template, {})
    assert refused.value.limit == "work" and limits[0] == "work"


# --- text that blows up -------------------------------------------------------------------------

BLOWUPS = {
    "multiplication": "{{ 'x' * 10**9 }}",
    "repeated in a list": "{{ ['x' * 5000] * 100000 }}",
    "printf width": "{{ '%*s'|format(10**8, 'x') }}",
    "printf width in the template": "{{ '%99999999s' % 'x' }}",
    "format width": "{{ '{:>99999999}'.format(1) }}",
    "nested format width": "{{ '{:>{}}'.format(1, 10**8) }}",
    "padding": "{{ 'x'.ljust(10**8) }}",
    "join with a long separator": "{{ range(20000)|join('x' * 5000) }}",
    "replace with a long text": "{% set s = 'x' * 5000 %}{{ s|replace('x', s) }}",
    "doubling with ~": "{% set s = 'x' * 5000 %}{% set s = s ~ s %}{% set s = s ~ s %}"
                       "{% set s = s ~ s %}{% set s = s ~ s %}{{ s|length }}",
    "nested literals": "{% set a = ['x' * 100] * 50 %}{% set b = [a, a, a, a, a, a, a, a] %}"
                       "{% set c = [b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c] %}"
                       "{{ (d ~ '')|length }}",
    "a huge number": "{{ (((10**64)**64)**64)**64 }}",
}


@pytest.mark.parametrize("name", list(BLOWUPS))
def test_text_blowups_are_refused_before_they_are_built(name, limits):
    """Refused, and refused before the text exists: the render never holds more than a couple
    of megabytes (the old code built up to 100 MB here before noticing, or never finished)."""
    tracemalloc.start()
    try:
        with hang_guard(), pytest.raises(rendering.TemplateProblem) as refused:
            rendering.render(BLOWUPS[name], {"shop_name": "Brace"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes held while refusing it"
    assert "value" in limits and refused.value.limit == "value"


def test_a_string_blowup_in_the_preview_is_refused_and_not_saved(client, db, shop, limits):
    status, body = _preview(client, BLOWUPS["printf width"])
    assert status == 200 and "larger than 10,000 characters or items" in body
    with hang_guard():
        res = post_form(client, SETTINGS, {"key": KEY, "text": BLOWUPS["multiplication"]},
                        url=f"{SETTINGS}/templates")
    assert res.status_code == 400 and "larger than 10,000 characters" in \
        html.unescape(res.get_data(as_text=True))
    assert "reply_templates" not in _settings(db, shop.shop)


def test_the_output_and_the_template_are_bounded(limits):
    with pytest.raises(rendering.TemplateLimit) as refused:
        rendering.render("{% for i in range(2000) %}{{ 'abcd' }}{% endfor %}", {})
    assert refused.value.limit == "output"
    with pytest.raises(rendering.TemplateLimit) as refused:
        rendering.render("x" * (sandbox.MAX_TEMPLATE + 1), {})
    assert refused.value.limit == "template"


# --- what owners do still works -------------------------------------------------------------------

NORMAL = ("Thanks for asking! {% for word in ['fresh', 'roasted'] %}{{ word|upper }}"
          "{{ ', ' if not loop.last }}{% endfor %} at {{ shop_name|truncate(30) }}. "
          "{{ '%s answers today.'|format(shop_name) }} {{ '{} says hi'.format(shop_name) }} "
          "{% set ns = namespace(n=0) %}{% for i in range(50) %}{% set ns.n = ns.n + i %}"
          "{% endfor %}{{ ns.n }} {{ ['a', 'b', 'c']|join('-') }} {{ (shop_name ~ '!')|lower }}")


def test_a_normal_template_still_previews_saves_and_drafts(client, db, shop, limits):
    status, body = _preview(client, NORMAL)
    assert status == 200 and "Problem:" not in body
    assert "FRESH, ROASTED at Torrefazione Brace. Torrefazione Brace answers today. " \
           "Torrefazione Brace says hi 1225 a-b-c torrefazione brace!" in body
    res = post_form(client, SETTINGS, {"key": KEY, "text": NORMAL}, url=f"{SETTINGS}/templates")
    assert res.status_code == 302
    assert _settings(db, shop.shop)["reply_templates"] == {KEY: NORMAL}
    assert not limits


# --- the jobs -------------------------------------------------------------------------------------

def test_draft_generation_uses_the_same_bound(db, limits):
    """A template stored before the fix (or by any other way in) reaches the job that drafts
    replies: it is stopped by the same cap and the default is used, with the reason kept."""
    data = support_shop(db)
    key = "en/complaint_unlinked.public"
    with db.transaction(data.shop) as s:
        shop = s.get(Shop, data.shop)
        shop.settings = {**shop.settings, "reply_templates": {key: NESTED}}
    with hang_guard(), db.transaction(data.shop) as s:
        drafted = draft_replies(s, s.get(Case, data.complaint), replace=True)
    public = next(m for m in drafted if m.channel == "public")
    assert public.text.startswith("Sorry about this")  # the default
    assert f"your template {key} was not used" in public.last_error
    assert "more than 100,000 steps" in public.last_error
    assert set(limits) == {"work"}
    with db.transaction(data.shop) as s:
        assert s.scalar(select(Message.text).where(Message.id == public.id)) == public.text


def test_promotion_messages_use_the_same_bound(limits):
    key = "en/outreach.watcher"
    shop = SimpleNamespace(settings={"promotion_templates": {key: NESTED}})
    problems: list[str] = []
    with hang_guard():
        text = promotion_messages._render(shop, key, _promotion_values(), problems)
    assert text and problems and "more than 100,000 steps" in problems[0]
    assert set(limits) == {"work"}


def _promotion_values() -> dict:
    return {"shop_name": "Brace", "product": {"title": "Miscela Oro", "url": "https://b/p"},
            "promotion_title": "Saldi", "restock": False, "offer": "sconto del 20%",
            "price": "9,50 €", "until": None, "code": None, "tip": None,
            "link": "https://b/p", "stop_word": "STOP"}
