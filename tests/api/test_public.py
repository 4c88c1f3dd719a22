"""Public endpoints: the restaurant, free times, and booking (guest and owner)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.api.conftest import API, assert_problem, booking
from tests.factories import make_restaurant
from webapp.models import OutboxEmail, Reservation

BOOK = f"{API}/restaurants/trattoria/reservations"


def _availability(client, day, party=2, **kwargs):
    return client.get(f"{API}/restaurants/trattoria/availability?date={day}&party_size={party}",
                      **kwargs)


def test_restaurant_has_name_zone_hours_and_contact(client, restaurant):
    body = client.get(f"{API}/restaurants/trattoria").json
    assert body["name"] == "Trattoria" and body["timezone"] == "Europe/Berlin"
    assert body["contact"]["phone"] == "+49 30 1234567"
    assert {"weekday": 0, "name": "Lunch", "opens": "12:00", "closes": "15:00"}.items() <= \
        body["opening_hours"][0].items()
    assert len(body["opening_hours"]) == 14


def test_availability_groups_local_times_by_service(client, restaurant, day):
    body = _availability(client, day).json
    assert [s["name"] for s in body["services"]] == ["Lunch", "Dinner"]
    first = body["services"][0]["times"][0]
    assert first["time"] == "12:00"
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("Europe/Berlin"))
    assert first["local_start"].startswith(noon.isoformat())  # "…T12:00:00+01:00" in winter
    assert first["starts_at"].endswith("Z")
    assert "tables" not in first


def test_availability_with_the_owner_token_lists_free_tables(client, restaurant, auth, day):
    client.post(BOOK, json=booking(day, "12:00"))
    first = _availability(client, day, headers=auth).json["services"][0]["times"][0]
    assert [t["name"] for t in first["tables"]] == ["T4", "T6"]  # T2 was taken


def test_availability_needs_date_and_party_size(client, restaurant):
    response = client.get(f"{API}/restaurants/trattoria/availability?party_size=x")
    assert_problem(response, 422, "date", "party_size")


def test_guest_books_with_json(client, session, restaurant, day):
    response = client.post(BOOK, json=booking(day, "19:30", notes="window please"))
    assert response.status_code == 201
    body = response.json
    assert body["time"] == "19:30" and body["date"] == day.isoformat()
    assert body["status"] == "booked" and body["table"]["name"] == "T2"
    assert response.headers["Location"] == body["links"]["manage"]
    assert body["links"]["manage_page"].endswith(f"/r/trattoria/b/{body['manage_token']}")
    # The token in the answer opens the booking, and the confirmation e-mail is queued.
    assert client.get(f"{API}/reservations/{body['manage_token']}").json["id"] == body["id"]
    assert session.query(Reservation).one().source == "api"
    assert session.query(OutboxEmail).count() == 1


def test_guest_books_with_a_form_post(client, session, restaurant, day):
    response = client.post(BOOK, data=booking(day, "12:15", party_size="3"))
    assert response.status_code == 201, response.json
    assert response.json["party_size"] == 3 and response.json["table"]["name"] == "T4"


def test_slot_taken_is_409_with_local_alternatives(client, session, day):
    make_restaurant(session, slug="trattoria", tables=[("Solo", 2)])
    assert client.post(BOOK, json=booking(day, "19:00")).status_code == 201
    response = client.post(BOOK, json=booking(day, "19:00", email="bob@example.com",
                                              phone="030 5555555"))
    body = assert_problem(response, 409, "time")
    assert body["code"] == "slot_taken"
    assert body["alternatives"], body
    for alternative in body["alternatives"]:
        moment = dt.datetime.fromisoformat(alternative)
        assert moment.utcoffset() == moment.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()  # local
    assert session.query(Reservation).count() == 1


def test_online_rules_answer_422_on_their_field(client, restaurant, day):
    assert_problem(client.post(BOOK, json=booking(day, party_size=9)), 422, "party_size")
    assert_problem(client.post(BOOK, json=booking(day, "16:00")), 422, "time")
    assert_problem(client.post(BOOK, json=booking(day, "19:07")), 422, "time")


def test_guest_cannot_book_twice_at_once(client, restaurant, day):
    assert client.post(BOOK, json=booking(day, "19:00")).status_code == 201
    body = assert_problem(client.post(BOOK, json=booking(day, "19:30")), 409)
    assert body["code"] == "guest_overlap"


def test_owner_books_a_phone_guest_on_a_chosen_table(client, session, restaurant, auth, day):
    table = restaurant.tables[2]
    response = client.post(BOOK, headers=auth, json={
        "date": day.isoformat(), "time": "19:10", "party_size": 2, "table": table.id,
        "name": "Phone Guest", "phone": "030 1234567"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["source"] == "phone" and body["time"] == "19:10"
    assert body["table"]["id"] == table.id
    assert session.query(Reservation).one().source == "phone"


def test_owner_walk_in_starts_now_seated(client, restaurant, auth, clock):
    response = client.post(BOOK, headers=auth, data={"source": "walk_in", "party_size": "2",
                                                     "name": "Walk In"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "seated" and body["source"] == "walk_in"
    started = dt.datetime.fromisoformat(body["starts_at"].replace("Z", "+00:00"))
    assert abs(clock.now() - started) < dt.timedelta(minutes=2)


def test_owner_booking_outside_the_hours_is_422(client, restaurant, auth, day):
    response = client.post(BOOK, headers=auth, json={
        "date": day.isoformat(), "time": "16:00", "party_size": 2, "name": "Too early"})
    assert_problem(response, 422, "time")


def test_owner_cannot_book_another_restaurants_table(client, restaurant, other_restaurant, auth,
                                                     day):
    response = client.post(BOOK, headers=auth, json={
        "date": day.isoformat(), "time": "19:00", "party_size": 2, "name": "X",
        "table": other_restaurant.tables[0].id})
    assert_problem(response, 422, "table")


def test_a_booking_costs_a_fixed_small_number_of_statements(client, restaurant, day, app, backend):
    """The hot path: the restaurant and its set-up stamp read, the locked write, and no
    reloads after the commit to build the answer (issue 9). With the set-up not cached
    yet, hours, special days and tables are read too."""
    from sqlalchemy import event

    from webapp.booking import tail
    from webapp.booking.setup import clear_cache
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine

    def statements_of_a_booking(time: str, email: str) -> tuple[list[str], int]:
        seen: list[str] = []
        commits: list[object] = []
        record = lambda *args: seen.append(args[2])  # noqa: E731
        count_commit = commits.append
        event.listen(engine, "before_cursor_execute", record)
        event.listen(engine, "commit", count_commit)
        tail.SENT_OBSERVERS.append(seen.append)  # the INSERTs sent with the COMMIT
        try:
            response = client.post(BOOK, json={**booking(day, time), "email": email})
        finally:
            event.remove(engine, "before_cursor_execute", record)
            event.remove(engine, "commit", count_commit)
            tail.SENT_OBSERVERS.remove(seen.append)
        assert response.status_code == 201 and response.json["table"]["name"]
        return seen, len(commits)

    restaurant.reminder_hours = 24  # the reminder's INSERT is part of a booking
    db.session.commit()
    clear_cache()
    cold, _ = statements_of_a_booking("19:00", "first@example.com")
    warm, commits = statements_of_a_booking("12:00", "second@example.com")
    # 13: the table's row is read under FOR KEY SHARE by the reservation's INSERT itself
    # (a table deactivated at that moment never keeps the booking, issue 14), and the
    # reminder rides the confirmation's INSERT; no reload of the new row for the answer.
    assert len(cold) <= 13, cold
    assert not any("FROM dining_tables" in s and not s.lstrip().startswith("INSERT")
                   for s in warm), warm
    assert sum(s.lstrip().startswith("INSERT INTO outbox_emails") for s in warm) == 1, warm
    assert not any(s.lstrip().startswith("SELECT reservations.") and "FROM reservations" in s
                   and "reservations.id =" in s for s in warm), warm
    assert len(warm) == len(cold) - 4, warm  # no hours, special days, tables, combinations
    # PostgreSQL: the read transaction goes on as the write transaction (one COMMIT);
    # SQLite ends it and starts a BEGIN IMMEDIATE one.
    assert commits == (1 if backend == "postgresql" else 2)
