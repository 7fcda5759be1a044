"""The OpenAPI 3.1 document of ``/api/v1``: every operation as data, its parameters, and the
document built from them and from the response models' JSON Schemas."""
from __future__ import annotations

import dataclasses
import functools
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ...listening.classify import INTENTS as POST_INTENTS
from .schemas import (
    CASE_INTENTS,
    CASE_STATES,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    PER_PAGE,
    PREFIX,
    Approval,
    Approved,
    CaseDetail,
    CasePage,
    Corrected,
    CorrectionIn,
    Digest,
    Error,
    OrderDetail,
    OrderPage,
    PostOut,
    PostPage,
    ProductDetail,
    ProductPage,
    PromotionApproved,
    PromotionDetail,
    PromotionPage,
    ShopOut,
)


@dataclasses.dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: str
    summary: str
    response: type[BaseModel]
    parameters: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    body: type[BaseModel] | None = None
    tag: str = "shop"
    body_required: bool = False
    operation_id: str = ""  # the endpoint's name unless two operations share an endpoint


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": f"The {what}'s id.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


PARAMETERS: dict[str, dict[str, Any]] = {
    "page": {"name": "page", "in": "query", "description": "The page, from 1.",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    "per_page": {"name": "per_page", "in": "query", "description": "Items per page.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": PER_PAGE}},
    "post_intent": {"name": "intent", "in": "query", "description": "Only posts of this intent.",
                    "schema": {"type": "string", "enum": list(POST_INTENTS)}},
    "case_intent": {"name": "intent", "in": "query", "description": "Only cases of this intent.",
                    "schema": {"type": "string", "enum": list(CASE_INTENTS)}},
    "case_state": {"name": "state", "in": "query", "description": "Only cases in this state.",
                   "schema": {"type": "string", "enum": list(CASE_STATES)}},
    "product_filter": {"name": "product_id", "in": "query",
                       "description": "Only those naming this product.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
    "date": {"name": "date", "in": "query",
             "description": "The shop's local date of the digest (default: today there); it "
                            "covers the day before.",
             "schema": {"type": "string", "format": "date",
                        "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"}},
    "product_id": _path_id("product_id", "product"),
    "order_id": _path_id("order_id", "order"),
    "post_id": _path_id("post_id", "post"),
    "case_id": _path_id("case_id", "case"),
    "message_id": _path_id("message_id", "reply message"),
    "promotion_id": _path_id("promotion_id", "promotion"),
}
PAGED = ("page", "per_page")

OPERATIONS = (
    Operation("get", "/shop", "api.shop", "The token's shop", ShopOut),
    Operation("get", "/products", "api.products", "Products, by title", ProductPage, PAGED,
              (400,), tag="catalog"),
    Operation("get", "/products/{product_id}", "api.product",
              "A product with its keywords and mentions", ProductDetail, ("product_id",), (404,),
              tag="catalog"),
    Operation("get", "/orders", "api.orders", "Orders, newest first", OrderPage, PAGED, (400,),
              tag="orders"),
    Operation("get", "/orders/{order_id}", "api.order",
              "An order with its lines, fulfillments and customer", OrderDetail, ("order_id",),
              (404,), tag="orders"),
    Operation("get", "/posts", "api.posts", "Social posts found or imported, newest first",
              PostPage, (*PAGED, "post_intent", "product_filter"), (400,), tag="listening"),
    Operation("get", "/posts/{post_id}", "api.post", "A post with its products and correction",
              PostOut, ("post_id",), (404,), tag="listening"),
    Operation("post", "/posts/{post_id}/correction", "api.correction",
              "Correct how the post was read: it is re-routed at once (its case closed or "
              "opened)", Corrected, ("post_id",), (400, 404, 415, 422), CorrectionIn,
              tag="listening", body_required=True, operation_id="correct_post"),
    Operation("delete", "/posts/{post_id}/correction", "api.correction",
              "Undo the post's correction: the post and its case as they were", Corrected,
              ("post_id",), (404,), tag="listening", operation_id="undo_correction"),
    Operation("get", "/cases", "api.cases", "Support cases, newest first", CasePage,
              (*PAGED, "case_state", "case_intent", "product_filter"), (400,), tag="support"),
    Operation("get", "/cases/{case_id}", "api.case",
              "A case with its thread, order links and reply messages", CaseDetail,
              ("case_id",), (404,), tag="support"),
    Operation("post", "/cases/{case_id}/messages/{message_id}/approve", "api.approve_reply",
              "Approve a reply draft (optionally edited) and queue its sending", Approved,
              ("case_id", "message_id"), (400, 404, 409, 415, 422), Approval, tag="support"),
    Operation("get", "/promotions", "api.promotions", "Promotions, newest first", PromotionPage,
              PAGED, (400,), tag="promotions"),
    Operation("get", "/promotions/{promotion_id}", "api.promotion",
              "A promotion with its audience per group", PromotionDetail, ("promotion_id",),
              (404,), tag="promotions"),
    Operation("post", "/promotions/{promotion_id}/approve", "api.approve_promotion",
              "Approve a promotion: the automated groups' messages go to the outbox",
              PromotionApproved, ("promotion_id",), (400, 404, 409, 415, 422),
              tag="promotions"),
    Operation("get", "/digest", "api.digest", "The daily digest's content", Digest, ("date",),
              (400,), tag="digest"),
)

QUERY_NAMES = {op.endpoint: frozenset(PARAMETERS[p]["name"] for p in op.parameters
                                      if PARAMETERS[p]["in"] == "query")
               for op in OPERATIONS}

ERROR_TEXT = {400: "The request is malformed (a parameter, or a body that is not JSON).",
              401: "No valid API token.", 404: "Not found in this shop.",
              409: "Not possible in the current state; the reason says why.",
              415: "The body is not application/json.",
              422: "The JSON body is not what the operation takes."}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


@functools.cache
def openapi_document() -> dict[str, Any]:
    ref = "#/components/schemas/{model}"
    outputs = {Error, *(op.response for op in OPERATIONS)}
    inputs = {op.body for op in OPERATIONS if op.body is not None}
    _, schemas = models_json_schema(
        [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
        + [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)],
        ref_template=ref)
    error = {"$ref": ref.format(model="Error")}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {
            "200": {"description": "OK",
                    "content": _json({"$ref": ref.format(model=op.response.__name__)})},
            "401": {"description": ERROR_TEXT[401], "content": _json(error),
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                     "description": "Bearer"}}}}
        for code in op.errors:
            responses[str(code)] = {"description": ERROR_TEXT[code], "content": _json(error)}
        operation: dict[str, Any] = {
            "operationId": op.operation_id or op.endpoint.removeprefix("api."),
            "summary": op.summary,
            "tags": [op.tag], "parameters": [PARAMETERS[p] for p in op.parameters],
            "responses": dict(sorted(responses.items()))}
        if op.body is not None:
            operation["requestBody"] = {"required": op.body_required, "content": _json(
                {"$ref": ref.format(model=op.body.__name__)})}
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Arrosto API", "version": version("arrosto"),
                 "description": "The shop's catalog, orders, posts, support cases, promotions "
                                "and daily digest. Authenticate with one of the shop's API "
                                "tokens: `arrosto api-token create --shop S --name N`."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas["$defs"], "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token from `arrosto api-token create`."}}},
    }
