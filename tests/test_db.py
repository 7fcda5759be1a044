"""The shop scope: data access for shop A never returns shop B's rows."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from arrosto.errors import UnscopedQuery
from arrosto.models import Base, Case, Customer, Order, Post, Product, ShopOwned

from .factories import make_shop, populate_shop

SHOP_TABLES = sorted((m.class_ for m in Base.registry.mappers if issubclass(m.class_, ShopOwned)),
                     key=lambda c: c.__name__)


@pytest.fixture
def two_shops(db):
    a = make_shop(db, "a.myshopify.com")
    b = make_shop(db, "b.myshopify.com")
    populate_shop(db, a, "A")
    populate_shop(db, b, "B")
    return a, b


@pytest.mark.parametrize("model", SHOP_TABLES, ids=lambda c: c.__name__)
def test_shop_session_sees_only_its_rows(db, two_shops, model):
    a, b = two_shops
    with db.engine.connect() as conn:
        raw = dict(conn.execute(text(
            f"SELECT shop_id, count(*) FROM {model.__tablename__} GROUP BY shop_id")).all())
    assert raw.get(a) and raw.get(b), f"the fixture must put rows for both shops in {model}"
    with db.transaction(a) as s:
        rows = s.scalars(select(model)).all()
        assert len(rows) == raw[a]
        assert {r.shop_id for r in rows} == {a}
        assert s.scalar(select(func.count()).select_from(model)) == raw[a]


def test_joins_relationships_and_get_stay_in_the_shop(db, two_shops):
    a, b = two_shops
    with db.transaction(b) as s:
        b_order_id = s.scalar(select(Order.id))
    with db.transaction(a) as s:
        joined = s.execute(select(Order, Customer).join(Customer, Order.customer_id ==
                                                         Customer.id)).all()
        assert joined and all(o.shop_id == a and c.shop_id == a for o, c in joined)
        # an id from another shop is simply not there, even by primary key
        assert s.scalar(select(Order).where(Order.id == b_order_id)) is None
        assert s.get(Order, b_order_id) is None
        case = s.scalar(select(Case))
        assert case.order.shop_id == a and all(p.shop_id == a for p in case.posts)
        # sub-queries are scoped too
        sub = select(Post.author_id).scalar_subquery()
        assert {c.shop_id for c in s.scalars(select(Case).where(Case.author_id.in_(sub)))} \
            <= {a}


def test_forgetting_the_shop_raises(db, two_shops):
    with db.transaction() as s, pytest.raises(UnscopedQuery, match="Product"):
        s.scalars(select(Product)).all()


def test_writing_into_another_shop_raises(db, two_shops):
    a, b = two_shops
    with pytest.raises(UnscopedQuery, match="written in shop"), db.transaction(a) as s:
        s.add(Product(shop_id=b, external_id="x", title="intruder"))
    with pytest.raises(UnscopedQuery, match="without a shop"), db.transaction() as s:
        s.add(Product(external_id="x", title="orphan"))


def test_updates_and_deletes_are_scoped(db, two_shops):
    from sqlalchemy import delete, update

    a, b = two_shops
    with db.transaction(a) as s:
        s.execute(update(Product).values(title="renamed"))
        s.execute(delete(Post))
    with db.transaction(b) as s:
        assert s.scalar(select(Product.title)) == "Miscela B"
        assert s.scalar(select(func.count(Post.id))) == 1


def test_new_rows_take_the_session_shop(db, two_shops):
    a, _ = two_shops
    with db.transaction(a) as s:
        p = Product(external_id="new", title="Nuovo")
        s.add(p)
        s.flush()
        assert p.shop_id == a


def test_all_shops_session_is_explicit(db, two_shops):
    with db.transaction(all_shops=True) as s:
        assert s.scalar(select(func.count(Product.id))) == 2
