"""The owner's journey through the admin panel in a real browser (Debian's chromium, headless),
on the demo roastery: sign in → onboarding checklist → inbox (filtered with htmx) → a complaint
→ approve its reply with the keyboard → promotions → approve one after seeing its three
audience groups → the daily digest and its preview. Then the same pages at phone width: no
sideways scrolling, a label on every control. No page may log an error or break its
Content-Security-Policy.

Screenshots of every page go to the test's tmp_path, and to docs/screenshots/ with
ARROSTO_UPDATE_SCREENSHOTS=1.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from arrosto.models import Case, Message, Outreach, Promotion

from .conftest import sync_api

expect = sync_api.expect

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(`${e.violatedDirective} `
    + `blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || '?'}:${e.lineNumber}`);
});
"""

# visible form controls without an accessible name: no <label for>, aria-label(ledby) or title
# (a button is named by its text)
UNLABELLED = """
() => Array.from(document.querySelectorAll('input, select, textarea, button')).filter((el) => {
  if (el.type === 'hidden') return false;
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  if (!(box.width && box.height) || style.visibility === 'hidden') return false;
  const named = (el.labels && el.labels.length) || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
         (id) => id && document.getElementById(id)?.textContent.trim())
    || (el.title || '').trim() || (el.tagName === 'BUTTON' && el.textContent.trim());
  return !named;
}).map((el) => el.outerHTML.slice(0, 160))
"""

# how wide the page is, and what sticks out past ``width``: the innermost elements whose box does,
# and those whose own text runs past their box (a phone's browser zooms out to fit a wide page,
# so window.innerWidth grows with it and is no yardstick)
OVERFLOW = """
(width) => {
  const all = Array.from(document.querySelectorAll('body *'));
  const out = all.filter((el) => el.getBoundingClientRect().right > width + 1);
  const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
  const spilling = all.filter((el) => el.scrollWidth > el.clientWidth + 1 && el.clientWidth
    && getComputedStyle(el).overflowX === 'visible');
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className : '')
    + ` "${el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40)}"`;
  return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
          wide: innermost.slice(0, 4).map(name),
          spilling: spilling.filter((el) => !spilling.some((o) => o !== el && el.contains(o)))
            .slice(0, 4).map(name)};
}
"""


class PageProblems:
    """Console errors, uncaught exceptions and Content-Security-Policy violations of a page
    (its frames included), collected as it goes and checked page by page."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.found.append(f"uncaught: {exc}"))

    def _console(self, message) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the browser's own request for an icon the admin does not have (yet)
        if message.type == "error" or "Content-Security-Policy" in message.text:
            self.found.append(f"console {message.type}: {message.text} {message.location}")

    def check(self, where: str) -> None:
        for frame in self.page.frames:
            try:
                violations = frame.evaluate("() => window.__cspViolations || []")
            except sync_api.Error:  # a frame that went away meanwhile
                continue
            self.found += [f"CSP violation in {frame.url}: {v}" for v in violations]
        problems, self.found = self.found, []
        assert not problems, f"{where}:\n" + "\n".join(problems)


def open_browser(browser, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/Rome",
                                  **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page, PageProblems(page)


def sign_in(page, shop) -> None:
    """The one-time link signs in and lands on the overview; ``?lang=en`` is remembered."""
    page.goto(shop.login_url())
    expect(page).to_have_url(shop.url("/admin/"))
    page.goto(shop.url("/admin/?lang=en"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def tab_to(page, target, limit: int = 120) -> int:
    """Press Tab until ``target`` has the focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            return presses
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"Tab never reached {target} in {limit} presses (at {focused!r:.120})")


def complaint_to_answer(shop) -> tuple[int, int]:
    """The inbox's first complaint (oldest first) with a clean public reply draft, preferably
    one linked to its order (the page shows the order panel)."""
    with shop.db.transaction(shop.shop_id) as s:
        return s.execute(
            select(Case.id, Message.id).join(Message, Message.case_id == Case.id)
            .where(Case.intent == "complaint", Case.state == "open",
                   Message.channel == "public", Message.state == "draft",
                   Message.last_error.is_(None))
            .order_by(Case.order_id.is_(None), Case.opened_at, Case.id, Message.id)
            .limit(1)).one()


def kinds_listed(page) -> list[str]:
    """The kind of every case listed (the first tag of its Kind cell)."""
    return page.eval_on_selector_all("#cases tbody td[data-label='Kind'] > .tag:first-child",
                                     "els => els.map((el) => el.textContent)")


@pytest.mark.slow
def test_owner_journey(browser, live_shop, screenshots, subtests):
    """One demo shop (loading it is most of the time) for both passes; each pass, and each page
    at phone width, is reported on its own."""
    shop = live_shop
    with subtests.test("desktop journey"):
        context, page, problems = open_browser(browser, DESKTOP)
        try:
            desktop_journey(page, problems, shop, screenshots)
        finally:
            context.close()
    context, page, problems = open_browser(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        phone_pass(page, problems, shop, screenshots, subtests)
    finally:
        context.close()


def desktop_journey(page, problems, shop, shots) -> None:
    # --- sign in, the onboarding checklist ----------------------------------------------------
    sign_in(page, shop)
    problems.check("overview")
    if shop.has("owner.start"):
        page.goto(shop.url("/admin/start"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Getting started")
        steps = page.locator("ol.checklist > li")
        expect(steps).to_have_count(5)
        # the demo shop is connected and synced; no social account, no digest recipient yet
        expect(steps.filter(has_text="Shop connected")).to_have_class(re.compile(r"\bdone\b"))
        expect(steps.filter(has_text="First sync")).to_have_class(re.compile(r"\bdone\b"))
        expect(steps.filter(has_text="First sync")).to_contain_text("500 orders")
        expect(steps.filter(has_text="Social accounts connected")).to_have_class(
            re.compile(r"\btodo\b"))
        expect(page.get_by_text(re.compile(r"\d of 5 steps done"))).to_be_visible()
        shots.take(page, "01-start")
    else:  # the checklist page has not landed: the overview stands in for it
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shots.take(page, "01-overview")
    problems.check("onboarding")

    # the keyboard: the skip link comes first, then the brand, then the main navigation
    page.locator("body").focus()
    skip = page.get_by_role("link", name="Skip to content")
    assert tab_to(page, skip, limit=1) == 1
    nav_first = page.get_by_role("navigation", name="Main").get_by_role("link").first
    assert tab_to(page, nav_first, limit=3) <= 3

    # --- the inbox: filtered by kind, htmx swaps the list in place ----------------------------
    with shop.db.transaction(shop.shop_id) as s:
        complaints = s.scalar(select(func.count(Case.id)).where(
            Case.intent == "complaint", Case.state == "open"))
        questions = s.scalar(select(func.count(Case.id)).where(
            Case.intent == "question", Case.state == "open"))
    assert complaints and questions
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Inbox")) \
        .click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Inbox ({complaints + questions})")
    rows = page.locator("#cases tbody tr")
    before = rows.all_inner_texts()
    assert {"complaint", "question"} <= set(kinds_listed(page))
    page.evaluate("() => { window.__notReloaded = true; }")  # gone if the page were reloaded
    with page.expect_response(lambda r: "/admin/inbox?" in r.url
                              and r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Kind").select_option(label="questions only")
    expect(page).to_have_url(re.compile(r"intent=question"))  # hx-push-url
    expect(rows).to_have_count(min(questions, 50))
    assert set(kinds_listed(page)) == {"question"}
    assert rows.all_inner_texts() != before
    assert page.evaluate("() => window.__notReloaded === true"), "the filter reloaded the page"
    with page.expect_response(lambda r: "intent=complaint" in r.url):
        page.get_by_label("Kind").select_option(label="complaints only")
    expect(rows).to_have_count(min(complaints, 50))
    assert set(kinds_listed(page)) == {"complaint"}
    shots.take(page, "02-inbox")
    problems.check("inbox")

    # --- a complaint: approve its public reply, with the keyboard -----------------------------
    case_id, message_id = complaint_to_answer(shop)
    page.locator(f"#cases a[href$='/admin/cases/{case_id}']").click()
    expect(page).to_have_url(shop.url(f"/admin/cases/{case_id}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("complaint")
    reply = page.locator(f"article[aria-labelledby='m{message_id}-h']")
    expect(reply.get_by_role("heading", level=3)).to_contain_text("Public reply draft")
    draft = reply.get_by_role("textbox")
    expect(draft).not_to_be_empty()
    drafted = draft.input_value()
    shots.take(page, "03-case")
    problems.check("case")
    approve = reply.get_by_role("button", name="Approve and send the public reply")
    page.locator("body").focus()
    tab_to(page, approve)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(shop.url(f"/admin/cases/{case_id}"))
    expect(page.locator("p[role=status]")).to_have_text("Approved: it is being sent.")
    expect(reply.get_by_role("heading", level=3)).to_contain_text("approved")
    expect(reply.locator("blockquote")).to_have_text(" ".join(drafted.split()))
    expect(reply.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)
    with shop.db.transaction(shop.shop_id) as s:
        message = s.get(Message, message_id)
        assert message.state == "approved" and message.approved_at is not None
        assert not message.automated
    problems.check("case, approved")

    # --- promotions: the list, one promotion's three groups, approve it -----------------------
    if shop.has("promotions.promotion"):
        promotion_step(page, problems, shop, shots)
    else:
        pytest.fail("the promotions pages are missing (promotions.promotion)")

    # --- the daily digest and its preview -----------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Digest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Daily digest")
    preview = page.frame_locator("iframe[title=\"Preview of today's digest\"]")
    expect(preview.get_by_text("Torrefazione Brace").first).to_be_visible()
    expect(page.get_by_label("Recipients")).to_be_visible()
    shots.take(page, "07-digest")
    problems.check("digest")
    page.goto(shop.url("/admin/digest/preview"))
    expect(page.get_by_text("Torrefazione Brace").first).to_be_visible()
    shots.take(page, "08-digest-preview")
    problems.check("digest preview")


def promotion_step(page, problems, shop, shots) -> None:
    with shop.db.transaction(shop.shop_id) as s:
        promotion = s.get(Promotion, shop.promotion_id)
        title, state = promotion.title, promotion.state
    assert state == "pending_approval"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Promotions").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Promotions")
    row = page.locator("table.promotions tbody tr").filter(has_text=title)
    expect(row).to_contain_text("waiting for your approval")
    shots.take(page, "04-promotions")
    problems.check("promotions")

    row.get_by_role("link", name=title).click()
    expect(page).to_have_url(shop.url(f"/admin/promotions/{shop.promotion_id}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    with shop.db.transaction(shop.shop_id) as s:  # the page built the audience as it showed it
        counts = dict(s.execute(select(Outreach.audience, func.count(Outreach.id))
                                .where(Outreach.promotion_id == shop.promotion_id,
                                       Outreach.state == "proposed")
                                .group_by(Outreach.audience)).all())
    for group, name in (("watcher", "Asked to be told"), ("engaged", "Wrote to the shop first"),
                        ("owner", "Discussed the product")):
        heading = page.locator(f"#g-{group}-h")
        expect(heading).to_have_text(f"{name} ({counts.get(group, 0)})")
        assert counts.get(group), f"nobody in the {group} group of the demo promotion"
        expect(page.locator(f"section[aria-labelledby='g-{group}-h'] ul.people > li")) \
            .to_have_count(counts[group])
    shots.take(page, "05-promotion")
    problems.check("promotion")

    approval = page.locator("section[aria-labelledby='approve-h']")
    with page.expect_navigation():
        approval.get_by_role("button", name="Approve and send").click()
    expect(page.locator("p[role=status]")).to_contain_text("Approved:")
    expect(page.get_by_role("heading", level=1)).to_contain_text("approved")
    expect(page.locator("#results-h")).to_be_visible()
    with shop.db.transaction(shop.shop_id) as s:
        promotion = s.get(Promotion, shop.promotion_id)
        assert promotion.state == "approved" and promotion.approved_at is not None
        states = dict(s.execute(select(Outreach.audience, func.count(Outreach.id))
                                .where(Outreach.promotion_id == shop.promotion_id,
                                       Outreach.state == "queued")
                                .group_by(Outreach.audience)).all())
    # automatic replies queued for the two groups that allow them; the rest wait for the owner
    assert states.get("watcher") and states.get("engaged") and "owner" not in states
    problems.check("promotion, approved")

    page.get_by_role("link", name=re.compile(r"wait in your queue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Your queue \(\d+\)"))
    expect(page.locator("ol.queue > li").first).to_be_visible()
    shots.take(page, "06-queue")
    problems.check("queue")


def phone_pass(page, problems, shop, shots, subtests) -> None:
    """375 px wide: every page fits without sideways scrolling; every control has a label."""
    case_id, _ = complaint_to_answer(shop)
    sign_in(page, shop)
    with subtests.test("phone width: Tab reaches the main navigation"):
        page.locator("body").focus()
        tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link").first,
               limit=3)
    pages = [("overview", "/admin/"), ("inbox", "/admin/inbox"),
             ("case", f"/admin/cases/{case_id}"), ("digest", "/admin/digest"),
             ("digest-preview", "/admin/digest/preview")]
    if shop.has("owner.start"):
        pages.insert(1, ("start", "/admin/start"))
    if shop.has("promotions.promotion"):
        pages[3:3] = [("promotions", "/admin/promotions"),
                      ("promotion", f"/admin/promotions/{shop.promotion_id}"),
                      ("queue", "/admin/promotions/queue")]
    for name, path in pages:
        with subtests.test(f"phone width: {path}"):
            response = page.goto(shop.url(path))
            assert response.ok, (path, response.status)
            shots.take(page, f"phone-{name}", publish=False)
            failures = []
            width = page.evaluate(OVERFLOW, PHONE["width"])
            if max(width["scroll"], width["inner"]) > PHONE["width"] + 1:
                failures.append(f"{width['scroll']} px wide at {PHONE['width']} (sticking "
                                f"out: {width['wide']}; text running past its box: "
                                f"{width['spilling']})")
            unlabelled = page.evaluate(UNLABELLED)
            if unlabelled:
                failures.append(f"controls without a label: {unlabelled}")
            problems.check(f"{path} at phone width")
            assert not failures, f"{path} at phone width: " + "\n".join(failures)
