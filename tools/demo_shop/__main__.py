"""Regenerate the demo roastery's data files.

    python -m tools.demo_shop            # rewrites plugin/arrosto/demo/data/
    python -m tools.demo_shop --out DIR  # or writes somewhere else
"""
from __future__ import annotations

from .roastery.write import main

if __name__ == "__main__":
    main()
