"""The week view: covers and bookings per service date and service, busiest slots, links."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant, today
from webapp.booking.insights import week_start
from webapp.models import SpecialDay


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _day_card(html: str, day: dt.date) -> str:
    return html.split(f'data-day="{day.isoformat()}"')[1].split("</li>\n  \n")[0] \
        .split('data-day="')[0]


def test_this_week_redirects_to_its_monday(owner_client, restaurant):
    response = owner_client.get("/owner/chez-test/week")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/owner/chez-test/week/{week_start(today()).isoformat()}")


def test_week_shows_covers_per_service_and_links_each_day(owner_client, restaurant, book, day):
    book(19, 0, party=3, name="Grace")
    book(19, 0, party=4, name="Ada")
    book(12, 30, party=2, name="Lunch Guest")
    monday = week_start(day)
    html = owner_client.get(f"/owner/chez-test/week/{day}").get_data(as_text=True)
    card = _day_card(html, day)
    assert f'href="/owner/chez-test/day/{day.isoformat()}"' in card
    assert "9 covers · 3 bookings" in _text(card)
    dinner = card.split('data-service="Dinner"')[1]
    assert "7 covers · 2 bookings" in _text(dinner)
    assert "Busiest 19:00 : 7 arriving" in _text(dinner)
    assert 'class="heat"' in dinner and 'class="heat-4"' in dinner
    lunch = card.split('data-service="Lunch"')[1].split('data-service="Dinner"')[0]
    assert "2 covers · 1 booking Busiest 12:30" in _text(lunch)
    # Seven days, Monday first, each one click from its day view; previous and next weeks.
    days = re.findall(r'data-day="([\d-]+)"', html)
    assert days == [(monday + dt.timedelta(days=i)).isoformat() for i in range(7)]
    assert f'/owner/chez-test/week/{(monday - dt.timedelta(days=7)).isoformat()}"' in html
    assert f'/owner/chez-test/week/{(monday + dt.timedelta(days=7)).isoformat()}"' in html


def test_closed_and_special_days_are_shown(session, owner_client, restaurant, book, day):
    book(19, 0, party=3)  # booked before the owner closed the day
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=day, end_date=day,
                           closed=True, reason="Private party"))
    session.commit()
    html = owner_client.get(f"/owner/chez-test/week/{day}").get_data(as_text=True)
    card = _day_card(html, day)
    assert "Special day: Private party" in card and "Closed" in card
    assert "1 booking on a closed day (3 covers)" in _text(card)
    assert "is-closed" in html.split(f'data-day="{day.isoformat()}"')[0].rsplit("<li", 1)[1]


def test_an_empty_week(owner_client, restaurant):
    far = today() + dt.timedelta(days=200)
    response = owner_client.get(f"/owner/chez-test/week/{far}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "0 covers in 0 bookings this week" in _text(html)
    assert "Busiest" not in html


def test_day_view_and_nav_link_to_the_week(owner_client, restaurant, day):
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert f'href="/owner/chez-test/week/{day.isoformat()}"' in html
    assert 'href="/owner/chez-test/week"' in html and 'href="/owner/chez-test/insights"' in html


def test_bad_dates_and_other_restaurants(session, owner_client, restaurant, day):
    for bad in ("2026-13-45", "9999-12-31", "0001-01-01", "monday"):
        assert owner_client.get(f"/owner/chez-test/week/{bad}").status_code == 404, bad
    other = make_restaurant(session, slug="not-mine")
    for url in (f"/owner/not-mine/week/{day}", f"/owner/{other.id}/week/{day}",
                "/owner/not-mine/week"):
        assert owner_client.get(url).status_code == 404, url


def test_staff_see_the_week(session, client, restaurant, day):
    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get(f"/owner/chez-test/week/{day}").status_code == 200


def test_login_required(client, restaurant, day):
    response = client.get(f"/owner/chez-test/week/{day}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_week_and_day_view_count_the_same_covers(session, owner_client, restaurant, book, day):
    """One rule for covers: the week's figures per service are the day view's."""
    from webapp.booking.insights import week
    from webapp.owner import layout

    book(12, 0, party=2)
    book(19, 0, party=3)
    book(19, 30, party=4, table="T3")
    expected = {c.name: (c.covers, c.bookings) for c in layout.build(session, restaurant, day).covers}
    found = next(d for d in week(session, restaurant, day).days if d.day == day)
    assert {s.name: (s.covers, s.bookings) for s in found.services} == expected
    assert expected == {"Lunch": (2, 1), "Dinner": (7, 2)}
