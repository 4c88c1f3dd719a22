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


def _pin(document: dict, values: dict[str, list]) -> dict:
    """Path parameters limited to the given existing values."""
    pinned = copy.deepcopy(document)
    for item in pinned["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["schema"] = {**parameter["schema"],
                                           "enum": values[parameter["name"]]}
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
    pinned = _pin(document, _fixtures(client, session, restaurant, auth, day))
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
