"""The set-up use cases through both doors: the dashboard's form posts and the API.

Each test runs once per door (``door`` is parametrized page / API, on top of the two
database backends) and sends the same input through it: the stored rows and the
refusal messages must be the same, because both doors call the same operation in
``webapp.booking.operations.setup``. The stored rows are compared with one expected
value, so the page and the API cannot both drift without the test seeing it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, insert, select

from tests.factories import DEFAULT_PASSWORD, future_day, make_owner, make_restaurant
from webapp.auth.tokens import create_token
from webapp.booking.operations import setup as ops
from webapp.booking.setup import restaurant_setup
from webapp.extensions import db
from webapp.models import DiningTable, OpeningHours, Restaurant, SpecialDay

SLUG = "door-test"


@dataclass
class Outcome:
    """What a door answered: done, or refused with messages per field."""

    done: bool
    errors: dict[str, list[str]] = field(default_factory=dict)


_FIELD_ERROR = re.compile(r'<small id="([\w-]+)-error" class="field-error">(.*?)</small>', re.S)


class PageDoor:
    """The dashboard: form posts with the CSRF token, a 303 when saved, 422 with the
    messages next to their fields when refused."""

    name = "page"

    def __init__(self, client, slug: str) -> None:
        self.client, self.base = client, f"/owner/{slug}"

    def _post(self, path: str, values: dict[str, str] | None = None) -> Outcome:
        response = self.client.post_form(self.base + path, values or {})
        if response.status_code == 303:
            return Outcome(True)
        assert response.status_code == 422, (response.status_code, response.get_data()[:300])
        errors: dict[str, list[str]] = {}
        for name, message in _FIELD_ERROR.findall(response.get_data(as_text=True)):
            errors.setdefault(name, []).append(html.unescape(message))
        return Outcome(False, errors)

    def change_settings(self, values):
        return self._post("/settings", values)

    def add_table(self, values):
        return self._post("/tables", values)

    def change_table(self, table_id, values):
        return self._post(f"/tables/{table_id}", values)

    def activate_table(self, table_id):
        return self._post(f"/tables/{table_id}/activate")

    def add_hours(self, values):
        return self._post("/hours", values)

    def change_hours(self, hours_id, values):
        return self._post(f"/hours/{hours_id}", values)

    def remove_hours(self, hours_id):
        return self._post(f"/hours/{hours_id}/delete")

    def add_special_day(self, values):
        return self._post("/special-days", values)

    def change_special_day(self, special_id, values):
        return self._post(f"/special-days/{special_id}", values)

    def remove_special_day(self, special_id):
        return self._post(f"/special-days/{special_id}/delete")


class ApiDoor:
    """The API with the owner's token, the same values sent form-encoded."""

    name = "api"

    def __init__(self, client, slug: str, auth: dict[str, str]) -> None:
        self.client, self.base, self.auth = client, f"/api/v1/restaurants/{slug}", auth

    def _send(self, method: str, path: str, values: dict[str, str] | None = None) -> Outcome:
        response = self.client.open(self.base + path, method=method, headers=self.auth,
                                    data=values or None)
        if response.status_code in (200, 201, 204):
            return Outcome(True)
        assert response.status_code == 422, (response.status_code, response.get_data()[:300])
        return Outcome(False, response.json.get("errors", {}))

    def change_settings(self, values):
        return self._send("PATCH", "/settings", values)

    def add_table(self, values):
        return self._send("POST", "/tables", values)

    def change_table(self, table_id, values):
        return self._send("PATCH", f"/tables/{table_id}", values)

    def activate_table(self, table_id):
        return self._send("PATCH", f"/tables/{table_id}", {"active": "y"})

    def add_hours(self, values):
        return self._send("POST", "/opening-hours", values)

    def change_hours(self, hours_id, values):
        return self._send("PATCH", f"/opening-hours/{hours_id}", values)

    def remove_hours(self, hours_id):
        return self._send("DELETE", f"/opening-hours/{hours_id}")

    def add_special_day(self, values):
        return self._send("POST", "/special-days", values)

    def change_special_day(self, special_id, values):
        return self._send("PATCH", f"/special-days/{special_id}", values)

    def remove_special_day(self, special_id):
        return self._send("DELETE", f"/special-days/{special_id}")


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, slug=SLUG, name="Door Test", tables=[("T1", 2), ("T2", 4)],
                           hours=[(0, dt.time(18), dt.time(23), "Dinner")])


@pytest.fixture(params=["page", "api"])
def door(request, session, client, restaurant):
    if request.param == "page":
        make_owner(session, restaurant, "owner@door.example")
        client.login("owner@door.example", DEFAULT_PASSWORD)
        return PageDoor(client, SLUG)
    _, clear = create_token(session, restaurant.id, "tests")
    session.commit()
    return ApiDoor(client, SLUG, {"Authorization": f"Bearer {clear}"})


def _tables(session, restaurant_id: int) -> list[tuple]:
    session.expire_all()
    return [tuple(row) for row in session.execute(
        select(DiningTable.name, DiningTable.seats, DiningTable.min_party, DiningTable.max_party,
               DiningTable.area, DiningTable.position, DiningTable.active)
        .where(DiningTable.restaurant_id == restaurant_id).order_by(DiningTable.name))]


def _hours(session, restaurant_id: int) -> list[tuple]:
    session.expire_all()
    return [tuple(row) for row in session.execute(
        select(OpeningHours.id, OpeningHours.weekday, OpeningHours.name, OpeningHours.opens,
               OpeningHours.closes, OpeningHours.last_seating)
        .where(OpeningHours.restaurant_id == restaurant_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens))]


def _special_days(session, restaurant_id: int) -> list[tuple]:
    session.expire_all()
    rows = session.scalars(select(SpecialDay).where(SpecialDay.restaurant_id == restaurant_id)
                           .order_by(SpecialDay.start_date))
    return [(s.id, s.start_date, s.end_date, s.closed, s.reason,
             [(x.name, x.opens, x.closes, x.last_seating) for x in s.services]) for s in rows]


# --------------------------------------------------------------------------- settings

SETTINGS = {"name": "Chez Neu", "slug": "chez-neu", "timezone": "Europe/Paris",
            "slot_interval_minutes": "30", "default_turn_minutes": "90",
            "turn_times": "1:60, 5:150", "lead_time_minutes": "30", "horizon_days": "90",
            "max_online_party": "6", "phone": "+33 1 23 45", "email": "hello@example.com",
            "address": "1 Rue Test", "description": ""}


def test_change_settings(door, session, restaurant):
    assert door.change_settings(SETTINGS).done
    session.expire_all()
    saved = session.get(Restaurant, restaurant.id)
    assert {name: getattr(saved, name) for name in SETTINGS} == {
        **SETTINGS, "slot_interval_minutes": 30, "default_turn_minutes": 90,
        "turn_times": {"1": 60, "5": 150}, "lead_time_minutes": 30, "horizon_days": 90,
        "max_online_party": 6}


def test_changed_rules_reach_the_set_up_cache(door, session, restaurant):
    assert restaurant_setup(session, restaurant).schedule.interval_minutes == 15  # cached
    assert door.change_settings(dict(SETTINGS, slug=SLUG)).done
    session.expire_all()
    schedule = restaurant_setup(session, session.get(Restaurant, restaurant.id)).schedule
    assert (schedule.interval_minutes, schedule.turn_times, schedule.timezone) == (
        30, {1: 60, 5: 150}, "Europe/Paris")


def test_settings_refusals(door, session, restaurant):
    make_restaurant(session, slug="taken")
    refused = door.change_settings(dict(SETTINGS, slug="taken", slot_interval_minutes="3"))
    assert not refused.done
    assert refused.errors["slug"] == [ops.SLUG_TAKEN]
    assert refused.errors["slot_interval_minutes"] == [
        "The slot interval (minutes) must be between 5 and 120."]
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).slug == SLUG


# --------------------------------------------------------------------------- tables

TABLE = {"name": "Garden", "seats": "6", "min_party": "3", "max_party": "", "area": "terrace",
         "position": "5", "active": "y"}


def test_add_table(door, session, restaurant):
    setup_before = restaurant_setup(session, restaurant)  # warm the set-up cache
    assert door.add_table(TABLE).done
    assert door.add_table(dict(TABLE, name="Later", active="")).done  # not bookable yet
    assert _tables(session, restaurant.id) == [
        ("Garden", 6, 3, None, "terrace", 5, True), ("Later", 6, 3, None, "terrace", 5, False),
        ("T1", 2, 1, None, "", 0, True), ("T2", 4, 1, None, "", 1, True)]
    session.expire_all()
    names = [t.name for t in restaurant_setup(session, session.get(Restaurant,
                                                                   restaurant.id)).tables]
    assert [t.name for t in setup_before.tables] == ["T1", "T2"]
    assert names == ["T1", "T2", "Garden"]  # the cache saw the new table, not the inactive one


def test_table_refusals(door, session, restaurant):
    refused = door.add_table(dict(TABLE, name="T1", seats="2", min_party="3", max_party="1"))
    assert not refused.done
    assert refused.errors["name"] == [ops.TABLE_NAME_TAKEN]
    assert refused.errors["min_party"] == [
        "The smallest party cannot be larger than the number of seats."]
    assert refused.errors["max_party"] == [
        "The largest party cannot be smaller than the smallest party."]
    t2 = session.scalar(select(DiningTable.id).where(DiningTable.name == "T2"))
    renamed = door.change_table(t2, dict(TABLE, name="T1"))
    assert not renamed.done and renamed.errors["name"] == [ops.TABLE_NAME_TAKEN]
    assert _tables(session, restaurant.id) == [("T1", 2, 1, None, "", 0, True),
                                               ("T2", 4, 1, None, "", 1, True)]


def test_change_table(door, session, restaurant):
    t2 = session.scalar(select(DiningTable.id).where(DiningTable.name == "T2"))
    assert door.change_table(t2, dict(TABLE, name="Window", max_party="5")).done
    assert _tables(session, restaurant.id) == [("T1", 2, 1, None, "", 0, True),
                                               ("Window", 6, 3, 5, "terrace", 5, True)]


def test_activate_table(door, session, restaurant):
    t1 = session.scalar(select(DiningTable).where(DiningTable.name == "T1"))
    t1.active = False
    session.commit()
    assert door.activate_table(t1.id).done
    assert _tables(session, restaurant.id)[0] == ("T1", 2, 1, None, "", 0, True)


@pytest.mark.postgres_only
def test_a_table_name_taken_meanwhile_is_the_same_refusal(door, session, restaurant, app):
    """Two owners adding "Garden" at once: the form saw no clash, the database's unique
    constraint refuses the second write; the operation turns that into the form's own
    message on the name field instead of a 409 page or problem."""
    restaurant_id = restaurant.id
    added: list[bool] = []

    def other_owner_adds_garden(*_args) -> None:
        if added:
            return
        added.append(True)
        with db.engine.begin() as conn:
            conn.execute(insert(DiningTable).values(restaurant_id=restaurant_id, name="Garden",
                                                    seats=2, min_party=1, area="", position=9,
                                                    active=True))

    event.listen(db.session, "before_flush", other_owner_adds_garden)
    try:
        refused = door.add_table(TABLE)
    finally:
        event.remove(db.session, "before_flush", other_owner_adds_garden)
    assert added
    assert not refused.done and refused.errors == {"name": [ops.TABLE_NAME_TAKEN]}
    assert [t[:2] for t in _tables(session, restaurant_id)] == [("Garden", 2), ("T1", 2),
                                                                ("T2", 4)]


# --------------------------------------------------------------------------- opening hours

HOURS = {"weekday": "6", "name": "Brunch", "opens": "10:00", "closes": "14:00",
         "last_seating": "13:00"}


def test_add_change_and_remove_opening_hours(door, session, restaurant):
    assert door.add_hours(HOURS).done
    (dinner_id, *_), (brunch_id, *brunch) = _hours(session, restaurant.id)
    assert brunch == [6, "Brunch", dt.time(10), dt.time(14), dt.time(13)]
    assert door.change_hours(brunch_id, dict(HOURS, weekday="5", closes="15:00",
                                             last_seating="")).done
    assert _hours(session, restaurant.id) == [
        (dinner_id, 0, "Dinner", dt.time(18), dt.time(23), None),
        (brunch_id, 5, "Brunch", dt.time(10), dt.time(15), None)]  # the same row, changed
    assert door.remove_hours(brunch_id).done
    assert [row[0] for row in _hours(session, restaurant.id)] == [dinner_id]


def test_opening_hours_refusals(door, session, restaurant):
    refused = door.add_hours(dict(HOURS, opens="18:00", closes="18:00", last_seating="10:00"))
    assert not refused.done
    assert refused.errors["closes"] == ["Opening and closing times cannot be the same."]
    ((dinner_id, *dinner),) = _hours(session, restaurant.id)
    late = door.change_hours(dinner_id, dict(HOURS, last_seating="16:00"))
    assert late.errors == {"last_seating": [
        "The last seating must be between opening and closing."]}
    assert _hours(session, restaurant.id) == [(dinner_id, *dinner)]


# --------------------------------------------------------------------------- special days


@pytest.fixture
def day() -> dt.date:
    return future_day(10)


def test_add_change_and_remove_special_days(door, session, restaurant, day):
    restaurant_setup(session, restaurant)  # warm the set-up cache
    assert door.add_special_day({"start_date": str(day), "end_date": str(day + dt.timedelta(1)),
                                 "closed": "y", "reason": "Holiday"}).done
    assert door.add_special_day({"start_date": str(day + dt.timedelta(5)), "reason": "Gala",
                                 "services": "Gala 19:00-23:30 last 20:00"}).done
    (holiday_id, *holiday), (gala_id, *gala) = _special_days(session, restaurant.id)
    assert holiday == [day, day + dt.timedelta(1), True, "Holiday", []]
    assert gala == [day + dt.timedelta(5), day + dt.timedelta(5), False, "Gala",
                    [("Gala", dt.time(19), dt.time(23, 30), dt.time(20))]]
    session.expire_all()
    rules = restaurant_setup(session, session.get(Restaurant, restaurant.id)).schedule
    assert [rule.reason for rule in rules.special_days] == ["Holiday", "Gala"]

    # The whole form, as the page posts it (an API PATCH keeps what it is not sent).
    assert door.change_special_day(holiday_id, {
        "start_date": str(day), "end_date": "", "closed": "", "reason": "Open after all",
        "services": "Lunch 12:00-15:00\nDinner 18:00-22:00"}).done
    assert _special_days(session, restaurant.id)[0] == (
        holiday_id, day, day, False, "Open after all",
        [("Lunch", dt.time(12), dt.time(15), None), ("Dinner", dt.time(18), dt.time(22), None)])

    assert door.remove_special_day(gala_id).done
    assert [row[0] for row in _special_days(session, restaurant.id)] == [holiday_id]


def test_special_day_refusals(door, session, restaurant, day):
    refused = door.add_special_day({"start_date": str(day),
                                    "end_date": str(day - dt.timedelta(2)), "services": ""})
    assert refused.errors == {"end_date": ["The last day cannot be before the first day."],
                              "services": ["Give the hours for these days, or tick Closed."]}
    assert door.add_special_day({"start_date": str(day), "closed": "y"}).done
    ((special_id, *special),) = _special_days(session, restaurant.id)
    garbled = door.change_special_day(special_id, {"start_date": str(day), "closed": "",
                                                   "services": "lunch at noon"})
    assert garbled.errors == {"services": ["“lunch at noon” is not like “Lunch 12:00-15:00”.",
                                           "Give the hours for these days, or tick Closed."]}
    assert _special_days(session, restaurant.id) == [(special_id, *special)]


# --------------------------------------------------------------------------- the operations


def test_an_operation_refuses_a_clash_the_form_did_not_see(session, restaurant):
    """Called directly (no form in front), a duplicate name is the database's refusal,
    translated: the message and field the form would give, nothing written."""
    with pytest.raises(ops.SetupRefused) as refused:
        ops.add_table(db.session, restaurant, ops.TableDetails(name="T1", seats=2))
    assert (refused.value.field, refused.value.message) == ("name", ops.TABLE_NAME_TAKEN)
    other = make_restaurant(session, slug="other-place")
    with pytest.raises(ops.SetupRefused) as slug_taken:
        ops.change_settings(db.session, session.get(Restaurant, restaurant.id), ops.RestaurantSettings(
            name="X", slug="other-place", timezone="UTC", slot_interval_minutes=15,
            default_turn_minutes=120, turn_times={}, lead_time_minutes=0, horizon_days=30,
            max_online_party=4))
    assert (slug_taken.value.field, slug_taken.value.message) == ("slug", ops.SLUG_TAKEN)
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).slug == SLUG and other.slug == "other-place"
    assert len(_tables(session, restaurant.id)) == 2


def test_an_operation_only_touches_its_own_restaurants_rows(session, restaurant):
    other = make_restaurant(session, slug="other-place")
    table = session.scalar(select(DiningTable).where(DiningTable.restaurant_id == other.id))
    with pytest.raises(ValueError):
        ops.change_table(db.session, restaurant, table, ops.TableDetails(name="Mine", seats=2))


def test_the_special_day_edit_page_shows_the_day_as_stored(client, session, restaurant, day):
    make_owner(session, restaurant, "owner@door.example")
    client.login("owner@door.example", DEFAULT_PASSWORD)
    assert client.post_form(f"/owner/{SLUG}/special-days", {
        "start_date": str(day), "reason": "Gala",
        "services": "Gala 19:00-23:30 last 20:00\nLate 23:30-01:00"}).status_code == 303
    ((special_id, *_),) = _special_days(session, restaurant.id)
    page = client.get(f"/owner/{SLUG}/special-days/{special_id}").get_data(as_text=True)
    assert "Gala 19:00-23:30 last 20:00\nLate 23:30-01:00</textarea>" in page
    assert f'value="{day}"' in page and 'value="Gala"' in page
    listed = client.get(f"/owner/{SLUG}/special-days").get_data(as_text=True)
    assert f'href="/owner/{SLUG}/special-days/{special_id}"' in listed
    make_restaurant(session, slug="other-place")  # not this owner's: its pages are 404
    assert client.get(f"/owner/other-place/special-days/{special_id}").status_code == 404
    assert client.get(f"/owner/{SLUG}/special-days/99999").status_code == 404
