"""/api/v1/restaurants/<slug>/waitlist: the owner's list of a date, a guest added (JSON
or form body), moved, removed (a live offer's hold with it), seated from the list (a
reservation, the entry booked); refusals as problem+json naming the field; scopes;
another restaurant's entries 404; the offer minutes setting (both backends)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.api.conftest import API, assert_problem
from tests.factories import local, make_restaurant
from webapp.auth.tokens import create_token
from webapp.booking import service, waitlist
from webapp.booking.operations import waitlist as ops
from webapp.models import Hold, Reservation, WaitlistEntry

BASE = f"{API}/restaurants/trattoria/waitlist"


def body(day: dt.date, name: str = "Ada", **extra) -> dict:
    values = {"date": day.isoformat(), "party_size": 2, "window_from": "18:00",
              "window_to": "21:00", "name": name, "email": f"{name.lower()}@example.com"}
    values.update(extra)
    return values


def add(client, auth, day, name: str = "Ada", **extra) -> dict:
    response = client.post(BASE, headers=auth, json=body(day, name, **extra))
    assert response.status_code == 201, response.json
    return response.json


def names(client, auth, day) -> list[tuple[str, int | None, str]]:
    listed = client.get(f"{BASE}?date={day.isoformat()}", headers=auth)
    assert listed.status_code == 200, listed.json
    return [(e["name"], e["place"], e["status"]) for e in listed.json["waitlist"]]


def test_add_read_list(client, restaurant, auth, day):
    created = client.post(BASE, headers=auth, json=body(day, party_size=3, window_from="19:00",
                                                        window_to="20:30", phone="030 1234567",
                                                        language="de"))
    assert created.status_code == 201, created.json
    entry = created.json
    assert entry == {
        "id": entry["id"], "date": day.isoformat(), "place": 1, "status": "waiting",
        "party_size": 3, "window_from": "19:00", "window_to": "20:30",
        "window_start": local(restaurant, day, 19).isoformat().replace("+00:00", "Z"),
        "window_end": local(restaurant, day, 20, 30).isoformat().replace("+00:00", "Z"),
        "name": "Ada", "email": "ada@example.com", "phone": "+49301234567", "language": "de",
        "offer": None, "reservation_id": None, "created_at": entry["created_at"]}
    assert created.headers["Location"].endswith(f"{BASE}/{entry['id']}")
    assert client.get(f"{BASE}/{entry['id']}", headers=auth).json == entry
    # A form-encoded body, as the other endpoints take.
    form = client.post(BASE, headers=auth, data={k: str(v) for k, v in body(day, "Bob").items()})
    assert form.status_code == 201, form.json
    assert names(client, auth, day) == [("Ada", 1, "waiting"), ("Bob", 2, "waiting")]
    assert names(client, auth, day + dt.timedelta(days=1)) == []


def test_refusals_name_the_field_and_write_nothing(client, session, restaurant, auth, day):
    assert_problem(client.post(BASE, headers=auth, json=body(day, email="")), 422, "email")
    problem = assert_problem(client.post(BASE, headers=auth, json=body(
        day, window_from="21:00", window_to="19:00")), 422, "window_to")
    assert problem["errors"]["window_to"] == ["The latest time is before the earliest."]
    problem = assert_problem(client.post(BASE, headers=auth, json=body(day, party_size=9)),
                             422, "party_size")
    assert problem["errors"]["party_size"] == [ops.PARTY_TOO_LARGE]
    assert_problem(client.post(BASE, headers=auth, json=body(day, party_size="two")), 422,
                   "party_size")
    assert_problem(client.post(BASE, headers=auth, json=body(day, date="2020-01-01")), 422,
                   "date")
    assert_problem(client.post(BASE, headers=auth, json=body(day, window_from="25:00")), 422,
                   "window_from")
    assert_problem(client.post(BASE, headers=auth, json=body(day, colour="red")), 422, "colour")
    assert_problem(client.get(BASE, headers=auth), 422, "date")
    assert_problem(client.get(f"{BASE}?date=tomorrow", headers=auth), 422, "date")
    assert session.scalars(select(WaitlistEntry)).all() == []


def test_move_reorders_the_line(client, restaurant, auth, day):
    ids = [add(client, auth, day, name)["id"] for name in ("Ada", "Bob", "Cem")]
    moved = client.post(f"{BASE}/{ids[2]}/move", headers=auth, json={"steps": -1})
    assert moved.status_code == 200, moved.json
    assert (moved.json["name"], moved.json["place"]) == ("Cem", 2)
    assert names(client, auth, day) == [("Ada", 1, "waiting"), ("Cem", 2, "waiting"),
                                        ("Bob", 3, "waiting")]
    # Beyond the top: to the top. Form bodies too.
    top = client.post(f"{BASE}/{ids[1]}/move", headers=auth, data={"steps": "-10"})
    assert top.json["place"] == 1
    assert [n for n, _, _ in names(client, auth, day)] == ["Bob", "Ada", "Cem"]
    assert_problem(client.post(f"{BASE}/{ids[1]}/move", headers=auth, json={}), 422, "steps")
    assert_problem(client.post(f"{BASE}/{ids[1]}/move", headers=auth,
                               json={"steps": 5000}), 422, "steps")
    assert_problem(client.post(f"{BASE}/{ids[1]}/move", headers=auth,
                               json={"steps": "up"}), 422, "steps")


def test_remove_drops_a_live_offers_hold_and_offers_the_next(client, session, restaurant, auth,
                                                             day):
    # One table for the evening: Ada is offered it, Bob waits behind her.
    small = make_restaurant(session, slug="small", tables=[("Solo", 4)])
    _, clear = create_token(session, small.id, "tests")
    session.commit()
    small_auth = {"Authorization": f"Bearer {clear}"}
    url = f"{API}/restaurants/small/waitlist"
    for hour in (18, 20):
        service.book(session, small, starts_at=local(small, day, hour), party_size=2,
                     guest=service.GuestDetails(f"Taken {hour}", "", ""))
    ada = client.post(url, headers=small_auth, json=body(day, "Ada")).json
    bob = client.post(url, headers=small_auth, json=body(day, "Bob")).json
    taken = session.scalars(select(Reservation).where(Reservation.guest_name == "Taken 20")).one()
    service.cancel(session, small, taken.id)
    assert [o.entry_id for o in waitlist.make_offers(session, small)] == [ada["id"]]
    offered = client.get(f"{url}/{ada['id']}", headers=small_auth).json
    assert offered["status"] == "offered" and offered["offer"]["time"] == "20:00"
    assert offered["offer"]["live"] is True

    removed = client.delete(f"{url}/{ada['id']}", headers=small_auth)
    assert removed.status_code == 204 and removed.data == b""
    assert client.get(f"{url}/{ada['id']}", headers=small_auth).json["status"] == "removed"
    # Her hold gone, the freed table went straight to Bob (a hold of his own).
    session.expire_all()
    bob_now = client.get(f"{url}/{bob['id']}", headers=small_auth).json
    assert bob_now["status"] == "offered"
    holds = session.scalars(select(Hold.token_hash).distinct()).all()
    assert holds == [session.get_one(WaitlistEntry, bob["id"]).offer_token_hash]
    body_ = assert_problem(client.delete(f"{url}/{ada['id']}", headers=small_auth), 409)
    assert body_["code"] == "not_in_line"
    assert_problem(client.post(f"{url}/{ada['id']}/move", headers=small_auth,
                               json={"steps": 1}), 409)


def test_seat_books_the_guest_and_marks_the_entry(client, session, restaurant, auth, day):
    ada = add(client, auth, day, "Ada", party_size=4)
    t4 = next(t for t in restaurant.tables if t.name == "T4")
    seated = client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                         json={"time": "19:30", "table": t4.id, "notify_guest": False})
    assert seated.status_code == 201, seated.json
    reservation = seated.json["reservation"]
    assert (reservation["name"], reservation["party_size"], reservation["time"],
            reservation["table"]["name"], reservation["source"]) == (
        "Ada", 4, "19:30", "T4", "phone")
    assert seated.headers["Location"].endswith(
        f"{API}/restaurants/trattoria/reservations/{reservation['id']}")
    entry = seated.json["waitlist_entry"]
    assert (entry["status"], entry["reservation_id"], entry["place"]) == (
        "booked", reservation["id"], None)
    assert session.get_one(Reservation, reservation["id"]).starts_at == local(
        restaurant, day, 19, 30)
    # Booked: no longer in line to seat again.
    again = assert_problem(client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                                       json={"time": "20:00"}), 409)
    assert again["code"] == "not_in_line"


def test_a_refused_seat_books_nothing_and_keeps_the_guest_in_line(client, session, restaurant,
                                                                  auth, day):
    t4 = next(t for t in restaurant.tables if t.name == "T4")
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                 guest=service.GuestDetails("Rossi", "", ""), table_id=t4.id, source="phone")
    ada = add(client, auth, day, "Ada")
    refused = assert_problem(client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                                         json={"time": "19:30", "table": t4.id}), 409)
    assert refused["code"] == "slot_taken" and "by Rossi" in refused["detail"]
    assert client.get(f"{BASE}/{ada['id']}", headers=auth).json["status"] == "waiting"
    assert session.scalars(select(Reservation).where(Reservation.guest_name == "Ada")).all() == []
    assert_problem(client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                               json={"time": "7pm"}), 422, "time")
    assert_problem(client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                               json={"table": "T4"}), 422, "table")
    # No time: now, which is only on the entry's date.
    off_day = assert_problem(client.post(f"{BASE}/{ada['id']}/seat", headers=auth, json={}),
                             422, "time")
    assert off_day["errors"]["time"] == [ops.NOW_OFF_DAY]


def test_seat_an_offered_guest_on_their_held_table(client, session, restaurant, auth, day):
    ada = add(client, auth, day, "Ada")
    offer = waitlist.make_offers(session, restaurant)[0]
    held = set(session.scalars(select(Hold.table_id)).all())
    entry = client.get(f"{BASE}/{ada['id']}", headers=auth).json
    seated = client.post(f"{BASE}/{ada['id']}/seat", headers=auth,
                         json={"time": entry["offer"]["time"]})
    assert seated.status_code == 201, seated.json
    assert seated.json["reservation"]["table"]["id"] in held
    assert session.get_one(Reservation, seated.json["reservation"]["id"]).starts_at == \
        offer.starts_at
    assert session.scalars(select(Hold)).all() == []


def test_other_restaurants_entries_are_404_and_scopes_apply(client, session, restaurant, auth,
                                                            other_restaurant, other_auth, day):
    ours = add(client, auth, day, "Ada")
    theirs = client.post(f"{API}/restaurants/elsewhere/waitlist", headers=other_auth,
                         json=body(day, "Zoe")).json
    assert_problem(client.get(f"{BASE}?date={day.isoformat()}", headers=other_auth), 404)
    for method, path, payload in (("get", "", None), ("delete", "", None),
                                  ("post", "/move", {"steps": 1}),
                                  ("post", "/seat", {"time": "19:00"})):
        response = getattr(client, method)(f"{BASE}/{theirs['id']}{path}", headers=auth,
                                           json=payload)
        assert_problem(response, 404)
    assert client.get(f"{API}/restaurants/elsewhere/waitlist/{theirs['id']}",
                      headers=other_auth).json["status"] == "waiting"
    assert_problem(client.get(f"{BASE}?date={day.isoformat()}"), 401)

    _, reader = create_token(session, restaurant.id, "reader", scopes=["read"])
    session.commit()
    read_only = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"{BASE}?date={day.isoformat()}", headers=read_only).status_code == 200
    for method, path, payload in (("post", "", body(day, "Eve")), ("delete", f"/{ours['id']}", None),
                                  ("post", f"/{ours['id']}/move", {"steps": 1}),
                                  ("post", f"/{ours['id']}/seat", {"time": "19:00"})):
        refused = assert_problem(getattr(client, method)(f"{BASE}{path}", headers=read_only,
                                                         json=payload), 403)
        assert refused["code"] == "insufficient_scope" and refused["scope"] == "bookings"
    assert names(client, auth, day) == [("Ada", 1, "waiting")]


def test_the_offer_minutes_are_a_setting(client, session, restaurant, auth, day):
    settings = f"{API}/restaurants/trattoria/settings"
    assert client.get(settings, headers=auth).json["waitlist_offer_minutes"] == 15
    changed = client.patch(settings, headers=auth, json={"waitlist_offer_minutes": 5})
    assert changed.status_code == 200 and changed.json["waitlist_offer_minutes"] == 5
    for bad in (0, 61, "soon"):
        assert_problem(client.patch(settings, headers=auth,
                                    json={"waitlist_offer_minutes": bad}), 422,
                       "waitlist_offer_minutes")
    assert client.get(settings, headers=auth).json["waitlist_offer_minutes"] == 5
    ada = add(client, auth, day, "Ada")
    offer = waitlist.make_offers(session, restaurant)[0]
    assert offer.expires_at - service.utcnow() == dt.timedelta(minutes=5)
    assert client.get(f"{BASE}/{ada['id']}", headers=auth).json["offer"]["expires_at"] == \
        offer.expires_at.isoformat().replace("+00:00", "Z")
