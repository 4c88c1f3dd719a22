"""The flask commands an operator runs: create-owner and demo."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from tests.factories import make_restaurant
from webapp.auth.passwords import authenticate
from webapp.demo import DEMO_EMAIL, DEMO_PASSWORD
from webapp.models import (
    DiningTable,
    Membership,
    OpeningHours,
    Reservation,
    Restaurant,
    TableCombination,
    User,
)


def flask_command(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_create_owner_creates_then_updates(app, session):
    restaurant = make_restaurant(session, slug="da-mario")
    first = flask_command(app, "create-owner", "--email", "Mario@Example.com",
                          "--password", "first-password", "--restaurant", "da-mario")
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Created owner mario@example.com for restaurant da-mario"

    second = flask_command(app, "create-owner", "--email", "mario@example.com",
                           "--password", "second-password", "--restaurant", "da-mario")
    assert second.exit_code == 0, second.output
    assert second.output.startswith("Updated owner mario@example.com")

    session.expire_all()
    assert count(session, User) == 1
    user = session.scalar(select(User))
    assert [(m.restaurant_id, m.role) for m in session.scalars(select(Membership))] == \
        [(restaurant.id, "owner")]
    assert authenticate(session, "mario@example.com", "second-password") == user
    assert authenticate(session, "mario@example.com", "first-password") is None


def test_create_owner_without_restaurant(app, session):
    result = flask_command(app, "create-owner", "--email", "solo@example.com",
                           "--password", "long-enough-pw", "--role", "staff")
    assert result.exit_code == 0, result.output
    assert count(session, User) == 1
    assert count(session, Membership) == 0


def test_create_owner_unknown_restaurant_is_a_clean_error(app, session):
    result = flask_command(app, "create-owner", "--email", "a@example.com",
                           "--password", "long-enough-pw", "--restaurant", "nowhere")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no restaurant with slug 'nowhere'"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert count(session, User) == 0


def test_create_owner_short_password_is_a_clean_error(app, session):
    result = flask_command(app, "create-owner", "--email", "a@example.com", "--password", "short")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: password must have at least 12 characters"
    assert count(session, User) == 0


def test_create_owner_refuses_a_password_containing_the_e_mail(app, session):
    result = flask_command(app, "create-owner", "--email", "Anna@Example.com",
                           "--password", "anna@example.com-2026")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: password must not contain the e-mail address"
    assert count(session, User) == 0


def test_demo_is_idempotent_and_prints_the_login(app, session):
    models = (Restaurant, DiningTable, OpeningHours, Reservation, User, Membership,
              TableCombination)
    first = flask_command(app, "demo")
    assert first.exit_code == 0, first.output
    assert f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in first.output
    assert "Created demo restaurant" in first.output
    counts = {model.__name__: count(session, model) for model in models}
    assert counts["Restaurant"] == 1 and counts["DiningTable"] == 6 and counts["Reservation"] >= 1
    # Two pairs of neighbouring tables may be joined, named and sized by the defaults.
    assert sorted(session.execute(select(TableCombination.name, TableCombination.min_party,
                                         TableCombination.max_party)).tuples()) == [
        ("Monaco + Roma", 3, 4), ("Napoli + Milano", 5, 8)]

    second = flask_command(app, "demo")
    assert second.exit_code == 0, second.output
    assert "Found demo restaurant" in second.output
    assert f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in second.output
    session.expire_all()
    assert {model.__name__: count(session, model) for model in models} == counts
    assert authenticate(session, DEMO_EMAIL, DEMO_PASSWORD) is not None


# --------------------------------------------------------------------------- create-restaurant


def test_create_restaurant_makes_a_published_restaurant_once(app, session):
    args = ("create-restaurant", "--slug", "chez-marie", "--name", "Chez Marie",
            "--timezone", "Europe/Paris")
    first = flask_command(app, *args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Created restaurant 'Chez Marie' at /r/chez-marie"
    restaurant = session.scalar(select(Restaurant).where(Restaurant.slug == "chez-marie"))
    assert (restaurant.name, restaurant.timezone, restaurant.country) == \
        ("Chez Marie", "Europe/Paris", "FR")
    # Made by the operator: guests can book at once, no onboarding offered.
    assert restaurant.published_at is not None and restaurant.onboarded_at is not None

    again = flask_command(app, *args)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "Found restaurant 'Chez Marie' at /r/chez-marie"
    assert count(session, Restaurant) == 1
    assert count(session, Membership) == 0
    assert app.test_client().get("/r/chez-marie").status_code == 200


def test_create_restaurant_refuses_a_bad_slug_with_one_line(app, session):
    for slug, message in (
            ("chez marie", "Use lower-case letters, digits and single dashes, e.g. chez-marie."),
            ("a", "The address needs 2 to 64 characters."),
            ("admin", "This address is reserved; choose another."),
            ("2024", "The address needs at least one letter.")):
        result = flask_command(app, "create-restaurant", "--slug", slug, "--name", "X",
                               "--timezone", "Europe/Berlin")
        assert result.exit_code == 1, (slug, result.output)
        assert result.output == f"Error: {message}\n", slug
    assert count(session, Restaurant) == 0


def test_create_restaurant_refuses_an_unknown_zone_with_one_line(app, session):
    result = flask_command(app, "create-restaurant", "--slug", "bistro", "--name", "Bistro",
                           "--timezone", "Mars/Olympus_Mons")
    assert result.exit_code == 1
    assert result.output == ("Error: Unknown time zone 'Mars/Olympus_Mons': give an IANA name "
                             "such as Europe/Berlin.\n")
    assert count(session, Restaurant) == 0


def test_create_restaurant_with_a_new_owner_makes_the_account(app, session):
    result = flask_command(app, "create-restaurant", "--slug", "bistro", "--name", "Bistro",
                           "--timezone", "Europe/Berlin", "--owner", "Anna@Example.com")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created restaurant 'Bistro' at /r/bistro",
        "Owner: anna@example.com (new account: set its password with 'Forgot password?' on "
        "/login)"]
    user = session.scalar(select(User).where(User.email == "anna@example.com"))
    assert user is not None and user.email_verified_at is not None  # the operator vouches
    assert [(m.user_id, m.role) for m in session.scalars(select(Membership))] == \
        [(user.id, "owner")]
    # Nobody knows its password yet: a reset link is the way in.
    assert client_forgot(app, "anna@example.com") == 303


def client_forgot(app: Flask, email: str) -> int:
    client = app.test_client()
    return client.post_form("/forgot", {"email": email}).status_code


def test_create_restaurant_with_an_existing_owner_adds_the_restaurant(app, session):
    other = make_restaurant(session, slug="first-place")
    flask_command(app, "create-owner", "--email", "mario@example.com",
                  "--password", "first-password", "--restaurant", "first-place")
    result = flask_command(app, "create-restaurant", "--slug", "second-place",
                           "--name", "Second Place", "--timezone", "Europe/Rome",
                           "--owner", "mario@example.com")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["Created restaurant 'Second Place' at /r/second-place",
                                          "Owner: mario@example.com"]
    session.expire_all()
    assert count(session, User) == 1
    second = session.scalar(select(Restaurant).where(Restaurant.slug == "second-place"))
    assert sorted((m.restaurant_id, m.role) for m in session.scalars(select(Membership))) == \
        sorted([(other.id, "owner"), (second.id, "owner")])
    assert authenticate(session, "mario@example.com", "first-password") is not None

    again = flask_command(app, "create-restaurant", "--slug", "second-place",
                          "--name", "Second Place", "--timezone", "Europe/Rome",
                          "--owner", "mario@example.com")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[0] == "Found restaurant 'Second Place' at /r/second-place"
    assert count(session, Membership) == 2 and count(session, Restaurant) == 2


def test_create_restaurant_refuses_a_bad_owner_address(app, session):
    result = flask_command(app, "create-restaurant", "--slug", "bistro", "--name", "Bistro",
                           "--timezone", "Europe/Berlin", "--owner", "not-an-address")
    assert result.exit_code == 1
    assert result.output == "Error: not an e-mail address: 'not-an-address'\n"
    assert count(session, User) == 0


def test_demo_still_works_next_to_a_created_restaurant(app, session):
    made = flask_command(app, "create-restaurant", "--slug", "bistro", "--name", "Bistro",
                         "--timezone", "Europe/Berlin")
    assert made.exit_code == 0, made.output
    demo = flask_command(app, "demo")
    assert demo.exit_code == 0, demo.output
    assert f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in demo.output
    assert count(session, Restaurant) == 2
    client = app.test_client()
    client.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert client.get("/r/demo").status_code == 200
