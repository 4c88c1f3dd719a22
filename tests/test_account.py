"""The account page: owners and staff change their own password (ending every other
login, keeping this one) and log out everywhere."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import empty_all_tables
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from tests.test_sessions import cookie, in_dashboard, replay
from webapp.auth.passwords import authenticate
from webapp.extensions import db

EMAIL = "anna@example.com"
NEW = "a-much-longer-secret-42"


@pytest.fixture(params=["owner", "staff"])
def role(request, app: Flask) -> str:
    """An account of that role at one restaurant (requests run outside the test's own app
    context, as in test_sessions)."""
    empty_all_tables(app)
    with app.app_context():
        restaurant = make_restaurant(db.session, slug="chez-anna")
        make_owner(db.session, restaurant, EMAIL, role=request.param)
        db.session.remove()
    return request.param


def login(app: Flask, remember: bool = False):
    client = app.test_client()
    client.post_form("/login", {"email": EMAIL, "password": DEFAULT_PASSWORD,
                                **({"remember": "y"} if remember else {})})
    assert in_dashboard(client)
    return client


def change(client, current: str = DEFAULT_PASSWORD, new: str = NEW, repeat: str | None = None):
    return client.post_form("/account/password", {"current": current, "new": new,
                                                  "repeat": new if repeat is None else repeat})


def password_works(app: Flask, password: str) -> bool:
    with app.app_context():
        try:
            return authenticate(db.session, EMAIL, password) is not None
        finally:
            db.session.remove()


def test_the_dashboard_links_to_the_account_page(app, role):
    client = login(app)
    page = client.get("/owner/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/account"' in page
    account = client.get("/account")
    assert account.status_code == 200
    assert EMAIL in account.get_data(as_text=True)


def test_changing_the_password_ends_every_other_login_and_keeps_this_one(app, role):
    other = login(app, remember=True)
    stolen = {"session": cookie(other, "session"), "remember_token": cookie(other, "remember_token")}
    this = login(app, remember=True)
    response = change(this)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert in_dashboard(this)
    # The remember cookie re-issued to this browser works on its own.
    assert replay(app, remember_token=cookie(this, "remember_token"))
    assert not in_dashboard(other)
    assert not replay(app, session=stolen["session"])
    assert not replay(app, remember_token=stolen["remember_token"])
    assert password_works(app, NEW) and not password_works(app, DEFAULT_PASSWORD)


@pytest.mark.parametrize(("current", "new", "repeat", "message"), [
    ("wrong-password-here", NEW, None, "This is not your current password."),
    (DEFAULT_PASSWORD, "short-one", None, "Password must have at least 12 characters."),
    (DEFAULT_PASSWORD, "my-anna@example.com-pw", None,
     "Password must not contain the e-mail address."),
    (DEFAULT_PASSWORD, NEW, NEW + "x", "The two new passwords differ."),
    (DEFAULT_PASSWORD, "", "", "Choose a new password."),
])
def test_a_refused_change_says_why_and_changes_nothing(app, role, current, new, repeat, message):
    client = login(app)
    other = login(app)
    response = change(client, current, new, repeat)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert password_works(app, DEFAULT_PASSWORD)
    assert in_dashboard(other)


def test_a_change_without_csrf_token_is_refused(app, role):
    client = login(app)
    response = client.post("/account/password", data={"current": DEFAULT_PASSWORD, "new": NEW,
                                                       "repeat": NEW})
    assert response.status_code == 400
    assert password_works(app, DEFAULT_PASSWORD)


def test_log_out_everywhere_ends_every_login(app, role):
    phone, tablet = login(app), login(app, remember=True)
    remembered = cookie(tablet, "remember_token")
    assert phone.post_form("/logout-everywhere").status_code == 302
    assert not in_dashboard(phone) and not in_dashboard(tablet)
    assert not replay(app, remember_token=remembered)


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
