"""What the guest e-mails say: the service date (a stay after midnight is the evening's),
how long the table is held, notes, address and phone, a capitalised greeting; sent as
plain text and HTML (multipart/alternative) that state the same facts, the HTML escaped."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

from sqlalchemy import event, select

from tests.factories import future_day, local, make_restaurant
from tests.public.conftest import manage_path
from webapp.booking import service, tail
from webapp.booking.setup import cached_setup, restaurant_setup
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.notifications.messages import compose, html_body
from webapp.notifications.outbox import MailWriter

LATE = [(day, dt.time(22), dt.time(3), "Late") for day in range(7)]


def next_weekday(weekday: int) -> dt.date:
    day = future_day()
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def late_restaurant(session):
    return make_restaurant(session, slug="nachtcafe", name="Nachtcafé", hours=LATE,
                           address="Kanalstraße 1, Berlin", phone="+49 30 1234567",
                           email="hallo@nachtcafe.example", tables=[("T1", 2), ("T2", 4)])


def test_after_midnight_booking_is_mailed_on_its_service_date(session):
    restaurant = late_restaurant(session)
    monday = next_weekday(0)
    starts_at = local(restaurant, monday + dt.timedelta(days=1), 0, 30)  # Tuesday 00:30
    result = service.book(session, restaurant, starts_at=starts_at, party_size=3,
                          guest=service.GuestDetails("ada", "ada@example.com", "",
                                                     "Window seat, please"))
    schedule = restaurant_setup(session, restaurant).schedule
    message = compose(restaurant, result.reservation, "confirmation",
                      "https://x.test/r/nachtcafe/b/tok", "x.test", schedule)
    monday_text = f"Monday {monday.day} {monday:%B %Y}"
    assert f"{monday_text} at 00:30 (after midnight)" in message.subject
    lines = message.body_text.splitlines()
    assert lines[0] == "Hello ada,"
    assert lines[2].startswith("Thank you for your booking.")  # not "thank you"
    assert f"Date:       {monday_text}" in lines
    assert "Time:       00:30 (after midnight)" in lines
    assert "Table held: until 02:30 (2 h)" in lines
    assert "Party:      3 guests" in lines
    assert "Your notes: Window seat, please" in lines
    assert "Address:    Kanalstraße 1, Berlin" in lines
    assert "Phone:      +49 30 1234567" in lines
    # Without the schedule the calendar date is all one can say (Tuesday): the schedule
    # is what makes it Monday.
    assert "Tuesday" in compose(restaurant, result.reservation, "confirmation", None).subject


def test_the_booking_writes_its_email_without_an_extra_query(session):
    """compose runs inside the booking transaction: the schedule comes from the set-up
    copy the booking itself just used, not from another query."""
    restaurant = late_restaurant(session)
    setup = restaurant_setup(session, restaurant)
    session.commit()
    assert cached_setup(restaurant) is setup
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    tail.SENT_OBSERVERS.append(statements.append)  # the INSERTs sent with the COMMIT
    try:
        service.book(session, restaurant, starts_at=local(restaurant, next_weekday(2), 22),
                     party_size=2, guest=service.GuestDetails("Ada", "ada@example.com"),
                     after_write=MailWriter(link_for=lambda token: f"https://x.test/b/{token}"),
                     schedule=setup.schedule, tables=setup.tables)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        tail.SENT_OBSERVERS.remove(statements.append)
    after_insert = statements[next(i for i, s in enumerate(statements)
                                   if "INSERT INTO reservations" in s) + 1:]
    assert not [s for s in after_insert if "setup_stamp" in s or "opening_hours" in s], \
        after_insert
    assert [s for s in after_insert if "INSERT INTO outbox_emails" in s]


def test_html_part_escapes_what_guests_type():
    text = ("Hello <script>alert(1)</script>,\n\nThank you.\n\n"
            "Restaurant: A & B\nYour notes: <b>bold</b> \"quoted\"\n            second line\n\n"
            "Link:\nhttps://x.test/r/a/b/tok?x=1&y=2\n")
    html = html_body(text)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "A &amp; B" in html and "&#34;quoted&#34;" in html
    assert "second line" in html
    assert 'href="https://x.test/r/a/b/tok?x=1&amp;y=2"' in html
    assert len(html) < 4000
    # Inline-styled, as mail clients want it: no style sheet, no class to style.
    assert "<style" not in html and "<link" not in html and "class=" not in html
    assert '<body style="' in html and '<p style="' in html


def test_sent_email_is_multipart_alternative_with_the_same_facts(client, session, make_app,
                                                                  smtp_server):
    restaurant = late_restaurant(session)
    monday = next_weekday(0)
    response = client.post_form(f"/r/{restaurant.slug}/book", {
        "date": monday.isoformat(), "time": "00:30", "party_size": "2",
        "name": "o'Brien <Ann>", "email": "ann@example.com", "phone": "+44 161 496 0000",
        "notes": "Allergic to <nuts> & shellfish"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    path = manage_path(response)
    mailer = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
                      MAIL_USE_TLS=False)
    with mailer.app_context():
        result = mailer.test_cli_runner().invoke(args=["deliver-mail"])
    assert "sent 1," in result.output, result.output

    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    (alternative,) = [part for part in message.iter_parts()
                      if part.get_content_type() == "multipart/alternative"]
    types = [part.get_content_type() for part in alternative.iter_parts()]
    assert types == ["text/plain", "text/html"]  # the richer part last (RFC 2046)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    monday_text = f"Monday {monday.day} {monday:%B %Y}"
    for fact in (monday_text, "00:30 (after midnight)", "until 02:30 (2 h)", "2 guests",
                 "Kanalstraße 1, Berlin", "+49 30 1234567", f"http://localhost{path}"):
        assert fact in text and fact in html, fact
    assert "Allergic to <nuts> & shellfish" in text
    assert "Allergic to &lt;nuts&gt; &amp; shellfish" in html and "<nuts>" not in html
    assert "Hello o&#39;Brien &lt;Ann&gt;," in html and "<Ann>" not in html
    assert "Thank you for your booking" in text and "Thank you for your booking" in html
    assert f'<a href="http://localhost{path}"' in html
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    session.expire_all()
    row = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "confirmation")).one()
    assert path not in row.body_text  # the stored copy is redacted as before
