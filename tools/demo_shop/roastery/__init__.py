"""The embedded demo shop, "Torrefazione Brace": a fictional Italian coffee roastery (domain
``brace-caffe.example``, EUR, Europe/Rome, selling in Italian and English), written as the data
files of ``plugin/arrosto/demo/data/``:

* ``shop.json``         the shop: name, domain, currency, brand terms, social handles, the support
                        e-mail and FAQ, and the ``reference_time`` every timestamp is relative to;
* ``products.json``     ~50 products: single origins and house blends (variants by weight and
                        grind), capsules and pods, equipment, gift boxes, a subscription;
* ``customers.json``    ~320 customers, mostly Italian, ~20% English/German/French, some with a
                        social handle on the record, a few look-alike names;
* ``orders.json``       500 orders over the 90 days before ``reference_time`` (paid, pending,
                        refunded, cancelled, shipped, late, stuck in transit...);
* ``posts.jsonl``       ~300 social posts (X, Bluesky, Mastodon) in Arrosto's generic JSONL
                        archive import format: complaints, questions, praise, purchase intent
                        and off-topic noise with decoy words;
* ``posts_truth.json``  the ground truth for each post (intent, customer, order number,
                        products), for tests and for measuring the classifier.

Everything is synthetic, from the standard library and one ``random.Random(20261123)``
(:data:`.base.rng`) that every module draws from in a fixed order, so running it again produces
byte-identical files. All timestamps are absolute UTC ISO-8601 strings at or before
``reference_time`` (2026-01-01T12:00:00+00:00); the app shifts them when it loads the demo so that
``reference_time`` becomes "now". Run it with ``python -m tools.demo_shop``.
"""
