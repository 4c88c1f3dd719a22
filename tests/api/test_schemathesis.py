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
from tests.conftest import empty_all_tables
from tests.factories import make_restaurant
from webapp.auth.tokens import create_token
from webapp.extensions import db
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


def _fields(day: dt.date) -> dict[str, list]:
    dates = [day.isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    return {"slug": ["trattoria"], "timezone": ["Europe/Berlin"], "date": dates,
            "start_date": dates, "end_date": dates, "start": dates, "end": dates,
            "time": ["12:00", "12:30", "19:00", "19:10", "21:00"], "opens": ["11:00", "18:00"],
            "closes": ["15:00", "23:30"], "last_seating": ["14:00", "22:00"]}


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
    pinned = _pin(document, _fixtures(client, session, restaurant, auth, day), _fields(day))
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


def test_linked_operations_as_a_state_machine(app, client, session, restaurant, auth, day):
    """Stateful: follow the document's links (book -> read/change/cancel by the manage
    token or the id; add a table -> change/deactivate it ...) with the same checks."""
    from hypothesis.stateful import rule, run_state_machine_as_test

    document = client.get(f"{API}/openapi.json").json
    hypothesis_compat.install()
    schemathesis.experimental.OPEN_API_3_1.enable()
    # Writes that usually succeed, so that their links get followed.
    fields = {**_fields(day), "closed": [True], "source": ["phone"],
              "table": [t.id for t in restaurant.tables]}
    schema = schemathesis.from_dict(_pin(document, {"slug": ["trattoria"]}, fields),
                                    app=app, base_url=API)
    machine = schema.as_state_machine()

    class Machine(machine):
        def setup(self):
            # Every run starts from the same database, so Hypothesis sees the same
            # answers when it replays a run (else: "inconsistent data generation").
            db.session.rollback()  # the test's own session must not hold locks on the tables
            empty_all_tables(app)
            with app.app_context():
                fresh = make_restaurant(db.session, slug="trattoria", name="Trattoria",
                                        tables=[("T2", 2), ("T4", 4), ("T6", 6)])
                _, clear = create_token(db.session, fresh.id, "stateful")
                db.session.commit()
            self.auth = {"Authorization": f"Bearer {clear}"}

        @rule()
        def read_the_restaurant(self):
            # Always possible, so a run whose first writes were refused (422) still has a
            # step to take instead of stopping with "no progress can be made".
            assert client.get(f"{API}/restaurants/trattoria").status_code == 200

        def _add_results_to_targets(self, targets, results):
            # Hypothesis renamed the hook Schemathesis 3.x overrides to route each answer
            # into the bundle of its status code (whose links are then followed).
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

        def get_call_kwargs(self, case):
            return {"headers": self.auth}

        def validate_response(self, response, case, additional_checks=()):
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(Machine, settings=settings(
        max_examples=15, stateful_step_count=10, derandomize=True, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
