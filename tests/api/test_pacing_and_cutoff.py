"""Pacing and the cancellation cut-off through the API: the opening hours resource
carries a service's pace, the settings the cut-off; a guest past the cut-off gets a 409
problem that says why; an owner booking over the pace is refused until they override."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import API, assert_problem, booking
from webapp.booking import service
from webapp.models import Reservation, ReservationEvent, Restaurant

BASE = f"{API}/restaurants/trattoria"


def _dinner_id(client, auth) -> int:
    rows = client.get(f"{BASE}/opening-hours", headers=auth).json["opening_hours"]
    return next(r["id"] for r in rows if r["name"] == "Dinner")


def _service_ids(client, auth, name: str) -> list[int]:
    rows = client.get(f"{BASE}/opening-hours", headers=auth).json["opening_hours"]
    return [r["id"] for r in rows if r["name"] == name]


def test_a_services_pace_is_set_read_and_checked(client, auth, restaurant):
    hours_id = _dinner_id(client, auth)
    response = client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth,
                            json={"pace_covers": 20, "max_covers": 120})
    assert response.status_code == 200, response.json
    assert (response.json["pace_covers"], response.json["max_covers"]) == (20, 120)
    # A PATCH of something else keeps the pace.
    kept = client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth, json={"name": "Cena"})
    assert kept.json["pace_covers"] == 20
    assert_problem(client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth,
                                json={"pace_covers": 0}), 422, "pace_covers")
    assert_problem(client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth,
                                json={"max_covers": "lots"}), 422, "max_covers")
    cleared = client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth,
                           json={"pace_covers": None})
    assert cleared.status_code == 200 and cleared.json["pace_covers"] is None
    # The public restaurant does not show the owner's pacing.
    public = client.get(f"{API}/restaurants/trattoria").json
    assert all("pace_covers" not in h for h in public["opening_hours"])


def test_guests_are_refused_over_the_pace_the_owner_may_override(client, session, auth,
                                                                 restaurant, day):
    for hours_id in _service_ids(client, auth, "Dinner"):
        assert client.patch(f"{BASE}/opening-hours/{hours_id}", headers=auth,
                            json={"pace_covers": 4}).status_code == 200
    assert client.post(f"{API}/restaurants/trattoria/reservations",
                       json=booking(day, party_size=4)).status_code == 201
    refused = assert_problem(client.post(f"{API}/restaurants/trattoria/reservations",
                                         json=booking(day, party_size=2, email="b@example.com",
                                                      phone="+44 20 7946 0001")), 409)
    assert refused["code"] == "pace_exceeded" and refused["alternatives"]


def test_the_cut_off_is_a_setting_and_refuses_late_guest_changes(client, session, auth,
                                                                  restaurant, day, clock):
    response = client.patch(f"{BASE}/settings", headers=auth, json={"cancel_cutoff_hours": 48})
    assert response.status_code == 200, response.json
    assert response.json["cancel_cutoff_hours"] == 48
    assert_problem(client.patch(f"{BASE}/settings", headers=auth,
                                json={"cancel_cutoff_hours": -1}), 422, "cancel_cutoff_hours")
    assert_problem(client.patch(f"{BASE}/settings", headers=auth,
                                json={"cancel_cutoff_hours": 721}), 422, "cancel_cutoff_hours")
    made = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day)).json
    starts_at = session.get(Reservation, made["id"]).starts_at
    clock.set(starts_at - dt.timedelta(hours=47))
    url = f"{API}/reservations/{made['manage_token']}"
    for answer in (client.patch(url, json={"party_size": 3}), client.delete(url)):
        problem = assert_problem(answer, 409)
        assert problem["code"] == "cancel_cutoff"
        assert "48 hours" in problem["detail"] and "+49 30 1234567" in problem["detail"]
    assert session.get(Reservation, made["id"]).status == "booked"
    # The owner is not bound by it.
    session.expire_all()
    service.cancel(session, session.get(Restaurant, restaurant.id), made["id"], actor="owner")
    assert session.scalar(
        ReservationEvent.__table__.select().with_only_columns(ReservationEvent.action)
        .where(ReservationEvent.reservation_id == made["id"],
               ReservationEvent.action == "cancelled")) == "cancelled"


def test_the_manage_page_sends_a_late_guest_to_the_phone(client, session, restaurant, day,
                                                         clock):
    restaurant.cancel_cutoff_hours = 24
    session.commit()
    made = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day)).json
    starts_at = session.get(Reservation, made["id"]).starts_at
    page = f"/r/trattoria/b/{made['manage_token']}"
    clock.set(starts_at - dt.timedelta(hours=25))
    assert "Change my booking" in client.get(page).get_data(as_text=True)
    clock.set(starts_at - dt.timedelta(hours=23))
    html = client.get(page).get_data(as_text=True)
    assert ("Online changes and cancellations close 24 hours before the booking; to change "
            "or cancel it, please call the restaurant on +49 30 1234567.") in html
    assert "Change my booking" not in html
    assert client.get(f"{page}/cancel").status_code == 200
    assert client.post_form(f"{page}/cancel", {"confirm": "y"}).status_code in (200, 409)
    session.expire_all()
    assert session.get(Reservation, made["id"]).status == "booked"


def test_a_special_days_service_takes_a_pace_and_keeps_it(client, auth, restaurant, day):
    body = {"start_date": day.isoformat(), "closed": False, "reason": "Gala",
            "services": [{"name": "Gala", "opens": "19:00", "closes": "23:00",
                          "pace_covers": 2, "max_covers": 3}]}
    made = client.post(f"{BASE}/special-days", headers=auth, json=body)
    assert made.status_code == 201, made.json
    assert made.json["services"][0]["pace_covers"] == 2
    # A PATCH of something else keeps the services' pace (they travel as objects).
    patched = client.patch(f"{BASE}/special-days/{made.json['id']}", headers=auth,
                           json={"reason": "Gala night"})
    assert patched.status_code == 200, patched.json
    assert patched.json["services"][0]["max_covers"] == 3
    bad = {**body, "services": [{**body["services"][0], "pace_covers": 0}]}
    assert_problem(client.post(f"{BASE}/special-days", headers=auth, json=bad), 422, "services")
    assert client.post(f"{API}/restaurants/trattoria/reservations",
                       json=booking(day, party_size=2)).status_code == 201
    refused = assert_problem(client.post(f"{API}/restaurants/trattoria/reservations",
                                         json=booking(day, party_size=1, email="c@example.com",
                                                      phone="+44 20 7946 0002")), 409)
    assert refused["code"] == "pace_exceeded"
