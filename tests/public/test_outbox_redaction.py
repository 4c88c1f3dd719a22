"""Once an e-mail is sent, the outbox's copy keeps no part of the guest's manage token,
also in the .ics, whose long DESCRIPTION and URL lines are folded (RFC 5545) wherever
the 75th octet falls: in the token, or in the "/b/" before it."""

from __future__ import annotations

import email
import re
from email import policy

import icalendar
import pytest
from sqlalchemy import select

from tests.factories import future_day, make_restaurant
from tests.public.conftest import manage_path
from webapp.models import OutboxEmail
from webapp.notifications.messages import redact_calendar

# "DESCRIPTION:Change or cancel: http://localhost/r/" is 49 characters and a line is
# folded after 74: with these slugs the fold falls 16 characters into the token, on the
# "/" after the slug, inside "/b/" and right after it.
SLUGS = ["bistro", "s" * 22, "s" * 23, "s" * 24, "s" * 25]


def fragments(token: str, size: int = 5) -> set[str]:
    return {token[i:i + size] for i in range(len(token) - size + 1)}


@pytest.mark.parametrize("slug", SLUGS, ids=[f"slug-{len(s)}" for s in SLUGS])
def test_sent_calendar_entry_keeps_no_part_of_the_token(client, session, make_app, smtp_server,
                                                         slug):
    make_restaurant(session, slug=slug, tables=[("T1", 2)])
    response = client.post_form(f"/r/{slug}/book", {
        "date": future_day().isoformat(), "time": "19:00", "party_size": "2",
        "name": "Alan Turing", "email": "alan@example.com", "phone": "+44 161 496 0000"})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    token = manage_path(response).rsplit("/", 1)[1]
    mailer = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
                      MAIL_USE_TLS=False)
    with mailer.app_context():
        result = mailer.test_cli_runner().invoke(args=["deliver-mail"])
    assert "sent 1," in result.output, result.output

    # The guest's calendar got the whole link...
    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    (attachment,) = message.iter_attachments()
    sent_event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(sent_event["url"]).endswith(f"/r/{slug}/b/{token}")
    assert str(sent_event["description"]).endswith(f"/r/{slug}/b/{token}")

    # ...the stored copy none of it, and it is still a calendar entry with its links.
    session.expire_all()
    (row,) = session.scalars(select(OutboxEmail)).all()
    assert row.status == "sent"
    leaked = {part for part in fragments(token) if part in row.ics + row.body_text}
    assert not leaked, row.ics
    stored_event = icalendar.Calendar.from_ical(row.ics).walk("VEVENT")[0]
    assert str(stored_event["url"]) == f"http://localhost/r/{slug}/b/[redacted]"
    assert str(stored_event["description"]) == \
        f"Change or cancel: http://localhost/r/{slug}/b/[redacted]"
    assert all(len(line.encode()) <= 75 for line in row.ics.split("\r\n"))


def test_redact_calendar_redacts_whole_lines_and_keeps_line_ends():
    def redact(text: str) -> str:
        return re.sub(r"SECRET\w*", "X", text)

    folded = "BEGIN:VEVENT\r\nDESCRIPTION:" + "a" * 50 + " SEC\r\n RETabc\r\n\tdef\r\nEND:VEVENT\r\n"
    assert redact_calendar(folded, redact) == \
        "BEGIN:VEVENT\r\nDESCRIPTION:" + "a" * 50 + " X\r\nEND:VEVENT\r\n"
    assert redact_calendar("A:1\nURL:SECRET\nB:2", redact) == "A:1\nURL:X\nB:2"
