"""Bearer tokens: missing, malformed, wrong, revoked, and another restaurant's."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem, booking
from webapp.auth.tokens import revoke_token, verify_token
from webapp.models import ApiToken

SETTINGS = f"{API}/restaurants/trattoria/settings"


def test_owner_endpoint_without_token_is_401_with_challenge(client, restaurant):
    response = client.get(SETTINGS)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_authorization_header_is_401(client, restaurant, token):
    response = client.get(SETTINGS, headers={"Authorization": f"Basic {token}"})
    assert_problem(response, 401)
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_wrong_token_is_401(client, restaurant, token):
    response = client.get(SETTINGS, headers={"Authorization": "Bearer bm_not-a-real-token"})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_token_is_401(client, session, restaurant, token, auth):
    assert client.get(SETTINGS, headers=auth).status_code == 200
    session.rollback()  # the test shares the request's session: start a fresh transaction
    revoke_token(verify_token(session, token))
    session.commit()
    assert_problem(client.get(SETTINGS, headers=auth), 401)


def test_valid_token_records_its_use(client, session, restaurant, token, auth):
    assert session.query(ApiToken).one().last_used_at is None
    assert client.get(SETTINGS, headers=auth).status_code == 200
    session.rollback()  # the test shares the request's session: start a fresh transaction
    assert session.query(ApiToken).one().last_used_at is not None


def test_another_restaurants_token_finds_nothing(client, restaurant, other_auth):
    assert_problem(client.get(SETTINGS, headers=other_auth), 404)
    assert_problem(client.get(f"{API}/restaurants/trattoria/tables", headers=other_auth), 404)


def test_another_restaurants_objects_are_404(client, session, restaurant, other_restaurant, auth,
                                             other_auth, day):
    created = client.post(f"{API}/restaurants/elsewhere/reservations", headers=other_auth,
                          json=booking(day, email="", phone="")).json
    theirs = created["id"]
    table = other_restaurant.tables[0].id
    for path in (f"reservations/{theirs}", f"tables/{table}"):
        assert_problem(client.get(f"{API}/restaurants/trattoria/{path}", headers=auth)
                       if path.startswith("reservations") else
                       client.patch(f"{API}/restaurants/trattoria/{path}", headers=auth,
                                    json={"seats": 3}), 404)
    assert_problem(client.post(f"{API}/restaurants/trattoria/reservations/{theirs}/status",
                               headers=auth, json={"status": "seated"}), 404)
    assert_problem(client.delete(f"{API}/restaurants/trattoria/reservations/{theirs}",
                                 headers=auth), 404)


def test_another_restaurants_token_on_a_public_endpoint_is_403(client, restaurant, other_auth, day):
    response = client.get(f"{API}/restaurants/trattoria/availability?date={day}&party_size=2",
                          headers=other_auth)
    assert_problem(response, 403)
    assert_problem(client.post(f"{API}/restaurants/trattoria/reservations", headers=other_auth,
                               json=booking(day)), 403)


def test_bad_token_on_a_public_endpoint_is_401_not_ignored(client, restaurant, day):
    response = client.get(f"{API}/restaurants/trattoria/availability?date={day}&party_size=2",
                          headers={"Authorization": "Bearer nope"})
    assert_problem(response, 401)
