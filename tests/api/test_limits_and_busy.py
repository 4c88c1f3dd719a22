"""429 for too many public writes, 503 + Retry-After when the slot's lock is held."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.api.conftest import API, assert_problem, booking
from webapp.booking import locks
from webapp.extensions import db
from webapp.models import Reservation

BOOK = f"{API}/restaurants/trattoria/reservations"


@pytest.fixture
def limited_app(app, make_app):
    """An app with the limit on. The Limiter instance is shared by every app in the
    process and keeps the last init_app's settings: switch it back off afterwards and
    forget the counts, so later tests (on the unlimited app) are not limited."""
    from webapp.extensions import limiter

    yield make_app(RATELIMIT_ENABLED=True, PUBLIC_WRITE_RATE_LIMIT="2 per minute")
    limiter.reset()
    limiter.enabled = app.config["RATELIMIT_ENABLED"]


def test_public_writes_are_rate_limited(limited_app, session, restaurant, auth, day):
    limited = limited_app
    client = limited.test_client()
    for _ in range(2):
        assert client.post(BOOK, json=booking(day, email="bad")).status_code == 422
    response = client.post(BOOK, json=booking(day))
    assert_problem(response, 429)
    assert response.headers.get("Retry-After")
    # The restaurant's own token is not limited like the public.
    owner = client.post(BOOK, headers=auth, json={"date": day.isoformat(), "time": "12:00",
                                                  "party_size": 2, "name": "Phone"})
    assert owner.status_code == 201, owner.json


@pytest.mark.postgres_only
def test_a_held_slot_lock_is_503_with_retry_after(make_app, session, restaurant, day):
    """Another transaction holds every table's lock for the slot: the booking waits the
    lock timeout, then answers 503 and asks to retry, writing nothing."""
    from tests.factories import local

    impatient = make_app(BOOKING_LOCK_TIMEOUT_MS=200)
    starts_at = local(restaurant, day, 19)
    with impatient.app_context(), db.engine.connect() as holder:
        holder.begin()
        for table in restaurant.tables:
            for table_id, bucket in locks.slot_lock_keys(table.id, starts_at,
                                                             starts_at + dt.timedelta(minutes=15)):
                holder.execute(text("SELECT pg_advisory_xact_lock(:t, :b)"),
                               {"t": table_id, "b": bucket})
        response = impatient.test_client().post(BOOK, json=booking(day, "19:00"))
        holder.rollback()
    body = assert_problem(response, 503)
    assert body["code"] == "lock_timeout"
    assert response.headers["Retry-After"] == "2"
    assert session.query(Reservation).count() == 0
