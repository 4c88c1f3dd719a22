"""The outbox never jams and never sends a second copy to a server that is merely slow:
a message that cannot be built is failed with its error while the rest of the pass goes
out; a server that takes longer than the old 10 s timeout before its final OK gets the
e-mail once; every attempt at one e-mail carries the same Message-ID. Real SMTP servers
on loopback throughout."""

from __future__ import annotations

import datetime as dt
import email
import threading
import time
from email import policy

import pytest
from sqlalchemy import select

from tests.public.conftest import SmtpServer
from tests.public.test_outbox import due_emails, smtp_config
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.notifications import deliver_due
from webapp.notifications import outbox as outbox_module

# Longer than the 10 s SMTP timeout the outbox had: it gave up waiting, counted the
# e-mail as failed although the server had accepted it, and sent it again on each retry.
SLOW_FINAL_OK_SECONDS = 11.0


@pytest.fixture
def slow_smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The loopback SMTP server (conftest.py); each test sets how slow it is
    (``final_ok_delay``) or how often it hangs up after DATA (``hang_up_after_data``)."""
    return smtp_server


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_a_message_that_cannot_be_built_fails_and_the_rest_goes_out(session, smtp_server):
    first = due_emails(session, 1, to="before")
    (bad,) = due_emails(session, 1, to="bad", subject="Rival\r\nBcc: x@evil.example")
    last = due_emails(session, 1, to="after")
    report = deliver_due(session, smtp_config(smtp_server))
    assert (report.sent, report.retrying, report.failed) == (2, 0, 1)
    session.commit()
    row = session.get(OutboxEmail, bad)
    assert row.status == "failed" and "cannot build the message" in row.last_error
    assert "ValueError" in row.last_error
    recipients = sorted(to for _, (to,) in smtp_server.envelopes)
    assert recipients == ["after0@example.com", "before0@example.com"]
    assert all(b"evil.example" not in message for message in smtp_server.messages)
    assert {session.get(OutboxEmail, i).status for i in first + last} == {"sent"}
    # Nothing is left due: the failed row is not retried.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert deliver_due(session, smtp_config(smtp_server), now=later).failed == 0


@pytest.mark.slow  # waits out a slow SMTP server
def test_a_slow_server_gets_one_copy(session, slow_smtp):
    slow_smtp.final_ok_delay = SLOW_FINAL_OK_SECONDS
    (row_id,) = due_emails(session, 1)
    report = deliver_due(session, smtp_config(slow_smtp))
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    # Later passes (the deliver-mail loop, an hour on) find nothing to send again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert deliver_due(session, smtp_config(slow_smtp), now=later).sent == 0
    assert len(slow_smtp.messages) == 1
    session.commit()
    assert session.get(OutboxEmail, row_id).status == "sent"


def test_no_other_deliverer_takes_a_row_while_a_slow_send_runs(session, slow_smtp, app):
    slow_smtp.final_ok_delay = 3.0
    due_emails(session, 1)
    config = smtp_config(slow_smtp)
    reports = []

    def first_pass() -> None:
        with app.app_context():
            reports.append(deliver_due(db.session, config))
            db.session.remove()

    sending = threading.Thread(target=first_pass)
    sending.start()
    deadline = time.monotonic() + 10
    while not slow_smtp.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    # While the first pass waits for its final OK, another deliverer whose clock is as
    # far on as the longest send a pass may start could take (its budget plus a whole
    # conversation at the timeout) still finds the row leased.
    worst = dt.timedelta(seconds=outbox_module.SEND_BUDGET_SECONDS
                         + outbox_module.SMTP_CONVERSATION_STEPS * outbox_module.SMTP_TIMEOUT_SECONDS)
    with app.app_context():
        assert deliver_due(db.session, config, now=dt.datetime.now(dt.UTC) + worst).sent == 0
        db.session.remove()
    sending.join(30)
    assert reports and reports[0].sent == 1
    assert len(slow_smtp.messages) == 1


def test_timeouts_and_lease_fit_a_slow_server():
    assert outbox_module.SMTP_TIMEOUT_SECONDS >= 2 * SLOW_FINAL_OK_SECONDS
    assert outbox_module.LEASE_SECONDS > (outbox_module.SEND_BUDGET_SECONDS
                                          + outbox_module.SMTP_CONVERSATION_STEPS
                                          * outbox_module.SMTP_TIMEOUT_SECONDS)


def test_every_attempt_at_one_email_has_the_same_message_id(session, slow_smtp):
    slow_smtp.hang_up_after_data = 1  # the first copy arrives, its final OK never does
    (row_id,) = due_emails(session, 1)
    assert deliver_due(session, smtp_config(slow_smtp)).retrying == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert deliver_due(session, smtp_config(slow_smtp), now=later).sent == 1
    first, second = (parsed(raw) for raw in slow_smtp.messages)
    assert first["Message-ID"] and first["Message-ID"] == second["Message-ID"]
    # ...and another e-mail has another one.
    other = due_emails(session, 1, to="other")
    assert deliver_due(session, smtp_config(slow_smtp), ids=other).sent == 1
    assert parsed(slow_smtp.messages[-1])["Message-ID"] != first["Message-ID"]
    session.commit()
    assert session.scalars(select(OutboxEmail.status).where(OutboxEmail.id == row_id)).one() == "sent"
