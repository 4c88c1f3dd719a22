"""Guest e-mails: composed with an .ics, written in the booking transaction, delivered
over SMTP to a real server on loopback, retried with backoff when delivery fails."""

from __future__ import annotations

import datetime as dt
import email
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy

import icalendar
import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session

from tests.factories import future_day, local
from tests.public.conftest import manage_path
from webapp.booking import service
from webapp.booking.errors import SlotTaken
from webapp.extensions import db
from webapp.models import OutboxEmail, Reservation
from webapp.notifications import MailWriter, deliver_due
from webapp.notifications import outbox as outbox_module
from webapp.notifications.messages import compose
from webapp.notifications.outbox import LEASE_SECONDS, backoff, wait_for_background


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

    def queue_then_fail(session_, reservation, action, *, manage_token):
        mail(session_, reservation, action, manage_token=manage_token)
        raise RuntimeError("something after the e-mail failed")

    with pytest.raises(RuntimeError):
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=2, guest=service.GuestDetails("Ada", "ada@example.com"),
                     after_write=queue_then_fail)
    assert outbox(session) == []
    assert session.scalars(select(Reservation)).all() == []
    # Nothing to hand to delivery either: an id queued (SQLite writes the row at once,
    # PostgreSQL keeps it for the COMMIT that never came) names no row.
    assert all(session.get(OutboxEmail, i) is None for i in mail.queued_ids)


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


def test_without_mail_server_a_json_log_gets_one_record_per_email(client, session, restaurant,
                                                                app, caplog):
    path = book_page(client, future_day())
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        report = deliver_due(db.session, {**app.config, "LOG_FORMAT": "json"})
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (record,) = [r for r in caplog.records if r.name == "webapp.mail"
                 and r.levelno == logging.INFO]
    assert record.getMessage().startswith("e-mail not sent (MAIL_SERVER is not set): "
                                          "to=alan@example.com")
    (row,) = outbox(session)
    assert record.email_id == row.id
    assert "\n" in record.body and "/r/bistro/b/[redacted]" in record.body
    assert path not in record.body and path not in caplog.text


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


# --------------------------------------------------------------------------- batched delivery
# A pass claims its whole batch in one UPDATE and records every outcome in one transaction.

FAKE_SERVER = {"MAIL_SERVER": "smtp.invalid", "MAIL_DEFAULT_SENDER": "bistro@example.org"}
LINK = "https://x.test/r/bistro/b/Secret_Token-123"


def due_emails(session, count: int, to: str = "guest", **fields) -> list[int]:
    """``count`` e-mails (to ``guest0@example.com``...) due a second ago, each with a manage
    link in its body and .ics."""
    now = dt.datetime.now(dt.UTC)
    values = {"kind": "confirmation", "subject": "Your table", "body_text": f"Manage: {LINK}\n",
              "ics": f"BEGIN:VCALENDAR\nURL:{LINK}\nEND:VCALENDAR", "status": "pending",
              "attempts": 0, "next_attempt_at": now - dt.timedelta(seconds=1), "last_error": "",
              **fields}
    rows = [OutboxEmail(to_address=f"{to}{number}@example.com", **values) for number in range(count)]
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]


class Mailbox:
    """A ``send=`` callable: records what it is given; raises for addresses in ``broken``."""

    def __init__(self, broken: dict[str, Exception] | None = None) -> None:
        self.broken = broken or {}
        self.messages: list = []

    def __call__(self, message, settings) -> None:
        error = self.broken.get(message["To"])
        if error is not None:
            raise error
        self.messages.append(message)

    @property
    def recipients(self) -> list[str]:
        return [message["To"] for message in self.messages]


@contextmanager
def sql_log(engine) -> Iterator[dict]:
    """Counts the statements sent to the database (an executemany counts once) and commits."""
    seen = {"statements": [], "commits": 0}

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        seen["statements"].append(statement)

    def on_commit(conn):
        seen["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


def test_a_pass_costs_the_same_statements_for_2_or_12_emails(session):
    mailbox = Mailbox()
    costs = {}
    for count in (2, 12):
        ids = due_emails(session, count)
        with sql_log(db.engine) as background:  # the post-request path: these ids
            report = deliver_due(session, FAKE_SERVER, ids=ids, send=mailbox)
        assert report.sent == count
        more = due_emails(session, count)
        with sql_log(db.engine) as cli:  # the deliver-mail path: whatever is due
            report = deliver_due(session, FAKE_SERVER, send=mailbox)
        assert report.sent == count
        assert sorted(mailbox.recipients[-count:]) == sorted(f"guest{n}@example.com" for n in range(count))
        costs[count] = (len(background["statements"]), background["commits"],
                        len(cli["statements"]), cli["commits"])
        session.commit()
        assert set(session.scalars(select(OutboxEmail.status).where(OutboxEmail.id.in_(ids + more)))) \
            == {"sent"}
    assert costs[2] == costs[12]
    assert costs[2][1] == costs[2][3] == 2  # claim, then record


def test_many_ids_go_out_in_bounded_batches(session):
    ids = due_emails(session, 7)
    mailbox = Mailbox()
    with sql_log(db.engine) as seen:
        report = deliver_due(session, FAKE_SERVER, ids=ids + ids[:2], limit=3, send=mailbox)
    assert report.sent == 7 and sorted(mailbox.recipients) == sorted(f"guest{n}@example.com"
                                                                      for n in range(7))
    assert seen["commits"] == 6  # three batches (3 + 3 + 1), two transactions each
    assert len([s for s in seen["statements"] if s.lstrip().upper().startswith("UPDATE")]) == 6


def test_a_row_another_deliverer_holds_is_not_sent_again(session):
    held, *free = due_emails(session, 3)
    lease = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEASE_SECONDS)
    session.execute(OutboxEmail.__table__.update().where(OutboxEmail.id == held)
                    .values(next_attempt_at=lease, attempts=1))
    session.commit()
    mailbox = Mailbox()
    assert deliver_due(session, FAKE_SERVER, ids=[held, *free], send=mailbox).sent == 2
    assert deliver_due(session, FAKE_SERVER, send=mailbox).sent == 0
    assert "guest0@example.com" not in mailbox.recipients and len(mailbox.messages) == 2
    row = session.get(OutboxEmail, held)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, lease)
    # Once the lease runs out (its deliverer died), the row is delivered: at least once.
    later = lease + dt.timedelta(seconds=1)
    assert deliver_due(session, FAKE_SERVER, now=later, send=mailbox).sent == 1
    assert mailbox.recipients[-1] == "guest0@example.com"


def test_a_deliverer_running_during_a_send_finds_the_batch_taken(session):
    ids = due_emails(session, 3)
    other_sent = Mailbox()
    others = []

    def send_while_another_pass_runs(message, settings):
        if not others:  # mid-batch, a second deliverer (its own session) makes its passes
            with Session(db.engine) as other:
                others.append(deliver_due(other, FAKE_SERVER, send=other_sent))
                others.append(deliver_due(other, FAKE_SERVER, ids=ids, send=other_sent))
        mailbox(message, settings)

    mailbox = Mailbox()
    assert deliver_due(session, FAKE_SERVER, send=send_while_another_pass_runs).sent == 3
    assert [report.sent for report in others] == [0, 0] and other_sent.messages == []
    assert len(mailbox.messages) == 3


@pytest.mark.postgres_only
def test_rows_locked_by_a_claim_in_flight_are_skipped_not_waited_for(session, app):
    locked, *free = due_emails(session, 3)
    # lock_timeout turns a wait for the lock into an error instead of a hung test
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url, connect_args={"options": "-c lock_timeout=3000"})
    try:
        with db.engine.connect() as claimer, Session(engine) as deliverer:
            claimer.execute(text("SELECT id FROM outbox_emails WHERE id = :id FOR UPDATE"),
                            {"id": locked})
            mailbox = Mailbox()
            assert deliver_due(deliverer, FAKE_SERVER, ids=[locked, *free], send=mailbox).sent == 2
            assert deliver_due(deliverer, FAKE_SERVER, send=mailbox).sent == 0
            claimer.rollback()
        assert sorted(mailbox.recipients) == ["guest1@example.com", "guest2@example.com"]
        assert deliver_due(session, FAKE_SERVER, send=mailbox).sent == 1
    finally:
        engine.dispose()


def test_mixed_outcomes_of_one_pass_are_each_recorded(session):
    sent_ids = due_emails(session, 1)
    retry_id, = due_emails(session, 1, to="retry")
    give_up_id, = due_emails(session, 1, to="gone", attempts=2)
    sent_ids += due_emails(session, 1, to="ok")
    mailbox = Mailbox(broken={"retry0@example.com": ConnectionResetError("reset by peer"),
                              "gone0@example.com": smtplib.SMTPRecipientsRefused({})})
    started = dt.datetime.now(dt.UTC)
    report = deliver_due(session, {**FAKE_SERVER, "MAIL_MAX_ATTEMPTS": 3}, send=mailbox)
    assert (report.sent, report.retrying, report.failed) == (2, 1, 1)
    assert mailbox.recipients == ["guest0@example.com", "ok0@example.com"]
    session.commit()
    retry = session.get(OutboxEmail, retry_id)
    assert (retry.status, retry.attempts, retry.last_error) == ("pending", 1,
                                                                "ConnectionResetError: reset by peer")
    assert started + backoff(1) <= retry.next_attempt_at <= dt.datetime.now(dt.UTC) + backoff(1)
    assert retry.sent_at is None
    gone = session.get(OutboxEmail, give_up_id)
    assert (gone.status, gone.attempts) == ("failed", 3)
    assert gone.last_error.startswith("SMTPRecipientsRefused") and gone.sent_at is None
    for row in (session.get(OutboxEmail, row_id) for row_id in sent_ids):
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
        assert started <= row.sent_at <= dt.datetime.now(dt.UTC)
    # the next pass, when the retry is due, sends just that one
    later = dt.datetime.now(dt.UTC) + backoff(1) + dt.timedelta(seconds=1)
    mailbox.broken.clear()
    assert deliver_due(session, FAKE_SERVER, now=later, send=mailbox).sent == 1
    assert mailbox.recipients[-1] == "retry0@example.com"


def test_sent_rows_are_redacted_unsent_ones_keep_their_link(session):
    sent_id, unsent_id = due_emails(session, 2)
    mailbox = Mailbox(broken={"guest1@example.com": OSError("no route")})
    deliver_due(session, FAKE_SERVER, send=mailbox)
    (message,) = mailbox.messages
    assert LINK in message.get_body(("plain",)).get_content()  # the guest got the real link
    session.commit()
    sent, unsent = session.get(OutboxEmail, sent_id), session.get(OutboxEmail, unsent_id)
    assert sent.body_text == "Manage: https://x.test/r/bistro/b/[redacted]\n"
    assert sent.ics == "BEGIN:VCALENDAR\nURL:https://x.test/r/bistro/b/[redacted]\nEND:VCALENDAR"
    assert "Secret_Token" not in sent.body_text + sent.ics
    assert LINK in unsent.body_text and LINK in unsent.ics  # the retry still needs it


def test_rows_a_pass_has_no_time_for_are_handed_back(session, monkeypatch):
    ids = due_emails(session, 3)
    mailbox = Mailbox()

    def slow_server(message, settings):
        mailbox(message, settings)
        monkeypatch.setattr(outbox_module, "SEND_BUDGET_SECONDS", -1)  # time is up

    report = deliver_due(session, FAKE_SERVER, send=slow_server)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    session.commit()
    rows = [session.get(OutboxEmail, row_id) for row_id in ids]
    assert [(row.status, row.attempts) for row in rows] == [("sent", 1), ("pending", 0), ("pending", 0)]
    assert all(row.next_attempt_at <= dt.datetime.now(dt.UTC) for row in rows[1:])  # due again
    monkeypatch.undo()
    assert deliver_due(session, FAKE_SERVER, send=mailbox).sent == 2
    assert mailbox.recipients == [f"guest{n}@example.com" for n in range(3)]


def test_a_crash_mid_batch_keeps_what_was_sent(session):
    ids = due_emails(session, 3)
    mailbox = Mailbox(broken={"guest1@example.com": RuntimeError("bug in the mail code")})
    with pytest.raises(RuntimeError):
        deliver_due(session, FAKE_SERVER, send=mailbox)
    session.commit()
    first, crashed, untried = (session.get(OutboxEmail, row_id) for row_id in ids)
    assert first.status == "sent"  # recorded: not sent again
    # the one that blew up keeps its lease, as after a crash; the rest is due again
    assert (crashed.status, crashed.attempts) == ("pending", 1)
    assert crashed.next_attempt_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEASE_SECONDS - 30)
    assert (untried.status, untried.attempts) == ("pending", 0)
    mailbox.broken.clear()
    assert deliver_due(session, FAKE_SERVER, send=mailbox).sent == 1
    assert mailbox.recipients == ["guest0@example.com", "guest2@example.com"]
