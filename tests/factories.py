"""Builders for test data: one row in every shop table, so sweeps over the schema have data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from arrosto.models import (
    AdminSession,
    ApiToken,
    Case,
    ClassifierOverlay,
    Conversion,
    Customer,
    DataExport,
    DigestRecipient,
    DigestRun,
    Follow,
    Fulfillment,
    LoginToken,
    Message,
    OptOut,
    Order,
    OrderLine,
    OrderLink,
    Outreach,
    Post,
    PostCorrection,
    PostProduct,
    Product,
    ProductKeyword,
    ProductVariant,
    Promotion,
    PromotionProduct,
    Redaction,
    Shop,
    SocialAccount,
    SocialIdentity,
    SyncBookmark,
    VerificationAttempt,
    VerificationWindow,
    Watcher,
    utcnow,
)


def make_shop(db, domain: str, **kw) -> int:
    with db.transaction() as s:
        shop = Shop(platform=kw.pop("platform", "shopify"), domain=domain,
                    name=kw.pop("name", domain), **kw)
        s.add(shop)
        s.flush()
        return shop.id


def populate_shop(db, shop_id: int, tag: str) -> None:
    """One row in every ShopOwned table for ``shop_id``; ``tag`` makes values distinct."""
    now = utcnow()
    with db.transaction(shop_id) as s:
        product = Product(external_id=f"p-{tag}", title=f"Miscela {tag}",
                          variants=[ProductVariant(external_id=f"v-{tag}", price=Decimal("9.90"))],
                          keywords=[ProductKeyword(term=f"miscela {tag}")])
        customer = Customer(external_id=f"c-{tag}", email=f"{tag}@example.com",
                            first_name="Giulia", last_name=tag)
        s.add_all([product, customer])
        s.flush()
        order = Order(external_id=f"o-{tag}", name=f"#{tag}", number=1001, created_at=now,
                      customer_id=customer.id, total_price=Decimal("19.80"),
                      lines=[OrderLine(title=product.title, product_id=product.id)],
                      fulfillments=[Fulfillment(external_id=f"f-{tag}", tracking_number="T1")])
        account = SocialAccount(network="x", handle=f"shop_{tag}")
        s.add_all([order, account])
        s.flush()
        case = Case(network="x", author_id=f"a-{tag}", author_handle=f"h_{tag}",
                    thread_key=f"t-{tag}", intent="complaint", order_id=order.id)
        s.add(case)
        s.flush()
        post = Post(network="x", external_id=f"post-{tag}", author_id=f"a-{tag}",
                    author_handle=f"h_{tag}", text=f"where is my order {tag}", created_at=now,
                    case_id=case.id, social_account_id=account.id)
        s.add(post)
        s.flush()
        promotion = Promotion(source="manual", external_id=f"promo-{tag}", title=f"Sale {tag}")
        s.add(promotion)
        s.flush()
        message = Message(kind="reply", network="x", text="Ciao!", case_id=case.id,
                          idempotency_key=f"reply-{tag}", in_reply_to_post_id=post.id)
        s.add(message)
        s.flush()
        s.add_all([
            SyncBookmark(resource="orders", updated_since=now),
            SocialIdentity(customer_id=customer.id, network="x", handle=f"h_{tag}",
                           verified_by="owner"),
            PostProduct(post_id=post.id, product_id=product.id, terms=["miscela"],
                        post_created_at=now),
            OrderLink(case_id=case.id, order_id=order.id, confidence=0.99, reasons=["number"]),
            VerificationAttempt(case_id=case.id, link_nonce=f"n-{tag}", client_digest="d"),
            VerificationWindow(client_digest="d", window_start=now, tries=1),
            PromotionProduct(promotion_id=promotion.id, product_id=product.id),
            Outreach(promotion_id=promotion.id, network="x", person_id=f"a-{tag}",
                     handle=f"h_{tag}", audience="engaged", post_id=post.id,
                     message_id=message.id),
            Watcher(product_id=product.id, network="x", person_id=f"w-{tag}",
                    handle=f"w_{tag}", consent_post_id=post.id, source="reply"),
            OptOut(network="x", person_id=f"o-{tag}"),
            Follow(network="x", person_id=f"a-{tag}", handle=f"h_{tag}",
                   social_account_id=account.id, product_id=product.id),
            Conversion(promotion_id=promotion.id, order_id=order.id, revenue=Decimal("19.80"),
                       matched_by="code"),
            DigestRun(local_date=dt.date(2026, 11, 23)),
            DigestRecipient(email=f"owner.{tag.lower()}@shop.example"),
            LoginToken(token_digest=f"digest-{tag}", expires_at=now),
            ApiToken(name="t", token_digest=f"api-{tag}"),
            AdminSession(token_digest=f"session-{tag}", expires_at=now),
            DataExport(request_key=f"req-{tag}", customer_external_id=f"c-{tag}"),
            Redaction(kind="customer", ref=f"erased-{tag}"),
            PostCorrection(post_id=post.id, label="not_complaint", intent="other"),
            ClassifierOverlay(vectors=b"", labels=[], corrections=0),
        ])
