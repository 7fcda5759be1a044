"""The digest as an e-mail: Jinja templates → HTML (CSS inlined with ``css-inline``) and plain
text, a small PNG chart of the last 14 days attached inline (CID), and the list headers of
RFC 2369 and RFC 8058 (one-click unsubscribe).

The chart is drawn here with ``zlib`` alone: bars need no imaging library, and it works offline.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.message
import email.policy
import email.utils
import struct
import zlib
from typing import Any

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..links import http_url

CHART_CID = "digest-chart"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Daily digest", "for_day": "Yesterday, {day}",
        "complaints": "Complaints waiting for an answer",
        "questions": "Open questions", "none_waiting": "Nothing is waiting for an answer.",
        "waiting_for": "waiting {age}", "overdue": "overdue", "order": "order",
        "and_more": "and {n} more in the inbox",
        "products": "New mentions per product", "mentions": "mentions", "mention": "mention",
        "vs_before": "the day before: {n}", "no_mentions": "No product was mentioned yesterday.",
        "works": "What works", "fails": "What does not",
        "aspect_quality": "taste and quality", "aspect_delivery": "delivery",
        "aspect_packaging": "packaging", "aspect_price": "price",
        "aspect_payment": "payment and checkout", "aspect_fit": "fit and compatibility",
        "aspect_service": "customer service",
        "promotions": "Promotions", "sent": "messages sent", "replies": "replies",
        "opt_outs": "opt-outs", "new_watchers": "new watchers", "conversions": "orders",
        "revenue": "revenue", "reached": "people reached",
        "x_budget": "X read budget", "x_used": "{used} of {budget} posts read this month",
        "chart": "Mentions and complaints, last 14 days", "legend_mentions": "mentions",
        "legend_complaints": "complaints",
        "actions": "Suggested actions", "open_admin": "Open the admin",
        "quiet": "A quiet day: no complaints, no questions, no new mentions.",
        "footer": "You receive this digest as a recipient of {shop}'s daily digest.",
        "unsubscribe": "Unsubscribe",
        "subject": "{shop}: daily digest, {day}",
        "hours": "{n} h", "days": "{n} days",
        "subject_waiting": "{shop}: {n} waiting for an answer — digest {day}",
        "state_pending_approval": "waiting for your approval", "state_approved": "approved",
        "state_sending": "sending", "state_done": "done", "state_cancelled": "cancelled",
        "state_expired": "ended",
        "act_answer_complaint": "Answer @{handle}, waiting for {age}",
        "act_open_inbox": "All complaints waiting in the inbox ({count})",
        "act_answer_questions": "Answer the open questions ({count})",
        "act_check_product": "Look at the complaints about {title} ({count} yesterday)",
        "act_approve_promotion": "Approve or cancel the promotion “{title}”",
        "act_x_budget": "X read budget of @{handle} at {percent}%: narrow the searches",
    },
    "it": {
        "title": "Riepilogo del giorno", "for_day": "Ieri, {day}",
        "complaints": "Reclami in attesa di risposta",
        "questions": "Domande aperte", "none_waiting": "Nessuno aspetta una risposta.",
        "waiting_for": "in attesa da {age}", "overdue": "in ritardo", "order": "ordine",
        "and_more": "e altri {n} nella posta",
        "products": "Nuove menzioni per prodotto", "mentions": "menzioni", "mention": "menzione",
        "vs_before": "il giorno prima: {n}", "no_mentions": "Ieri nessun prodotto è stato citato.",
        "works": "Cosa funziona", "fails": "Cosa non va",
        "aspect_quality": "gusto e qualità", "aspect_delivery": "consegna",
        "aspect_packaging": "confezione", "aspect_price": "prezzo",
        "aspect_payment": "pagamento", "aspect_fit": "compatibilità",
        "aspect_service": "assistenza",
        "promotions": "Promozioni", "sent": "messaggi inviati", "replies": "risposte",
        "opt_outs": "disiscrizioni", "new_watchers": "nuovi interessati",
        "conversions": "ordini", "revenue": "incasso", "reached": "persone raggiunte",
        "x_budget": "Letture su X", "x_used": "{used} di {budget} post letti questo mese",
        "chart": "Menzioni e reclami, ultimi 14 giorni", "legend_mentions": "menzioni",
        "legend_complaints": "reclami",
        "actions": "Cosa fare", "open_admin": "Apri il pannello",
        "quiet": "Una giornata tranquilla: nessun reclamo, nessuna domanda, nessuna menzione.",
        "footer": "Ricevi questo riepilogo come destinatario del riepilogo di {shop}.",
        "unsubscribe": "Annulla l'iscrizione",
        "subject": "{shop}: riepilogo del {day}",
        "hours": "{n} h", "days": "{n} giorni",
        "subject_waiting": "{shop}: {n} in attesa di risposta — riepilogo del {day}",
        "state_pending_approval": "attende la tua approvazione", "state_approved": "approvata",
        "state_sending": "in invio", "state_done": "conclusa", "state_cancelled": "annullata",
        "state_expired": "scaduta",
        "act_answer_complaint": "Rispondi a @{handle}, in attesa da {age}",
        "act_open_inbox": "Tutti i reclami in attesa nella posta ({count})",
        "act_answer_questions": "Rispondi alle domande aperte ({count})",
        "act_check_product": "Guarda i reclami su {title} ({count} ieri)",
        "act_approve_promotion": "Approva o annulla la promozione «{title}»",
        "act_x_budget": "Letture su X di @{handle} al {percent}%: restringi le ricerche",
    },
}
MONTHS = {
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

_env = Environment(loader=PackageLoader("arrosto.digest", "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
# the digest links only to the admin; a stored URL (a post's) may become a link only through it
_env.filters["http_url"] = http_url
_inliner = css_inline.CSSInliner(keep_style_tags=False)


def translate(language: str):
    strings = STRINGS.get(language, STRINGS["en"])

    def t(key: str, **values: Any) -> str:
        return strings[key].format(**values)
    return t


def long_date(day: str | dt.date, language: str) -> str:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    month = MONTHS.get(language, MONTHS["en"])[day.month - 1]
    return f"{day.day} {month} {day.year}" if language == "it" else \
        f"{month} {day.day}, {day.year}"


def money(value: str, currency: str, language: str) -> str:
    if language == "it":
        whole, _, cents = value.partition(".")
        return f"{int(whole):,}".replace(",", ".") + f",{cents or '00'} {currency}"
    return f"{currency} {float(value):,.2f}"


def subject(digest: dict[str, Any]) -> str:
    t = translate(digest["language"])
    day = long_date(digest["date"], digest["language"])
    waiting = digest["complaints_total"] + digest["questions_total"]
    if waiting:
        return t("subject_waiting", shop=digest["shop"]["name"], n=waiting, day=day)
    return t("subject", shop=digest["shop"]["name"], day=day)


def _context(digest: dict[str, Any], unsubscribe_url: str | None, chart_src: str | None):
    language = digest["language"]
    t = translate(language)

    def age(hours: int) -> str:
        return t("hours", n=hours) if hours < 48 else t("days", n=hours // 24)

    return {"d": digest, "t": t, "lang": language, "age": age,
            "day": long_date(digest["period"]["day"], language),
            "money": lambda v: money(v, digest["shop"]["currency"], language),
            "unsubscribe_url": unsubscribe_url, "chart_src": chart_src,
            "short": digest["quiet"] and digest["quiet_setting"] == "short"}


def render_html(digest: dict[str, Any], *, unsubscribe_url: str | None = None,
                chart_src: str | None = None) -> str:
    """The HTML body with every style inlined (mail clients drop ``<style>`` blocks)."""
    html = _env.get_template("digest.html").render(
        **_context(digest, unsubscribe_url, chart_src))
    return _inliner.inline(html)


def render_text(digest: dict[str, Any], *, unsubscribe_url: str | None = None) -> str:
    return _env.get_template("digest.txt").render(**_context(digest, unsubscribe_url, None))


def render_file(digest: dict[str, Any]) -> str:
    """A standalone HTML page (CLI ``--html``, the demo, the admin preview): the chart inline."""
    src = "data:image/png;base64," + base64.b64encode(chart_png(digest["chart"])).decode()
    return render_html(digest, chart_src=src)


def build_message(digest: dict[str, Any], *, sender: str, recipient: str,
                  unsubscribe_url: str, now: dt.datetime | None = None
                  ) -> email.message.EmailMessage:
    """The e-mail: multipart/alternative of text and HTML, the HTML related to its chart."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject(digest)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
    domain = sender.rpartition("@")[2].strip(">").strip() or None
    msg["Message-ID"] = email.utils.make_msgid("digest", domain=domain)
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = digest["language"]
    msg.set_content(render_text(digest, unsubscribe_url=unsubscribe_url), charset="utf-8")
    msg.add_alternative(render_html(digest, unsubscribe_url=unsubscribe_url,
                                    chart_src=f"cid:{CHART_CID}"), subtype="html",
                        charset="utf-8")
    html_part = msg.get_payload()[1]
    html_part.add_related(chart_png(digest["chart"]), "image", "png", cid=f"<{CHART_CID}>",
                          disposition="inline", filename="chart.png")
    return msg


# --- the chart ----------------------------------------------------------------------------------

MENTIONS_RGB = (120, 144, 176)
COMPLAINTS_RGB = (200, 64, 48)
AXIS_RGB = (180, 180, 180)


def chart_png(series: list[dict[str, Any]], width: int = 560, height: int = 140) -> bytes:
    """Two bars a day (mentions, complaints) on a white ground, as PNG bytes."""
    pixels = [bytearray(b"\xff" * (width * 3)) for _ in range(height)]

    def box(x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
        x0, x1 = max(x0, 0), min(x1, width)
        if x1 <= x0:
            return
        run = bytes(rgb) * (x1 - x0)
        for y in range(max(y0, 0), min(y1, height)):
            pixels[y][3 * x0:3 * x1] = run

    top = max([p["mentions"] for p in series] + [1])
    margin, base_y = 8, height - 8
    slot = (width - 2 * margin) // max(len(series), 1)
    bar = max((slot - 6) // 2, 1)
    for i, point in enumerate(series):
        x = margin + i * slot + 2
        for j, (value, rgb) in enumerate(((point["mentions"], MENTIONS_RGB),
                                          (point["complaints"], COMPLAINTS_RGB))):
            h = round((base_y - margin) * value / top)
            if value and h < 2:
                h = 2
            box(x + j * (bar + 1), base_y - h, x + j * (bar + 1) + bar, base_y, rgb)
    box(margin, base_y, width - margin, base_y + 1, AXIS_RGB)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
