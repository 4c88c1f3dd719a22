"""The hostile-input sweep: one corpus, every form and every endpoint.

Targets are found, not listed: the URL map gives every route, the OpenAPI document
(``/api/v1/openapi.json``) every API operation with its body fields and query
parameters, and the pages themselves (crawled as the logged-in owner and as a guest)
every form with its fields and a valid value for each (the CSRF token included). A new
route, operation, form or field is swept without a line of test code.

For each target, one field at a time gets a hostile value while the others keep their
valid value (so the hostile one reaches as deep as it can); path parameters and whole
bodies get their own probes. The answer must not be a 5xx (nor an exception: the test
app propagates them), and a refused request (4xx) must leave every table's row count
as it was.
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from flask import Flask
from sqlalchemy import text
from werkzeug.datastructures import MultiDict
from werkzeug.routing.converters import NumberConverter

from webapp.extensions import db

SCRIPT = '<script>alert("x")</script>'
SQL = "' OR '1'='1'; DROP TABLE reservations;--"
OVERSIZED = "x" * 5_000  # far over every field's limit, well under the body limit
CONTROL = "a\r\nBcc: x@evil.example\x1b[2J\x7f\x85"
RTL_NUL = "\u202eevil\u2066\x00\ufeff"
TEXT = [OVERSIZED, CONTROL, RTL_NUL, SCRIPT, SQL]
FAR_DATES = ["9999-12-31", "0001-01-01", "2026-02-30", "+275760-09-13"]
BAD_TIMES = ["24:00", "23:59:60", "99:99"]
HUGE_INTS = [2**63, 2**64, 10**30, -(2**63) - 1]


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# Wrong types: objects and arrays where scalars belong, and scalars of the wrong kind.
WRONG_TYPES: list[Any] = [{"a": {"b": 1}}, [1, "two"], True, None, 1e308, nested(40)]
# Path parameters: text ones (slug, token) and integer ones (ids).
PATH_TEXT = [SCRIPT, SQL, "x" * 300, "a\x00b", "\u202eevil", "..%2F..%2Fetc"]
PATH_INTS = [2**63, 2**64, 10**30]
# Whole bodies, whatever the fields.
BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"[" * 600 + b"]" * 600),
    ("application/json", b"[1, 2]"),
    ("application/json", b'"text"'),
    ("application/json", b"\xff\xfe{"),
    ("application/x-www-form-urlencoded", b"a=" + b"x" * 100_000),
]


def json_values(kind: str) -> list[Any]:
    """The corpus for one JSON field of the given kind (integer, number, date, time, text)."""
    values: list[Any] = [*TEXT, *WRONG_TYPES, HUGE_INTS[1]]
    if kind in ("integer", "number"):
        values += [HUGE_INTS[0], HUGE_INTS[2], HUGE_INTS[3], "99999999999999999999", -1]
    if kind == "date":
        values += FAR_DATES
    if kind == "time":
        values += BAD_TIMES
    return values


def text_values(kind: str) -> list[str | list[str]]:
    """The corpus for one form field or query parameter (text only; a list = the field
    sent twice, the form's way of sending an array)."""
    values: list[str | list[str]] = [*TEXT, str(HUGE_INTS[1]), ["1", "2"]]
    if kind in ("integer", "number"):
        values += [str(v) for v in (HUGE_INTS[0], HUGE_INTS[2], HUGE_INTS[3])] + ["-1", "1e400"]
    if kind == "date":
        values += FAR_DATES
    if kind == "time":
        values += BAD_TIMES
    return values


# --------------------------------------------------------------------------- findings


@dataclass
class Finding:
    request: str
    problem: str

    def __str__(self) -> str:
        return f"{self.request}: {self.problem}"


@dataclass
class Sweep:
    """Sends the requests of one target and collects what went wrong."""

    app: Flask
    client: Any
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    # A 5xx that is the endpoint's designed answer here (readiness on a schema built
    # without the migrations).
    designed_5xx: frozenset[int] = frozenset()
    _counts: dict[str, int] | None = None

    def row_counts(self) -> dict[str, int]:
        tables = [t.name for t in db.metadata.sorted_tables]
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {name})" for name in tables)
        with db.engine.connect() as conn:
            return dict(zip(tables, conn.execute(text(sql)).one(), strict=True))

    def send(self, method: str, url: str, describe: str, **kwargs: Any) -> int:
        if self._counts is None:
            self._counts = self.row_counts()
        self.requests += 1
        label = f"{method} {url[:120]} {describe[:160]}"
        try:
            response = fresh_request(self.app, self.client, url, method=method, **kwargs)
        except Exception as error:  # the test app propagates the app's exceptions
            db.session.rollback()
            self.findings.append(Finding(label, f"exception {type(error).__name__}: "
                                                f"{str(error)[:200]}"))
            self._counts = None
            return 500
        status = response.status_code
        response.close()
        if status >= 500 and status not in self.designed_5xx:
            self.findings.append(Finding(label, f"{status}"))
        after = self.row_counts()
        changed = {name: (self._counts[name], count) for name, count in after.items()
                   if count != self._counts[name]}
        if "Idempotency-Key" in (kwargs.get("headers") or {}):
            # A keyed request's answer, a refusal too, is kept for its retries.
            changed.pop("idempotency_keys", None)
        if 400 <= status < 500 and changed:
            self.findings.append(Finding(label, f"refused with {status} but rows changed: "
                                                f"{changed}"))
        self._counts = after
        return status


def fresh_request(app: Flask, client: Any, url: str, method: str = "GET", **kwargs: Any) -> Any:
    """One request in an app context of its own. The test's app context would otherwise
    be reused by every request, and with it ``g``, where Flask-Login keeps the user it
    loaded: one client's login would show through to another client's requests."""
    with app.app_context():
        return client.open(url, method=method, **kwargs)


# --------------------------------------------------------------------------- the API


@dataclass
class ApiOperation:
    method: str
    path: str  # OpenAPI template, e.g. /restaurants/{slug}/tables/{table_id}
    parameters: list[dict[str, Any]]
    bodies: list[dict[str, Any]]  # JSON schemas (each anyOf variant its own)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def api_operations(document: dict[str, Any]) -> list[ApiOperation]:
    operations = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            schema = (operation.get("requestBody", {}).get("content", {})
                      .get("application/json", {}).get("schema"))
            variants = schema.get("anyOf", [schema]) if schema else []
            operations.append(ApiOperation(method.upper(), path,
                                           shared + operation.get("parameters", []),
                                           [_resolve(document, v) for v in variants]))
    return operations


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return _resolve(document, node)


def kind_of(name: str, schema: dict[str, Any]) -> str:
    types = schema.get("type", "string")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    kind = types[0] if types else "string"
    if schema.get("format") == "date" or name.endswith("date") or name in ("start", "end"):
        return "date"
    if name in ("time", "opens", "closes", "last_seating") or name.endswith("_time"):
        return "time"
    return kind


def valid_value(name: str, schema: dict[str, Any], context: dict[str, Any]) -> Any:
    """A value the field accepts, so the one hostile field is what a request is about."""
    if name in context:
        return context[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = kind_of(name, schema)
    if kind == "date":
        return context["day"]
    if kind == "time":
        return "19:00"
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 2), 2) if schema.get("maximum", 99) >= 2 else 1
    if kind == "boolean":
        return False
    if schema.get("format") == "email" or "email" in name:
        return "ada@example.com"
    if "phone" in name:
        return "+49 30 1234567"
    return "Hostile Test"


def sweep_api(sweep: Sweep, operation: ApiOperation, context: dict[str, Any],
              headers: dict[str, str]) -> None:
    base_path = {p["name"]: context.get(p["name"], 1) for p in operation.parameters
                 if p["in"] == "path"}
    query = {p["name"]: p.get("schema", {}) for p in operation.parameters if p["in"] == "query"}
    header_params = [p["name"] for p in operation.parameters if p["in"] == "header"]

    def url(path_values: dict[str, Any], params: list[tuple[str, Any]] | None = None) -> str:
        path = operation.path
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return "/api/v1" + path + _query_string(params or [])

    method = operation.method
    base_query = [(name, valid_value(name, schema, context)) for name, schema in query.items()]
    bodies = [{name: valid_value(name, prop, context)
               for name, prop in variant.get("properties", {}).items()}
              for variant in operation.bodies] or [None]
    # Path parameters.
    for name in base_path:
        integer = any(p["name"] == name and p.get("schema", {}).get("type") == "integer"
                      for p in operation.parameters)
        for value in PATH_INTS if integer else PATH_TEXT:
            sweep.send(method, url({**base_path, name: value}, base_query), f"path {name}",
                       headers=headers, json=bodies[0])
    # Query parameters.
    for name, schema in query.items():
        for value in text_values(kind_of(name, schema)):
            params = [(n, v) for n, v in base_query if n != name] + _pairs(name, value)
            sweep.send(method, url(base_path, params), f"query {name}={value!r:.60}",
                       headers=headers, json=bodies[0])
    # Header parameters (Idempotency-Key).
    for name in header_params:
        for value in ["x" * 5000, SCRIPT, SQL, "\x1b[2J", ""]:
            sweep.send(method, url(base_path, base_query), f"header {name}",
                       headers={**headers, name: value}, json=bodies[0])
    # Body fields, one at a time, for each variant of the body.
    for variant, body in zip(operation.bodies, bodies, strict=False):
        assert body is not None
        for name, prop in variant.get("properties", {}).items():
            for value in json_values(kind_of(name, prop)):
                sweep.send(method, url(base_path, base_query), f"json {name}={value!r:.60}",
                           headers=headers, json={**body, name: value})
        # Every field hostile at once, as the form engine sees it.
        sweep.send(method, url(base_path, base_query), "form-encoded, all fields hostile",
                   headers=headers, data={name: SCRIPT for name in body})
    if operation.bodies or method in ("POST", "PUT", "PATCH"):
        for content_type, raw in BODIES:
            sweep.send(method, url(base_path, base_query), f"body {raw[:30]!r}",
                       headers=headers, data=raw, content_type=content_type)


def _pairs(name: str, value: Any) -> list[tuple[str, Any]]:
    return [(name, v) for v in value] if isinstance(value, list) else [(name, value)]


def _query_string(params: list[tuple[str, Any]]) -> str:
    if not params:
        return ""
    return "?" + "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in params)


# --------------------------------------------------------------------------- the pages


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]]  # (name, kind, valid value)


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._seen: set[str] = set()

    def _add(self, name: str, kind: str, value: str) -> None:
        if self._form is not None and name and name not in self._seen:
            self._seen.add(name)
            self._form.fields.append((name, kind, value))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").upper(), [])
            self._seen = set()
        elif self._form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a and a.get("name") in self._seen:
                return
            if kind == "radio" and "checked" not in a:
                # The first choice, unless a later one is checked (replaced below).
                pass
            if kind in ("radio", "checkbox") and "checked" in a:
                self._form.fields = [f for f in self._form.fields if f[0] != a.get("name")]
                self._seen.discard(a.get("name", ""))
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            value = a.get("value", "on" if kind == "checkbox" else "")
            self._add(a.get("name", ""), _html_kind(kind, a.get("name", "")), value)
        elif tag == "button" and a.get("name"):
            self._add(a["name"], "text", a.get("value", ""))
        elif tag == "select":
            self._select, self._select_value = a.get("name", ""), None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select" and self._select is not None:
            self._add(self._select, _html_kind("select", self._select), self._select_value or "")
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, "text", "")
            self._textarea = None


def _html_kind(input_type: str, name: str) -> str:
    if input_type == "date" or name.endswith("date") or name in ("start", "end"):
        return "date"
    if input_type == "time" or name in ("time", "opens", "closes", "last_seating"):
        return "time"
    if input_type == "number":
        return "integer"
    return "text"


def forms_on(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def crawl(app: Flask, client: Any, start: list[str]) -> dict[tuple[str, str], tuple[str, Form]]:
    """Every form on the given pages, by (endpoint, method) of its action: the first
    form found for each endpoint, with the page it came from."""
    adapter = app.url_map.bind("localhost")
    found: dict[tuple[str, str], tuple[str, Form]] = {}
    for page_url in start:
        response = fresh_request(app, client, page_url)
        if response.status_code != 200 or "html" not in response.mimetype:
            continue
        for form in forms_on(response.get_data(as_text=True)):
            action = urlsplit(form.action or page_url)
            path = action.path or urlsplit(page_url).path
            try:
                endpoint, _ = adapter.match(path, method=form.method)
            except Exception:  # noqa: BLE001 (a form to somewhere else: not ours)
                continue
            key = (endpoint, form.method)
            if key not in found:
                query = parse_qsl(action.query)
                form.action = path + ("?" + "&".join(f"{k}={quote(v)}" for k, v in query)
                                      if query else "")
                found[key] = (page_url, form)
    return found


def filled(form: Form, context: dict[str, Any]) -> Form:
    """The form with its empty fields given a value they accept (a new booking's name,
    time, ...), so a request is refused for its one hostile field, not for the rest."""
    fields = []
    for name, kind, value in form.fields:
        if not value and name != "csrf_token":
            guess = valid_value(name, {"type": "integer" if kind == "integer" else "string"},
                                {**context, "date": context["day"]})
            value = str(guess) if kind != "date" else context["day"]
            if kind == "time":
                value = {"opens": "08:00", "closes": "10:00", "last_seating": ""}.get(name, "19:00")
        fields.append((name, kind, value))
    return Form(form.action, form.method, fields)


def sweep_form(sweep: Sweep, form: Form) -> None:
    base = MultiDict([(name, value) for name, _, value in form.fields])
    for name, kind, _ in form.fields:
        if name == "csrf_token":
            continue
        for value in text_values(kind):
            data = MultiDict([(n, v) for n, v in base.items(multi=True) if n != name])
            for v in (value if isinstance(value, list) else [value]):
                data.add(name, v)
            if form.method == "GET":
                sweep.send("GET", form.action.split("?")[0] + _query_string(list(
                    data.items(multi=True))), f"field {name}={value!r:.60}")
            else:
                sweep.send("POST", form.action, f"field {name}={value!r:.60}", data=data)
    # Whole bodies, also to a GET (a body it has no use for must cost nothing).
    for content_type, raw in BODIES:
        sweep.send(form.method, form.action, f"body {raw[:30]!r}", data=raw,
                   content_type=content_type)


def path_probes(app: Flask, endpoint: str, method: str, values: dict[str, Any]
                ) -> Iterator[tuple[str, str]]:
    """The endpoint's URL with each of its path parameters made hostile in turn."""
    for rule in app.url_map.iter_rules(endpoint):
        if method not in (rule.methods or ()):
            continue
        base = {name: values.get(name, 1) for name in rule.arguments}
        for name in rule.arguments:
            converter = rule._converters[name]  # noqa: SLF001 (werkzeug has no public way)
            integer = isinstance(converter, NumberConverter)
            for value in PATH_INTS if integer else PATH_TEXT:
                if integer:
                    url = rule.build({**base, name: 1})[1]
                    # The converter would refuse to build it; put the digits in by hand.
                    url = _replace_segment(url, rule, name, str(value), base)
                else:
                    url = rule.build({**base, name: value})[1]
                yield url, f"path {name}={str(value)[:40]!r}"


def _replace_segment(url: str, rule: Any, name: str, value: str, base: dict[str, Any]) -> str:
    marker = 987654321
    marked = rule.build({**base, name: marker})[1]
    return marked.replace(str(marker), value, 1) if str(marker) in marked else url


def owner_page_urls(app: Flask, values: dict[str, Any]) -> list[str]:
    """Every GET page of the owner blueprint and the guest pages, with real arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.startswith(("api.", "static")):
            continue
        if any(name not in values for name in rule.arguments):
            continue
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        if rule.endpoint == "public.restaurant_page":
            url += f"?date={values['day']}&party_size=2"
        urls.append(url)
    return urls


def every_rule(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, method) of every route but the static files, HEAD and OPTIONS."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return sorted(found)


def endpoint_of(app: Flask, operation: ApiOperation) -> tuple[str, str] | None:
    """(endpoint, method) of the route that serves an OpenAPI operation."""
    path = "/api/v1" + re.sub(r"\{[^}]+\}", "1", operation.path)
    try:
        return app.url_map.bind("localhost").match(path, method=operation.method)[0], \
            operation.method
    except Exception:  # noqa: BLE001 (documented but not routed: swept as documented)
        return None
