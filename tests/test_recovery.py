"""A forgotten password: /forgot e-mails a reset link (/a/reset/<token>: an hour, once),
the same answer for every address; the new password ends every login of the account.

Pages are requested outside an app context of the test's own (see test_signup)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.conftest import empty_all_tables
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from tests.test_sessions import cookie, in_dashboard, replay
from tests.test_signup import db_of, from_address, outbox, user
from webapp.auth.passwords import authenticate
from webapp.models import OutboxEmail

# A Flask-WTF token (itsdangerous: payload.timestamp.signature).
CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}")

EMAIL = "anna@example.com"
NEW = "a-brand-new-password-7"
RESET_PATH = re.compile(r"/a/reset/[A-Za-z0-9_\-]+")
SENT = "If an account exists for that address, we sent a link to it."


@pytest.fixture
def site(app: Flask) -> Flask:
    """An owner ``EMAIL`` of one restaurant, on emptied tables."""
    empty_all_tables(app)
    with db_of(app) as session:
        make_owner(session, make_restaurant(session, slug="chez-anna"), EMAIL)
    return app


def reset_path(email: OutboxEmail) -> str:
    match = RESET_PATH.search(email.body_text)
    assert match, email.body_text
    return match.group(0)


def forgot(client, email: str = EMAIL):
    return client.post_form("/forgot", {"email": email})


def asked(app: Flask, email: str = EMAIL) -> str:
    """Ask for a reset link and return its path, as taken from the e-mail."""
    assert forgot(app.test_client(), email).status_code == 303
    return reset_path(outbox(app)[-1])


def set_new(client, path: str, password: str = NEW, repeat: str | None = None):
    response = client.post_form(path, {"password": password,
                                       "repeat": password if repeat is None else repeat})
    client._csrf = None  # the reset renews the session's CSRF token
    return response


def password_works(app: Flask, password: str) -> bool:
    with db_of(app) as session:
        return authenticate(session, EMAIL, password) is not None


def logged_in(app: Flask):
    client = app.test_client()
    client.login(EMAIL, DEFAULT_PASSWORD)
    assert in_dashboard(client)
    return client


# --------------------------------------------------------------------------- asking


def test_login_page_links_to_forgot(site):
    client = site.test_client()
    assert 'href="/forgot"' in client.get("/login").get_data(as_text=True)
    page = client.get("/forgot")
    assert page.status_code == 200 and 'autocomplete="username"' in page.get_data(as_text=True)


def test_forgot_mails_a_link_for_a_known_address(site):
    client = site.test_client()
    response = forgot(client, "Anna@Example.com")
    assert response.status_code == 303 and response.headers["Location"] == "/forgot"
    assert SENT in client.get("/forgot").get_data(as_text=True)
    [email] = outbox(site)
    assert (email.kind, email.to_address) == ("reset_password", EMAIL)
    assert site.config["PUBLIC_BASE_URL"].rstrip("/") + reset_path(email) in email.body_text
    assert password_works(site, DEFAULT_PASSWORD)  # asking changes nothing yet


def _without_tokens(response) -> str:
    text, tokens = CSRF_TOKEN.subn("TOKEN", response.get_data(as_text=True))
    assert tokens, "no CSRF token found on the page"
    return text


def test_forgot_answers_the_same_for_an_unknown_address(site):
    known, unknown = site.test_client(), site.test_client()
    a, b = forgot(known, EMAIL), forgot(unknown, "nobody@example.com")
    assert (a.status_code, a.headers["Location"], a.get_data()) == \
        (b.status_code, b.headers["Location"], b.get_data())
    # Each page's CSRF token is its own and signed with the second it was made in.
    assert _without_tokens(known.get("/forgot")) == _without_tokens(unknown.get("/forgot"))
    # Both did the same work: one e-mail each. The unknown address's says so, no link.
    emails = {e.to_address: e for e in outbox(site)}
    assert emails[EMAIL].kind == "reset_password"
    assert emails["nobody@example.com"].kind == "reset_unknown"
    assert "/a/" not in emails["nobody@example.com"].body_text
    assert "/signup" in emails["nobody@example.com"].body_text


def test_forgot_refuses_a_bad_address_and_a_missing_csrf_token(site):
    client = site.test_client()
    assert client.post_form("/forgot", {"email": "not an address"}).status_code == 422
    assert client.post("/forgot", data={"email": EMAIL}).status_code == 400
    assert outbox(site) == []


def test_forgot_is_rate_limited_per_address_and_per_connection(make_app, site):
    limited = make_app(RATELIMIT_ENABLED=True)
    try:
        statuses = [forgot(from_address(limited, f"10.0.2.{i}")).status_code for i in range(6)]
        assert statuses == [303] * 5 + [429]
        client = from_address(limited, "10.0.3.1")
        statuses = [forgot(client, f"guess{i}@example.com").status_code for i in range(6)]
        assert statuses == [303] * 5 + [429]
        assert "Too many reset links" in forgot(client, "x@example.com").get_data(as_text=True)
    finally:
        make_app()
    assert len(outbox(site)) == 10


# --------------------------------------------------------------------------- the link


def test_reset_link_sets_the_password_once(site):
    path = asked(site)
    client = site.test_client()
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    text = page.get_data(as_text=True)
    assert EMAIL in text and 'autocomplete="new-password"' in text

    response = set_new(client, path)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Your new password is set" in client.get("/login").get_data(as_text=True)
    assert password_works(site, NEW) and not password_works(site, DEFAULT_PASSWORD)
    client.login(EMAIL, NEW)
    assert in_dashboard(client)

    again = site.test_client()
    for answer in (again.get(path), set_new(again, path, "yet-another-password-9")):
        assert answer.status_code == 410
        assert "This link was already used." in answer.get_data(as_text=True)
        assert 'href="/forgot"' in answer.get_data(as_text=True)
    assert password_works(site, NEW)


def test_reset_ends_every_session_of_the_account(site):
    other = logged_in(site)
    remembered = site.test_client()
    remembered.post_form("/login", {"email": EMAIL, "password": DEFAULT_PASSWORD,
                                    "remember": "y"})
    stolen = {"session": cookie(other, "session"),
              "remember_token": cookie(remembered, "remember_token")}
    path = asked(site)
    # Even a browser logged in to the account: it is logged out too.
    assert set_new(other, path).status_code == 303
    assert not in_dashboard(other)
    assert not in_dashboard(remembered)
    assert not replay(site, session=stolen["session"])
    assert not replay(site, remember_token=stolen["remember_token"])


def test_reset_link_expires_after_an_hour(site, clock):
    path = asked(site)
    clock.advance(minutes=59)
    assert site.test_client().get(path).status_code == 200
    clock.advance(minutes=1)
    client = site.test_client()
    page = client.get(path)
    assert page.status_code == 410
    assert "This link has expired. Ask for a new one." in page.get_data(as_text=True)
    assert set_new(client, path).status_code == 410
    assert password_works(site, DEFAULT_PASSWORD)


def test_a_newer_reset_link_replaces_the_older(site):
    first = asked(site)
    second = asked(site)
    assert site.test_client().get(first).status_code == 410
    assert set_new(site.test_client(), second).status_code == 303


def test_unknown_reset_link_is_404(site):
    client = site.test_client()
    for path in ("/a/reset/nothing-like-a-token", "/a/reset/" + "y" * 300):
        page = client.get(path)
        assert page.status_code == 404
        assert "This link is not valid." in page.get_data(as_text=True)
    assert set_new(client, "/a/reset/nothing-like-a-token").status_code == 404
    # A verification link is no reset link.
    assert client.get("/a/verify/nothing-like-a-token").status_code == 404


@pytest.mark.parametrize(("password", "repeat", "message"), [
    ("short-one", None, "Password must have at least 12 characters."),
    ("my-anna@example.com-pw", None, "Password must not contain the e-mail address."),
    (NEW, "something-else-entirely", "The two passwords differ."),
])
def test_a_refused_password_keeps_the_link(site, password, repeat, message):
    path = asked(site)
    client = site.test_client()
    response = set_new(client, path, password, repeat)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert password_works(site, DEFAULT_PASSWORD)
    assert set_new(client, path).status_code == 303  # the link still works
    assert password_works(site, NEW)


def test_reset_proves_the_address_of_an_unverified_account(site):
    with db_of(site) as session:
        account = make_owner(session, None, "fresh@example.com")
        account.email_verified_at = None
        session.commit()
    path = asked(site, "fresh@example.com")
    response = site.test_client().post_form(path, {"password": NEW, "repeat": NEW})
    assert response.status_code == 303
    assert user(site, "fresh@example.com").email_verified_at is not None


def test_sent_account_emails_keep_no_usable_token(site):
    """Once an account e-mail is sent, the outbox's copy holds its link without the token
    (a copy of the database opens nothing); the link itself still works."""
    from webapp.notifications.outbox import deliver_due

    path = asked(site)
    sent: list[str] = []
    with db_of(site) as session:
        deliver_due(session, {**site.config, "MAIL_SERVER": "smtp.invalid"},
                    send=lambda message, _settings: sent.append(
                        message.get_body(preferencelist=("plain",)).get_content()))
    assert len(sent) == 1 and path in sent[0]
    [stored] = outbox(site)
    assert stored.status == "sent"
    assert "/a/reset/[redacted]" in stored.body_text and path not in stored.body_text
    assert site.test_client().get(path).status_code == 200


def test_a_reset_from_another_accounts_browser_keeps_that_login(site):
    with db_of(site) as session:
        make_owner(session, None, "boris@example.com")
    boris = site.test_client()
    boris.login("boris@example.com", DEFAULT_PASSWORD)
    path = asked(site)
    assert set_new(boris, path).status_code == 303
    assert password_works(site, NEW)
    assert boris.get("/account").status_code == 200  # still Boris, still logged in


def test_the_link_written_for_an_unknown_address_opens_nothing(site):
    """/forgot writes a link for an unknown address too (the same work either way); one
    for no account is refused like an unknown token, and signing up later does not wake it."""
    from webapp.booking.operations import links

    with db_of(site) as session:
        _link, token = links.issue(session, "reset_password", "later@example.com")
        session.commit()
        make_owner(session, None, "later@example.com")
    client = site.test_client()
    assert client.get(f"/a/reset/{token}").status_code == 404
    assert set_new(client, f"/a/reset/{token}").status_code == 404
