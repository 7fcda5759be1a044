"""`arrosto promotions list | preview | approve`: the owner's way to act on a promotion from the
command line, through the same functions as the admin."""
from __future__ import annotations

from sqlalchemy import select

from arrosto import models
from arrosto.cli import cli
from arrosto.models import Message, Outreach, Promotion

from .people import NOW, a_promotion, a_shop, the_people


def test_list_preview_and_approve(app, db, runner, monkeypatch):
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    monkeypatch.setattr(models, "utcnow", lambda: NOW)
    shop_id = a_shop(db)
    the_people(db, shop_id)
    promotion_id = a_promotion(db, shop_id)

    listed = runner.invoke(cli, ["promotions", "list", "--shop", str(shop_id)])
    assert listed.exit_code == 0, listed.output
    assert f"{promotion_id}  pending_approval" in listed.output and "[ORO20]" in listed.output

    preview = runner.invoke(cli, ["promotions", "preview", "--shop", str(shop_id),
                                  str(promotion_id)])
    assert preview.exit_code == 0, preview.output
    assert "Asked to be told (automatic reply): 1" in preview.output
    assert "Wrote to the shop first (automatic reply): 1" in preview.output
    assert "Discussed the product (you write, one at a time): 3" in preview.output
    with db.transaction(shop_id) as s:  # a preview sends nothing
        assert s.scalars(select(Message).where(
            Message.kind.in_(("outreach", "announcement")))).all() == []
        assert s.get(Promotion, promotion_id).state == "pending_approval"

    approved = runner.invoke(cli, ["promotions", "approve", "--shop", str(shop_id),
                                   str(promotion_id)])
    assert approved.exit_code == 0, approved.output
    with db.transaction(shop_id) as s:
        assert s.get(Promotion, promotion_id).state == "approved"
        automated = s.scalars(select(Message).where(Message.kind == "outreach")).all()
        assert sorted(m.audience_basis for m in automated) == ["engaged", "watcher"]
        assert all(m.automated for m in automated)
        owner = s.scalars(select(Outreach).where(Outreach.audience == "owner")).all()
        assert len(owner) == 3 and all(o.message_id is None for o in owner)
    assert f"Promotion {promotion_id} approved" in approved.output

    again = runner.invoke(cli, ["promotions", "approve", "--shop", str(shop_id), "999999"])
    assert again.exit_code != 0 and "no promotion 999999" in again.output
