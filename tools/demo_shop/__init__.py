"""The synthetic Italian shop, dev-only (never shipped in the ``arrosto`` package).

Two uses, one place, one set of shared facts (:mod:`.common`):

* :mod:`.roastery` writes the embedded demo shop "Torrefazione Brace" as the data files of
  ``plugin/arrosto/demo/data/`` (``python -m tools.demo_shop``), byte-identical on every run;
* :mod:`.linking` makes shops of any size with ground truth (which order each complaint is
  about) for the linking evaluation in ``benchmarks/evaluate_linking.py`` and
  ``benchmarks/linking.py``.

Each draws from its own seeded generator in a fixed order: the demo data and the figures the
linking threshold was tuned on stay reproducible.
"""
