"""Problem details, bodies in both encodings, and the statuses for malformed input."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem, booking

BOOK = f"{API}/restaurants/trattoria/reservations"


def test_unknown_restaurant_is_404_problem(client, restaurant):
    body = assert_problem(client.get(f"{API}/restaurants/nowhere"), 404)
    assert body["code"] == "not_found"


def test_unknown_api_path_is_problem_json(client, session):
    assert_problem(client.get(f"{API}/no-such-thing"), 404)


def test_malformed_json_is_400(client, restaurant):
    response = client.post(BOOK, data='{"date": ', content_type="application/json")
    assert assert_problem(response, 400)["code"] == "malformed_json"


def test_json_that_is_not_an_object_is_400(client, restaurant):
    response = client.post(BOOK, data="[1, 2]", content_type="application/json")
    assert_problem(response, 400)


def test_other_content_types_are_415(client, restaurant, day):
    response = client.post(BOOK, data="date=2026-12-01", content_type="text/plain")
    assert assert_problem(response, 415)["code"] == "unsupported_media_type"


def test_field_errors_per_field_in_json(client, restaurant, day):
    response = client.post(BOOK, json=booking(day, name="", email="not-an-email", party_size=0))
    body = assert_problem(response, 422, "name", "email", "party_size")
    assert body["code"] == "invalid_input"
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_field_errors_per_field_in_a_form_post(client, restaurant, day):
    response = client.post(BOOK, data=booking(day, time="7pm"))
    assert_problem(response, 422, "time")


def test_unknown_fields_are_refused(client, restaurant, day):
    response = client.post(BOOK, json=booking(day, tabel=3))
    assert assert_problem(response, 422, "tabel")["errors"]["tabel"] == ["Unknown field."]


def test_objects_where_text_is_expected_are_422_not_500(client, restaurant, day):
    response = client.post(BOOK, json=booking(day, name={"first": "Ada"}))
    assert_problem(response, 422, "name")


def test_dates_outside_the_supported_range_are_422(client, restaurant):
    response = client.get(f"{API}/restaurants/trattoria/availability?date=1893-01-01&party_size=2")
    assert_problem(response, 422, "date")


def test_nothing_is_written_on_refusal(client, session, restaurant, day):
    from webapp.models import Reservation

    client.post(BOOK, json=booking(day, email="bad"))
    client.post(BOOK, data="x", content_type="text/plain")
    assert session.query(Reservation).count() == 0


def test_nul_characters_are_refused_not_stored(client, session, restaurant, auth):
    from webapp.models import DiningTable

    assert_problem(client.get(f"{API}/restaurants/trat%00toria"), 400)
    assert_problem(client.get(f"{API}/restaurants/trattoria/reservations?q=a%00", headers=auth),
                   400)
    for send in ({"json": {"name": "T\u0000", "seats": 2}}, {"data": {"name": "T\x00", "seats": "2"}}):
        response = client.post(f"{API}/restaurants/trattoria/tables", headers=auth, **send)
        assert response.status_code in (400, 422), response.json
        assert response.mimetype == "application/problem+json"
    assert session.query(DiningTable).count() == 3
