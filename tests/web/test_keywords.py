"""A product's page: the terms that name it, the owner's additions and removals (kept through
re-syncs of the catalog), and how many posts mentioned it lately; another shop's products are
not there."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from arrosto.events import ProductData
from arrosto.listening.keywords import refresh_keywords
from arrosto.models import Post, PostProduct, Product, ProductKeyword, Shop, utcnow
from arrosto.shops.sync import upsert_products

from ..factories import make_shop
from .forms import post_form
from .test_admin import sign_in

VESUVIO = ProductData("7018", "Miscela Vesuvio Blend", handle="miscela-vesuvio-blend",
                      vendor="Torrefazione Brace", product_type="Caffè in grani",
                      tags=["miscela", "espresso"])
AURORA = ProductData("7022", "Caffè Aurora decaffeinato", handle="aurora-decaffeinato",
                     product_type="Caffè macinato", tags=["decaffeinato"])


def catalog(db, shop: int, *products: ProductData) -> dict[str, int]:
    with db.transaction(shop) as s:
        shop_row = s.get(Shop, shop)
        shop_row.brand_terms = ["Torrefazione Brace"]
        rows = upsert_products(s, list(products))
        refresh_keywords(s, shop_row)
        return {p.external_id: p.id for p in rows}


def keywords(db, shop: int, product_id: int) -> dict[str, ProductKeyword]:
    with db.transaction(shop) as s:
        return {k.term: k for k in s.scalars(select(ProductKeyword).where(
            ProductKeyword.product_id == product_id))}


def mention(db, shop: int, product_id: int, text: str, days_ago: int) -> None:
    at = utcnow() - dt.timedelta(days=days_ago)
    with db.transaction(shop) as s:
        post = Post(network="bluesky", external_id=f"at://post/{text}", author_id="did:plc:x",
                    author_handle="giulia.bsky.social", text=text, created_at=at)
        s.add(post)
        s.flush()
        s.add(PostProduct(post_id=post.id, product_id=product_id, terms=["vesuvio"],
                          post_created_at=at))


@pytest.fixture
def shop(db) -> int:
    return make_shop(db, "brace.example")


def test_the_page_lists_keywords_and_recent_mentions(client, db, shop):
    ids = catalog(db, shop, VESUVIO, AURORA)
    vesuvio = ids["7018"]
    mention(db, shop, vesuvio, "la Vesuvio di Brace è fantastica", 2)
    mention(db, shop, vesuvio, "ordinata la miscela vesuvio", 20)
    mention(db, shop, vesuvio, "vesuvio, l'anno scorso", 60)
    sign_in(client, db, shop)

    products = client.get("/admin/products").get_data(as_text=True)
    assert f'href="/admin/products/{vesuvio}"' in products

    page = client.get(f"/admin/products/{vesuvio}").get_data(as_text=True)
    assert "Miscela Vesuvio Blend" in page
    for term, row in keywords(db, shop, vesuvio).items():
        assert f"<td>{term}</td><td>catalog</td>" in page
        assert row.source == "auto"
    assert "in 2 posts in the last 30 days" in page
    assert "la Vesuvio di Brace è fantastica" in page
    assert page.count('name="csrf_token"') >= 2


def test_owner_edits_through_the_page_survive_a_resync(client, db, shop):
    vesuvio = catalog(db, shop, VESUVIO, AURORA)["7018"]
    automatic = sorted(keywords(db, shop, vesuvio))
    assert "vesuvio blend" in automatic
    sign_in(client, db, shop)
    page = f"/admin/products/{vesuvio}"

    res = post_form(client, page, {"term": "la Vesuviana", "needs_context": "no"},
                    f"{page}/keywords")
    assert res.status_code == 302 and res.headers["Location"].endswith(page)
    post_form(client, page, {"term": "Vesuvio Blend"}, f"{page}/keywords/remove")
    post_form(client, page, {"term": "vesuvio nero"}, f"{page}/keywords/remove")  # not yet one

    # the product is renamed on the shop and the catalog synced again, twice
    renamed = ProductData(**{**VESUVIO.__dict__, "title": "Miscela Vesuvio Nero"})
    for _ in range(2):
        catalog(db, shop, renamed, AURORA)

    terms = keywords(db, shop, vesuvio)
    assert (terms["vesuviana"].source, terms["vesuviana"].needs_context) == ("owner", False)
    assert terms["vesuvio blend"].source == "removed"
    assert terms["vesuvio nero"].source == "removed"
    shown = client.get(page).get_data(as_text=True)
    assert "<td>vesuviana</td><td>you</td><td>no</td>" in shown
    assert "<td>vesuvio blend</td>" not in shown
    removed_section = shown.split("Removed by you")[1]
    assert "vesuvio blend" in removed_section and "vesuvio nero" in removed_section

    post_form(client, page, {"term": "vesuvio blend", "needs_context": "yes"},
              f"{page}/keywords")  # "Use again"
    catalog(db, shop, renamed, AURORA)
    again = keywords(db, shop, vesuvio)["vesuvio blend"]
    assert (again.source, again.needs_context) == ("owner", True)


def test_a_term_of_stop_words_only_is_refused(client, db, shop):
    vesuvio = catalog(db, shop, VESUVIO)["7018"]
    before = keywords(db, shop, vesuvio)
    sign_in(client, db, shop)
    page = f"/admin/products/{vesuvio}"

    res = post_form(client, page, {"term": "il"}, f"{page}/keywords", follow_redirects=True)

    assert "a keyword needs a word that is not a stop word" in res.get_data(as_text=True)
    assert keywords(db, shop, vesuvio).keys() == before.keys()


def test_another_shops_product_is_not_found(client, db, shop):
    mine = catalog(db, shop, VESUVIO)["7018"]
    other = make_shop(db, "other.example")
    theirs = catalog(db, other, AURORA)["7022"]
    before = {t: k.source for t, k in keywords(db, other, theirs).items()}
    sign_in(client, db, shop)

    assert client.get(f"/admin/products/{theirs}").status_code == 404
    own_page = f"/admin/products/{mine}"
    assert post_form(client, own_page, {"term": "aurorina"},
                     f"/admin/products/{theirs}/keywords").status_code == 404
    assert post_form(client, own_page, {"term": "aurora decaffeinato"},
                     f"/admin/products/{theirs}/keywords/remove").status_code == 404
    assert {t: k.source for t, k in keywords(db, other, theirs).items()} == before
    with db.transaction(shop) as s:
        assert s.scalar(select(Product.id).where(Product.id == theirs)) is None
