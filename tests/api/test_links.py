"""The API's links to the guest's page never follow the Host header; an old slug redirects."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.conftest import API, booking
from webapp.models import OutboxEmail

FORGED = {"Host": "evil.example"}


def test_an_api_booking_with_a_forged_host_links_to_the_configured_base(client, session,
                                                                      restaurant, day):
    response = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day),
                           headers=FORGED)
    assert response.status_code == 201, response.json
    page = response.json["links"]["manage_page"]
    assert page == f"http://localhost/r/trattoria/b/{response.json['manage_token']}"
    session.commit()
    body = session.scalars(select(OutboxEmail.body_text)).one()
    assert page in body and "evil.example" not in body


def test_an_old_slug_redirects_in_the_api(client, session, restaurant, day):
    restaurant.slug = "trattoria-roma"
    session.commit()
    response = client.get(f"{API}/restaurants/trattoria?x=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{API}/restaurants/trattoria-roma?x=1"
    write = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day))
    assert write.status_code == 308  # the method and body go to the new address
    assert write.headers["Location"] == f"{API}/restaurants/trattoria-roma/reservations"


def test_another_restaurants_previous_slug_is_refused(client, session, restaurant, auth,
                                                      other_restaurant):
    other_restaurant.slug = "elsewhere-now"
    session.commit()
    response = client.patch(f"{API}/restaurants/trattoria/settings", json={"slug": "elsewhere"},
                            headers=auth)
    assert response.status_code == 422, response.json
    assert response.json["errors"]["slug"] == ["Another restaurant used this address before."]
    # Its own previous address it may take back.
    restaurant.slug = "trattoria-roma"
    session.commit()
    back = client.patch(f"{API}/restaurants/trattoria-roma/settings", json={"slug": "trattoria"},
                        headers=auth)
    assert back.status_code == 200, back.json
    assert client.get(f"{API}/restaurants/trattoria").status_code == 200
