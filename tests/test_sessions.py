"""Sessions end on the server: logout, password changes and "log out everywhere" make
copied session and remember cookies worthless; every login gets its own remember
token and a new CSRF token; every cookie is SameSite=Lax."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import empty_all_tables
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.extensions import db

EMAIL = "owner@example.com"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def account(app: Flask) -> None:
    """An owner of one restaurant. The requests of these tests run outside any app
    context of the test's own (unlike the ``session`` fixture's), so that each request
    has its own ``g`` and Flask-Login loads the user from the cookies every time."""
    empty_all_tables(app)
    with app.app_context():
        restaurant = make_restaurant(db.session, slug="chez-test", name="Chez Test")
        make_owner(db.session, restaurant, EMAIL)
        db.session.remove()


def logged_in(app: Flask, remember: bool = False):
    client = app.test_client()
    response = client.post_form("/login", {"email": EMAIL, "password": DEFAULT_PASSWORD,
                                           **({"remember": "y"} if remember else {})})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client, response


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def replay(app: Flask, **cookies: str):
    """A fresh browser holding only these cookies: does it reach the dashboard?"""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return in_dashboard(other)


def in_dashboard(client) -> bool:
    """The dashboard opens (it redirects to the restaurant's day) instead of the login page."""
    response = client.get("/owner/")
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def test_a_copied_session_cookie_is_refused_after_logout(app, account):
    client, _ = logged_in(app)
    copied = cookie(client, "session")
    assert replay(app, session=copied)
    assert client.post_form("/logout").status_code == 302
    assert not replay(app, session=copied)


def test_a_copied_remember_cookie_is_refused_after_logout(app, account):
    client, _ = logged_in(app, remember=True)
    copied = cookie(client, "remember_token")
    assert copied and replay(app, remember_token=copied)
    client.post_form("/logout")
    assert not replay(app, remember_token=copied)


def test_logout_on_one_device_keeps_the_others(app, account):
    phone, _ = logged_in(app)
    tablet, _ = logged_in(app)
    phone.post_form("/logout")
    assert in_dashboard(tablet)


def test_a_password_reset_with_create_owner_ends_every_session(app, account):
    client, _ = logged_in(app, remember=True)
    copied = {"session": cookie(client, "session"), "remember_token": cookie(client, "remember_token")}
    result = app.test_cli_runner().invoke(args=["create-owner", "--email", EMAIL,
                                                "--password", "a-brand-new-password"])
    assert result.exit_code == 0, result.output
    assert not in_dashboard(client)
    assert not replay(app, session=copied["session"])
    assert not replay(app, remember_token=copied["remember_token"])


def test_create_owner_with_the_same_password_keeps_the_sessions(app, account):
    """Re-running the idempotent command to add a restaurant is not a password change."""
    client, _ = logged_in(app)
    result = app.test_cli_runner().invoke(args=["create-owner", "--email", EMAIL,
                                                "--password", DEFAULT_PASSWORD])
    assert result.exit_code == 0, result.output
    assert in_dashboard(client)


def test_every_login_gets_its_own_remember_token(app, account):
    first, _ = logged_in(app, remember=True)
    second, _ = logged_in(app, remember=True)
    assert cookie(first, "remember_token") != cookie(second, "remember_token")


def test_every_cookie_is_samesite_lax(app, account):
    _, response = logged_in(app, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    for header in cookies:
        assert "SameSite=Lax" in header, header
        assert "HttpOnly" in header, header


def test_login_gives_a_new_csrf_token(app, account):
    client = app.test_client()
    before = _TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": before, "email": EMAIL,
                                           "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    page = client.get("/owner/", follow_redirects=True).get_data(as_text=True)
    after = _TOKEN.search(page).group(1)
    assert after != before
    # A form posted with the token from before the login is refused (and changes nothing).
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert in_dashboard(client)
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert not in_dashboard(client)


def test_logout_removes_the_server_side_login(app, account):
    from webapp.models import LoginSession

    def logins() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(LoginSession))

    client, _ = logged_in(app)
    assert logins() == 1
    client.post_form("/logout")
    assert logins() == 0
