"""The post classifier's evaluation, beside the benchmarks (not shipped in the package): the
legacy classifier it is compared against (``legacy.py``), the comparison itself (``evaluate.py``,
run by ``arrosto eval classifier`` from a source checkout) and its data (``data/``: the English
complaints corpus, which has no licence to be shipped, and the Italian sets the developers wrote).
"""
