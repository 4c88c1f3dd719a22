"""What the OpenAPI document promises, held to by the server (issue 14): the cases the
command-line Schemathesis run found where document and server disagreed."""

from __future__ import annotations

from tests.api.conftest import API, booking

BOOK = f"{API}/restaurants/trattoria/reservations"


def _settings_schema(client, auth) -> dict:
    document = client.get(f"{API}/openapi.json").json
    operation = document["paths"]["/restaurants/{slug}/settings"]["patch"]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def test_an_owner_booking_field_without_the_token_is_401_not_an_unknown_field(client,
                                                                               restaurant, day):
    # The document offers the owner's form as the body for callers with the token.
    response = client.post(BOOK, json={**booking(day), "table": restaurant.tables[0].id,
                                       "source": "phone"})
    assert response.status_code == 401, response.json
    assert response.json["code"] == "unauthorized"
    assert "source, table" in response.json["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_owners_list_fields_without_the_token_are_401_too(client, restaurant, day):
    # table_ids is a list in the owner's form: no shape error (422) for a guest's body.
    ids = [t.id for t in restaurant.tables[:2]]
    response = client.post(BOOK, json={**booking(day), "table_ids": ids})
    assert response.status_code == 401, response.json
    assert "table_ids" in response.json["detail"]


def test_a_guest_booking_field_the_guest_form_lacks_is_still_an_unknown_field(client,
                                                                              restaurant, day):
    response = client.post(BOOK, json={**booking(day), "colour": "red"})
    assert response.status_code == 422, response.json
    assert response.json["errors"]["colour"] == ["Unknown field."]


def test_the_country_setting_is_documented_as_the_codes_the_server_accepts(client, restaurant,
                                                                           auth):
    country = _settings_schema(client, auth)["properties"]["country"]
    codes = {code for alternative in country.get("anyOf", [country])
             for code in alternative.get("enum", ())}
    assert {"", "DE", "FR"} <= codes and "XX" not in codes
    settings = f"{API}/restaurants/trattoria/settings"
    assert client.patch(settings, headers=auth, json={"country": "FR"}).status_code == 200
    refused = client.patch(settings, headers=auth, json={"country": "XX"})
    assert refused.status_code == 422 and "country" in refused.json["errors"]


def test_the_settings_answer_documents_every_field_it_carries(client, restaurant, auth):
    """The Settings schema names every field the settings answer carries (embed_origins
    and calendar_feed_contact were sent undocumented), and every field a PATCH may set
    comes back in it: the answer validates with no field left over."""
    from jsonschema import Draft202012Validator

    document = client.get(f"{API}/openapi.json").json
    schema = document["components"]["schemas"]["Settings"]
    settings = f"{API}/restaurants/trattoria/settings"
    answer = client.patch(settings, headers=auth, json={
        "embed_origins": "https://www.example.com", "calendar_feed_contact": True})
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["embed_origins"] == "https://www.example.com"
    assert body["calendar_feed_contact"] is True
    assert set(body) == set(schema["properties"]) == set(schema["required"])
    assert set(_settings_schema(client, auth)["properties"]) <= set(schema["properties"])
    Draft202012Validator({**schema, "additionalProperties": False}).validate(body)
    assert client.get(settings, headers=auth).json == body
