"""Each owner use case through both doors: the dashboard's form posts and the JSON API.

``door`` is parametrized ("page", "api") on top of the two database backends; a test
drives one use case through it and asserts what is stored, which e-mails were queued
and what a refusal says, so the same assertions hold for both doors.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, make_owner, make_restaurant
from webapp.auth.tokens import create_token
from webapp.models import OutboxEmail, Reservation

SLUG = "bistro"
API = f"/api/v1/restaurants/{SLUG}"
PAGE = f"/owner/{SLUG}"


@pytest.fixture
def restaurant(session):
    """Lunch 12-15 and a late service 18:00-02:30 every day (a 00:30 stay belongs to the
    evening it opened), turn time 90 minutes, three tables."""
    hours = [(d, dt.time(12), dt.time(15), "Lunch") for d in range(7)] + \
            [(d, dt.time(18), dt.time(2, 30), "Late") for d in range(7)]
    return make_restaurant(session, slug=SLUG, name="Bistro", default_turn_minutes=90,
                           tables=[("T2", 2), ("T4", 4), ("T6", 6)], hours=hours)


@pytest.fixture
def day() -> dt.date:
    return future_day(7)


def table_id(restaurant, name: str) -> int:
    return next(t.id for t in restaurant.tables if t.name == name)


@dataclass
class Answer:
    status: int
    reservation_id: int | None = None
    text: str = ""  # the refusal as the door shows it (page: unescaped HTML; API: detail)
    body: Any = None


def _flag(value: bool) -> dict[str, str]:
    return {"notify_guest": "y"} if value else {}


class PageDoor:
    name = "page"

    def __init__(self, client, session, restaurant):
        make_owner(session, restaurant, "owner@example.com")
        client.login("owner@example.com", DEFAULT_PASSWORD)
        self.client = client

    def _answer(self, response, success: int = 303) -> Answer:
        if response.status_code == success:
            match = re.search(r"/reservations/(\d+)", response.headers.get("Location", ""))
            return Answer(response.status_code, int(match[1]) if match else None)
        return Answer(response.status_code, text=html.unescape(response.get_data(as_text=True)))

    def book(self, notify: bool = True, **fields: Any) -> Answer:
        data = {"source": "phone", **{k: str(v) for k, v in fields.items()}, **_flag(notify)}
        return self._answer(self.client.post_form(f"{PAGE}/reservations/new", data))

    def edit(self, rid: int, notify: bool = True, **fields: Any) -> Answer:
        data = {k: str(v) for k, v in fields.items()} | _flag(notify)
        return self._answer(self.client.post_form(f"{PAGE}/reservations/{rid}/edit", data))

    def move(self, rid: int, notify: bool = True, **fields: Any) -> Answer:
        data = {k: str(v) for k, v in fields.items()} | _flag(notify)
        return self._answer(self.client.post_form(f"{PAGE}/reservations/{rid}/move", data))

    def set_status(self, rid: int, status: str, version: int, notify: bool = True,
                   off_day: bool = False, confirm: bool = True) -> Answer:
        # confirm: the second post of Cancel / No-show (the first only asks).
        data = {"status": status, "version": str(version)} | _flag(notify)
        data |= {"confirm": "y"} if confirm else {}
        data |= {"allow_off_day": "y"} if off_day else {}
        return self._answer(self.client.post_form(f"{PAGE}/reservations/{rid}/status", data))

    def search(self, **params: Any) -> list[int]:
        page = self.client.get(f"{PAGE}/reservations", query_string=params)
        assert page.status_code == 200, page.status_code
        return [int(x) for x in re.findall(rf"{PAGE}/reservations/(\d+)\"",
                                           page.get_data(as_text=True))]

    def move_form_values(self, rid: int) -> dict[str, str]:
        """What the reservation's move form shows (what "Move" sends unchanged)."""
        page = self.client.get(f"{PAGE}/reservations/{rid}").get_data(as_text=True)
        form = page[page.index("/move\""):]
        values = dict(re.findall(r'name="(date|time|party_size|duration_minutes|version)"'
                                 r'[^>]*value="([^"]*)"', form))
        values["table"] = re.search(r'name="table".*?<option value="(\d+)" selected', form,
                                    re.S)[1]
        return values


class ApiDoor:
    name = "api"

    def __init__(self, client, session, restaurant):
        _, clear = create_token(session, restaurant.id, "doors")
        session.commit()
        self.client = client
        self.auth = {"Authorization": f"Bearer {clear}"}

    def _answer(self, response, success: int = 200) -> Answer:
        body = response.get_json()
        if response.status_code == success:
            return Answer(response.status_code, body["id"], body=body)
        return Answer(response.status_code, text=body["detail"], body=body)

    def book(self, notify: bool = True, **fields: Any) -> Answer:
        body = {"source": "phone", **fields, "notify_guest": notify}
        return self._answer(self.client.post(f"{API}/reservations", json=body,
                                             headers=self.auth), 201)

    def edit(self, rid: int, notify: bool = True, **fields: Any) -> Answer:
        return self._answer(self.client.patch(f"{API}/reservations/{rid}", headers=self.auth,
                                              json={**fields, "notify_guest": notify}))

    def move(self, rid: int, notify: bool = True, **fields: Any) -> Answer:
        return self._answer(self.client.post(f"{API}/reservations/{rid}/move", headers=self.auth,
                                             json={**fields, "notify_guest": notify}))

    def set_status(self, rid: int, status: str, version: int, notify: bool = True,
                   off_day: bool = False, confirm: bool = True) -> Answer:
        return self._answer(self.client.post(
            f"{API}/reservations/{rid}/status", headers=self.auth,
            json={"status": status, "version": version, "notify_guest": notify,
                  "allow_off_day": off_day}))

    def search(self, **params: Any) -> list[int]:
        response = self.client.get(f"{API}/reservations", query_string=params, headers=self.auth)
        assert response.status_code == 200, response.get_json()
        return [r["id"] for r in response.get_json()["reservations"]]

    def get(self, rid: int) -> dict[str, Any]:
        return self.client.get(f"{API}/reservations/{rid}", headers=self.auth).get_json()


@pytest.fixture(params=["page", "api"])
def door(request, client, session, restaurant):
    return (PageDoor if request.param == "page" else ApiDoor)(client, session, restaurant)


def stored(session, reservation_id: int) -> Reservation:
    session.expire_all()
    return session.get(Reservation, reservation_id)


def emails(session, reservation_id: int | None = None) -> list[tuple[str, str]]:
    """(kind, to) of the queued e-mails, oldest first."""
    session.expire_all()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if reservation_id is not None:
        query = query.where(OutboxEmail.reservation_id == reservation_id)
    return [(row.kind, row.to_address) for row in session.scalars(query)]
