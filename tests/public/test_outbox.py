"""Guest e-mails: composed with an .ics, written in the booking transaction, delivered
over SMTP to a real server on loopback, retried with backoff when delivery fails."""

from __future__ import annotations

import datetime as dt
import email
import logging
from email import policy

import icalendar
import pytest
from sqlalchemy import select

from tests.factories import future_day, local
from tests.public.conftest import manage_path
from webapp.booking import service
from webapp.booking.errors import SlotTaken
from webapp.extensions import db
from webapp.models import OutboxEmail, Reservation
from webapp.notifications import MailWriter, deliver_due
from webapp.notifications.messages import compose
from webapp.notifications.outbox import backoff, wait_for_background


def book_page(client, day: dt.date, time: str = "19:00"):
    response = client.post_form("/r/bistro/book", {
        "date": day.isoformat(), "time": time, "party_size": "2", "name": "Alan Turing",
        "email": "alan@example.com", "phone": "+44 161 496 0000", "notes": "Vegetarian"})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return manage_path(response)


def outbox(session) -> list[OutboxEmail]:
    session.commit()
    return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def smtp_config(server, **extra) -> dict:
    return {"MAIL_SERVER": server.host, "MAIL_PORT": server.port, "MAIL_USE_TLS": False,
            "MAIL_DEFAULT_SENDER": "bistro@example.org", **extra}


def test_email_text_and_calendar_entry(session, restaurant):
    day = future_day()
    result = service.book(session, restaurant, starts_at=local(restaurant, day, 19, 30),
                          party_size=3, guest=service.GuestDetails("Ada", "ada@example.com"))
    reservation = result.reservation
    message = compose(restaurant, reservation, "confirmation", "https://x.test/r/bistro/b/tok",
                      host="x.test")
    assert message.to_address == "ada@example.com"
    assert f"{day:%A} {day.day} {day:%B %Y} at 19:30" in message.subject
    assert "3 guests" in message.body_text and "https://x.test/r/bistro/b/tok" in message.body_text
    assert "Kanalstraße 1, Berlin" in message.body_text and "+49 30 1234567" in message.body_text
    event = icalendar.Calendar.from_ical(message.ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == local(restaurant, day, 19, 30)
    assert event.decoded("dtend") == local(restaurant, day, 21, 30)
    assert str(event["uid"]) == f"reservation-{reservation.id}@x.test"
    assert str(event["status"]) == "CONFIRMED"
    cancelled = compose(restaurant, reservation, "cancellation", None, host="x.test")
    calendar = icalendar.Calendar.from_ical(cancelled.ics)
    assert str(calendar["method"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert "cancelled" in cancelled.subject


def test_rolled_back_booking_writes_no_email(session, restaurant):
    day = future_day()
    for name in ("One", "Two"):  # both tables
        service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                     guest=service.GuestDetails(name, f"{name}@example.com"))
    assert len(outbox(session)) == 0
    mail = MailWriter(link_for=lambda token: f"https://x.test/{token}")
    with pytest.raises(SlotTaken):
        service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                     guest=service.GuestDetails("Late", "late@example.com"), after_write=mail)
    assert outbox(session) == []


def test_email_queued_in_a_transaction_that_fails_later_is_gone(session, restaurant):
    mail = MailWriter(link_for=lambda token: f"https://x.test/{token}")

    def queue_then_fail(session_, reservation, action):
        mail(session_, reservation, action)
        assert session_.scalars(select(OutboxEmail)).one()  # written, in this transaction
        raise RuntimeError("something after the e-mail failed")

    with pytest.raises(RuntimeError):
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=2, guest=service.GuestDetails("Ada", "ada@example.com"),
                     after_write=queue_then_fail)
    assert mail.queued_ids
    assert outbox(session) == []
    assert session.scalars(select(Reservation)).all() == []


def test_writer_token_is_the_one_that_opens_the_booking(session, restaurant):
    mail = MailWriter(link_for=lambda token: f"https://x.test/r/bistro/b/{token}")
    service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19), party_size=2,
                 guest=service.GuestDetails("Ada", "ada@example.com"), after_write=mail)
    found = service.find_by_token(session, mail.manage_token)
    assert found is not None and found.guest_name == "Ada"
    assert f"https://x.test/r/bistro/b/{mail.manage_token}" in outbox(session)[0].body_text


def test_without_mail_server_the_email_is_logged(client, session, restaurant, app, caplog):
    path = book_page(client, future_day())
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        report = deliver_due(db.session, app.config)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert "e-mail not sent (MAIL_SERVER is not set): to=alan@example.com" in caplog.text
    # the private manage link never reaches the INFO log production keeps...
    assert path not in caplog.text
    caplog.clear()
    (row,) = outbox(session)
    assert (row.status, row.attempts) == ("sent", 1) and row.sent_at is not None
    assert path not in row.body_text and "/r/bistro/b/[redacted]" in row.body_text


def test_without_mail_server_the_body_is_logged_at_debug(client, session, restaurant, app, caplog):
    path = book_page(client, future_day())
    with caplog.at_level(logging.DEBUG, logger="webapp.mail"):
        deliver_due(db.session, app.config)
    # ...but a developer running the demo at DEBUG sees the whole e-mail with its link
    assert path in caplog.text


def test_smtp_delivery_to_a_real_server(client, session, restaurant, make_app, smtp_server):
    path = book_page(client, future_day())
    token = path.rsplit("/", 1)[1]
    mailer = make_app(**smtp_config(smtp_server))
    with mailer.app_context():  # the CLI uses the app context it finds (the fixture pushed one)
        result = mailer.test_cli_runner().invoke(args=["deliver-mail"])
        again = mailer.test_cli_runner().invoke(args=["deliver-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 1, retrying 0, failed 0" in result.output
    (sender, recipients), = smtp_server.envelopes
    assert (sender, recipients) == ("bistro@example.org", ["alan@example.com"])
    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    assert message["To"] == "alan@example.com" and "Bistro Blau" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert token in body and "Vegetarian" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "booking.ics"
    assert icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert outbox(session)[0].status == "sent"
    # A second pass finds nothing due: nothing is sent twice.
    assert "sent 0" in again.output
    assert len(smtp_server.messages) == 1


def test_refused_delivery_is_retried_with_backoff_then_given_up(client, session, restaurant,
                                                                 make_app, smtp_server):
    book_page(client, future_day())
    smtp_server.refuse = True
    mailer = make_app(**smtp_config(smtp_server, MAIL_MAX_ATTEMPTS=3))
    with mailer.app_context():
        first = deliver_due(db.session, mailer.config)
        assert (first.sent, first.retrying) == (0, 1)
        row = db.session.scalars(select(OutboxEmail)).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "554" in row.last_error and "sender refused" in row.last_error
        wait = row.next_attempt_at - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=25) < wait <= backoff(1)
        # Not due yet: a pass right away does not touch it.
        assert deliver_due(db.session, mailer.config).retrying == 0
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert deliver_due(db.session, mailer.config, now=later).retrying == 1
        assert deliver_due(db.session, mailer.config, now=later + dt.timedelta(hours=1)).failed == 1
        db.session.remove()
    (row,) = outbox(session)
    assert (row.status, row.attempts) == ("failed", 3)
    assert smtp_server.messages == []


def test_a_retry_succeeds_once_the_server_accepts(client, session, restaurant, make_app,
                                                  smtp_server):
    book_page(client, future_day())
    smtp_server.refuse = True
    mailer = make_app(**smtp_config(smtp_server))
    with mailer.app_context():
        assert deliver_due(db.session, mailer.config).retrying == 1
        smtp_server.refuse = False
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        assert deliver_due(db.session, mailer.config, now=later).sent == 1
        db.session.remove()
    (row,) = outbox(session)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(smtp_server.messages) == 1


def test_unreachable_server_is_a_retry_not_a_crash(client, session, restaurant, make_app,
                                                   smtp_server):
    book_page(client, future_day())
    mailer = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)  # nothing listens
    with mailer.app_context():
        assert deliver_due(db.session, mailer.config).retrying == 1
        db.session.remove()
    assert "Connection refused" in outbox(session)[0].last_error


def test_emails_go_out_right_after_the_booking_commits(session, restaurant, make_app,
                                                       smtp_server):
    live = make_app(MAIL_SEND_AFTER_COMMIT=True, **smtp_config(smtp_server))
    client = live.test_client()
    path = book_page(client, future_day())
    assert client.post_form(f"{path}/cancel", {"confirm": "y"}).status_code == 303
    wait_for_background()
    kinds = [row.kind for row in outbox(session) if row.status == "sent"]
    assert kinds == ["confirmation", "cancellation"]
    subjects = [email.message_from_bytes(m, policy=policy.default)["Subject"]
                for m in smtp_server.messages]
    assert any("is cancelled" in s for s in subjects) and len(subjects) == 2
    session.commit()
    assert session.scalars(select(Reservation.status)).one() == "cancelled"


def test_every_email_about_one_booking_updates_one_calendar_event(client, session, restaurant):
    day = future_day()
    path = book_page(client, day)
    assert client.post_form(f"{path}/change", {"date": day.isoformat(), "time": "20:00",
                                               "party_size": "2"}).status_code == 303
    assert client.post_form(f"{path}/cancel", {"confirm": "y"}).status_code == 303
    events = [icalendar.Calendar.from_ical(row.ics).walk("VEVENT")[0] for row in outbox(session)]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [int(e["sequence"]) for e in events] == [1, 2, 3]  # later ones win
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]


def test_one_delivery_thread_serves_every_request(session, restaurant, make_app, smtp_server):
    import threading

    live = make_app(MAIL_SEND_AFTER_COMMIT=True, **smtp_config(smtp_server))
    client = live.test_client()
    day = future_day()
    book_page(client, day, "12:00")
    book_page(client, day, "19:00")
    wait_for_background()
    assert [row.status for row in outbox(session)] == ["sent", "sent"]
    assert len([t for t in threading.enumerate() if t.name == "mail-delivery"]) == 1
