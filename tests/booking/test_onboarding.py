"""The set-up guide's use cases: the quick tables form, hour presets, the guest preview."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_restaurant
from webapp.booking.operations import onboarding as guide
from webapp.booking.operations.setup import ServiceTimes, TableDetails
from webapp.models import DiningTable, OpeningHours, Restaurant

# --------------------------------------------------------------------------- quick tables


def test_parse_kinds_reads_the_ways_owners_write_them():
    kinds = guide.parse_kinds("6 tables of 2, 4 of 4 in Terrace; 1 x 8\n2 × 6 seats (Bar)")
    assert kinds == [guide.TableKind(6, 2), guide.TableKind(4, 4, "Terrace"),
                     guide.TableKind(1, 8), guide.TableKind(2, 6, "Bar")]
    assert guide.parse_kinds("  1 table of 10 people ") == [guide.TableKind(1, 10)]
    assert guide.parse_kinds("") == []


@pytest.mark.parametrize(("text", "message"), [
    ("six of two", "“six of two” is not a kind of table: write it as “6 of 2”"),
    ("6 of 2, 4", "“4” is not a kind of table"),
    ("0 of 2", "“0 of 2”: give at least one table."),
    ("2 of 0", "“2 of 0”: a table has 1 to 100 seats."),
    ("2 of 101", "a table has 1 to 100 seats."),
    ("201 of 2", "At most 200 tables at once"),
    (", ".join(["1 of 2"] * 21), "At most 20 kinds of table at once."),
])
def test_parse_kinds_refuses_with_a_clear_message(text, message):
    with pytest.raises(guide.OnboardingRefused) as refused:
        guide.parse_kinds(text)
    assert message in refused.value.message
    assert refused.value.field == "quick"


def test_kinds_from_rows_skips_empty_rows_and_names_the_bad_one():
    rows = [("6", "2", ""), ("", "", ""), ("4", "4", " Terrace ")]
    assert guide.kinds_from_rows(rows) == [guide.TableKind(6, 2), guide.TableKind(4, 4, "Terrace")]
    for bad, message in ((("x", "2", ""), "Row 2: give the number of tables as a whole number."),
                         (("2", "", ""), "Row 2: give the seats per table as a whole number."),
                         (("", "", "Bar"), "Row 2: give the number of tables and their seats."),
                         (("0", "2", ""), "Row 2: give at least one table.")):
        with pytest.raises(guide.OnboardingRefused) as refused:
            guide.kinds_from_rows([("1", "2", ""), bad])
        assert refused.value.message == message
        assert refused.value.field == "rows-1"


def test_plan_tables_numbers_on_after_the_names_taken():
    kinds = [guide.TableKind(2, 2), guide.TableKind(1, 8, "Bar")]
    assert guide.plan_tables(kinds) == [
        TableDetails("T1", 2, position=0), TableDetails("T2", 2, position=1),
        TableDetails("T3", 8, area="Bar", position=2)]
    names = [t.name for t in guide.plan_tables(kinds, taken=["T1", "T3", "Window"],
                                               first_position=5)]
    assert names == ["T4", "T5", "T6"]
    assert [t.name for t in guide.plan_tables([guide.TableKind(3, 2)], taken=["T2"])] == \
        ["T3", "T4", "T5"]


def test_add_tables_creates_all_or_none(session):
    restaurant = make_restaurant(session, tables=[("T1", 2)])
    planned = guide.plan_for(session, restaurant, guide.parse_kinds("2 of 4, 1 of 8 in Bar"))
    assert [(t.name, t.seats, t.area, t.position) for t in planned] == [
        ("T2", 4, "", 1), ("T3", 4, "", 2), ("T4", 8, "Bar", 3)]
    renamed = [planned[0], TableDetails("Window", 4, position=2), planned[2]]
    guide.add_tables(session, restaurant, renamed)
    session.expire_all()
    assert sorted(session.scalars(select(DiningTable.name)).all()) == \
        ["T1", "T2", "T4", "Window"]
    for tables, field, message in (
            ([TableDetails("T1", 2)], "names-0", "Another table already has this name."),
            ([TableDetails("New", 2), TableDetails("New", 4)], "names-1",
             "Two of the new tables have this name."),
            ([TableDetails("A", 2), TableDetails(" ", 2)], "names-1", "Give the table a name."),
            ([TableDetails("A" * 61, 2)], "names-0", "A table name has at most 60 characters."),
            ([], "names", "There are no tables to add.")):
        with pytest.raises(guide.OnboardingRefused) as refused:
            guide.add_tables(session, restaurant, tables)
        assert (refused.value.field, refused.value.message) == (field, message)
    assert session.query(DiningTable).count() == 4  # nothing of the refused sets


# --------------------------------------------------------------------------- presets


def test_presets_for_chosen_weekdays():
    lunch, dinner = guide.preset_services("lunch_dinner")
    assert (lunch.opens, lunch.closes, dinner.opens, dinner.closes) == (
        dt.time(12), dt.time(15), dt.time(18), dt.time(23))
    assert [s.times.name for s in guide.weekly_services([1], guide.preset_services("dinner"))] \
        == ["Dinner"]
    weekly = guide.weekly_services([4, 1, 1], [lunch, dinner])
    assert [(s.weekday, s.times.name) for s in weekly] == [
        (1, "Lunch"), (1, "Dinner"), (4, "Lunch"), (4, "Dinner")]


@pytest.mark.parametrize(("weekdays", "services", "field", "message"), [
    ([], [ServiceTimes("Dinner", dt.time(18), dt.time(23))], "weekdays", "Choose at least one day."),
    ([7], [ServiceTimes("Dinner", dt.time(18), dt.time(23))], "weekdays",
     "Choose days from Monday to Sunday."),
    ([0], [], "services", "Give at least one service."),
    ([0], [ServiceTimes("Dinner", dt.time(18), dt.time(18))], "services-0",
     "Dinner: opening and closing times cannot be the same."),
    ([0], [ServiceTimes("Lunch", dt.time(12), dt.time(16)),
           ServiceTimes("Dinner", dt.time(15), dt.time(23))], "services-1",
     "Dinner starts before Lunch ends: the services of a day cannot overlap."),
    ([0], [ServiceTimes("Lunch", dt.time(11), dt.time(15)),
           ServiceTimes("Late", dt.time(18), dt.time(12))], "services-1",
     "The last service runs past midnight into the next day's first one."),
])
def test_weekly_services_refusals(weekdays, services, field, message):
    with pytest.raises(guide.OnboardingRefused) as refused:
        guide.weekly_services(weekdays, services)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_unknown_preset_is_refused():
    with pytest.raises(guide.OnboardingRefused) as refused:
        guide.preset_services("brunch")
    assert refused.value.field == "preset"
    assert refused.value.message == "Choose lunch and dinner, or dinner only."


def test_a_late_service_past_midnight_is_fine():
    weekly = guide.weekly_services([5], [ServiceTimes("Dinner", dt.time(19), dt.time(1))])
    assert weekly[0].times.closes == dt.time(1)


def test_set_weekly_hours_replaces_only_the_chosen_days(session):
    restaurant = make_restaurant(session, hours=[(0, dt.time(9), dt.time(11), "Breakfast"),
                                                 (3, dt.time(9), dt.time(11), "Breakfast")])
    guide.set_weekly_hours(session, restaurant,
                           guide.weekly_services([0, 1], guide.preset_services("dinner")))
    session.expire_all()
    rows = session.scalars(select(OpeningHours).order_by(OpeningHours.weekday)).all()
    assert [(r.weekday, r.name) for r in rows] == [(0, "Dinner"), (1, "Dinner"),
                                                   (3, "Breakfast")]


# --------------------------------------------------------------------------- preview, finish


def test_guest_preview_is_the_next_day_with_free_times(session, clock):
    # The suite's clock: Wednesday 2030-06-12 08:00 UTC. Open on Fridays only.
    restaurant = make_restaurant(session, hours=[(4, dt.time(18), dt.time(21), "Dinner")],
                                 tables=[("T1", 2)])
    preview = guide.guest_preview(session, restaurant, party_size=2)
    assert preview.day == dt.date(2030, 6, 14)
    [(service, slots)] = preview.services
    assert service == "Dinner" and len(slots) == 5  # 18:00 … 19:00, every 15 minutes
    closed = make_restaurant(session, hours=[], tables=[("T1", 2)])
    assert guide.guest_preview(session, closed).day is None


def test_finish_onboarding_sets_the_stamp_once(session, clock):
    restaurant = make_restaurant(session, onboarded_at=None)
    guide.finish_onboarding(session, restaurant)
    first = session.get(Restaurant, restaurant.id).onboarded_at
    assert first is not None
    guide.finish_onboarding(session, restaurant)
    assert session.get(Restaurant, restaurant.id).onboarded_at == first


def test_change_some_settings_keeps_the_rest(session):
    restaurant = make_restaurant(session, phone="+49 30 1234567", turn_times={"5": 150})
    guide.change_some_settings(session, restaurant, horizon_days=30)
    session.expire_all()
    saved = session.get(Restaurant, restaurant.id)
    assert (saved.horizon_days, saved.phone, saved.turn_times) == (30, "+49 30 1234567",
                                                                   {"5": 150})
