"""Reminders: planned with the booking, sent once by competing delivery loops through a
real SMTP server on loopback, re-planned on a move, dropped on a cancellation; the
Confirm link's page (GET shows a button, POST with CSRF confirms)."""

from __future__ import annotations

import datetime as dt
import email
import re
import threading
from email import policy

from sqlalchemy import event, select

from tests.factories import future_day, local, today
from tests.public.conftest import TOKEN_IN_PAGE
from webapp.booking import service, tail
from webapp.extensions import db
from webapp.models import OutboxEmail, Reservation
from webapp.notifications import MailWriter, deliver_due
from webapp.notifications.messages import REMINDER_PLACEHOLDER

GUESTS = [("Ada", "ada@example.com", 12), ("Grace", "grace@example.com", 19),
          ("Alan", "alan@example.com", 21)]


def smtp_config(app, server) -> dict:
    return {**app.config, "MAIL_SERVER": server.host, "MAIL_PORT": server.port,
            "MAIL_USE_TLS": False, "MAIL_DEFAULT_SENDER": "bistro@example.org"}


def book(session, restaurant, day, hour, name, address):
    result = service.book(session, restaurant, starts_at=local(restaurant, day, hour),
                          party_size=2, guest=service.GuestDetails(name, address, ""),
                          after_write=MailWriter(link_for=lambda t: f"http://localhost/r/bistro/b/{t}"))
    return result.reservation.id


def reminders(session) -> list[OutboxEmail]:
    session.commit()
    return list(session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder")
                                .order_by(OutboxEmail.id)))


def reminder_messages(server) -> list[email.message.EmailMessage]:
    parsed = [email.message_from_bytes(raw, policy=policy.default) for raw in server.messages]
    return [m for m in parsed if m["Subject"].strip().startswith("Reminder")]


def test_two_delivery_loops_send_each_reminder_once_at_its_time(app, session, restaurant,
                                                                smtp_server):
    restaurant.reminder_hours = 24
    session.commit()
    day = future_day(7)
    ids = {name: book(session, restaurant, day, hour, name, address)
           for name, address, hour in GUESTS}
    # Grace moves two days later; Alan cancels: his reminder must never go.
    service.change(session, restaurant, ids["Grace"],
                   starts_at=local(restaurant, day + dt.timedelta(days=2), 19), party_size=2,
                   after_write=MailWriter(link_for=lambda t: t))
    service.cancel(session, restaurant, ids["Alan"], after_write=MailWriter(link_for=lambda t: t))
    planned = reminders(session)
    assert {row.reservation_id for row in planned} == {ids["Ada"], ids["Grace"]}
    assert all(row.body_text == REMINDER_PLACEHOLDER and "/b/" not in row.body_text
               for row in planned)  # no token stored while the reminder waits
    due = {row.reservation_id: row.next_attempt_at for row in planned}
    assert due[ids["Ada"]] == local(restaurant, day, 12) - dt.timedelta(hours=24)
    assert due[ids["Grace"]] == local(restaurant, day + dt.timedelta(days=2), 19) \
        - dt.timedelta(hours=24)

    config = smtp_config(app, smtp_server)
    start = local(restaurant, today(), 9)
    step = dt.timedelta(hours=6)
    steps = [start + n * step for n in range(4 * 10)]  # ten days, a pass every 6 hours
    sent_at_step: dict[str, list[dt.datetime]] = {}
    barrier = threading.Barrier(2)
    seen = [0]
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            with app.app_context():
                for now in steps:
                    barrier.wait(timeout=30)  # both loops pass at the same instant
                    deliver_due(db.session, config, now=now)
                    db.session.remove()
                    if barrier.wait(timeout=30) == 0:  # both done: one of them takes note
                        for message in reminder_messages(smtp_server)[seen[0]:]:
                            sent_at_step.setdefault(message["To"], []).append(now)
                        seen[0] = len(reminder_messages(smtp_server))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    messages = reminder_messages(smtp_server)
    assert sorted(m["To"] for m in messages) == ["ada@example.com", "grace@example.com"]
    # Each went once, in the first pass at or after its due time (the moved one at its
    # new time, two days after Ada's).
    for address, rid in (("ada@example.com", ids["Ada"]), ("grace@example.com", ids["Grace"])):
        (when,) = sent_at_step[address]
        assert due[rid] <= when < due[rid] + step
    grace = next(m for m in messages if m["To"] == "grace@example.com")
    text = grace.get_body(("plain",)).get_content()
    new_day = day + dt.timedelta(days=2)
    assert f"{new_day:%A} {new_day.day} {new_day:%B %Y} at 19:00" in text
    links = re.findall(r"(Confirm|Change|Cancel): +(\S+)", text)
    assert [label for label, _ in links] == ["Confirm", "Change", "Cancel"]
    assert links[0][1].endswith("/confirm") and links[2][1].endswith("/cancel")
    # The stored copy is redacted; the token's hash opens the booking.
    token = re.search(r"/b/([A-Za-z0-9_\-]+)/confirm", text)[1]
    session.commit()  # ends the read transaction (SQLite's snapshot predates the loops)
    stored = session.get(OutboxEmail, next(r.id for r in planned
                                           if r.reservation_id == ids["Grace"]))
    assert stored.status == "sent" and token not in stored.body_text
    assert "/b/[redacted]/confirm" in stored.body_text
    assert service.find_by_token(session, token).id == ids["Grace"]


def test_a_booking_made_less_than_the_reminder_time_ahead_gets_none(session, restaurant):
    restaurant.reminder_hours = 24
    session.commit()
    book(session, restaurant, today(), 19, "Ada", "ada@example.com")  # today, < 24 h ahead
    assert reminders(session) == []
    book(session, restaurant, future_day(3), 19, "Ada", "ada@example.com")
    assert len(reminders(session)) == 1


def test_reminders_off_plans_none(session, restaurant):
    restaurant.reminder_hours = 0
    session.commit()
    book(session, restaurant, future_day(7), 19, "Ada", "ada@example.com")
    assert reminders(session) == []


def _reminded(app, session, restaurant, smtp_server) -> tuple[int, str]:
    """A booking whose reminder was sent; (its id, the Confirm link's path)."""
    restaurant.reminder_hours = 48
    session.commit()
    day = future_day(7)
    rid = book(session, restaurant, day, 19, "Grace", "grace@example.com")
    deliver_due(session, smtp_config(app, smtp_server),
                now=local(restaurant, day, 19) - dt.timedelta(hours=47))
    (message,) = reminder_messages(smtp_server)
    link = re.search(r"Confirm: +(\S+)", message.get_body(("plain",)).get_content())[1]
    return rid, re.sub(r"^https?://[^/]+", "", link)


def test_confirming_from_the_reminder_needs_the_button_not_just_the_link(app, client, session,
                                                                         restaurant, smtp_server):
    rid, path = _reminded(app, session, restaurant, smtp_server)
    page = client.get(path)  # what a mail scanner's prefetch does
    assert page.status_code == 200 and "Yes, I am coming" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    session.expire_all()
    assert session.get(Reservation, rid).confirmed_at is None
    assert client.post(path).status_code == 400  # no CSRF token
    session.expire_all()
    assert session.get(Reservation, rid).confirmed_at is None
    token = TOKEN_IN_PAGE.search(page.get_data(as_text=True))[1]
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200 and "your booking is confirmed" in done.get_data(as_text=True)
    session.expire_all()
    row = session.get(Reservation, rid)
    assert row.confirmed_at is not None
    first = row.confirmed_at
    client.post(path, data={"csrf_token": token})  # twice: still the first confirmation
    session.expire_all()
    assert session.get(Reservation, rid).confirmed_at == first
    assert [e.action for e in session.get(Reservation, rid).events].count("confirmed") == 1
    # The reminder's Change link opens the guest's page.
    assert client.get(path.removesuffix("/confirm")).status_code == 200


def test_a_cancelled_booking_cannot_be_confirmed(app, client, session, restaurant, smtp_server):
    rid, path = _reminded(app, session, restaurant, smtp_server)
    service.cancel(session, restaurant, rid)
    page = client.get(path)
    assert "This booking is cancelled." in page.get_data(as_text=True)
    assert "Yes, I am coming" not in page.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": client.csrf_token}).status_code == 409
    session.expire_all()
    assert session.get(Reservation, rid).confirmed_at is None


def test_an_unknown_token_is_404(client, restaurant):
    assert client.get("/r/bistro/b/not-a-token/confirm").status_code == 404


def _statements_of_one_booking(session, restaurant, day, hour, name) -> list[str]:
    seen: list[str] = []

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper() + " " + statement.split("(")[0][-40:])

    def on_sent_with_commit(statement):
        on_statement(None, None, statement, None, None, False)

    event.listen(db.engine, "before_cursor_execute", on_statement)
    tail.SENT_OBSERVERS.append(on_sent_with_commit)
    try:
        book(session, restaurant, day, hour, name, f"{name.lower()}@example.com")
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
        tail.SENT_OBSERVERS.remove(on_sent_with_commit)
    return seen


def _write_transaction(statements: list[str]) -> list[str]:
    """The booking's own transaction: from its first lock (PostgreSQL's advisory lock,
    which sets the lock timeout too; SQLite's BEGIN IMMEDIATE) on; reads before it
    refresh the test's expired objects."""
    start = next(i for i, s in enumerate(statements)
                 if s.startswith("SELECT SELECT count") or "IMMEDIATE" in s)
    return statements[start:]


def test_planning_a_reminder_costs_no_statement_of_its_own(session, restaurant):
    day = future_day(7)
    _statements_of_one_booking(session, restaurant, day, 12, "Warm")  # caches filled
    off = _write_transaction(_statements_of_one_booking(session, restaurant, day, 13, "Off"))
    restaurant.reminder_hours = 24
    session.commit()
    on = _write_transaction(_statements_of_one_booking(session, restaurant, day, 19, "On"))
    # The same statements: the reminder's row rides the confirmation's INSERT.
    assert on == off
    assert on.count("INSERT INSERT INTO outbox_emails ") == 1
    session.expire_all()
    reservation_id = session.scalars(select(Reservation.id).where(
        Reservation.guest_name == "On")).one()
    kinds = session.scalars(select(OutboxEmail.kind).where(
        OutboxEmail.reservation_id == reservation_id).order_by(OutboxEmail.id)).all()
    assert kinds == ["reminder", "confirmation"]


def test_a_reminder_without_a_confirmation_is_an_insert_of_its_own(session, restaurant):
    """The owner chose not to e-mail the guest: the reminder is still planned."""
    day = future_day(7)
    restaurant.reminder_hours = 24
    session.commit()
    writer = MailWriter(link_for=lambda t: f"http://localhost/r/bistro/b/{t}", tell_guest=False)
    result = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=service.GuestDetails("Quiet", "q@example.com", ""),
                          after_write=writer)
    assert writer.queued_ids == []  # nothing to send after the commit
    session.expire_all()
    rows = session.scalars(select(OutboxEmail).where(
        OutboxEmail.reservation_id == result.reservation.id)).all()
    assert [(row.kind, row.body_text) for row in rows] == [("reminder", REMINDER_PLACEHOLDER)]
