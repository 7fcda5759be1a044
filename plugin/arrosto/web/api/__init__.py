"""The JSON API, ``/api/v1``: the shop's products, orders, posts, support cases, promotions and
daily digest for the owner's own programs, described by the OpenAPI 3.1 document served at
``/api/v1/openapi.json``.

A request authenticates with one of the shop's API tokens (``Authorization: Bearer …``, see
:mod:`arrosto.access` and ``arrosto api-token``), never with the admin's cookie session, so the
blueprint is exempt from CSRF. Every read goes through the token's shop session: another shop's
id is a 404. The writes call what the admin and the CLI call: approving a reply is the
inbox's :func:`arrosto.outbox.send.approve`, approving a promotion is
:func:`arrosto.promotions.outreach.approve_promotion`, correcting a post (and undoing it) is the
post page's :func:`arrosto.support.corrections.correct` (:func:`~arrosto.support.corrections.undo`).

Responses are Pydantic models; their JSON Schemas (2020-12, as OpenAPI 3.1 uses) are the
document's components, so the document cannot drift from what the views return.
"""
from __future__ import annotations

from . import corrections as _corrections  # noqa: F401 - its routes, on the blueprint
from .views import bp

__all__ = ["bp"]
