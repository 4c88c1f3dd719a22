"""Table combinations through both doors (the dashboard's form posts, the API form-encoded),
on both backends: the same input stores the same rows and meets the same refusal, because
both call booking/operations/combinations.py. Plus what the operations promise beyond the
doors: a removed combination leaves joined bookings on their tables, and removing a table
removes the combinations it leaves with one table, in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import (
    DEFAULT_PASSWORD,
    future_day,
    join_tables,
    local,
    make_owner,
    make_restaurant,
)
from tests.operations.test_setup_both_doors import ApiDoor, Outcome, PageDoor
from webapp.auth.tokens import create_token
from webapp.booking import service
from webapp.booking.operations import combinations as ops
from webapp.booking.operations import setup as setup_ops
from webapp.booking.setup import restaurant_setup
from webapp.models import (
    CombinationTable,
    DiningTable,
    Reservation,
    Restaurant,
    TableCombination,
)

SLUG = "joins"
# Napoli and Milano seat 4 each (side by side), Roma 6 with a largest party of 5.
TABLES = [("Napoli", 4), ("Milano", 4), ("Roma", 6), ("Torino", 2)]


class CombinationPage(PageDoor):
    def add(self, values) -> Outcome:
        return self._post("/tables/combinations", values)

    def change(self, combination_id, values) -> Outcome:
        return self._post(f"/tables/combinations/{combination_id}", values)

    def remove(self, combination_id) -> Outcome:
        return self._post(f"/tables/combinations/{combination_id}/delete")


class CombinationApi(ApiDoor):
    def add(self, values) -> Outcome:
        return self._send("POST", "/table-combinations", values)

    def change(self, combination_id, values) -> Outcome:
        return self._send("PATCH", f"/table-combinations/{combination_id}", values)

    def remove(self, combination_id) -> Outcome:
        return self._send("DELETE", f"/table-combinations/{combination_id}")


@pytest.fixture
def restaurant(session):
    restaurant = make_restaurant(session, slug=SLUG, name="Joins", tables=TABLES,
                                 max_online_party=12,
                                 hours=[(d, dt.time(18), dt.time(23), "Dinner")
                                        for d in range(7)])
    session.execute(DiningTable.__table__.update().where(
        DiningTable.name == "Roma", DiningTable.restaurant_id == restaurant.id)
        .values(max_party=5))
    session.commit()
    return restaurant


@pytest.fixture(params=["page", "api"])
def door(request, session, client, restaurant):
    if request.param == "page":
        make_owner(session, restaurant, "owner@joins.example")
        client.login("owner@joins.example", DEFAULT_PASSWORD)
        return CombinationPage(client, SLUG)
    _, clear = create_token(session, restaurant.id, "tests")
    session.commit()
    return CombinationApi(client, SLUG, {"Authorization": f"Bearer {clear}"})


def table_ids(session, restaurant) -> dict[str, int]:
    return dict(session.execute(select(DiningTable.name, DiningTable.id)
                                .where(DiningTable.restaurant_id == restaurant.id)).all())


def stored(session, restaurant_id: int) -> list[tuple]:
    """(name, min, max, position, sorted table names) of every combination."""
    session.expire_all()
    rows = session.scalars(select(TableCombination)
                           .where(TableCombination.restaurant_id == restaurant_id)
                           .order_by(TableCombination.id))
    return [(c.name, c.min_party, c.max_party, c.position,
             sorted(m.table.name for m in c.members)) for c in rows]


def test_add_with_defaults(door, session, restaurant):
    t = table_ids(session, restaurant)
    assert door.add({"tables": [str(t["Milano"]), str(t["Napoli"])]}).done
    # The name in the owner's table order; from one more than the largest single table
    # takes (4) up to every seat (8).
    assert stored(session, restaurant.id) == [("Napoli + Milano", 5, 8, 0,
                                               ["Milano", "Napoli"])]
    session.expire_all()
    setup = restaurant_setup(session, session.get(Restaurant, restaurant.id))
    (info,) = setup.combinations
    assert (info.name, info.table_ids, info.min_party, info.max_party) == (
        "Napoli + Milano", (t["Napoli"], t["Milano"]), 5, 8)


def test_add_three_tables_with_name_and_range(door, session, restaurant):
    t = table_ids(session, restaurant)
    assert door.add({"tables": [str(t["Napoli"]), str(t["Milano"]), str(t["Roma"])],
                     "name": "Long table", "min_party": "9", "max_party": "14",
                     "position": "3"}).done
    assert stored(session, restaurant.id) == [("Long table", 9, 14, 3,
                                               ["Milano", "Napoli", "Roma"])]


def test_default_min_uses_the_largest_party_not_the_seats(door, session, restaurant):
    t = table_ids(session, restaurant)
    assert door.add({"tables": [str(t["Roma"]), str(t["Torino"])]}).done
    # Roma seats 6 but takes 5 at most: from 6 up to 8 seats.
    assert stored(session, restaurant.id) == [("Roma + Torino", 6, 8, 0, ["Roma", "Torino"])]


@pytest.mark.parametrize(("values", "field", "message"), [
    (lambda t: {"tables": [t["Napoli"]]}, "tables", ops.TABLE_COUNT),
    (lambda t: {"tables": [t["Napoli"], t["Milano"], t["Roma"], t["Torino"]]}, "tables",
     ops.TABLE_COUNT),
    (lambda t: {"tables": [t["Napoli"], t["Napoli"]]}, "tables", ops.TABLE_TWICE),
    (lambda t: {"tables": [t["Napoli"], t["X1"]]}, "tables", ops.TABLE_UNKNOWN),
    (lambda t: {"tables": [t["Napoli"], t["Milano"]], "min_party": "7", "max_party": "6"},
     "min_party", ops.MIN_OVER_MAX),
    (lambda t: {"tables": [t["Napoli"], t["Milano"]], "min_party": "9"},
     "min_party", ops.MIN_OVER_MAX),  # above the default largest (8 seats)
    (lambda t: {"tables": [t["Napoli"], t["Milano"]], "max_party": "501"},
     "max_party", "The largest party must be between 1 and 500."),
    (lambda t: {"tables": [t["Milano"], t["Napoli"]]}, "tables", ops.SAME_TABLES),
    (lambda t: {"tables": [t["Napoli"], t["Roma"]], "name": "Napoli + Milano"}, "name",
     ops.NAME_TAKEN),
], ids=["one", "four", "twice", "other-restaurant", "min-over-max", "min-over-seats",
        "over-500", "same-tables", "name-taken"])
def test_refusals_are_the_same_through_both_doors(door, session, restaurant, values, field,
                                                  message):
    other = make_restaurant(session, slug="other", tables=[("X1", 4)])
    join_tables(session, restaurant, ["Napoli", "Milano"], 5, 8)
    before = stored(session, restaurant.id)
    t = {**table_ids(session, restaurant), **table_ids(session, other)}
    sent = {k: [str(x) for x in v] if isinstance(v, list) else v for k, v in values(t).items()}
    refused = door.add(sent)
    assert not refused.done
    assert refused.errors == {field: [message]}
    assert stored(session, restaurant.id) == before


def test_change_tables_name_and_range(door, session, restaurant):
    t = table_ids(session, restaurant)
    row = join_tables(session, restaurant, ["Napoli", "Milano"], 5, 8)
    other = join_tables(session, restaurant, ["Roma", "Torino"], 6, 8)
    assert door.change(row.id, {"tables": [str(t["Milano"]), str(t["Roma"])],
                                "name": "Corner", "min_party": "6", "max_party": "9",
                                "position": "1"}).done
    assert stored(session, restaurant.id) == [("Corner", 6, 9, 1, ["Milano", "Roma"]),
                                              ("Roma + Torino", 6, 8, 0, ["Roma", "Torino"])]
    # Its own tables again are no clash with itself; another's are.
    assert door.change(row.id, {"tables": [str(t["Milano"]), str(t["Roma"])],
                                "name": "Corner", "min_party": "6", "max_party": "9"}).done
    refused = door.change(row.id, {"tables": [str(t["Torino"]), str(t["Roma"])],
                                   "name": "Corner", "min_party": "6", "max_party": "9"})
    assert refused.errors == {"tables": [ops.SAME_TABLES]}
    refused = door.change(other.id, {"tables": [str(t["Torino"]), str(t["Roma"])],
                                     "name": "Corner", "min_party": "6", "max_party": "8"})
    assert refused.errors == {"name": [ops.NAME_TAKEN]}


def _joined_booking(session, restaurant) -> Reservation:
    result = service.book(session, restaurant,
                          starts_at=local(restaurant, future_day(), 19),
                          party_size=7, guest=service.GuestDetails("Big Party", "big@example.com"))
    assert result.table_name == "Napoli + Milano"
    return result.reservation


def test_remove_leaves_a_joined_booking_on_its_tables(door, session, restaurant):
    t = table_ids(session, restaurant)
    row = join_tables(session, restaurant, ["Napoli", "Milano"], 5, 8)
    booking = _joined_booking(session, restaurant)
    assert door.remove(row.id).done
    assert stored(session, restaurant.id) == []
    session.expire_all()
    assert service.tables_of(session, session.get(Reservation, booking.id)) == (
        t["Napoli"], t["Milano"])
    assert session.get(Reservation, booking.id).status == "booked"
    # Not offered any more: a party of 7 now finds no table.
    assert restaurant_setup(session, session.get(Restaurant, restaurant.id)).combinations == ()


def test_another_restaurants_combination_is_not_found(door, session, restaurant):
    other = make_restaurant(session, slug="other", tables=[("X1", 4), ("X2", 4)])
    row = join_tables(session, other, ["X1", "X2"], 5, 8)
    response = door.client.open(
        door.base + (f"/tables/combinations/{row.id}/delete" if door.name == "page"
                     else f"/table-combinations/{row.id}"),
        method="POST" if door.name == "page" else "DELETE",
        headers=getattr(door, "auth", {}),
        data={"csrf_token": door.client.csrf_token} if door.name == "page" else None)
    assert response.status_code == 404
    assert stored(session, other.id) == [("X1 + X2", 5, 8, 0, ["X1", "X2"])]


# --------------------------------------------------------------------------- removing a table


def test_removing_a_table_removes_the_combinations_it_leaves_alone(session, restaurant):
    pair = join_tables(session, restaurant, ["Napoli", "Torino"], 5, 6)
    trio = join_tables(session, restaurant, ["Napoli", "Milano", "Torino"], 7, 10)
    keep = join_tables(session, restaurant, ["Milano", "Roma"], 6, 10)
    pair_id, trio_id, keep_id = pair.id, trio.id, keep.id
    torino = session.scalar(select(DiningTable).where(
        DiningTable.restaurant_id == restaurant.id, DiningTable.name == "Torino"))
    setup_ops.remove_table(session, restaurant, torino)
    session.expire_all()
    assert session.get(TableCombination, pair_id) is None
    assert stored(session, restaurant.id) == [
        ("Napoli + Milano + Torino", 7, 10, 0, ["Milano", "Napoli"]),
        ("Milano + Roma", 6, 10, 0, ["Milano", "Roma"])]
    assert {c.id for c in restaurant_setup(
        session, session.get(Restaurant, restaurant.id)).combinations} == {trio_id, keep_id}
    assert session.scalar(select(CombinationTable).where(
        CombinationTable.table_id == torino.id)) is None


def test_a_refused_table_removal_keeps_its_combinations(session, restaurant):
    join_tables(session, restaurant, ["Napoli", "Milano"], 5, 8)
    _joined_booking(session, restaurant)
    napoli = session.scalar(select(DiningTable).where(
        DiningTable.restaurant_id == restaurant.id, DiningTable.name == "Napoli"))
    with pytest.raises(setup_ops.TableHasHistory):
        setup_ops.remove_table(session, restaurant, napoli)
    assert stored(session, restaurant.id) == [("Napoli + Milano", 5, 8, 0,
                                               ["Milano", "Napoli"])]
