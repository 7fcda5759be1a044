"""Writes the demo data files."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from ..common import NETWORK_SHARES
from .base import DEFAULT_OUT, KEY_OF, PKEY, SEED, SHOP, iso, rng
from .catalog import make_products
from .customers import make_customers, make_orders
from .personas import NETS
from .posts import Posts

# --- output -------------------------------------------------------------------------------------

def dump(obj):
    def conv(o):
        if isinstance(o, dt.datetime):
            return iso(o)
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items() if not k.startswith("_")}
        if isinstance(o, list):
            return [conv(v) for v in o]
        return o
    return conv(obj)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write the demo roastery's data files.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    rng.seed(SEED)
    products, pkey = make_products()
    # the other modules read these two tables: fill them in place
    PKEY.clear()
    PKEY.update(pkey)
    KEY_OF.clear()
    KEY_OF.update({p["id"]: k for k, p in PKEY.items()})
    customers = make_customers()
    orders = make_orders(customers, products, PKEY)
    posts = Posts(customers, orders)
    posts.plan()
    # a few more customers keep a social handle on their record without posting (~15% overall)
    quiet = [c for c in customers if not c["handles"]]
    for c in rng.sample(quiet, max(0, 48 - sum(1 for c in customers if c["handles"]))):
        net = rng.choices(NETS, list(NETWORK_SHARES.values()))[0]
        lang = "it" if c["_origin"] == "it" else "en"
        c["handles"][net] = posts.new_handle(net, lang, c["first_name"], c["last_name"])
    post_list = sorted(posts.posts, key=lambda p: (p["created_at"], p["id"]))

    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    def write_json(name, obj):
        (out / name).write_text(json.dumps(dump(obj), ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")

    write_json("shop.json", SHOP)
    write_json("products.json", products)
    write_json("customers.json", customers)
    write_json("orders.json", orders)
    with (out / "posts.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for p in post_list:
            fh.write(json.dumps(dump(p), ensure_ascii=False) + "\n")
    write_json("posts_truth.json", {p["id"]: posts.truth[p["id"]] for p in post_list})
    print(f"wrote {len(products)} products, {len(customers)} customers, {len(orders)} orders, "
          f"{len(post_list)} posts to {out}")
