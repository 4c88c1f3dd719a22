"""The OpenAPI document: valid 3.1, complete, and derived from the page forms."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from tests.api.conftest import API
from webapp.api.formschema import field_schema, form_schema
from webapp.owner.forms import TableForm
from webapp.public.forms import HeldBookingForm

METHODS = {"get", "post", "patch", "delete"}


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def test_document_is_openapi_3_1_with_valid_schemas(document):
    assert document["openapi"] == "3.1.0"
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for item in document["paths"].values():
        for operation in item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                Draft202012Validator.check_schema(media["schema"])


def test_every_api_route_is_documented(app, document):
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in (
                "api.openapi_document", "api.docs_page"):
            continue
        path = rule.rule.removeprefix(API)
        for converter in ("<int:", "<"):
            path = path.replace(converter, "{")
        path = path.replace(">", "}")
        for method in rule.methods & {m.upper() for m in METHODS}:
            assert (path, method.lower()) in documented, (path, method)
    assert len(documented) >= 24


def test_operations_declare_auth_and_problem_answers(document):
    settings = document["paths"]["/restaurants/{slug}/settings"]["patch"]
    assert settings["security"] == [{"bearerAuth": ["setup"]}]
    assert {"200", "401", "404", "415", "422"} <= set(settings["responses"])
    problem = settings["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    book = document["paths"]["/restaurants/{slug}/reservations"]["post"]
    assert {"201", "409", "429", "503"} <= set(book["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in book["parameters"])
    assert set(book["requestBody"]["content"]) == {"application/json",
                                                   "application/x-www-form-urlencoded"}


def test_request_schemas_come_from_the_page_forms(app, document):
    """Same fields, same required set, same limits as the forms the pages validate with."""
    with app.test_request_context():
        # The guest booking form, with the hold it may name (the page keeps that in its
        # session instead).
        booking_form = HeldBookingForm(formdata=None, meta={"csrf": False})
        expected = form_schema(booking_form)
        assert set(expected["properties"]) == {f.name for f in booking_form if f.name != "csrf_token"}
        assert expected["properties"]["name"]["maxLength"] == booking_form.name.validators[1].max
        assert field_schema(TableForm(formdata=None, meta={"csrf": False}).seats)["maximum"] == 100
    book = document["paths"]["/restaurants/{slug}/reservations"]["post"]
    guest_schema = book["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]
    assert guest_schema["properties"] == expected["properties"]
    assert set(guest_schema["required"]) == {"date", "time", "party_size", "name", "email",
                                             "phone"}
    table = document["paths"]["/restaurants/{slug}/tables"]["post"]
    table_schema = table["requestBody"]["content"]["application/json"]["schema"]
    assert table_schema["required"] == ["name", "seats"]  # the rest has the page's defaults
    assert table_schema["properties"]["active"]["default"] is True
    hours = document["paths"]["/restaurants/{slug}/opening-hours"]["post"]
    weekday = hours["requestBody"]["content"]["application/json"]["schema"]["properties"]["weekday"]
    assert weekday["enum"] == list(range(7))


def test_patch_bodies_require_nothing(document):
    patch = document["paths"]["/reservations/{token}"]["patch"]
    assert "required" not in patch["requestBody"]["content"]["application/json"]["schema"]


def test_docs_page_loads_local_assets_only(client):
    response = client.get(f"{API}/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/static/js/api-docs.js" in page
    assert "<script>" not in page and "http://" not in page and "https://" not in page
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
