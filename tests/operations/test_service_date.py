"""One meaning of "date": the service date. 00:30 in the late service that opened on D
is D at 00:30, through the page and the API alike, on input, in answers, filters and the
CSV; what the API answers can be sent back unchanged without moving anything."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_restaurant
from webapp.auth.tokens import create_token

from .conftest import API, PAGE, ApiDoor, PageDoor, stored, table_id


def _late_booking(door, restaurant, day):
    answer = door.book(date=day.isoformat(), time="00:30", party_size=2,
                       table=table_id(restaurant, "T4"), name="Night Owl",
                       email="owl@example.com")
    assert answer.reservation_id, (answer.status, answer.text[:300])
    return answer.reservation_id


def _local(restaurant, instant):
    from zoneinfo import ZoneInfo
    return instant.astimezone(ZoneInfo(restaurant.timezone))


def test_00_30_on_a_service_date_is_after_midnight_of_that_evening(door, session,
                                                                   restaurant, day):
    rid = _late_booking(door, restaurant, day)
    start = _local(restaurant, stored(session, rid).starts_at)
    assert (start.date(), start.time()) == (day + dt.timedelta(days=1), dt.time(0, 30))


def test_the_search_filters_by_service_date(door, session, restaurant, day):
    rid = _late_booking(door, restaurant, day)
    early = door.book(date=(day + dt.timedelta(days=1)).isoformat(), time="12:00",
                      party_size=2, name="Next Lunch").reservation_id
    on_day = {"start": day.isoformat(), "end": day.isoformat()}
    next_day = {"start": (day + dt.timedelta(days=1)).isoformat(),
                "end": (day + dt.timedelta(days=1)).isoformat()}
    assert door.search(**on_day) == [rid]
    assert door.search(**next_day) == [early]
    if isinstance(door, ApiDoor):  # the API's one-date filter means the same
        assert door.search(date=day.isoformat()) == [rid]


def test_the_page_shows_the_service_date_and_its_form_sent_back_moves_nothing(
        client, session, restaurant, day):
    page = PageDoor(client, session, restaurant)
    rid = _late_booking(page, restaurant, day)
    before = stored(session, rid).starts_at
    values = page.move_form_values(rid)
    assert values["date"] == day.isoformat() and values["time"] == "00:30"
    answer = page.move(rid, **values)
    assert answer.status == 303
    assert stored(session, rid).starts_at == before
    listing = client.get(f"{PAGE}/reservations", query_string={"start": day.isoformat()})
    assert day.strftime("%a %d %b %Y") in listing.get_data(as_text=True)
    csv = client.get(f"{PAGE}/reservations.csv", query_string={"start": day.isoformat()})
    row = csv.get_data(as_text=True).splitlines()[1].split(",")
    assert (row[0], row[1], row[2]) == (str(rid), day.isoformat(), "00:30")


def test_the_api_answers_the_service_date_and_takes_it_back_unchanged(client, session,
                                                                     restaurant, day):
    api = ApiDoor(client, session, restaurant)
    booked = api.book(date=day.isoformat(), time="00:30", party_size=2,
                      table=table_id(restaurant, "T4"), name="Night Owl",
                      email="owl@example.com")
    assert booked.body["date"] == booked.body["service_date"] == day.isoformat()
    assert booked.body["time"] == "00:30"
    rid, before = booked.reservation_id, stored(session, booked.reservation_id).starts_at
    read = api.get(rid)
    assert read["service_date"] == day.isoformat()
    moved = api.move(rid, date=read["date"], time=read["time"], party_size=read["party_size"],
                     table=read["table"]["id"], version=read["version"])
    assert moved.status == 200 and stored(session, rid).starts_at == before
    # The guest's own API: the same date and time sent back leave the booking where it is.
    token = booked.body["manage_token"]
    guest = client.patch(f"/api/v1/reservations/{token}",
                         json={"date": read["date"], "time": read["time"]})
    assert guest.status_code == 200, guest.get_json()
    assert guest.get_json()["service_date"] == day.isoformat()
    assert stored(session, rid).starts_at == before


@pytest.fixture
def night_club(session):
    """Open Saturday 20:00 to Sunday 05:00: on 26/27 October 2030 Berlin's clocks go back
    at 03:00, so 02:30 happens twice in that service."""
    return make_restaurant(session, slug="nacht", name="Nacht", default_turn_minutes=60,
                           tables=[("N1", 4)], hours=[(5, dt.time(20), dt.time(5), "Night")])


def test_every_time_the_owner_availability_offers_is_bookable(client, session, night_club):
    _, clear = create_token(session, night_club.id, "dst")
    session.commit()
    auth = {"Authorization": f"Bearer {clear}"}
    saturday = dt.date(2030, 10, 26)
    offered = client.get("/api/v1/restaurants/nacht/availability", headers=auth,
                         query_string={"date": saturday.isoformat(), "party_size": 2})
    times = [t["time"] for s in offered.get_json()["services"] for t in s["times"]]
    assert "02:30+02:00" in times and "02:30+01:00" in times
    second = client.post("/api/v1/restaurants/nacht/reservations", headers=auth, json={
        "source": "phone", "date": saturday.isoformat(), "time": "02:30+01:00",
        "party_size": 2, "name": "Second Half"})
    assert second.status_code == 201, second.get_json()
    body = second.get_json()
    assert body["starts_at"] == "2030-10-27T01:30:00Z" and body["time"] == "02:30+01:00"
    assert body["service_date"] == saturday.isoformat()
    # Sent back as read, the second 02:30 stays the second one.
    moved = client.post(f"/api/v1/restaurants/nacht/reservations/{body['id']}/move",
                        headers=auth, json={"date": body["date"], "time": body["time"],
                                            "version": body["version"]})
    assert moved.status_code == 200 and moved.get_json()["starts_at"] == body["starts_at"]
    wrong = client.post("/api/v1/restaurants/nacht/reservations", headers=auth, json={
        "source": "phone", "date": saturday.isoformat(), "time": "02:30+05:00",
        "party_size": 2, "name": "No Such Time"})
    assert wrong.status_code == 422 and "time" in wrong.get_json()["errors"]


def test_reservation_history_through_the_api(client, session, restaurant, day):
    api = ApiDoor(client, session, restaurant)
    rid = _late_booking(api, restaurant, day)
    api.move(rid, time="01:00", version=1)
    history = client.get(f"{API}/reservations/{rid}/history", headers=api.auth)
    assert history.status_code == 200
    events = history.get_json()["events"]
    assert [e["action"] for e in events] == ["created", "changed"]
    assert events[0]["actor"].startswith("api:") and "starts_at" in events[1]["changes"]
    other = make_restaurant(session, slug="other", tables=[("X", 2)])
    _, clear = create_token(session, other.id, "other")
    session.commit()
    foreign = client.get(f"/api/v1/restaurants/other/reservations/{rid}/history",
                         headers={"Authorization": f"Bearer {clear}"})
    assert foreign.status_code == 404
