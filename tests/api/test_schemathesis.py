"""Property-based tests of the live API against its own OpenAPI document (Schemathesis 4).

For every documented operation, Schemathesis generates requests from the document
(bodies from the page forms' schemas, as JSON and as form posts), both ones the
document allows (positive) and ones it forbids (negative), and sends them to the real
app, anonymously and with the restaurant's owner token. Every check Schemathesis has
runs on every answer (the `--checks all` of the command line): no 5xx, only documented
statuses, content types and headers, answers that match their schemas, schema-invalid
requests refused, schema-valid ones accepted, auth not ignored.

Two things a JSON Schema cannot say, and how the test treats them:

* the rules across fields and the booking rules (a table's smallest party is at most its
  seats, a booking falls inside the opening hours, the slot is free): a schema-valid
  request may meet them and get a 422, so ``positive_data_acceptance`` allows 422; our
  own check ``forms_accept_what_the_schema_allows`` (schemathesis_rules.py, which the
  command line loads too) then refuses a 422 for any reason a
  schema *can* say (type, shape, length, blankness, date range, unknown fields);
* "use a new Idempotency-Key for a new body": a positive request gets a fresh key of
  its own (schemathesis_rules.py; the rule itself is tested in
  test_idempotency.py), negative ones keep the invalid keys Schemathesis generated.

Path parameters are pinned to objects that exist, so requests reach the views instead of
stopping at 404; for positive requests, dates and times are narrowed to values that
mean something here, so that many of them succeed.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.api.conftest import API, booking
from tests.api.schemathesis_rules import forms_accept_what_the_schema_allows, is_valid_on_the_wire
from tests.api.schemathesis_rules import with_fresh_idempotency_key as _with_fresh_idempotency_key
from webapp.models import OpeningHours

MAX_EXAMPLES = 5  # per operation and generation mode
# Without a token the owner's operations all answer 401: one example each shows that it
# conforms (the owner's run covers them).
ANONYMOUS_OWNER_EXAMPLES = 1

def _narrow(schema: dict, values: dict[str, list]) -> None:
    """Limit the named properties of a body schema (and its alternatives) to ``values``."""
    for alternative in schema.get("anyOf", []):
        _narrow(alternative, values)
    for name, prop in schema.get("properties", {}).items():
        if name in values:
            for key in ("anyOf", "allOf", "format", "pattern", "minLength", "maxLength"):
                prop.pop(key, None)
            prop["type"] = "string"
            prop["enum"] = values[name]


def _narrowed(document: dict, field_values: dict[str, list]) -> dict:
    """Dates, times and the slug limited to values that mean something here (and a
    generated settings change cannot move the restaurant away from its slug)."""
    narrowed = copy.deepcopy(document)
    for item in narrowed["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in field_values:
                    parameter["schema"] = {"type": "string",
                                           "enum": field_values[parameter["name"]]}
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _narrow(media["schema"], field_values)
    return narrowed


def _fields(day: dt.date) -> dict[str, list]:
    dates = [day.isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    return {"slug": ["trattoria"], "timezone": ["Europe/Berlin"], "date": dates,
            "start_date": dates, "end_date": dates, "start": dates, "end": dates,
            "time": ["12:00", "12:30", "19:00", "19:10", "21:00"], "opens": ["11:00", "18:00"],
            "closes": ["15:00", "23:30"], "last_seating": ["14:00", "22:00"],
            "window_from": ["18:00", "19:00"], "window_to": ["21:00", "22:00"]}


def _path_values(client, session, restaurant, auth, day) -> dict[str, object]:
    guest = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day)).json
    phone = client.post(f"{API}/restaurants/trattoria/reservations", headers=auth,
                        json=booking(day, "12:30", name="Phone Guest", email="",
                                     phone="030 1234567")).json
    hours = session.query(OpeningHours).filter_by(restaurant_id=restaurant.id).first()
    special = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth,
                          json={"start_date": day.isoformat(), "closed": True}).json
    waiting = client.post(f"{API}/restaurants/trattoria/waitlist", headers=auth, json={
        "date": day.isoformat(), "party_size": 2, "window_from": "19:00", "window_to": "21:00",
        "name": "Wait Ing", "email": "wait@example.com"}).json
    return {"slug": "trattoria", "token": guest["manage_token"], "reservation_id": phone["id"],
            "table_id": restaurant.tables[0].id, "hours_id": hours.id,
            "special_day_id": special["id"], "entry_id": waiting["id"]}


# Statuses a schema-valid request may get: Schemathesis' own list, and 422 for the rules no
# schema can state (see the module docstring and forms_accept_what_the_schema_allows).
CONFIG = {"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]}}}


def _operations(document: dict, app) -> list:
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(CONFIG))
    schema.app = app
    return [result.ok() for result in schema.get_all_operations()]


def _conformance(operation, mode: GenerationMode, pinned: dict, headers: dict, checks: list,
                 counter: list[int]):
    owner_only = [list(r) for r in operation.definition.raw.get("security", [])] == [["bearerAuth"]]
    examples = ANONYMOUS_OWNER_EXAMPLES if owner_only and not headers else MAX_EXAMPLES

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned))
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case):
        counter.append(1)
        if mode is GenerationMode.POSITIVE:
            _with_fresh_idempotency_key(case)
        # A "negative" form post that arrives valid (a null name is the text "null") is
        # held to every check but the one that expects a refusal.
        excluded = [negative_data_rejection] if is_valid_on_the_wire(case) else []
        case.call_and_validate(headers=headers, checks=checks, excluded_checks=excluded)

    return conforms


@pytest.mark.parametrize("caller", ["anonymous", "owner"])
def test_every_operation_conforms_to_the_document(app, client, session, restaurant, auth, day,
                                                  caller):
    load_all_checks()
    checks = [*CHECKS.get_all(), forms_accept_what_the_schema_allows]
    document = client.get(f"{API}/openapi.json").json
    path_values = _path_values(client, session, restaurant, auth, day)
    headers = auth if caller == "owner" else {}
    by_mode = {GenerationMode.POSITIVE: _operations(_narrowed(document, _fields(day)), app),
               GenerationMode.NEGATIVE: _operations(document, app)}
    assert len(by_mode[GenerationMode.NEGATIVE]) >= 25
    examples: list[int] = []
    unsatisfiable: list[str] = []
    for mode, operations in by_mode.items():
        for operation in operations:
            pinned = {name: value for name, value in path_values.items()
                      if f"{{{name}}}" in operation.path}
            try:
                _conformance(operation, mode, pinned, headers, checks, examples)()
            except Unsatisfiable:
                # Nothing left to make invalid (no body, no query, the path pinned).
                assert mode is GenerationMode.NEGATIVE, operation.label
                unsatisfiable.append(operation.label)
            except Exception as error:  # name the operation and the mode in the failure
                pytest.fail(f"{operation.label} ({mode.value}, {caller}): {error}")
    print(f"schemathesis ({caller}): {len(examples)} examples; nothing negative to send to "  # noqa: T201
          f"{len(unsatisfiable)} operations: {unsatisfiable}")


def test_a_null_in_a_form_post_is_text_on_the_wire(app, client):
    """The case CI met: Schemathesis' negative ``name: null`` sent as a form post arrives
    as name=null, a valid name, and is not held to be refused; the same null in JSON is
    invalid and is; a form post with a real violation (a 41-character name) is too."""
    document = client.get(f"{API}/openapi.json").json
    [operation] = [op for op in _operations(document, app)
                   if op.label == "POST /restaurants/{slug}/opening-hours"]
    hours = {"weekday": 1, "opens": "20:31", "closes": "12:04:28"}
    form = "application/x-www-form-urlencoded"
    assert is_valid_on_the_wire(operation.Case(body={**hours, "name": None}, media_type=form))
    assert not is_valid_on_the_wire(operation.Case(body={**hours, "name": None},
                                                   media_type="application/json"))
    assert not is_valid_on_the_wire(operation.Case(body={**hours, "name": "x" * 41},
                                                   media_type=form))
    assert not is_valid_on_the_wire(operation.Case(body={**hours, "weekday": None},
                                                   media_type=form))
