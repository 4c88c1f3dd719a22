"""Property-based tests of the live API against its own OpenAPI document (Schemathesis).

For every documented operation, Schemathesis generates requests from the document
(bodies from the page forms' schemas, as JSON and as form posts) and sends them
to the real app, authenticated with the restaurant's API token. Every answer must
be documented (status, content type, headers) and match its schema, and none may
be a 5xx. Path parameters are pinned to objects that exist, so the generated
requests reach the views instead of stopping at 404.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api import hypothesis_compat
from tests.api.conftest import API, booking
from webapp.models import OpeningHours, SpecialDay

# Schemathesis 3.x uses jsonschema APIs that jsonschema deprecated; not our code.
pytestmark = [pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")]

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance)
MAX_EXAMPLES = 12


def _narrow(schema: dict, values: dict[str, list]) -> None:
    """Limit the named properties of a body schema (and its alternatives) to ``values``."""
    for alternative in schema.get("anyOf", []):
        _narrow(alternative, values)
    for name, prop in schema.get("properties", {}).items():
        if name in values:
            prop.pop("anyOf", None)
            prop.pop("allOf", None)
            prop.pop("format", None)
            prop.pop("pattern", None)
            prop["enum"] = values[name]


def _pin(document: dict, path_values: dict[str, list], field_values: dict[str, list]) -> dict:
    """Path parameters limited to existing objects; dates, times and the slug limited to
    values that mean something here, so that many generated requests succeed (and a
    generated settings change cannot move the restaurant away from its slug)."""
    pinned = copy.deepcopy(document)
    for item in pinned["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                pool = path_values if parameter["in"] == "path" else field_values
                if parameter["in"] in ("path", "query") and parameter["name"] in pool:
                    parameter["schema"] = {"type": parameter["schema"].get("type", "string"),
                                           "enum": pool[parameter["name"]]}
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _narrow(media["schema"], field_values)
    return pinned


def _fixtures(client, session, restaurant, auth, day) -> dict[str, list]:
    guest = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day)).json
    phone = client.post(f"{API}/restaurants/trattoria/reservations", headers=auth,
                        json=booking(day, "12:30", name="Phone Guest", email="",
                                     phone="030 1234567")).json
    hours = session.query(OpeningHours).filter_by(restaurant_id=restaurant.id).first()
    special = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth,
                          json={"start_date": day.isoformat(), "closed": True}).json
    assert session.get(SpecialDay, special["id"]) is not None
    return {"slug": ["trattoria"], "token": [guest["manage_token"]],
            "reservation_id": [guest["id"], phone["id"]],
            "table_id": [t.id for t in restaurant.tables],
            "hours_id": [hours.id], "special_day_id": [special["id"]]}


def test_every_operation_conforms_to_the_document(app, client, session, restaurant, auth, day):
    document = client.get(f"{API}/openapi.json").json
    dates = [day.isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    times = ["12:00", "12:30", "19:00", "19:10", "21:00"]
    fields = {"slug": ["trattoria"], "timezone": ["Europe/Berlin"], "date": dates,
              "start_date": dates, "end_date": dates, "start": dates, "end": dates,
              "time": times, "opens": ["11:00", "18:00"], "closes": ["15:00", "23:30"],
              "last_seating": ["14:00", "22:00"]}
    pinned = _pin(document, _fixtures(client, session, restaurant, auth, day), fields)
    hypothesis_compat.install()
    schemathesis.experimental.OPEN_API_3_1.enable()  # our document is OpenAPI 3.1
    schema = schemathesis.from_dict(pinned, app=app, base_url=API)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            case.call_and_validate(headers=auth, checks=CHECKS)

        try:
            conforms()
        except Exception as error:  # name the operation in the failure
            pytest.fail(f"{operation.verbose_name}: {error}")
