"""Sign-up (/signup), verifying the address (/a/verify/<token>) and the publishing rule:
a restaurant made at sign-up takes no guest bookings until its owner's address is
verified and the page is published."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import empty_all_tables
from tests.factories import make_owner, make_restaurant
from webapp import clock
from webapp.booking.operations import accounts
from webapp.extensions import db
from webapp.models import AccountLink, Membership, OutboxEmail, Restaurant, User
from webapp.settings import ConfigError, load_settings


def unpublished(session, slug: str) -> Restaurant:
    restaurant = make_restaurant(session, slug=slug)
    restaurant.published_at = None
    session.commit()
    return restaurant


def test_publishing_needs_a_verified_owner(session):
    restaurant = unpublished(session, "chez-new")
    owner = make_owner(session, restaurant, "new@example.com")
    owner.email_verified_at = None
    session.commit()

    assert not accounts.can_publish(restaurant, owner)
    with pytest.raises(accounts.PublishRefused) as refused:
        accounts.publish(session, restaurant, owner)
    assert refused.value.message == "Verify your e-mail address first: we sent you a link."
    session.expire_all()
    assert session.scalar(select(Restaurant.published_at).where(Restaurant.slug == "chez-new")) \
        is None

    owner.email_verified_at = owner.created_at
    session.commit()
    assert accounts.can_publish(restaurant, owner)
    accounts.publish(session, restaurant, owner)
    session.expire_all()
    published = session.scalar(select(Restaurant.published_at)
                               .where(Restaurant.slug == "chez-new"))
    assert published is not None
    accounts.publish(session, restaurant, owner)  # again: nothing changes
    session.expire_all()
    assert session.scalar(select(Restaurant.published_at)
                          .where(Restaurant.slug == "chez-new")) == published


def test_only_an_owner_publishes(session):
    restaurant = unpublished(session, "chez-staff")
    staff = make_owner(session, restaurant, "staff@example.com", role="staff")
    stranger = make_owner(session, None, "stranger@example.com")
    for user in (staff, stranger):
        assert accounts.publish_problem(restaurant, user) == accounts.NOT_AN_OWNER
        with pytest.raises(accounts.PublishRefused):
            accounts.publish(session, restaurant, user)


# --------------------------------------------------------------------------- helpers
#
# The pages are requested outside any app context of the test's own (as in
# test_sessions): Flask-Login keeps the request's user in ``g``, which a shared app
# context would carry from one client's request to the next. Reads go through ``db_of``.


VERIFY_PATH = re.compile(r"/a/verify/[A-Za-z0-9_\-]+")
STRONG = "a-long-enough-password"


@pytest.fixture
def site(app: Flask) -> Flask:
    empty_all_tables(app)
    return app


@contextmanager
def db_of(app: Flask) -> Iterator[Session]:
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def outbox(app: Flask) -> list[OutboxEmail]:
    with db_of(app) as session:
        rows = list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
        session.expunge_all()
        return rows


def user(app: Flask, email: str) -> User | None:
    with db_of(app) as session:
        found = session.scalar(select(User).where(User.email == email))
        session.expunge_all()
        return found


def restaurants(app: Flask) -> list[Restaurant]:
    with db_of(app) as session:
        rows = list(session.scalars(select(Restaurant).order_by(Restaurant.id)))
        session.expunge_all()
        return rows


def counted(app: Flask, model) -> int:
    with db_of(app) as session:
        return session.scalar(select(func.count()).select_from(model))


def verify_path(email: OutboxEmail) -> str:
    match = VERIFY_PATH.search(email.body_text)
    assert match, email.body_text
    return match.group(0)


def sign_up(client, email="marie@example.com", password=STRONG, name="Chez Marie", **extra):
    response = client.post_form("/signup", {"email": email, "password": password,
                                            "restaurant_name": name, **extra})
    client._csrf = None  # a sign-up logs in, which gives the session a new CSRF token
    return response


def from_address(app: Flask, address: str):
    """A client whose requests come from ``address`` (the rate limits' key)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_up(app: Flask, **fields):
    """A client that has just signed up, the restaurant made and the verification link."""
    client = app.test_client()
    assert sign_up(client, **fields).status_code == 303
    return client, restaurants(app)[-1], verify_path(outbox(app)[-1])


# --------------------------------------------------------------------------- sign-up


def test_signup_is_linked_from_the_start_page_and_the_login(site):
    client = site.test_client()
    for page in ("/", "/login"):
        assert 'href="/signup"' in client.get(page).get_data(as_text=True), page
    page = client.get("/signup")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="restaurant_name"' in text and 'autocomplete="new-password"' in text


def test_signup_makes_an_unverified_owner_an_unpublished_restaurant_and_one_email(site):
    client = site.test_client()
    response = sign_up(client, email="Marie@Example.com", timezone="Europe/Paris")
    assert response.status_code == 303
    assert response.headers["Location"] == "/owner/"

    owner = user(site, "marie@example.com")
    assert owner is not None and owner.email_verified_at is None
    assert owner.password_hash != STRONG
    [restaurant] = restaurants(site)
    assert (restaurant.name, restaurant.slug, restaurant.timezone) == \
        ("Chez Marie", "chez-marie", "Europe/Paris")
    assert restaurant.published_at is None and restaurant.onboarded_at is None
    with db_of(site) as session:
        assert [(m.user_id, m.role) for m in session.scalars(select(Membership))] == \
            [(owner.id, "owner")]
        [link] = session.scalars(select(AccountLink))
        assert (link.purpose, link.user_id, link.used_at) == ("verify_email", owner.id, None)
    [email] = outbox(site)
    assert (email.kind, email.to_address, email.reservation_id) == \
        ("verify_email", "marie@example.com", None)
    assert site.config["PUBLIC_BASE_URL"].rstrip("/") + verify_path(email) in email.body_text

    # Logged in at once, with the banner on every dashboard page until verified.
    page = client.get(f"/owner/{restaurant.slug}/settings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Please confirm your e-mail address" in text
    assert "Check your inbox: we sent an e-mail to marie@example.com" in text


def test_signup_slug_comes_from_the_name_and_avoids_taken_ones(site):
    with db_of(site) as session:
        make_restaurant(session, slug="chez-marie")
    assert sign_up(site.test_client()).status_code == 303
    assert [r.slug for r in restaurants(site)] == ["chez-marie", "chez-marie-2"]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "x" * 500, ""])
def test_signup_without_a_known_zone_starts_in_utc(site, zone):
    assert sign_up(site.test_client(), timezone=zone).status_code == 303
    assert [r.timezone for r in restaurants(site)] == ["UTC"]


@pytest.mark.parametrize(("password", "message"), [
    ("short-pw", "Password must have at least 12 characters."),
    ("marie@example.com-2030", "Password must not contain the e-mail address."),
])
def test_signup_refuses_a_weak_password_and_makes_nothing(site, password, message):
    response = sign_up(site.test_client(), password=password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counted(site, User) == counted(site, Restaurant) == counted(site, OutboxEmail) == 0


def test_signup_refuses_missing_fields_and_a_bad_address(site):
    response = sign_up(site.test_client(), email="not-an-address", name="")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Give an e-mail address such as name@example.com." in text
    assert "Give the restaurant&#39;s name." in text
    assert counted(site, User) == 0


def test_signup_without_csrf_token_is_refused(site):
    response = site.test_client().post("/signup", data={
        "email": "marie@example.com", "password": STRONG, "restaurant_name": "Chez Marie"})
    assert response.status_code == 400
    assert counted(site, User) == 0


def test_signup_for_a_known_address_reveals_nothing_and_mails_a_note(site):
    with db_of(site) as session:
        make_owner(session, None, "known@example.com")
    known_hash = user(site, "known@example.com").password_hash
    newcomer, someone = site.test_client(), site.test_client()
    fresh = sign_up(newcomer, email="new@example.com")
    known = sign_up(someone, email="Known@Example.com")

    # The same answer: status, where it leads, the message shown, the body.
    assert (known.status_code, known.headers["Location"]) == \
        (fresh.status_code, fresh.headers["Location"]) == (303, "/owner/")
    assert known.get_data() == fresh.get_data()
    with someone.session_transaction() as cookie:
        known_flash = cookie["_flashes"]
    with newcomer.session_transaction() as cookie:
        fresh_flash = cookie["_flashes"]
    assert [m.replace("known@", "@") for _c, m in known_flash] == \
        [m.replace("new@", "@") for _c, m in fresh_flash]

    # Nothing made or changed for the known address; a note went to it instead.
    assert user(site, "known@example.com").password_hash == known_hash
    assert counted(site, User) == 2 and counted(site, Restaurant) == 1
    note = [e for e in outbox(site) if e.to_address == "known@example.com"]
    assert [e.kind for e in note] == ["signup_existing"]
    assert "/login" in note[0].body_text and "/forgot" in note[0].body_text
    assert "/a/" not in note[0].body_text
    assert someone.get("/owner/").status_code == 302  # not logged in to the known account
    assert newcomer.get("/owner/", follow_redirects=True).status_code == 200


@pytest.mark.parametrize("mode", ["closed", "invite"])
def test_signup_refused_unless_open(make_app, site, mode):
    client = make_app(SIGNUP=mode).test_client()
    page = client.get("/signup").get_data(as_text=True)
    assert ("by invitation only" if mode == "invite" else "Sign-up on this site is closed") in page
    assert 'name="password"' not in page
    assert 'href="/signup"' not in client.get("/login").get_data(as_text=True)
    assert 'href="/signup"' not in client.get("/").get_data(as_text=True)
    assert sign_up(client).status_code == 403
    assert counted(site, User) == counted(site, OutboxEmail) == 0


def test_signup_setting_is_checked(tmp_path):
    assert load_settings({"BOOKING_ENV": "testing"}, str(tmp_path))["SIGNUP"] == "open"
    assert load_settings({"BOOKING_ENV": "testing", "SIGNUP": "Invite"},
                         str(tmp_path))["SIGNUP"] == "invite"
    with pytest.raises(ConfigError, match="SIGNUP must be one of open, invite, closed"):
        load_settings({"BOOKING_ENV": "testing", "SIGNUP": "maybe"}, str(tmp_path))


def test_signup_is_rate_limited_per_address_and_per_connection(make_app, site):
    limited = make_app(RATELIMIT_ENABLED=True)
    try:
        # One address from five connections, then a sixth: refused.
        statuses = [sign_up(from_address(limited, f"10.0.0.{i}"), email="target@example.com",
                            password="short").status_code for i in range(6)]
        assert statuses == [422] * 5 + [429]
        # Other addresses from one connection: five, then refused.
        client = from_address(limited, "10.0.1.1")
        statuses = [sign_up(client, email=f"guess{i}@example.com", password="short").status_code
                    for i in range(6)]
        assert statuses == [422] * 5 + [429]
        page = sign_up(client, email="other@example.com").get_data(as_text=True)
        assert "Too many sign-ups" in page
        assert client.get("/signup").status_code == 200  # reading is not limited
    finally:
        make_app()
    assert counted(site, User) == 0


# --------------------------------------------------------------------------- verification


def test_verification_link_shows_a_button_then_verifies(site):
    client, restaurant, path = signed_up(site)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "Confirm marie@example.com" in page.get_data(as_text=True)
    assert user(site, "marie@example.com").email_verified_at is None  # GET changes nothing

    response = client.post_form(path)
    assert response.status_code == 303 and response.headers["Location"] == "/owner/"
    assert user(site, "marie@example.com").email_verified_at == clock.now()
    settings = client.get(f"/owner/{restaurant.slug}/settings").get_data(as_text=True)
    assert "Please confirm your e-mail address" not in settings
    assert "marie@example.com is confirmed" in settings


def test_verification_works_logged_out_and_leads_to_the_login(site):
    _client, _restaurant, path = signed_up(site)
    response = site.test_client().post_form(path)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert user(site, "marie@example.com").email_verified_at is not None


def test_verification_link_used_twice_is_410(site):
    client, _restaurant, path = signed_up(site)
    assert client.post_form(path).status_code == 303
    for again in (client.get(path), client.post_form(path)):
        assert again.status_code == 410
        assert "This link was already used." in again.get_data(as_text=True)


def test_verification_link_expires_after_three_days(site, clock):
    client, _restaurant, path = signed_up(site)
    clock.advance(days=3)
    page = client.get(path)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "This link has expired. Ask for a new one." in text
    assert 'action="/account/verify/resend"' in text  # the way to a new one
    assert client.post_form(path).status_code == 410
    assert user(site, "marie@example.com").email_verified_at is None


def test_unknown_verification_link_is_404(site):
    client = site.test_client()
    for path in ("/a/verify/not-a-real-token", "/a/verify/" + "x" * 300):
        page = client.get(path)
        assert page.status_code == 404
        text = page.get_data(as_text=True)
        assert "This link is not valid." in text and 'href="/login"' in text
    assert client.post_form("/a/verify/not-a-real-token").status_code == 404


def test_resend_gives_a_new_link_and_the_old_one_stops(site):
    client, restaurant, first = signed_up(site)
    response = client.post_form("/account/verify/resend",
                                {"next": f"/owner/{restaurant.slug}/settings"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/owner/{restaurant.slug}/settings"
    emails = outbox(site)
    assert [e.kind for e in emails] == ["verify_email", "verify_email"]
    second = verify_path(emails[-1])
    assert second != first
    replaced = client.get(first)
    assert replaced.status_code == 410
    assert "replaced by a newer one" in replaced.get_data(as_text=True)
    assert client.post_form(second).status_code == 303
    assert user(site, "marie@example.com").email_verified_at is not None
    # Verified: asking again sends nothing, and an offsite next is not followed.
    again = client.post_form("/account/verify/resend", {"next": "https://evil.example/"})
    assert again.headers["Location"] == "/owner/"
    assert len(outbox(site)) == 2


def test_resend_needs_a_login_and_csrf(site):
    client, _restaurant, _path = signed_up(site)
    stranger = site.test_client()
    assert stranger.post_form("/account/verify/resend").status_code == 302  # to the login
    assert client.post("/account/verify/resend", data={}).status_code == 400
    assert len(outbox(site)) == 1


# --------------------------------------------------------------------------- publishing


def test_guest_page_is_404_until_verified_and_published(site):
    client, restaurant, path = signed_up(site)
    slug = restaurant.slug
    guest = site.test_client()

    def closed() -> bool:
        page = guest.get(f"/r/{slug}")
        api = guest.get(f"/api/v1/restaurants/{slug}")
        times = guest.get(f"/api/v1/restaurants/{slug}/availability?date=2030-06-20&party_size=2")
        book = guest.post_form(f"/r/{slug}/book", {"date": "2030-06-20", "party_size": "2"})
        statuses = {page.status_code, api.status_code, times.status_code, book.status_code}
        if statuses == {404}:
            assert "This restaurant is not taking bookings online yet." in \
                page.get_data(as_text=True)
            assert api.json["detail"] == "This restaurant is not taking bookings online yet."
            return True
        assert page.status_code == 200 and api.status_code == 200, statuses
        return False

    def publish() -> None:
        with db_of(site) as session:
            owner = session.scalar(select(User).where(User.email == "marie@example.com"))
            accounts.publish(session, session.get(Restaurant, restaurant.id), owner)

    assert closed()
    with pytest.raises(accounts.PublishRefused, match="Verify your e-mail address first"):
        publish()
    assert closed()
    assert client.post_form(path).status_code == 303  # verified
    assert closed()  # but not published yet
    publish()
    assert not closed()


def test_unpublished_restaurant_is_still_its_owners_to_set_up(site):
    client, restaurant, _path = signed_up(site)
    assert client.get(f"/owner/{restaurant.slug}/tables").status_code == 200


def test_resend_is_rate_limited_per_account(make_app, site):
    limited = make_app(RATELIMIT_ENABLED=True)
    try:
        client = limited.test_client()
        assert sign_up(client).status_code == 303
        statuses = [client.post_form("/account/verify/resend", {"next": "/owner/"}).status_code
                    for _ in range(6)]
        assert statuses == [303] * 5 + [429]
        assert len(outbox(site)) == 6  # the sign-up's and five more
        # Logged out, the limit is counted by address and the login is asked for.
        assert limited.test_client().post_form("/account/verify/resend").status_code == 302
    finally:
        make_app()


def test_signup_while_logged_in_leads_to_the_dashboard(site):
    client, _restaurant, _path = signed_up(site)
    response = client.get("/signup")
    assert response.status_code == 302 and response.headers["Location"] == "/owner/"
    assert sign_up(client, email="second@example.com").status_code == 302
    assert counted(site, User) == 1
