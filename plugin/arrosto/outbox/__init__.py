"""The outbox: every message Arrosto sends (support replies, promotion messages, opt-out
confirmations) is approved, gated, sent and requeued here, under the domains that write them.

:mod:`.send` (approve, the send gate, sending, requeueing), :mod:`.basis` (the consent basis an
automated message is checked against), :mod:`.consent` (consent and opt-outs read from posts),
:mod:`.public` (the never-public check), :mod:`.render` and :mod:`.sandbox` (templates).
"""
