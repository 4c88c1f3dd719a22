"""The owner forms validate the API's JSON bodies (read by ``webapp.api.bodies``, as
the API does) exactly like form posts."""

from __future__ import annotations

import datetime as dt

import pytest

from webapp.api.bodies import _from_json
from webapp.owner.forms import (
    MoveReservationForm,
    OpeningHoursForm,
    OwnerReservationForm,
    RestaurantSettingsForm,
    SpecialDayForm,
    TableForm,
)


@pytest.fixture
def post_json(app, session):
    def make(form_class, body, **kwargs):
        with app.test_request_context("/", method="POST"):
            form = form_class(formdata=_from_json(body, form_class), meta={"csrf": False},
                              **kwargs)
            form.validate()
            return form

    return make


def test_settings_from_json(post_json, restaurant):
    form = post_json(RestaurantSettingsForm, {
        "name": "Chez JSON", "slug": "chez-json", "timezone": "America/New_York",
        "slot_interval_minutes": 15, "default_turn_minutes": 120,
        "turn_times": {"1": 90, "5": 150}, "lead_time_minutes": 0, "horizon_days": 30,
        "max_online_party": 8}, restaurant_id=restaurant.id)
    assert form.errors == {}
    assert form.turn_times.data == {"1": 90, "5": 150}
    bad = post_json(RestaurantSettingsForm, {"name": "X", "slug": "chez-test", "timezone": "UTC",
                                             "slot_interval_minutes": "fifteen"})
    assert "slug" in bad.errors  # taken by the fixture's restaurant
    assert bad.errors["slot_interval_minutes"][0] == \
        "Give the slot interval (minutes) as a whole number."


def test_table_and_hours_from_json(post_json, restaurant):
    table = post_json(TableForm, {"name": "J1", "seats": 4, "min_party": 2, "max_party": None,
                                  "active": False}, restaurant_id=restaurant.id)
    assert table.errors == {} and table.active.data is False and table.max_party.data is None
    assert table.position.data == 0
    hours = post_json(OpeningHoursForm, {"weekday": 4, "opens": "18:00:00", "closes": "01:00",
                                         "last_seating": "23:30"})
    assert hours.errors == {} and hours.closes.data == dt.time(1)


def test_special_day_services_from_json(post_json):
    form = post_json(SpecialDayForm, {"start_date": "2026-12-31", "closed": False, "services": [
        {"name": "Gala", "opens": "19:00", "closes": "02:00", "last_seating": "21:00"},
        "Brunch 10:00-14:00"]})
    assert form.errors == {}
    assert [s.name for s in form.services.data] == ["Gala", "Brunch"]
    broken = post_json(SpecialDayForm, {"start_date": "2026-12-31", "services": [{"opens": "x"}]})
    assert "services" in broken.errors


def test_reservation_forms_from_json(post_json):
    walk_in = post_json(OwnerReservationForm, {"source": "walk_in", "party_size": 2,
                                               "name": "Walker", "table": None})
    assert walk_in.errors == {} and walk_in.table.data is None
    phone = post_json(OwnerReservationForm, {"source": "phone", "party_size": 2, "name": "P"})
    assert phone.errors == {"date": ["Give the date."], "time": ["Give the time."]}
    move = post_json(MoveReservationForm, {"date": "2026-12-01", "time": "19:00", "table": 3,
                                           "party_size": 2, "version": 4})
    assert move.errors == {} and move.version.data == 4
