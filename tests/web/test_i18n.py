"""The admin in Italian and English (Flask-Babel): the language chosen with ``?lang=``, remembered
in the session, else the shop's; and the Italian catalog kept complete — every string marked
for translation in the web package has a translation in the ``.po``, and the shipped ``.mo`` is
that ``.po`` compiled."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

import arrosto

from ..factories import make_shop
from .test_admin import sign_in

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = Path(arrosto.__file__).resolve().parent / "web" / "translations"
PO = TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}  # as `pybabel extract -k lazy_gettext`


def page(client, url: str) -> str:
    res = client.get(url)
    assert res.status_code == 200, url
    return res.get_data(as_text=True)


# --- choosing the language ------------------------------------------------------------------------

def test_lang_switches_the_admin_and_is_remembered(client, db):
    sign_in(client, db, make_shop(db, "en.myshopify.com", language="en"), lang=None)
    english = page(client, "/admin/inbox")
    assert '<html lang="en">' in english and "<h1>Inbox" in english
    assert ">Products</a>" in english and ">Promotions</a>" in english

    italian = page(client, "/admin/inbox?lang=it")
    assert '<html lang="it">' in italian and "<h1>Posta in arrivo" in italian
    assert ">Prodotti</a>" in italian and ">Promozioni</a>" in italian
    assert ">Impostazioni</a>" in italian and "Solo reclami oltre il tempo" in italian
    assert "Inbox" not in italian.split("<main", 1)[1]
    # remembered for the next pages, without the parameter
    assert "<h1>Ordini" in page(client, "/admin/orders")

    back = page(client, "/admin/inbox?lang=en")
    assert "<h1>Inbox" in back and ">Products</a>" in back and "Posta in arrivo" not in back
    assert "<h1>Orders" in page(client, "/admin/orders")


def test_an_italian_shop_gets_italian_by_default(client, db):
    sign_in(client, db, make_shop(db, "it.myshopify.com", language="it"), lang=None)
    body = page(client, "/admin/inbox")
    assert '<html lang="it">' in body and "<h1>Posta in arrivo" in body and ">Prodotti</a>" in body
    assert "<h1>Inbox" in page(client, "/admin/inbox?lang=en")  # the owner's choice wins


def test_messages_from_the_code_are_translated_too(client, db):
    from .forms import post_form

    sign_in(client, db, make_shop(db, "it2.myshopify.com", language="it"), lang=None)
    res = post_form(client, "/admin/settings/replies", {"sla_hours": "0", "support_email": ""})
    assert res.status_code == 400
    assert "Il tempo di risposta promesso è un numero di ore" in res.get_data(as_text=True)


def test_the_browser_language_decides_for_a_page_without_a_shop(client):
    res = client.get("/admin/", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    assert res.status_code == 401 and "Accedi ad Arrosto" in res.get_data(as_text=True)
    res = client.get("/admin/", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert "Sign in to Arrosto" in res.get_data(as_text=True)


# --- the catalog ----------------------------------------------------------------------------------

def _extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every string marked for translation, as ``pybabel extract -F babel.cfg`` finds it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="it")


def test_the_mapping_finds_the_admin(catalog):
    assert (ROOT / "babel.cfg").is_file()
    found = _extracted()
    assert "Inbox" in found and "Approve and send" in found and len(found) > 300


def test_every_string_has_an_italian_translation(catalog):
    """A string added to the code or a template without its Italian fails here, by name:
    run the commands in docs/admin.md ("Languages") and translate it."""
    missing, fuzzy = [], []
    for message, where in _extracted().items():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = ([] if entry is None else
                   list(entry.string) if isinstance(entry.string, tuple) else [entry.string])
        if entry is None or not strings or not all(s and s.strip() for s in strings):
            missing.append(f"{message!r} ({where[0]})")
        elif entry.fuzzy:
            fuzzy.append(f"{message!r} ({where[0]})")
        elif isinstance(message, tuple) and (not isinstance(entry.id, tuple)
                                             or len(strings) != catalog.num_plurals):
            missing.append(f"{message!r}: plural forms ({where[0]})")
    assert not missing, "untranslated in Italian:\n" + "\n".join(missing)
    assert not fuzzy, "fuzzy (check and clear the flag):\n" + "\n".join(fuzzy)


def test_the_catalog_is_well_formed(catalog):
    # Italian: one form for 1, another for everything else
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n != 1)"
    assert not catalog.fuzzy
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}"
                for message, errors in catalog.check()]
    assert not problems, "\n".join(problems)  # e.g. a %(name)s lost or renamed in a translation


def test_the_shipped_mo_is_the_po_compiled(catalog):
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = Translations(compiled)._catalog
    with open(MO, "rb") as f:
        shipped = Translations(f)._catalog
    stale = sorted(repr(k) for k in set(expected) ^ set(shipped)
                   if k != "" and not (isinstance(k, tuple) and k[0] == ""))
    changed = sorted(repr(k) for k in set(expected) & set(shipped)
                     if k != "" and expected[k] != shipped[k])
    assert not stale and not changed, (
        "messages.mo is not messages.po compiled: run `pybabel compile -d "
        f"plugin/arrosto/web/translations`\n{stale[:20]}\n{changed[:20]}")
