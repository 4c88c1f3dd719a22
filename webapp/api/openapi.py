"""The OpenAPI 3.1 document, built from the code itself: the blueprint's URL rules,
the ``@documented`` metadata next to each view, and the page forms each write
validates with (through ``formschema``). Nothing is written twice."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import current_app

from ..routing import MAX_ID
from .bodies import FORM_BOOLEANS, form_defaults
from .formschema import NO_NUL_PATTERN, form_schema, query_parameters
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH
from .operations import Operation
from .schemas import COMPONENTS

# What each token scope allows (models.TOKEN_SCOPES; docs/api.md says the same).
SCOPE_MEANINGS = {
    "read": "every GET of the owner endpoints and the owner's view of availability",
    "bookings": "reservation writes: phone bookings and walk-ins, edits, moves, status "
                "changes, cancellations",
    "setup": "set-up writes: settings, tables (and their deactivation), opening hours, "
             "special days",
}

PROBLEM = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")

STANDARD_ERRORS = {
    400: "Malformed JSON, a body that is not an object, a bad Idempotency-Key, or a NUL "
         "character anywhere in the request.",
    401: "No API token, a malformed one, or one that is not valid (WWW-Authenticate: Bearer).",
    403: "The API token belongs to another restaurant, or lacks the scope this operation "
         "needs (`insufficient_scope`, with `scope`; WWW-Authenticate: Bearer "
         "error=\"insufficient_scope\").",
    404: "No such restaurant or object (also another restaurant's objects).",
    409: "Conflict: the slot was just taken (with `alternatives`), the guest already has a "
         "booking then, a stale `version`, a status move that is not allowed, or a request with "
         "the same Idempotency-Key still running.",
    415: "The body is neither application/json nor application/x-www-form-urlencoded.",
    422: "Invalid input: `errors` holds the messages per field; also an Idempotency-Key reused "
         "with a different body.",
    429: "Too many requests from this client (Retry-After).",
    503: "The database is busy or unavailable; retry after Retry-After seconds.",
}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for match in _CONVERTER.finditer(rule):
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID} if match["conv"] == "int" \
            else {"type": "string", "pattern": NO_NUL_PATTERN}
        params.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule), params


def _idempotency_key_pattern() -> str:
    """The rule of ``idempotency.idempotent`` as a pattern: after str.strip() and then
    stripping double quotes (the draft's structured-field string), 1 to MAX_KEY_LENGTH
    characters that str.isprintable() accepts. Header values are Latin-1."""
    space = r"[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0]"  # Latin-1 str.isspace()
    printable = r" -~\u00a1-\u00ac\u00ae-\u00ff"  # Latin-1 str.isprintable()
    inner = f"[{printable}]{{0,{MAX_KEY_LENGTH - 2}}}"
    solid = r"[!#-~\u00a1-\u00ac\u00ae-\u00ff]"  # printable, neither space nor quote
    # The key's first and last characters are "solid", or a space kept by a quote around it.
    first, last = f'(?:"*{solid}|"+ )', f'(?:{solid}"*| "+)'
    one = f'(?:"*{solid}"*|"+ "+)'
    return f"^{space}*(?:{one}|{first}{inner}{last}){space}*$"


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "description": f"Retries with the same key get the first answer (status and body) "
                   f"instead of doing the work twice. 1 to {MAX_KEY_LENGTH} printable "
                   "characters (surrounding spaces and double quotes are ignored); a key is "
                   "scoped to the caller (token or client address), the method and the path. "
                   "The same key with a different body is refused (422 "
                   "`idempotency_key_reused`); while the first request runs, a retry gets 409 "
                   "`idempotency_key_in_use`. Answers other than 2xx, 404 and 409 release "
                   "the key, so the corrected request may use it again.",
    "schema": {"type": "string", "pattern": _idempotency_key_pattern()},
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _form_encoded(schema: dict[str, Any]) -> dict[str, Any]:
    """Form posts carry flat strings: structured alternatives become their text form."""
    flat = copy.deepcopy(schema)
    for prop in flat.get("properties", {}).values():
        alternatives = [alt for alt in prop.get("anyOf", []) if alt.get("type") != "null"]
        if any(alt.get("type") in ("object", "array") for alt in alternatives):
            prop.pop("anyOf")  # a structured field's text form
            prop["type"] = "string"
            prop["pattern"] = NO_NUL_PATTERN
        elif alternatives:
            prop["anyOf"] = alternatives
        if prop.get("type") == "boolean" or prop.get("type") == ["boolean", "null"]:
            ticked = prop.get("enum") == [True]
            prop["type"] = "string"
            prop["enum"] = [word for word in FORM_BOOLEANS
                            if not ticked or word in ("true", "y", "on")]
            if isinstance(prop.get("default"), bool):
                prop["default"] = "true" if prop["default"] else "false"
            continue
        if isinstance(prop.get("type"), list):  # no null in a form post: leave the field out
            prop["type"] = next(kind for kind in prop["type"] if kind != "null")
        if "enum" in prop:
            prop["enum"] = [value for value in prop["enum"] if value is not None]
    return flat


def _body_schema(form_class: type, op: Operation) -> dict[str, Any]:
    form = form_class(formdata=None, meta={"csrf": False})
    defaults = form_defaults(form_class) if op.body_defaults else None
    return form_schema(form, partial=op.partial, defaults=defaults, optional=op.optional)


def _operation(method: str, endpoint: str, params: list[dict[str, Any]], op: Operation
               ) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": endpoint.removeprefix("api."), "summary": op.summary,
                           "tags": [op.tag]}
    if op.description:
        doc["description"] = op.description
    parameters = list(params)
    if op.query:
        form = op.query()(formdata=None, meta={"csrf": False})
        parameters += query_parameters(form)
    if op.idempotent:
        parameters.append(copy.deepcopy(IDEMPOTENCY_PARAMETER))
    if parameters:
        doc["parameters"] = parameters
    responses: dict[str, Any] = {}
    for status, (schema, description) in op.responses.items():
        if schema is None:
            responses[str(status)] = {"description": description}
        elif schema == "Problem":
            responses[str(status)] = _problem(description or STANDARD_ERRORS[status])
        else:
            responses[str(status)] = {"description": description, "content": {
                JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if "201" in responses:  # every create answers with the new object's address
        responses["201"]["headers"] = {"Location": {
            "description": "The new object's address (GET it there).",
            "schema": {"type": "string", "format": "uri"}}}
    success = next((code for code in sorted(op.responses) if code < 300), None)
    if op.links and success is not None:
        responses[str(success)]["links"] = {
            target: {"operationId": target, "parameters": parameters}
            for target, parameters in op.links.items()}
    errors = {400, 404, 503}  # 400: NUL characters are refused everywhere (webapp/input_guard.py)
    if op.body:
        body_schema = _body_schema(op.body(), op)
        form_schema_: dict[str, Any]
        if op.alternative_body:
            alternative = _body_schema(op.alternative_body(), op)
            form_schema_ = {"anyOf": [_form_encoded(body_schema), _form_encoded(alternative)]}
            body_schema = {"anyOf": [body_schema, alternative]}
        else:
            form_schema_ = _form_encoded(body_schema)
        doc["requestBody"] = {"required": not op.partial, "content": {
            JSON: {"schema": body_schema}, FORM: {"schema": form_schema_}}}
        errors |= {400, 415, 422}
    if op.query:
        errors.add(422)
    if method != "GET":
        errors |= {400, 409, 415}
    if op.idempotent:
        errors |= {400, 409, 422}
    if op.auth in ("owner", "optional"):
        errors.add(401)
    if op.auth in ("owner", "optional"):
        errors.add(403)  # another restaurant's token (public endpoints), a missing scope
    if op.rate_limited:
        errors.add(429)
    for status in sorted(errors):
        responses.setdefault(str(status), _problem(STANDARD_ERRORS[status]))
    doc["responses"] = dict(sorted(responses.items()))
    # The scope the token must hold, as the requirement's list (OpenAPI 3.1 allows
    # "role names" for schemes other than OAuth2).
    if op.auth == "owner":
        doc["security"] = [{"bearerAuth": [op.scope]}]
    elif op.auth == "optional":
        doc["security"] = [{}, {"bearerAuth": [op.scope]}]
    else:
        doc["security"] = []
    return doc


def build_document() -> dict[str, Any]:
    """The document for the running app (call inside a request or app context)."""
    paths: dict[str, dict[str, Any]] = {}
    prefix = "/api/v1"
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = current_app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, "openapi", None)
        if op is None:
            continue
        path, params = _path(rule.rule.removeprefix(prefix) or "/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(method, rule.endpoint,
                                                                    params, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Booking Manager API", "version": "1.0.0",
            "description": "Table bookings for restaurants. Every write accepts "
                           "application/json and application/x-www-form-urlencoded, validated by "
                           "the same forms as the web pages. Errors are "
                           "application/problem+json (RFC 9457). Times are local to the "
                           "restaurant (HH:MM, dates YYYY-MM-DD); instants are given in UTC and "
                           "as local time with its offset.",
        },
        "servers": [{"url": prefix}],
        "tags": [{"name": "Public"}, {"name": "Guest",
                                      "description": "Reached with the secret manage token."},
                 {"name": "Owner: reservations"}, {"name": "Owner: setup"}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token made on the dashboard's API tokens page (or "
                               "with `flask create-token`), for one restaurant, holding one "
                               "or more scopes: " + "; ".join(
                                   f"`{name}`: {what}" for name, what in SCOPE_MEANINGS.items())
                               + ". Each operation lists the scope it needs in its `security`; "
                               "a token without it gets 403 `insufficient_scope`."}},
        },
    }
