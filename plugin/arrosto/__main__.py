"""``python -m arrosto`` runs the ``arrosto`` command."""
from .cli import main

main()
