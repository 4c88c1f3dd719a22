"""The owner's override of a service's pace (issue 19), through both doors (``door``: the
dashboard's form posts and the API) on both databases.

A phone booking, a move, a larger party and taking a cancellation back are refused over
the pace (409 ``pace_exceeded``) with the choice to go ahead; going ahead books it and
the history records what was exceeded. A guest's refusal offers no such choice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from tests.factories import local, today
from webapp.models import OpeningHours, ReservationEvent

from .conftest import API, stored, table_id

# The late service (18:00-02:30) takes 4 covers per 15 minutes.
PACE = 4


def _pace_the_evening(session, restaurant, pace: int = PACE) -> None:
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Late")
                    .values(pace_covers=pace))
    session.commit()


def _book(door, restaurant, day, time, table, party_size=2, name="Guest", **extra):
    return door.book(date=day.isoformat(), time=time, party_size=party_size,
                     table=table_id(restaurant, table), name=name, email="", **extra)


def _overrides(session, rid: int) -> list[dict]:
    session.expire_all()
    return [e.changes.get("overrides", {}) for e in session.scalars(
        select(ReservationEvent).where(ReservationEvent.reservation_id == rid)
        .order_by(ReservationEvent.id))]


def test_a_phone_booking_over_the_pace_is_refused_then_booked_and_recorded(
        door, session, restaurant):
    _pace_the_evening(session, restaurant)
    day = today() + dt.timedelta(days=2)
    assert _book(door, restaurant, day, "19:00", "T4", party_size=4, name="Full").reservation_id
    refused = _book(door, restaurant, day, "19:05", "T2", name="Over")
    assert refused.status == 409, refused.text[:300]
    assert "19:00–19:15 already has 4 of its 4 covers." in refused.text
    if door.name == "page":
        assert "Book over the pace" in refused.text
    else:
        assert refused.body["code"] == "pace_exceeded" and refused.body["may_override"] is True
    booked = _book(door, restaurant, day, "19:05", "T2", name="Over", allow_over_pace=True)
    assert booked.reservation_id, (booked.status, booked.text[:300])
    assert _overrides(session, booked.reservation_id)[0] == {
        "pace": "Booked over the pace (19:00–19:15 already has 4 of its 4 covers.)"}
    # Under the pace the override is not needed, so nothing is recorded.
    calm = _book(door, restaurant, day, "21:00", "T2", name="Calm", allow_over_pace=True)
    assert _overrides(session, calm.reservation_id)[0] == {}


def test_a_move_and_a_larger_party_over_the_pace_need_the_override(door, session, restaurant):
    _pace_the_evening(session, restaurant)
    day = today() + dt.timedelta(days=2)
    _book(door, restaurant, day, "19:00", "T4", party_size=4, name="Full")
    rid = _book(door, restaurant, day, "20:00", "T2", name="Mover").reservation_id
    to = dict(date=day.isoformat(), time="19:00", table=table_id(restaurant, "T2"),
              party_size=2)
    refused = door.move(rid, version=1, **to)
    assert refused.status == 409 and "already has 4 of its 4 covers" in refused.text
    if door.name == "page":
        assert "Move over the pace" in refused.text
    assert stored(session, rid).starts_at == local(restaurant, day, 20)  # nothing moved
    moved = door.move(rid, version=1, allow_over_pace=True, **to)
    assert moved.status in (200, 303), moved.text[:300]
    row = stored(session, rid)
    assert row.version == 2 and row.table_id == table_id(restaurant, "T2")
    assert "pace" in _overrides(session, rid)[-1]

    # 20:00 holds one party of 2: growing it to 6 goes over a pace of 4.
    other = _book(door, restaurant, day, "20:00", "T6", name="Grower").reservation_id
    grown = door.edit(other, version=1, party_size=6, name="Grower")
    assert grown.status == 409 and "20:00–20:15 already has 0 of its 4 covers" in grown.text
    if door.name == "page":
        assert "Save over the pace" in grown.text
    assert stored(session, other).party_size == 2
    saved = door.edit(other, version=1, party_size=6, name="Grower", allow_over_pace=True)
    assert saved.status in (200, 303), saved.text[:300]
    assert stored(session, other).party_size == 6


def test_a_cancellation_taken_back_over_the_pace_needs_the_override(door, session, restaurant):
    day = today() + dt.timedelta(days=2)
    rid = _book(door, restaurant, day, "19:00", "T4", party_size=4, name="Back").reservation_id
    assert door.set_status(rid, "cancelled", version=1).status in (200, 303)
    _pace_the_evening(session, restaurant)
    _book(door, restaurant, day, "19:00", "T6", party_size=4, name="Since")
    refused = door.set_status(rid, "booked", version=2)
    assert refused.status == 409 and "already has 4 of its 4 covers" in refused.text
    if door.name == "page":
        assert "Book again over the pace" in refused.text
    assert stored(session, rid).status == "cancelled"
    if door.name == "page":  # the page's button posts the ask's fields
        answer = door.client.post_form(
            f"/owner/bistro/reservations/{rid}/status",
            {"status": "booked", "version": "2", "confirm": "y", "allow_over_pace": "y"})
        assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    else:
        answer = door.client.post(f"{API}/reservations/{rid}/status", headers=door.auth,
                                  json={"status": "booked", "version": 2,
                                        "allow_over_pace": True})
        assert answer.status_code == 200, answer.get_json()
    assert stored(session, rid).status == "booked"
    assert "pace" in _overrides(session, rid)[-1]


def test_a_guest_over_the_pace_is_offered_other_times_not_the_override(client, session,
                                                                        restaurant):
    _pace_the_evening(session, restaurant)
    day = today() + dt.timedelta(days=2)
    body = {"date": day.isoformat(), "time": "19:00", "party_size": 4, "name": "Ada",
            "email": "ada@example.com", "phone": "+49 30 1234567"}
    assert client.post(f"{API}/reservations", json=body).status_code == 201
    refused = client.post(f"{API}/reservations",
                          json={**body, "party_size": 2, "email": "b@example.com",
                                "phone": "+49 30 7654321"})
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "pace_exceeded" and problem["may_override"] is False
    assert problem["alternatives"]
    # Nor may an anonymous guest send the owner's field.
    sneaky = client.post(f"{API}/reservations", data={
        **{k: str(v) for k, v in body.items()}, "party_size": "2", "email": "c@example.com",
        "phone": "+49 30 7654322", "allow_over_pace": "y"})
    assert sneaky.status_code == 401, sneaky.get_json()
    assert "allow_over_pace" in sneaky.get_json()["detail"]
