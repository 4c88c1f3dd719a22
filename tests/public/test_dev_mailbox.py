"""The development mailbox (/dev/mail) and the mail log without a mail server: a developer
sees the e-mails in full and can click their links; production has no such page, keeps
no clear copy and logs the text with the manage token redacted."""

from __future__ import annotations

import logging

from sqlalchemy import select

from tests.factories import future_day
from tests.public.conftest import manage_path
from webapp import create_app
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.notifications.outbox import deliver_due


def book(client, time: str, name: str, address: str = "grace@example.com") -> str:
    response = client.post_form("/r/bistro/book", {
        "date": future_day().isoformat(), "time": time, "party_size": "2", "name": name,
        "email": address, "phone": "+44 161 496 0000"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return manage_path(response)


def confirmations(session) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "confirmation")
                                .order_by(OutboxEmail.id)))


def test_dev_mailbox_lists_queued_emails_newest_first_with_links(client, restaurant):
    first = book(client, "19:00", "Grace Hopper")
    second = book(client, "12:00", "Ada <Lovelace>", "ada@example.com")
    response = client.get("/dev/mail")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    assert html.index("Hello Ada &lt;Lovelace&gt;,") < html.index("Hello Grace Hopper,")
    assert f'<a href="http://localhost{first}">' in html
    assert f'<a href="http://localhost{second}">' in html
    assert "Table held: until 21:00 (2 h)" in html


def test_sent_email_keeps_a_working_link_in_the_dev_mailbox(client, session, restaurant,
                                                             make_app, tmp_path):
    path = book(client, "19:00", "Grace Hopper")
    developer = make_app(DEV_MAILBOX_DIR=str(tmp_path))
    with developer.app_context():
        assert deliver_due(db.session, developer.config).sent >= 1
    (row,) = confirmations(session)
    assert row.status == "sent" and path not in row.body_text  # the outbox copy is redacted
    html = developer.test_client().get("/dev/mail").get_data(as_text=True)
    assert f'<a href="http://localhost{path}">' in html  # the kept clear copy
    # An app that keeps no copies shows the redacted link, and says why.
    html = client.get("/dev/mail").get_data(as_text=True)
    assert path not in html and "/b/[redacted]" in html and "DEV_MAILBOX_DIR" in html


def test_a_kept_copy_that_does_not_match_the_row_is_not_shown(client, session, restaurant,
                                                              make_app, tmp_path):
    """Ids start again after a database reset: a copy kept for an older e-mail with the
    same id is not shown for the new one."""
    book(client, "19:00", "Grace Hopper")
    (row,) = confirmations(session)
    (tmp_path / f"{row.id}.json").write_text('{"body_text": "Someone else http://x/r/a/b/old"}')
    developer = make_app(DEV_MAILBOX_DIR=str(tmp_path))
    html = developer.test_client().get("/dev/mail").get_data(as_text=True)
    assert "Someone else" not in html and "Hello Grace Hopper," in html


def test_dev_mailbox_does_not_exist_in_production(app, monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key-0123456789")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://book.example.com")
    production = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "RATELIMIT_ENABLED": False})
    try:
        assert production.config["ENVIRONMENT"] == "production"
        assert production.config["DEV_MAILBOX_DIR"] == ""
        assert "dev_mailbox" not in production.blueprints
        assert not [rule for rule in production.url_map.iter_rules()
                    if rule.rule.startswith("/dev")]
        response = production.test_client().get("/dev/mail", base_url="https://book.example.com")
        assert response.status_code == 404
    finally:
        with production.app_context():
            db.engine.dispose()


def test_production_keeps_no_clear_copy_and_logs_the_text_redacted(client, session, app,
                                                                   restaurant, tmp_path, caplog):
    path = book(client, "19:00", "Grace Hopper")
    config = {**app.config, "ENVIRONMENT": "production", "DEV_MAILBOX_DIR": str(tmp_path)}
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        deliver_due(db.session, config)
    assert not list(tmp_path.iterdir())  # no clear copy, whatever the setting says
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "Hello Grace Hopper," in info and "Table held: until 21:00 (2 h)" in info
    assert path not in info and "/r/bistro/b/[redacted]" in info


def test_development_logs_the_whole_text_with_its_link(client, session, app, restaurant,
                                                       caplog):
    path = book(client, "19:00", "Grace Hopper")
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        deliver_due(db.session, {**app.config, "ENVIRONMENT": "development"})
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(line.endswith("| Hello Grace Hopper,") for line in info)
    assert any(line.endswith(f"| http://localhost{path}") for line in info)
