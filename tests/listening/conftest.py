"""The classifier's evaluation code lives beside the benchmarks (``benchmarks/classifier_eval``,
not in the package): its tests import it from the checkout."""
from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
