"""Plans and writes the social posts and their ground truth."""
from __future__ import annotations

import datetime as dt
import re

from .base import KEY_OF, LIMIT, MENTION, PKEY, REF, SHOP, between, chance, fold, pick, rng
from .catalog import OUT_OF_STOCK
from .complaint_pools import (
    C_CLOSE,
    C_DETAIL,
    C_DETAIL_ITEM,
    C_DETAIL_PAY,
    C_DETAIL_STRANGER,
    C_OPEN,
    COMPLAINT,
)
from .personas import Personas, bsky_tid, masto_snowflake, x_snowflake
from .phrasing import (
    ALIASES,
    CAPSULES,
    COFFEES,
    DECAF,
    GEAR,
    GIFTS,
    GRIND_IT,
    POPULAR,
    Ctx,
    compose,
    finish,
    has_order_slot,
)
from .pools import (
    EMO,
    I_CLOSE,
    I_OPEN,
    INTENT,
    NOISE,
    NOISE_REPLY,
    NOISE_SHOP,
    P_CLOSE,
    P_OPEN,
    PRAISE,
    Q_CLOSE,
    Q_OPEN,
    QUESTION,
    TAGS,
)


class Posts(Personas):
    """Plans and writes the social posts and their ground truth."""

    # posts -----------------------------------------------------------------------------------
    def add(self, persona, t, text, intent, products, order_number=None, reply_to=None):
        net, handle = persona["net"], persona["handle"]
        assert len(text) <= LIMIT[net], (net, len(text), text)
        if net == "x":
            pid = x_snowflake(t)
            url = f"https://x.com/{handle}/status/{pid}"
        elif net == "bluesky":
            rkey = bsky_tid(t)
            pid = f"at://{persona['author_id']}/app.bsky.feed.post/{rkey}"
            url = f"https://bsky.app/profile/{handle}/post/{rkey}"
        else:
            pid = masto_snowflake(t)
            user, inst = handle.split("@")
            url = f"https://{inst}/@{user}/{pid}"
        assert pid not in self.truth
        post = {"network": net, "id": pid, "author_id": persona["author_id"], "author": handle,
                "author_name": persona["name"], "text": text, "lang": persona["lang"],
                "created_at": t, "url": url, "in_reply_to": reply_to,
                "mentions_shop": bool(re.search(re.escape(MENTION[net]) + r"(?![\w@]|\.\w)",
                                                text))}
        self.posts.append(post)
        self.truth[pid] = {"intent": intent, "customer_id": persona["customer_id"],
                           "order_number": order_number, "products": products}
        self.net_count[net] += 1
        self.lang_count[persona["lang"]] += 1
        return post

    def write(self, persona, intent, pool, vals, mention_p=0.0, core_filter=None,
              reserve=0, plain=False, no_emoji=False, **kw):
        """Generate a text that fits the network; return (text, products)."""
        for _ in range(60):
            ctx = Ctx(persona["lang"], persona["net"], persona["g"], chance(mention_p),
                      **vals)
            if plain:  # a single line from a list, no openers
                text = finish(ctx, ctx.fill(pick(pool[persona["lang"]])), EMO[intent],
                              0.0 if no_emoji else 0.25)
            else:
                text = compose(ctx, pool, core_filter, emojis=EMO[intent], tags=TAGS[
                    persona["lang"]] if intent in ("praise", "purchase_intent") else (), **kw)
            if len(text) + reserve <= LIMIT[persona["net"]]:
                return text, ctx.products
        raise RuntimeError("text too long")

    # planning ---------------------------------------------------------------------------------
    def take(self, pool, pred=None, prefer=None):
        cand = [o for o in pool if o["customer_id"] not in self.used_customers
                and (pred is None or pred(o))]
        if prefer:
            better = [o for o in cand if prefer(o)]
            cand = better or cand
        if not cand:
            raise RuntimeError("order pool exhausted")
        o = pick(cand)
        self.used_customers.add(o["customer_id"])
        return o

    @staticmethod
    def aliased_items(o, keys=None, shipped=None):
        out = []
        for i in o["line_items"]:
            k = KEY_OF[i["product_id"]]
            if k in ALIASES and (keys is None or k in keys) and (
                    shipped is None
                    or (i["id"] in o["fulfillments"][0]["line_item_ids"]) == shipped):
                out.append((k, i))
        return out

    def order_post(self, o, intent, pool_name, sub, t, with_number=True, mention_p=0.5,
                   reply_to=None, vals=None, pool=None):
        c = self.cust[o["customer_id"]]
        persona = self.customer_persona(c)
        vals = dict(vals or {})
        vals.setdefault("order", o)
        vals.setdefault("t", t)
        if "P" not in vals:
            items = self.aliased_items(o, COFFEES) or self.aliased_items(o)
            if items:
                vals["P"] = pick(items)[0]
        if pool is None:
            table = COMPLAINT if pool_name == "complaint" else QUESTION
            if intent == "complaint":
                detail = C_DETAIL if sub in ("late", "stuck", "failure", "no_answer") else \
                    C_DETAIL_PAY if sub == "charged" else C_DETAIL_ITEM
                pool = {"core": table[sub], "open": C_OPEN, "detail": detail, "close": C_CLOSE}
            elif intent == "question":
                pool = {"core": table[sub], "open": Q_OPEN, "close": Q_CLOSE}
        def ok(tpl):
            if has_order_slot(tpl) != with_number:
                return False
            if "{P" in tpl and "P" not in vals:
                return False
            return not ("{P2" in tpl and "P2" not in vals)
        text, products = self.write(persona, intent, pool, vals, mention_p, ok)
        return self.add(persona, t, text, intent, products,
                        o["number"] if with_number else None, reply_to)

    def plan(self):
        orders = self.orders
        st = {}
        for o in orders:
            st.setdefault(o["_state"], []).append(o)

        def fdate(o):
            return o["fulfillments"][0]["created_at"]

        def delivered(o):
            return (o["fulfillments"] and o["fulfillments"][0]["shipment_status"] == "delivered"
                    and o["_state"] in ("fulfilled", "partially_refunded", "refunded"))

        def days(a, b):
            return max(0, int((b - a).total_seconds() // 86400))

        deliv = [o for o in orders if delivered(o)]
        special_name = lambda o: (fold(self.cust[o["customer_id"]]["first_name"] +  # noqa: E731
                                       self.cust[o["customer_id"]]["last_name"]) !=
                                  self.cust[o["customer_id"]]["first_name"] +
                                  self.cust[o["customer_id"]]["last_name"]
                                  or "'" in self.cust[o["customer_id"]]["last_name"]
                                  or self.cust[o["customer_id"]]["last_name"] in
                                  ("Rosi", "Rossi", "Greco", "Bianco", "Ferraro", "Conte",
                                   "Colombi", "Esposti"))

        # 1. complaints quoting an order number, by the order's customer ----------------------
        # late (unfulfilled, > 6 days): 5 plain, 1 + follow-up quoting the number again,
        # 2 + follow-up without it
        for n in range(8):
            follow = None if n < 5 else ("num" if n == 5 else "nonum")
            need = 9.5 if follow else 6.5
            o = self.take(st["late"], lambda o, need=need: (REF - o["created_at"]).days >= need,
                          prefer=special_name if n in (0, 3) else None)
            hi = REF - dt.timedelta(days=2.5) if follow else REF
            t = between(o["created_at"] + dt.timedelta(days=6.2), hi)
            d = days(o["created_at"], t)
            first = self.order_post(o, "complaint", "complaint", "late", t, vals={"d": d})
            if follow:
                t2 = between(t + dt.timedelta(days=1, hours=2), min(REF, t + dt.timedelta(days=4)))
                self.order_post(o, "complaint", "complaint", "late_followup", t2,
                                with_number=(follow == "num"), mention_p=0.3,
                                reply_to=first["id"], vals={"d": days(o["created_at"], t2)},
                                pool={"core": COMPLAINT["late_followup"], "close": C_CLOSE})
        o = self.take(st["late"])
        t = between(o["created_at"] + dt.timedelta(days=7), REF)
        self.order_post(o, "complaint", "complaint", "no_answer", t,
                        vals={"d": days(o["created_at"], t)})
        # stuck in transit: 3 plain, 1 with a follow-up
        for n in range(4):
            o = self.take(st["stuck"],
                          lambda o, n=n: (REF - fdate(o)).days >= (8 if n == 3 else 5))
            t = between(fdate(o) + dt.timedelta(days=4.5),
                        REF - dt.timedelta(days=2) if n == 3 else REF)
            first = self.order_post(o, "complaint", "complaint", "stuck", t,
                                    vals={"d": days(fdate(o), t)})
            if n == 3:
                t2 = between(t + dt.timedelta(days=1), REF)
                self.order_post(o, "complaint", "complaint", "stuck_followup", t2,
                                mention_p=0.4, reply_to=first["id"],
                                vals={"d": days(fdate(o), t2)},
                                pool={"core": COMPLAINT["stuck_followup"], "close": C_CLOSE})
        for _ in range(2):
            o = self.take(st["failure"])
            t = between(fdate(o) + dt.timedelta(days=1.2), REF)
            self.order_post(o, "complaint", "complaint", "failure", t)
        # wrong item / grind
        for _ in range(3):
            o = self.take(deliv, lambda o: self.aliased_items(o))
            items = self.aliased_items(o)
            ground = [(k, i) for k, i in items if i["variant_title"].split(" / ")[-1]
                      in GRIND_IT]
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=9)))
            if ground:
                k, i = pick(ground)
                wanted = i["variant_title"].split(" / ")[-1]
                got = pick([g for g in GRIND_IT if g != wanted and
                            (g != "Filtro" or k not in ("VESU", "BACE", "NOTT"))])
                self.order_post(o, "complaint", "complaint", "wrong_grind", t,
                                vals={"P": k, "wanted": wanted, "got": got})
            else:
                k = pick(items)[0]
                same = [x for x in ALIASES if x != k and PKEY[x]["product_type"] ==
                        PKEY[k]["product_type"] and PKEY[x]["status"] == "active"]
                self.order_post(o, "complaint", "complaint", "wrong_item", t,
                                vals={"P": k, "P2": pick(same)})
        # missing item (partially fulfilled orders)
        for _ in range(3):
            o = self.take(st["partial"], lambda o: self.aliased_items(o, shipped=False))
            k = pick(self.aliased_items(o, shipped=False))[0]
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=8)))
            self.order_post(o, "complaint", "complaint", "missing", t, vals={"P": k})
        # damaged moka pot, one followed by "they replaced it"
        for n in range(2):
            o = self.take(deliv, lambda o: self.aliased_items(o, {"MOKA", "MOIN"}) and
                          (REF - fdate(o)).days > 6)
            k = pick(self.aliased_items(o, {"MOKA", "MOIN"}))[0]
            t = between(fdate(o) + dt.timedelta(days=1.5), min(REF - dt.timedelta(days=2),
                                                             fdate(o) + dt.timedelta(days=6)))
            first = self.order_post(o, "complaint", "complaint", "moka", t, vals={"P": k})
            if n == 0:
                t2 = between(t + dt.timedelta(hours=20), min(REF, t + dt.timedelta(days=4)))
                self.order_post(o, "praise", None, None, t2, with_number=False,
                                mention_p=0.5, reply_to=first["id"], vals={"P": k},
                                pool={"core": COMPLAINT["moka_fixed"]})
        # charged twice, one followed by "refunded"
        for n in range(2):
            o = self.take(deliv, lambda o: (REF - o["created_at"]).days > 5)
            t = between(o["created_at"] + dt.timedelta(hours=5),
                        o["created_at"] + dt.timedelta(days=2))
            first = self.order_post(o, "complaint", "complaint", "charged", t)
            if n == 0:
                t2 = between(t + dt.timedelta(hours=18), min(REF, t + dt.timedelta(days=3)))
                self.order_post(o, "praise", None, None, t2, with_number=False,
                                mention_p=0.5, reply_to=first["id"],
                                pool={"core": COMPLAINT["charged_fixed"]})
        o = self.take(deliv, lambda o: self.aliased_items(o, COFFEES))
        t = between(fdate(o) + dt.timedelta(days=3), min(REF, fdate(o) + dt.timedelta(days=12)))
        self.order_post(o, "complaint", "complaint", "stale", t,
                        vals={"P": pick(self.aliased_items(o, COFFEES))[0]})

        # 2. questions quoting an order number -------------------------------------------------
        unf = st["unfulfilled"]
        for sub in ["ship_when"] * 3 + ["address"] * 2 + ["add_item"]:
            o = self.take(unf, lambda o, sub=sub: sub != "ship_when" or
                          (REF - o["created_at"]).total_seconds() > 86400 * 1.2)
            if sub == "ship_when":
                t = between(o["created_at"] + dt.timedelta(days=1), REF)
            else:
                t = between(o["created_at"] + dt.timedelta(minutes=40),
                            min(REF, o["created_at"] + dt.timedelta(hours=20)))
            vals = {"d": days(o["created_at"], t)}
            if sub == "add_item":
                have = {KEY_OF[i["product_id"]] for i in o["line_items"]}
                vals["P"] = pick([k for k in ["NOTT", "VESU", "BACE", "KEAA", "ETYI", "CLAS"]
                                  if k not in have])
            self.order_post(o, "question", "question", sub, t, vals=vals, mention_p=0.6)
        for _ in range(2):
            o = self.take(deliv)
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=20)))
            self.order_post(o, "question", "question", "invoice", t, mention_p=0.6)
        transit = [o for o in st["fulfilled"] if o["fulfillments"][0]["shipment_status"] ==
                   "in_transit"]
        o = self.take(transit)
        self.order_post(o, "question", "question", "saturday",
                        between(fdate(o) + dt.timedelta(hours=6), REF), mention_p=0.6)
        o = self.take(st["refunded"])
        self.order_post(o, "question", "question", "refund",
                        between(o["updated_at"] + dt.timedelta(hours=3),
                                min(REF, o["updated_at"] + dt.timedelta(days=3))), mention_p=0.6)
        o = self.take(st["cancelled"], lambda o: o["cancel_reason"] != "customer")
        self.order_post(o, "question", "question", "cancelled",
                        between(o["cancelled_at"] + dt.timedelta(hours=1),
                                min(REF, o["cancelled_at"] + dt.timedelta(days=2))),
                        mention_p=0.6)
        o = self.take([o for o in st["fulfilled"] if o["fulfillments"][0]["shipment_status"]])
        self.order_post(o, "question", "question", "tracking_link",
                        between(fdate(o) + dt.timedelta(hours=3),
                                min(REF, fdate(o) + dt.timedelta(days=2))), mention_p=0.6)

        # 3. customers talking without an order number ---------------------------------------
        def cust_order(pred=lambda o: True, prefer=None):
            return self.take(deliv, lambda o: pred(o), prefer=prefer)

        for sub in ["stale", "wrong_grind", "no_answer", "packaging"]:
            if sub == "wrong_grind":
                o = cust_order(lambda o: any(i["variant_title"].split(" / ")[-1] in GRIND_IT
                                             for _, i in self.aliased_items(o, COFFEES)),
                               prefer=special_name)
                k, i = pick([(k, i) for k, i in self.aliased_items(o, COFFEES)
                             if i["variant_title"].split(" / ")[-1] in GRIND_IT])
                wanted = i["variant_title"].split(" / ")[-1]
                vals = {"P": k, "wanted": wanted,
                        "got": pick([g for g in GRIND_IT if g != wanted])}
            else:
                o = cust_order(lambda o: self.aliased_items(o, COFFEES), prefer=special_name)
                vals = {"P": pick(self.aliased_items(o, COFFEES))[0], "d": 8}
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=12)))
            self.order_post(o, "complaint", "complaint", sub, t, with_number=False, vals=vals)
        for n in range(6):
            o = cust_order(lambda o: self.aliased_items(o, COFFEES + GEAR + GIFTS),
                           prefer=special_name if n < 2 else None)
            k = pick(self.aliased_items(o, COFFEES + GEAR + GIFTS))[0]
            sub = "decaf" if k in DECAF else "gear" if k in GEAR else "gift" if k in GIFTS \
                else "taste"
            if sub == "gear" and k not in ("MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA"):
                sub, k = "shipping", k
            if sub == "gift" and k == "GIFT":
                sub = "shipping"
            t = between(fdate(o) + dt.timedelta(days=2), min(REF, fdate(o) + dt.timedelta(days=25)))
            self.order_post(o, "praise", None, None, t, with_number=False, mention_p=0.45,
                            vals={"P": k}, pool={"core": PRAISE[sub], "open": P_OPEN,
                                                 "close": P_CLOSE})
        for _ in range(3):
            o = cust_order(lambda o: self.aliased_items(o, COFFEES))
            k = pick(self.aliased_items(o, COFFEES))[0]
            t = between(fdate(o) + dt.timedelta(days=10), REF)
            self.order_post(o, "purchase_intent", None, None, t, with_number=False,
                            mention_p=0.3,
                            vals={"P": k, "P2": pick([x for x in POPULAR if x != k])},
                            pool={"core": {lang: [c for c in INTENT["buy"][lang]
                                                  if "stipendio" not in c and "ispira" not in c
                                                  and "everyone" not in c]
                                           for lang in ("it", "en")},
                                  "open": I_OPEN, "close": I_CLOSE})
        for sub in ("mine", "grind", "storage"):
            if sub == "mine":
                o = cust_order(lambda o: self.aliased_items(o, OUT_OF_STOCK & set(COFFEES)))
                k = pick(self.aliased_items(o, OUT_OF_STOCK & set(COFFEES)))[0]
                pool_sub = "oos_back_mine"
            else:
                o = cust_order(lambda o: self.aliased_items(o, COFFEES))
                k = pick(self.aliased_items(o, COFFEES))[0]
                pool_sub = "grind_mine" if sub == "grind" else "storage"
            t = between(fdate(o) + dt.timedelta(days=3), REF)
            self.order_post(o, "question", "question", pool_sub, t, with_number=False,
                            mention_p=0.5, vals={"P": k})
        for _ in range(2):
            c = pick([c for c in self.customers if c["id"] in self.by_customer
                      and c["id"] not in self.used_customers])
            self.used_customers.add(c["id"])
            persona = self.customer_persona(c)
            text, products = self.write(persona, "other", NOISE, {}, plain=True)
            self.add(persona, self.rand_time(), text, "other", products)

        # 4. everyone else --------------------------------------------------------------------
        shop_replies = set(rng.sample(range(52), 4)) | {100 + i for i in rng.sample(range(37), 5)} \
            | {200 + i for i in rng.sample(range(35), 3)}
        plan = []
        plan += [("complaint", s) for s in ["checkout"] * 5 + ["price"] * 4 + ["capsules"] * 4
                 + ["gift"] * 2 + ["taste"] * 4 + ["service"] * 7]
        plan += [("question", s, 200 + i) for i, s in enumerate(
            ["grind_moka"] * 6 + ["islands"] * 5 + ["decaf"] * 4 + ["back_when"] * 4 +
            ["subscription"] * 4 + ["capsules"] * 5 + ["misc"] * 7)]
        plan += [("praise", s, i) for i, s in enumerate(
            ["taste"] * 30 + ["decaf"] * 4 + ["shipping"] * 7 + ["service"] * 4 + ["gear"] * 4
            + ["gift"] * 3)]
        plan += [("purchase_intent", s, 100 + i) for i, s in enumerate(
            ["buy"] * 22 + ["gear"] * 4 + ["gift"] * 4 + ["subscription"] * 3 + ["notify"] * 4)]
        plan += [("other", "noise")] * 80 + [("other", "shop")] * 3 + [("other", "reply")] * 5
        rng.shuffle(plan)
        plan.sort(key=lambda p: p[1] == "reply")  # replies last, so they have posts to answer
        noise_left = {"it": list(NOISE["it"]), "en": list(NOISE["en"])}
        for lang in noise_left:
            rng.shuffle(noise_left[lang])
        for entry in plan:
            intent, sub = entry[0], entry[1]
            slot = entry[2] if len(entry) > 2 else None
            lang = self.stranger_lang()
            persona = self.stranger(lang)
            lang = persona["lang"]
            t = self.rand_time()
            reply_to, reserve, prefix = None, 0, ""
            if slot in shop_replies:
                reply_to, prefix = self.shop_post_id(persona["net"], t), ""
                if persona["net"] in ("x", "mastodon"):
                    prefix = MENTION[persona["net"]] + " "
                    reserve = len(prefix)
            if intent == "other":
                if sub == "noise":
                    if not noise_left[lang]:
                        noise_left[lang] = list(NOISE[lang])
                    tpl = noise_left[lang].pop()
                    text, products = self.write(persona, "other", {lang: [tpl]}, {}, plain=True)
                elif sub == "shop":
                    text, products = self.write(persona, "other", NOISE_SHOP, {}, 0.5,
                                                plain=True)
                else:
                    same = [p for p in self.posts if p["network"] == persona["net"] and
                            self.truth[p["id"]]["intent"] == "other" and not p["in_reply_to"]
                            and p["author"] != persona["handle"] and p["lang"] == lang
                            and p["created_at"] < REF - dt.timedelta(hours=1)]
                    parent = pick(same)
                    reply_to = parent["id"]
                    t = between(parent["created_at"] + dt.timedelta(minutes=3),
                                min(REF, parent["created_at"] + dt.timedelta(hours=10)))
                    text, products = self.write(persona, "other", NOISE_REPLY, {}, plain=True,
                                                no_emoji=True)
                    if persona["net"] == "x" or persona["net"] == "mastodon":
                        text = f"@{parent['author']} {text}"
                self.add(persona, t, text, intent, products, reply_to=reply_to)
                continue
            vals = self.stranger_vals(intent, sub)
            table = {"complaint": COMPLAINT, "question": QUESTION, "praise": PRAISE,
                     "purchase_intent": INTENT}[intent]
            wrap = {"complaint": (C_OPEN, C_CLOSE), "question": (Q_OPEN, Q_CLOSE),
                    "praise": (P_OPEN, P_CLOSE), "purchase_intent": (I_OPEN, I_CLOSE)}[intent]
            pool = {"core": table[sub], "open": wrap[0], "close": wrap[1]}
            if intent == "complaint":
                pool["detail"] = C_DETAIL_STRANGER
            mention_p = {"complaint": 0.5, "question": 0.55, "praise": 0.4,
                         "purchase_intent": 0.3}[intent]
            if sub == "notify":
                mention_p = 0.7
            if prefix:
                mention_p = 0.0

            def ok(tpl, vals=vals, sub=sub):
                if "{P" in tpl and "P" not in vals:
                    return False
                if "{P2" in tpl and "P2" not in vals:
                    return False
                if sub == "decaf":
                    naive = "è un decaffeinato" in tpl or tpl.startswith("is {P}")
                    return naive == (vals["P"] not in DECAF)
                return not (sub == "misc" and "robusta" in tpl and vals["P"] not in
                            ("VESU", "BACE", "SCIR", "GRCR", "CLAS"))
            text, products = self.write(persona, intent, pool, vals, mention_p, ok,
                                        reserve=reserve)
            self.add(persona, t, prefix + text, intent, products, reply_to=reply_to)

    def stranger_vals(self, intent, sub):
        singular = [k for k in POPULAR if ALIASES[k].get("g") in ("m", "f")]
        if intent == "complaint":
            return {"price": {"P": pick(["VESU", "BACE", "KEAA", "NOTT", "CLAS", "ETYI"])},
                    "capsules": {"P": pick(CAPSULES)},
                    "gift": {"P": pick(["COFD", "COFM", "VESU", "KEAA", "NONN"])},
                    "taste": {"P": pick(["VESU", "SCIR", "SUMA", "BACE", "GRCR", "INMM"])},
                    }.get(sub, {})
        if intent == "question":
            return {"grind_moka": {"P": pick(["VESU", "NONN", "CLAS", "GUAN", "HOMA"])},
                    "decaf": {"P": pick(DECAF * 3 + ["BACE", "AURO", "SCIR"])},
                    "back_when": {"P": pick(sorted(OUT_OF_STOCK))},
                    "subscription": {"P": "ABBO"},
                    "capsules": {"P": pick(CAPSULES)},
                    "misc": {"P": pick(["ETYI", "KEAA", "AURO", "VESU", "BACE", "SCIR"])},
                    }.get(sub, {})
        if intent == "praise":
            return {"taste": {"P": pick(POPULAR)}, "decaf": {"P": pick(DECAF + ["NOTT"])},
                    "gear": {"P": pick(["MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA"])},
                    "gift": {"P": pick(["COFD", "COFM"])}}.get(sub, {})
        k = {"buy": lambda: pick(singular + ["CNVE", "MOKA", "COFD"]),
             "gear": lambda: pick(["MOKA", "MOIN", "GRIN", "DRIP", "LATT", "BILA", "BARA"]),
             "gift": lambda: pick(["COFD", "COFM", "GIFT", "VESU"]),
             "subscription": lambda: "ABBO",
             "notify": lambda: pick(sorted(OUT_OF_STOCK))}[sub]()
        vals = {"P": k, "P2": pick([x for x in POPULAR if x != k])}
        return vals

    @staticmethod
    def shop_post_id(net, t):
        ts = t - dt.timedelta(minutes=rng.randint(20, 2880))
        if net == "x":
            return x_snowflake(ts)
        if net == "bluesky":
            return f"at://{SHOP['account_ids']['bluesky']}/app.bsky.feed.post/{bsky_tid(ts)}"
        return masto_snowflake(ts)

    @staticmethod
    def rand_time():
        lo, hi = REF - dt.timedelta(days=89), REF - dt.timedelta(minutes=5)
        for _ in range(12):
            t = hi - (hi - lo) * (rng.random() ** 1.2)
            t = t.replace(microsecond=0)
            if 6 <= t.hour <= 22:
                return t
        return t
