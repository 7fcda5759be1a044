"""The listening pipeline's own rules, with a scripted network standing in for the connectors
(their contract tests live in tests/social): checkpoints, X's read budget spent in priority order
and never exceeded, one account's failure isolated, complaints and questions routed to cases."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from arrosto.errors import AuthError, RetryableError
from arrosto.listening.pipeline import listen_account
from arrosto.models import Case, Post, PostProduct, SocialAccount
from arrosto.social.base import Batch, Capabilities, NotSupported, PostData, SocialNetwork

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


class ScriptedNetwork(SocialNetwork):
    """Answers mentions and searches from a list of posts, honouring ``since`` and ``limit``
    like the real connectors, and records what it was asked."""

    name = "x"
    capabilities = Capabilities(max_length=280)

    def __init__(self, account, posts, *, search_error=None, mentions_error=None):
        super().__init__(account)
        self.posts = posts
        self.search_error = search_error
        self.mentions_error = mentions_error
        self.asked: list[tuple[str, str | None, int | None]] = []

    def build_queries(self, terms, languages):
        return [" OR ".join(f'"{t}"' for t in terms[i:i + 5]) for i in range(0, len(terms), 5)]

    def _answer(self, posts, since, limit):
        fresh = [p for p in posts if since is None or int(p.external_id) > int(since)]
        fresh = fresh[:limit] if limit is not None else fresh
        newest = max((p.external_id for p in fresh), key=int, default=None)
        return Batch(fresh, newest or since, reads=len(fresh))

    def mentions(self, since, *, limit=None):
        self.asked.append(("mentions", since, limit))
        if self.mentions_error:
            raise self.mentions_error
        return self._answer([p for p in self.posts if p.addresses_shop], since, limit)

    def search(self, query, since, *, limit=None):
        self.asked.append((query, since, limit))
        if self.search_error:
            raise self.search_error
        return self._answer([p for p in self.posts if not p.addresses_shop], since, limit)


def post(n: int, text: str, *, mention: bool = False, author: str = "giulia") -> PostData:
    return PostData(network="x", external_id=str(1000 + n), author_id=f"id-{author}",
                    author_handle=author, text=text, created_at=NOW + dt.timedelta(minutes=n),
                    lang=None, addresses_shop=mention)


POSTS = [
    post(1, "@bracecaffe il mio ordine è in ritardo di due settimane, nessuna risposta!",
         mention=True),
    post(2, "@bracecaffe avete ancora la Miscela Vesuvio da 1 kg?", mention=True,
         author="marco"),
    post(3, "La Miscela Vesuvio di Torrefazione Brace è buonissima", author="anna"),
    post(4, "Guardando il Vesuvio dal treno stamattina", author="luca"),
]


@pytest.fixture
def shop_id(db, demo_shop):
    return demo_shop.shop_id


def add_account(db, shop_id, network="x", handle="bracecaffe") -> int:
    with db.transaction(shop_id) as s:
        account = SocialAccount(network=network, handle=handle, credentials="{}")
        s.add(account)
        s.flush()
        return account.id


def run(db, app, account_id, network_kwargs=None, settings=None, posts=POSTS):
    made = []

    def factory(account):
        made.append(ScriptedNetwork(account, posts, **(network_kwargs or {})))
        return made[-1]

    result = listen_account(db, settings or app.config["ARROSTO"], account_id,
                            network_factory=factory, now=NOW)
    return result, made[0]


def test_fetch_store_match_classify_route(app, db, shop_id):
    account_id = add_account(db, shop_id)
    result, network = run(db, app, account_id)
    assert result.errors == [] and result.new == 4
    with db.transaction(shop_id) as s:
        new = {p.external_id: p for p in s.scalars(select(Post).where(
            Post.social_account_id == account_id))}
        assert new["1001"].intent == "complaint" and new["1001"].lang == "it"
        assert new["1002"].intent == "question"
        cases = s.scalars(select(Case).where(Case.author_handle.in_(["giulia", "marco"]))).all()
        assert {c.intent for c in cases} == {"complaint", "question"}
        assert all(c.addresses_shop for c in cases)
        matched = set(s.scalars(select(PostProduct.post_id)))
        assert new["1003"].id in matched  # names the product with the brand
        assert new["1004"].id not in matched  # the volcano is not the blend


def test_checkpoints_mean_nothing_is_fetched_twice(app, db, shop_id):
    account_id = add_account(db, shop_id)
    first, _ = run(db, app, account_id)
    second, network = run(db, app, account_id)
    assert second.new == 0 and second.fetched == 0
    assert network.asked[0] == ("mentions", "1002", 10_000 - first.reads)
    assert all(since is not None for _, since, _ in network.asked)


def test_x_budget_is_spent_mentions_first_and_never_exceeded(make_app, db, shop_id):
    app = make_app(x_monthly_read_budget=3)
    account_id = add_account(db, shop_id)
    result, network = run(db, app, account_id)
    assert result.reads == 3  # two mentions, then one search result, then nothing
    assert network.asked[0][0] == "mentions"
    assert result.skipped_for_budget >= 1
    with db.transaction(shop_id) as s:
        account = s.get(SocialAccount, account_id)
        assert account.reads_used == 3 and account.read_budget_month == "2026-11"
    again, network = run(db, app, account_id)
    assert again.reads == 0 and network.asked == []  # this month's budget is spent


def test_without_search_access_mentions_still_work(app, db, shop_id):
    account_id = add_account(db, shop_id)
    result, _ = run(db, app, account_id, {"search_error": NotSupported(
        "search needs X API Basic access or above")})
    assert result.new == 2 and result.errors == []
    with db.transaction(shop_id) as s:
        account = s.get(SocialAccount, account_id)
        assert "Basic access" in account.capabilities["search_off"]
        assert account.last_error is None


def test_one_failing_account_never_stops_another(app, db, shop_id):
    broken = add_account(db, shop_id, handle="broken")
    working = add_account(db, shop_id, network="x", handle="bracecaffe")
    failed, _ = run(db, app, broken, {"mentions_error": RetryableError(
        "X is unavailable", retry_after=60)})
    ok, _ = run(db, app, working)
    assert failed.errors and ok.new == 4
    with db.transaction(shop_id) as s:
        assert "unavailable" in s.get(SocialAccount, broken).last_error
        assert s.get(SocialAccount, working).last_error is None


def test_refused_credentials_pause_the_account(app, db, shop_id):
    account_id = add_account(db, shop_id)
    result, _ = run(db, app, account_id, {"mentions_error": AuthError("401 Unauthorized")})
    assert "refused" in result.errors[0]
    with db.transaction(shop_id) as s:
        account = s.get(SocialAccount, account_id)
        assert not account.active and "refused" in account.last_error


def test_a_follow_up_joins_and_reopens_the_case(app, db, shop_id):
    account_id = add_account(db, shop_id)
    run(db, app, account_id)
    with db.transaction(shop_id) as s:
        case = s.scalar(select(Case).where(Case.author_handle == "giulia"))
        case.state = "waiting"
    follow_up = post(9, "@bracecaffe ancora niente, è passata un'altra settimana", mention=True)
    follow_up.reply_to_id = follow_up.thread_id = "1001"
    run(db, app, account_id, posts=[*POSTS, follow_up])
    with db.transaction(shop_id) as s:
        cases = s.scalars(select(Case).where(Case.author_handle == "giulia")).all()
        assert len(cases) == 1 and cases[0].state == "open"
        assert s.scalar(select(func.count(Post.id)).where(Post.case_id == cases[0].id)) == 2
