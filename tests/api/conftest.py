"""Fixtures for the API tests: a restaurant, its owner's API token, JSON helpers.

The live-server fixtures are imported from tests/browser for the docs-page browser test
(which drives its own Chromium: see test_docs_browser.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import (  # noqa: F401  (fixtures for the docs-page browser test)
    live_server,
    live_servers,
    screenshot,
)
from tests.factories import future_day, make_restaurant
from webapp.auth.tokens import create_token

API = "/api/v1"


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, slug="trattoria", name="Trattoria",
                           tables=[("T2", 2), ("T4", 4), ("T6", 6)],
                           phone="+49 30 1234567", email="ciao@trattoria.example")


@pytest.fixture
def token(session, restaurant) -> str:
    _, clear = create_token(session, restaurant.id, "tests")
    session.commit()
    return clear


@pytest.fixture
def auth(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def other_restaurant(session):
    return make_restaurant(session, slug="elsewhere", name="Elsewhere", tables=[("X1", 4)])


@pytest.fixture
def other_auth(session, other_restaurant) -> dict[str, str]:
    _, clear = create_token(session, other_restaurant.id, "other")
    session.commit()
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def day() -> dt.date:
    return future_day(7)


def booking(day: dt.date, time: str = "19:00", party_size: int = 2, **extra) -> dict:
    body = {"date": day.isoformat(), "time": time, "party_size": party_size,
            "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
    body.update(extra)
    return body


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["detail"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body
