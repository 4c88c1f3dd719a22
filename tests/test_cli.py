"""The flask commands an operator runs: create-owner and demo."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from tests.factories import make_restaurant
from webapp.auth.passwords import authenticate
from webapp.demo import DEMO_EMAIL, DEMO_PASSWORD
from webapp.models import DiningTable, Membership, OpeningHours, Reservation, Restaurant, User


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
    models = (Restaurant, DiningTable, OpeningHours, Reservation, User, Membership)
    first = flask_command(app, "demo")
    assert first.exit_code == 0, first.output
    assert f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in first.output
    assert "Created demo restaurant" in first.output
    counts = {model.__name__: count(session, model) for model in models}
    assert counts["Restaurant"] == 1 and counts["DiningTable"] == 6 and counts["Reservation"] >= 1

    second = flask_command(app, "demo")
    assert second.exit_code == 0, second.output
    assert "Found demo restaurant" in second.output
    assert f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in second.output
    session.expire_all()
    assert {model.__name__: count(session, model) for model in models} == counts
    assert authenticate(session, DEMO_EMAIL, DEMO_PASSWORD) is not None
