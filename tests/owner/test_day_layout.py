"""The day view's layout (webapp/owner/layout.py) and its markup: rows of cells in column
order, the covers per time slot, where now stands, and the list of arrivals."""

from __future__ import annotations

import re

from tests.factories import local
from webapp import clock
from webapp.booking import service
from webapp.owner import layout


def _by_time(day_layout, restaurant):
    from webapp.owner.common import zone

    return {c.starts_at.astimezone(zone(restaurant)).strftime("%H:%M"): c
            for c in day_layout.columns}


def test_every_row_lists_every_column_once_in_order(session, restaurant, book, day):
    booking = book(19, 0, party=3, table="T2")
    built = layout.build(session, restaurant, day)
    numbers = [c.number for c in built.columns]
    for row in built.rows:
        covered = []
        for cell in row.cells:
            covered.extend(range(cell.column.number, cell.column.number + cell.span))
        assert covered == numbers, row.table.name
    t2 = next(r for r in built.rows if r.table.name == "T2")
    cell = next(c for c in t2.cells if c.kind == "booking")
    assert (cell.block.reservation.id, cell.span) == (booking.id, 8)  # 19:00-21:00
    assert t2.number == layout.FIRST_TABLE_ROW + 1 == cell.block.row


def test_covers_per_slot_and_per_service_split_seated_and_to_come(session, restaurant, book,
                                                                   day):
    first = book(19, 0, party=3, table="T2")
    book(19, 5, party=2, table="T1")
    book(20, 0, party=4, table="T3")
    with clock.fixed_at(local(restaurant, day, 19, 10)):
        service.set_status(session, restaurant, first.id, "seated", actor="owner:test")
        built = layout.build(session, restaurant, day)
    slots = {s.column.starts_at: s for s in built.slots}
    at_19 = slots[local(restaurant, day, 19, 0)]
    assert (at_19.arriving, at_19.arriving_seated, at_19.arriving_booked) == (5, 3, 2)
    assert at_19.in_house == 3  # the 19:05 party is not in yet at 19:00
    at_20 = slots[local(restaurant, day, 20, 0)]
    assert (at_20.arriving, at_20.in_house) == (4, 9)
    assert slots[local(restaurant, day, 21, 0)].in_house == 6  # 19:05-21:05 is still there
    assert slots[local(restaurant, day, 21, 15)].in_house == 4
    dinner = next(s for s in built.covers if s.name == "Dinner")
    assert (dinner.covers, dinner.seated, dinner.bookings) == (9, 3, 3)


def test_now_stands_in_its_column_or_at_the_next_service(session, restaurant, day):
    columns = {}
    for hour, minute in ((19, 10), (16, 0), (11, 0), (23, 30)):
        with clock.fixed_at(local(restaurant, day, hour, minute)):
            built = layout.build(session, restaurant, day)
        columns[(hour, minute)] = built
    times = _by_time(columns[(19, 10)], restaurant)
    assert columns[(19, 10)].now_column == times["19:00"].number
    assert columns[(19, 10)].focus_column == times["19:00"].number
    assert columns[(16, 0)].now_column == times["18:00"].number  # between services: the gap
    assert columns[(11, 0)].now_column is None  # before the day's first column
    assert columns[(11, 0)].focus_column == times["12:00"].number  # the first service
    assert columns[(23, 30)].now_column is None
    built = columns[(19, 10)]
    kinds = {c.column.number: c.kind for c in built.rows[0].cells}
    assert kinds[times["19:00"].number] == "past"  # started before now: not offered
    assert kinds[times["19:15"].number] == "free"


def test_the_grid_is_an_aria_grid_with_one_tab_stop(owner_client, restaurant, book, day):
    booking = book(19, 0, party=3, table="T2", name="Grace Hopper")
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert html.count('role="grid"') == 1
    assert html.count('role="row"') == 2 + len(restaurant.tables)  # times, covers, tables
    assert len(re.findall(r'tabindex="0"', html.split('role="grid"')[1].split("</section>")[0])) == 1
    assert f'id="booking-{booking.id}"' in html
    assert 'aria-colspan="8"' in html  # the booking's cell spans 19:00-21:00
    assert 'id="now-line"' not in html  # a week ahead: no now on this grid
    assert 'class="day-live view-auto"' in html


def test_the_list_shows_arrivals_with_seat_and_cancel(owner_client, restaurant, book, day):
    book(20, 0, party=4, table="T3", name="Late Guest")
    booking = book(19, 0, party=3, table="T2", name="Grace Hopper")
    html = owner_client.get(f"/owner/chez-test/day/{day}?view=list").get_data(as_text=True)
    assert 'class="day-live view-list"' in html
    listed = html.split('class="arrivals"')[1].split("</ol>")[0]
    assert listed.index("Grace Hopper") < listed.index("Late Guest")  # by time
    assert "3 people · T2" in listed
    action = f"/owner/chez-test/reservations/{booking.id}/status"
    assert listed.count(f'action="{action}"') == 2  # Seat and Cancel
    assert 'value="seated"' in listed and 'value="cancelled"' in listed
    # Anything else than list or grid: the screen's width decides.
    other = owner_client.get(f"/owner/chez-test/day/{day}?view=table").get_data(as_text=True)
    assert 'class="day-live view-auto"' in other


def test_seat_from_the_list_without_javascript(owner_client, restaurant, book, day, session):
    booking = book(19, 0, party=3, table="T2", name="Grace Hopper")
    with clock.fixed_at(local(restaurant, day, 18, 55)):
        response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/status",
                                          {"status": "seated", "version": booking.version})
    assert response.status_code == 303
    session.refresh(booking)
    assert booking.status == "seated"
