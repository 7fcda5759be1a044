"""Keywords from the catalog: normalised, specific, ambiguous ones flagged, owner edits kept."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from arrosto.events import ProductData, VariantData
from arrosto.listening.keywords import (
    CatalogStats,
    add_keyword,
    refresh_keywords,
    remove_keyword,
    terms_for,
)
from arrosto.listening.vocabulary import GENERIC_WORDS, key_words, normalize, words
from arrosto.models import Product, ProductKeyword, Shop
from arrosto.shops.demo import data_file
from arrosto.shops.sync import sync_shop, upsert_products

from ..factories import make_shop


def keywords_by_product(db, shop_id: int) -> dict[str, dict[str, ProductKeyword]]:
    """external id → term → row."""
    with db.transaction(shop_id) as s:
        rows = s.execute(select(Product.external_id, ProductKeyword)
                         .join(ProductKeyword, ProductKeyword.product_id == Product.id)).all()
    out: dict[str, dict[str, ProductKeyword]] = {}
    for external_id, row in rows:
        out.setdefault(external_id, {})[row.term] = row
    return out


@pytest.fixture
def demo(db, demo_shop) -> int:
    shop_id = demo_shop.shop_id
    with db.transaction(shop_id) as s:
        refresh_keywords(s, s.get(Shop, shop_id))
    return shop_id


# --- normalisation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Costa Rica Tarrazú", ["costa", "rica", "tarrazu"]),
    ("#MiscelaVesuvio", ["miscelavesuvio"]),  # a hashtag: one word, its '#' gone
    ("l'MN-1", ["l", "mn", "1"]),
    ("brace_caffe  PERÙ\n", ["brace", "caffe", "peru"]),
    ("Caffè ☕☕ Notte!!", ["caffe", "notte"]),
])
def test_words_are_folded_like_posts(text, expected):
    assert words(text) == expected


def test_terms_lose_stop_words_at_their_ends_only():
    assert key_words("la miscela Vesuvio") == ["miscela", "vesuvio"]
    assert normalize("Tazza da cappuccino in gres") == "tazza da cappuccino in gres"
    assert normalize("the") == ""


def test_a_camel_case_title_is_also_a_term_with_its_words_split():
    terms = {c.term for c in terms_for(ProductData("1", "Filtri per AeroPress"))}
    assert {"filtri per aeropress", "filtri per aero press", "aeropress"} <= terms
    assert "aero" not in terms and "press" not in terms


# --- terms of a product --------------------------------------------------------------------------

def vesuvio() -> ProductData:
    return ProductData(
        external_id="7018", title="Miscela Vesuvio", handle="miscela-vesuvio",
        vendor="Torrefazione Brace", product_type="Caffè in grani",
        tags=["miscela", "espresso", "moka", "caffè in grani"],
        variants=[VariantData("1", "250 g / Moka", "BRC-VESU-250-MO", Decimal("8.90"))])


def test_a_product_is_named_by_its_title_sku_and_name_not_by_generic_words():
    found = {c.term: c for c in terms_for(vesuvio(), ["Brace", "Torrefazione Brace"])}
    assert not found["miscela vesuvio"].needs_context
    assert found["vesuvio"].needs_context  # a volcano too: only next to a coffee word
    assert found["vesuvio blend"].origin == "title"  # how English posts say it
    assert found["brc vesu 250 mo"].origin == "sku"
    generic = {"miscela", "espresso", "moka", "caffe", "caffe in grani", "250 g", "grani",
               "torrefazione brace", "brace"}
    assert not generic & set(found)


@pytest.mark.parametrize("title", ["Caffè in grani", "Moka", "Miscela 250 g"])
def test_a_title_of_only_generic_words_gives_no_name(title):
    assert terms_for(ProductData("1", title)) == []


def test_shared_words_belong_to_the_product_they_name_best():
    items = [vesuvio(),
             ProductData("7029", "Capsule Vesuvio compatibili Nespresso"),
             ProductData("7032", "Capsule Vesuvio compatibili A Modo Mio"),
             ProductData("7021", "Miscela Brace Classica"),
             ProductData("7035", "Moka Brace Classica")]
    stats = CatalogStats.build(items)
    terms = {item.external_id: {c.term for c in terms_for(item, ["Brace"], stats=stats)}
             for item in items}
    # 'vesuvio' is all of the blend's name, a part of the capsules'
    assert "vesuvio" in terms["7018"]
    assert not any("vesuvio" in terms[pid] for pid in ("7029", "7032"))
    assert "capsule vesuvio" in terms["7029"] and "capsule vesuvio" not in terms["7032"]
    # a tie names nobody
    assert not any("brace classica" in terms[pid] for pid in ("7021", "7035"))
    # every product keeps its whole title
    assert all(" ".join(key_words(item.title)) in terms[item.external_id] for item in items)


# --- the demo catalog ----------------------------------------------------------------------------

def test_every_active_demo_product_has_a_specific_name(db, demo):
    keywords = keywords_by_product(db, demo)
    skus = {" ".join(words(v["sku"])) for p in data_file("products.json") for v in p["variants"]}
    for product in data_file("products.json"):
        if product["status"] != "active":
            continue
        terms = keywords[str(product["id"])]
        names = [t for t, row in terms.items() if not row.needs_context and t not in skus]
        assert names, f"{product['title']} has no specific term"
        assert all(not set(t.split()) <= GENERIC_WORDS for t in names), product["title"]


def test_demo_ambiguous_names_need_context(db, demo):
    keywords = keywords_by_product(db, demo)
    for external_id, term in [("7018", "vesuvio"), ("7007", "kenya"), ("7020", "notte"),
                              ("7022", "aurora"), ("7019", "bar centrale")]:
        assert keywords[external_id][term].needs_context, term
    for external_id, term in [("7001", "yirgacheffe"), ("7008", "mandheling"),
                              ("7007", "kenya aa"), ("7018", "miscela vesuvio")]:
        assert not keywords[external_id][term].needs_context, term
    # the draft product has no keywords, and words like 'bar' or 'casa' name nothing alone
    assert "7015" not in keywords
    every = {t for terms in keywords.values() for t in terms}
    assert not {"bar", "casa", "crema", "moka", "miscela", "caffe", "espresso"} & every


# --- the owner's edits ---------------------------------------------------------------------------

def test_owner_additions_and_removals_survive_a_resync(db, demo, tmp_path):
    with db.transaction(demo) as s:
        shop = s.get(Shop, demo)
        vesuvio_id = s.scalar(select(Product.id).where(Product.external_id == "7018"))
        add_keyword(s, shop, vesuvio_id, "la Vesuviana")  # the owner's customers' nickname
        remove_keyword(s, shop, vesuvio_id, "Vesuvio Blend")  # an automatic term
        remove_keyword(s, shop, vesuvio_id, "Vesuvio nero")  # not a term yet: kept out anyway
    # the catalog changes (a webhook renames the product), then a full sync runs again
    with db.transaction(demo) as s:
        upsert_products(s, [ProductData("7018", "Miscela Vesuvio Nero",
                                        handle="miscela-vesuvio", tags=["miscela"])])
        refresh_keywords(s, s.get(Shop, demo))
    sync_shop(db, demo)
    with db.transaction(demo) as s:
        result = refresh_keywords(s, s.get(Shop, demo))
    terms = keywords_by_product(db, demo)["7018"]
    assert terms["vesuviana"].source == "owner"
    assert terms["vesuvio blend"].source == "removed"
    assert terms["vesuvio nero"].source == "removed"
    assert terms["miscela vesuvio nero"].source == "auto"
    assert result.kept_owner == 1 and result.blocked >= 1
    # a second refresh changes nothing
    with db.transaction(demo) as s:
        again = refresh_keywords(s, s.get(Shop, demo))
    assert (again.added, again.dropped, again.updated) == (0, 0, 0)


def test_the_owner_can_take_back_a_removal_and_choose_the_context_rule(db, demo):
    with db.transaction(demo) as s:
        shop = s.get(Shop, demo)
        pid = s.scalar(select(Product.id).where(Product.external_id == "7022"))
        remove_keyword(s, shop, pid, "aurora")
        row = add_keyword(s, shop, pid, "Aurora", needs_context=False)
        assert (row.term, row.source, row.needs_context) == ("aurora", "owner", False)
        assert add_keyword(s, shop, pid, "Aurorina").needs_context is False  # unusual: specific
        with pytest.raises(ValueError):
            add_keyword(s, shop, pid, "il")


def test_keyword_edits_stay_in_their_shop(db, demo):
    other = make_shop(db, "other.example")
    with db.transaction(demo) as s:
        pid = s.scalar(select(Product.id).where(Product.external_id == "7018"))
    with db.transaction(other) as s, pytest.raises(LookupError):
        add_keyword(s, s.get(Shop, other), pid, "vesuvio")
