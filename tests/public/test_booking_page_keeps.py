"""The booking page keeps what the guest typed and tells the truth: details and time kept
across a new date or party, a stale time never booked for another date, dropdowns that
agree with the message, the larger-group hint, the lead-time message, alternatives
nearest the asked time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.booking.availability import nearest_free_times
from webapp.models import Reservation

HTMX = {"HX-Request": "true"}


def guest(day: dt.date, time: str = "19:00", party: int = 2, **extra) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": str(party), "name": "Ada Lovelace",
            "email": "ada@example.com", "phone": "+44 20 7946 0958", "notes": "Window please",
            **extra}


def count(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Reservation))


def times_in(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', html)


def checked_time(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)" required checked', html)


def selected(html: str, select_id: str) -> str:
    block = html[html.index(f'id="{select_id}"'):]
    block = block[:block.index("</select>")]
    (label,) = re.findall(r"<option [^>]*selected>([^<]+)</option>", block)
    return label.strip()


# --------------------------------------------------------------------------- kept details


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_new_party_keeps_the_time_when_it_is_still_free(client, restaurant, headers):
    day = future_day()
    html = client.get(f"/r/bistro?date={day}&party_size=4&time=19:00",
                      headers=headers).get_data(as_text=True)
    assert checked_time(html) == ["19:00"]
    assert "is not free" not in html


def test_a_time_no_longer_free_is_dropped_with_a_word(client, session, restaurant):
    day = future_day()
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=4,
                 guest=service.GuestDetails("Other", "other@example.com"))
    html = client.get(f"/r/bistro?date={day}&party_size=4&time=19:00",
                      headers=HTMX).get_data(as_text=True)
    assert checked_time(html) == [] and "19:00" not in times_in(html)
    assert "19:00 is not free on this day for this party. Please pick another time." in html


def test_show_free_times_without_javascript_keeps_every_detail(client, session, restaurant):
    day = future_day()
    response = client.post_form("/r/bistro", {**guest(day, party=4), "show": "1",
                                              "shown_date": day.isoformat(), "shown_party": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert selected(html, "party_size") == "4 guests"
    assert checked_time(html) == ["19:00"]
    for value in ('value="Ada Lovelace"', 'value="ada@example.com"', 'value="+44 20 7946 0958"',
                  ">Window please</textarea>", 'name="shown_party" value="4"'):
        assert value in html
    assert "field-error" not in html  # nothing is refused: the guest is not done yet
    assert count(session) == 0


# --------------------------------------------------------------------------- stale date


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_date_changed_after_the_times_were_shown_is_not_booked(client, session, restaurant,
                                                                   headers):
    shown, chosen = future_day(), future_day(10)
    response = client.post_form("/r/bistro/book", {
        **guest(chosen, "18:45"), "shown_date": shown.isoformat(), "shown_party": "2"},
        headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "You changed the date or the number of guests" in html
    assert f'name="shown_date" value="{chosen}"' in html  # the times of the new date
    assert f"{chosen:%A} {chosen.day} {chosen:%B %Y}" in html
    assert 'value="Ada Lovelace"' in html
    assert count(session) == 0
    # Confirmed again from the re-shown times: booked on the date the guest sees.
    response = client.post_form("/r/bistro/book", {
        **guest(chosen, "18:45"), "shown_date": chosen.isoformat(), "shown_party": "2"})
    assert response.status_code in (303, 204)
    session.commit()
    (booked,) = session.scalars(select(Reservation)).all()
    assert booked.starts_at == local(restaurant, chosen, 18, 45)


def test_a_party_changed_after_the_times_were_shown_is_not_booked(client, session, restaurant):
    day = future_day()
    response = client.post_form("/r/bistro/book", {
        **guest(day, party=4), "shown_date": day.isoformat(), "shown_party": "2"})
    assert response.status_code == 409
    assert count(session) == 0


# --------------------------------------------------------------------------- dropdowns


@pytest.mark.parametrize(("query", "date_label", "party_label", "message"), [
    ("date={day}&party_size=12", "{day:%a} {day.day} {day:%b}", "12 guests",
     "For parties of more than 8 please call us at +49 30 1234567."),
    ("date=2020-01-01&party_size=3", "Wed 1 Jan 2020 (not bookable)", "3 guests",
     "That date has passed"),
    ("date=not-a-date&party_size=3", "Choose a date", "3 guests", "Enter a date as YYYY-MM-DD"),
    ("date={day}&party_size=lots", "{day:%a} {day.day} {day:%b}", "Choose",
     "Enter the number of guests as a whole number."),
])
def test_dropdowns_agree_with_the_message(client, restaurant, query, date_label, party_label,
                                          message):
    day = future_day()
    html = client.get(f"/r/bistro?{query.format(day=day)}").get_data(as_text=True)
    assert message in html
    assert selected(html, "date") == date_label.format(day=day)
    assert selected(html, "party_size") == party_label


def test_a_closed_day_is_the_selected_date(client, session, restaurant):
    from webapp.models import SpecialDay

    day = future_day(9)
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=day, end_date=day, closed=True))
    session.commit()
    html = client.get(f"/r/bistro?date={day}&party_size=2").get_data(as_text=True)
    assert "We are closed on" in html
    assert selected(html, "date") == f"{day:%a} {day.day} {day:%b %Y} (not bookable)"


def test_the_guests_list_stops_at_the_online_limit_with_a_hint(client, restaurant):
    html = client.get("/r/bistro").get_data(as_text=True)
    block = html[html.index('id="party_size"'):]
    assert re.findall(r'<option value="(\d+)"', block[:block.index("</select>")])[-1] == "8"
    assert 'Larger group? Call us on <a href="tel:+49301234567">+49 30 1234567</a>.' in html


# --------------------------------------------------------------------------- today's messages


def test_after_the_lead_time_online_booking_has_closed_for_today(client, session, clock):
    # 10:00 in Berlin; a 14-hour lead time leaves nothing bookable online today.
    clock.set(dt.datetime(2030, 6, 12, 8, 0, tzinfo=dt.UTC))
    make_restaurant(session, slug="late", phone="+49 30 7654321", lead_time_minutes=14 * 60)
    html = client.get("/r/late?date=2030-06-12&party_size=2").get_data(as_text=True)
    assert ("Online booking has closed for today. Please call us on +49 30 7654321; "
            "we may still have a table.") in html
    assert "No more free tables" not in html and times_in(html) == []


def test_a_full_evening_today_still_says_no_more_free_tables(client, session, clock):
    # 21:30 in Berlin, no lead time: the last dinner start (21:00) has passed.
    clock.set(dt.datetime(2030, 6, 12, 19, 30, tzinfo=dt.UTC))
    resto = make_restaurant(session, slug="full", tables=[("T1", 2)],
                            hours=[(d, dt.time(18), dt.time(23, 59), "Dinner") for d in range(7)])
    service.book(session, resto, starts_at=local(resto, dt.date(2030, 6, 12), 21, 45),
                 party_size=2, guest=service.GuestDetails("Other", "o@example.com"))
    html = client.get("/r/full?date=2030-06-12&party_size=2").get_data(as_text=True)
    assert "No more free tables for 2 today." in html
    assert "Online booking has closed" not in html


# --------------------------------------------------------------------------- alternatives


@pytest.fixture
def big_table(session):
    resto = make_restaurant(session, slug="big", tables=[("Big", 8)])
    return resto


def test_a_sold_out_dinner_offers_dinner_times_first_then_other_days(client, session, big_table):
    day = future_day()
    service.book(session, big_table, starts_at=local(big_table, day, 19), party_size=8,
                 guest=service.GuestDetails("Party", "party@example.com"))
    response = client.post_form("/r/big/book", {
        **guest(day, "19:00", party=8), "shown_date": day.isoformat(), "shown_party": "8"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert times_in(html) == ["21:00"]  # the asked day: its dinner, nearest first
    later = re.findall(r'name="pick" value="([^"]+)"', html)
    assert later == [f"{day + dt.timedelta(days=n)}T19:00" for n in (1, 2, 3)]
    assert "12:00" not in html.split("Nearest free times")[1]


def test_nearest_free_times_same_service_then_other_days_then_other_services(session, big_table):
    day = future_day()
    for hour in (18, 20):  # the whole dinner is taken on the asked day (18-20, 20-22)
        service.book(session, big_table, starts_at=local(big_table, day, hour), party_size=8,
                     guest=service.GuestDetails(f"P{hour}", f"p{hour}@example.com"))
    wanted = local(big_table, day, 19)
    assert nearest_free_times(session, big_table, wanted, 8, other_days=2) == [
        local(big_table, day + dt.timedelta(days=1), 19),
        local(big_table, day + dt.timedelta(days=2), 19),
        local(big_table, day, 12, 45), local(big_table, day, 13)]  # lunch's latest starts
    # Without other days (owner messages, a change of booking): the day's lunch.
    assert nearest_free_times(session, big_table, wanted, 8) == [
        local(big_table, day, 12, minute) for minute in (15, 30, 45)] + [local(big_table, day, 13)]


def test_an_alternative_on_another_day_shows_that_day_with_the_time_picked(client, big_table):
    day = future_day(3)
    response = client.post_form("/r/big", {**guest(future_day(), party=8),
                                           "pick": f"{day}T19:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'name="shown_date" value="{day}"' in html
    assert checked_time(html) == ["19:00"] and 'value="Ada Lovelace"' in html
