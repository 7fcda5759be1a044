"""The daily digest: one e-mail a day at the shop's local hour (build → render → send)."""
