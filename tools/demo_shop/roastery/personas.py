"""Who writes the posts: handles, author ids and display names per network, customers who post
under their name or a nickname, strangers."""
from __future__ import annotations

import re

from ..common import NETWORK_SHARES
from .base import ascii_name, chance, fold, pick, rng
from .customers import FOREIGN, IT_F, IT_M, IT_SUR, NICK
from .pools import INSTANCES, PSEUDO

NETS = list(NETWORK_SHARES)
NET_TARGET = {n: share / 100 for n, share in NETWORK_SHARES.items()}
B32 = "abcdefghijklmnopqrstuvwxyz234567"
S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, for Bluesky TIDs
NAME_EMOJI = ["☕", "🌿", "🇮🇹", "✨", "🍋", "🌋", "📚", "🎧", "🏃", "🐈"]


def bsky_did():
    return "did:plc:" + "".join(rng.choice(B32) for _ in range(24))


def bsky_tid(t):
    us = int(t.timestamp()) * 1_000_000 + rng.randint(0, 999_999)
    v = (us << 10) | rng.randint(0, 1023)
    out = ""
    for _ in range(13):
        out = S32[v & 31] + out
        v >>= 5
    return out


def x_snowflake(t):
    ms = int(t.timestamp()) * 1000 + rng.randint(0, 999)
    return str(((ms - 1288834974657) << 22) | rng.getrandbits(22))


def masto_snowflake(t):
    ms = int(t.timestamp()) * 1000 + rng.randint(0, 999)
    return str((ms << 16) | rng.getrandbits(16))




class Personas:
    """The authors of the posts: one persona per customer or stranger, unique handles."""

    def __init__(self, customers, orders):
        self.customers = customers
        self.cust = {c["id"]: c for c in customers}
        self.orders = orders
        self.posts, self.truth = [], {}
        self.net_count = {n: 0 for n in NETS}
        self.lang_count = {"it": 0, "en": 0}
        self.used_handles = set()
        self.cust_persona = {}
        self.strangers = {"it": [], "en": []}
        self.free_pseudo = {lang: list(PSEUDO[lang]) for lang in PSEUDO}
        self.used_customers = set()
        self.taken_names = {fold(f"{c['first_name']} {c['last_name']}").lower()
                            for c in customers}
        self.by_customer = {}
        for o in orders:
            self.by_customer.setdefault(o["customer_id"], []).append(o)

    # personas ------------------------------------------------------------------------------
    def choose_net(self):
        done = sum(self.net_count.values())
        w = [max(0.05, NET_TARGET[n] * (done + 20) - self.net_count[n]) for n in NETS]
        return rng.choices(NETS, w)[0]

    def new_handle(self, net, lang, first=None, last=None, pseudo=None):
        for attempt in range(200):
            if pseudo or first is None:
                base = pseudo or pick(PSEUDO[lang])[1]
                base = pick([base, base, f"{base}{rng.randint(1, 99)}", f"{base}_",
                             f"the{base}" if lang == "en" else f"{base}{rng.randint(1, 99)}"])
            else:
                f, last_ = ascii_name(first), ascii_name(last or "x")
                yy = f"{rng.randint(70, 99) if chance(0.7) else rng.randint(0, 9):02d}"
                if net == "x":
                    base = pick([f + last_, f"{f}_{last_}", f + last_[0] + yy, f[0] + last_,
                                 last_ + f[:3], f + last_ + "_", f"_{f}{last_}",
                                 f"{f}_{last_[0]}{yy}", f + yy])
                elif net == "bluesky":
                    base = pick([f + last_, f"{f}-{last_}", f + last_[0], f"{f}{last_[0]}{yy}",
                                 f"{last_}-{f}", f"{f}{last_}{yy}"])
                else:
                    base = pick([f, f + last_, f"{f}_{last_}", f + yy, f[0] + last_,
                                 f"{f}_{last_[0]}"])
            if attempt > 50:
                base += str(attempt)
            if net == "x":
                h = re.sub(r"[^a-z0-9_]", "", base)[:15]
            elif net == "bluesky":
                h = re.sub(r"[^a-z0-9-]", "", base.replace("_", "-")).strip("-") + ".bsky.social"
            else:
                h = re.sub(r"[^a-z0-9_]", "", base.replace("-", "_")) + "@" + pick(INSTANCES[lang])
            if h.lower() not in self.used_handles and h.lower() != "bracecaffe":
                self.used_handles.add(h.lower())
                return h
        raise RuntimeError("no handle")

    @staticmethod
    def author_id(net):
        if net == "bluesky":
            return bsky_did()
        if net == "x":
            if chance(0.55):
                return str(rng.randint(10**7, 4 * 10**9))
            return str(rng.randint(7 * 10**17, 19 * 10**17))
        if chance(0.3):
            return str(rng.randint(1000, 999999))
        return str(rng.randint(109 * 10**15, 115 * 10**15))

    def customer_display(self, c, on_record, pname=None):
        first, last = c["first_name"], c["last_name"]
        full = f"{first} {last}"
        if on_record and chance(0.55):
            return pick([pname or first, first,
                         f"{NICK.get(first, first)} {pick(NAME_EMOJI)}",
                         f"{pick(NAME_EMOJI)} {NICK.get(first, first)}"])
        opts = [(full, 30), (fold(full), 22 if fold(full) != full else 0),
                (f"{NICK[first]} {last}" if first in NICK else full, 12 if first in NICK else 0),
                (f"{first} {last[0]}.", 16), (full.lower(), 8),
                (f"{full} {pick(NAME_EMOJI)}", 7), (f"{last} {first}", 5)]
        return rng.choices([o for o, _ in opts], [w for _, w in opts])[0]

    def customer_persona(self, c, net=None):
        if c["id"] in self.cust_persona:
            return self.cust_persona[c["id"]]
        lang = "it" if c["_origin"] == "it" and chance(0.9) else "en"
        net = net or self.choose_net()
        on_record = chance(0.32)
        pname = pseudo = None
        free = [p for p in self.free_pseudo[lang] if p[2] in ("", c["_g"])]
        if on_record and chance(0.45) and free:
            pname, pseudo, _ = free[rng.randrange(len(free))]
            self.free_pseudo[lang].remove((pname, pseudo, _))
        handle = self.new_handle(net, lang, c["first_name"], c["last_name"], pseudo)
        if on_record:
            c["handles"][net] = handle
        p = {"net": net, "handle": handle, "author_id": self.author_id(net),
             "name": self.customer_display(c, on_record, pname), "lang": lang,
             "customer_id": c["id"],
             "g": c["_g"]}
        self.cust_persona[c["id"]] = p
        return p

    def stranger(self, lang):
        pool = self.strangers[lang]
        if pool and chance(0.2):
            return pick(pool)
        g = "m" if chance(0.5) else "f"
        if lang == "it":
            first, last = pick(IT_M if g == "m" else IT_F), pick(IT_SUR)
        else:
            origin = rng.choices(["en", "de", "fr"], [70, 15, 15])[0]
            males, females, surnames, _ = FOREIGN[origin]
            first, last = pick(males if g == "m" else females), pick(surnames)
        for _ in range(20):
            if fold(f"{first} {last}").lower() not in self.taken_names:
                break
            last = pick(IT_SUR if lang == "it" else FOREIGN["en"][2])
        self.taken_names.add(fold(f"{first} {last}").lower())
        r = rng.random()
        pseudo = None
        if r < 0.55:
            name = f"{first} {last}"
        elif r < 0.75:
            name = first
        elif r < 0.9 and [p for p in self.free_pseudo[lang] if p[2] in ("", g)]:
            free = [p for p in self.free_pseudo[lang] if p[2] in ("", g)]
            name, pseudo, _ = free[rng.randrange(len(free))]
            self.free_pseudo[lang].remove((name, pseudo, _))
        else:
            name = f"{first} {pick(NAME_EMOJI)}"
        net = self.choose_net()
        p = {"net": net, "handle": self.new_handle(net, lang, first, last, pseudo),
             "author_id": self.author_id(net), "name": name, "lang": lang,
             "customer_id": None, "g": g}
        pool.append(p)
        return p

    def stranger_lang(self):
        # aim at ~60% Italian overall, counting what is already written
        done = sum(self.lang_count.values())
        w_it = max(0.05, 0.6 * (done + 10) - self.lang_count["it"])
        w_en = max(0.05, 0.4 * (done + 10) - self.lang_count["en"])
        return rng.choices(["it", "en"], [w_it, w_en])[0]

    # posts -----------------------------------------------------------------------------------
