"""Developer tools of the repository (never shipped in the ``arrosto`` package)."""
