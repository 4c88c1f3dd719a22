"""The insights page: its charts (SVG), their numbers as CSV, the period parameters, access."""

from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import io
import re

import pytest

from tests.factories import DEFAULT_PASSWORD, local, make_owner, make_restaurant, today
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import OpeningHours, Reservation, SpecialDay

CHARTS = ("covers", "sources", "rates", "lead-time", "party-sizes")


def _csv(client, chart: str, query: str = "weeks=4&dir=next") -> list[list[str]]:
    response = client.get(f"/owner/chez-test/insights/{chart}.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _table(page: str, chart: str) -> list[list[str]]:
    """The numbers table under a chart, as text cells (header first)."""
    section = page.split(f'id="chart-{chart}"')[1].split("</section>")[0]
    table = section.split("<table>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [[htmllib.unescape(c).replace(" ", "_") if i == 0 else htmllib.unescape(c)
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)] for i, row in
            enumerate(rows)]


@pytest.fixture
def booked(session, restaurant, book):
    """Three bookings a week ahead (two online, one by phone), one cancelled."""
    day = today() + dt.timedelta(days=7)
    book(19, 0, party=3, name="Grace", when=day)
    book(12, 30, party=2, name="Lunch", when=day)
    phoned = book(20, 0, party=4, name="Phone", table="T3", when=day)
    service.set_status(session, restaurant, phoned.id, "cancelled")
    return day


def test_the_page_draws_every_chart(owner_client, restaurant, booked):
    response = owner_client.get("/owner/chez-test/insights?weeks=4&dir=next")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in page
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'href="/owner/chez-test/insights/{chart}.csv?weeks=4&amp;dir=next"' in page
    assert "<strong>3</strong> bookings for these dates, <strong>5</strong> covers" in page
    assert 'style="' not in page.split('<main')[-1]  # the CSP: no inline styles
    # Each bar says what it is: the sources chart's bar titles hold its numbers.
    sources = page.split('id="sources-chart"')[1].split("</svg>")[0]
    assert "<title>Online: 2 bookings</title>" in sources
    assert "<title>Phone: 1 bookings</title>" in sources
    assert "<title>Walk-in: 0 bookings</title>" in sources


@pytest.mark.parametrize("chart", CHARTS)
def test_csv_holds_the_numbers_of_the_chart(owner_client, restaurant, booked, chart):
    page = owner_client.get("/owner/chez-test/insights?weeks=4&dir=next").get_data(as_text=True)
    rows = _csv(owner_client, chart)
    assert rows == _table(page, chart)
    assert len(rows) > 1


def test_csv_figures(owner_client, restaurant, booked):
    covers = _csv(owner_client, "covers")
    assert covers[0] == ["date", "Lunch", "Dinner", "total", "closed"]
    assert len(covers) == 1 + 28
    assert [booked.isoformat(), "2", "3", "5", "no"] in covers
    assert sum(int(r[-2]) for r in covers[1:]) == 5
    assert _csv(owner_client, "sources") == [["source", "bookings"], ["Online", "2"],
                                             ["Phone", "1"], ["Walk-in", "0"], ["API", "0"]]
    rates = _csv(owner_client, "rates")
    assert rates[0] == ["week_from", "bookings", "cancelled", "no_shows",
                        "cancellation_rate_percent", "no_show_rate_percent"]
    assert rates[2][1:] == ["3", "1", "0", "33.3", "0.0"]  # a week ahead: the second block
    party = dict(_csv(owner_client, "party-sizes")[1:])
    assert (party["2"], party["3"], party["4"], party["9+"]) == ("1", "1", "1", "0")
    lead = dict(_csv(owner_client, "lead-time")[1:])
    assert lead["1–2 weeks"] == "3"  # made now for a week ahead and sum(map(int, lead.values())) == 3
    # The past four weeks hold none of them.
    past = _csv(owner_client, "sources", "weeks=4&dir=past")
    assert all(r[1] == "0" for r in past[1:])


def test_past_midnight_booking_counts_on_its_service_date(session, owner_client, restaurant):
    for weekday in range(7):  # dinner until 01:00
        session.query(OpeningHours).filter_by(restaurant_id=restaurant.id, weekday=weekday,
                                              name="Dinner").update({"closes": dt.time(1)})
    session.commit()
    day = today() + dt.timedelta(days=5)
    service.book(session, restaurant, starts_at=local(restaurant, day + dt.timedelta(days=1),
                                                      0, 15),
                 party_size=2, guest=GuestDetails("Night Owl", "", ""), duration_minutes=45,
                 table_id=restaurant.tables[0].id, source="phone")
    covers = {r[0]: r for r in _csv(owner_client, "covers")[1:]}
    assert covers[day.isoformat()][2] == "2"
    assert covers[(day + dt.timedelta(days=1)).isoformat()][-2] == "0"


def test_closed_days_are_marked_on_the_covers_chart(session, owner_client, restaurant):
    closed = today() + dt.timedelta(days=3)
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=closed, end_date=closed,
                           closed=True, reason="Holiday"))
    session.commit()
    rows = {r[0]: r for r in _csv(owner_client, "covers")[1:]}
    assert rows[closed.isoformat()][-1] == "yes"
    assert [d for d, r in rows.items() if r[-1] == "yes"] == [closed.isoformat()]
    page = owner_client.get("/owner/chez-test/insights?weeks=4&dir=next").get_data(as_text=True)
    chart = page.split('id="covers-chart"')[1].split("</svg>")[0]
    assert chart.count('class="chart-closed"') == 1
    assert f"{closed:%a} {closed.day} {closed:%b} (closed)" in chart
    legend = page.split('id="chart-covers"')[1].split('class="chart-legend"')[1].split("</ul>")[0]
    assert "Closed" in legend


def test_an_empty_period(owner_client, restaurant):
    page = owner_client.get("/owner/chez-test/insights").get_data(as_text=True)
    assert "Last 4 weeks" in page and "No bookings in this period yet" in page
    for chart in CHARTS:
        assert len(_csv(owner_client, chart, "")) > 1


@pytest.mark.parametrize("query", ["weeks=3", "weeks=13", "weeks=abc", "weeks=4.5",
                                   "weeks=-4", "dir=sideways", "weeks=1e9",
                                   "weeks=99999999999999999999999", "weeks=%D9%A4", "weeks=1_0"])
def test_bad_parameters_are_refused_clearly(owner_client, restaurant, query):
    page = owner_client.get(f"/owner/chez-test/insights?{query}")
    assert page.status_code == 422
    assert ("Weeks must be" in page.get_data(as_text=True)
            or "Direction must be past or next" in page.get_data(as_text=True))
    data = owner_client.get(f"/owner/chez-test/insights/covers.csv?{query}")
    assert data.status_code == 422 and data.mimetype == "text/plain"


def test_a_nul_is_refused_before_the_view(owner_client, restaurant):
    assert owner_client.get("/owner/chez-test/insights?weeks=%00").status_code == 400


def test_unknown_chart_is_404(owner_client, restaurant):
    assert owner_client.get("/owner/chez-test/insights/nothing.csv").status_code == 404


def test_a_service_name_cannot_become_a_formula(session, owner_client, restaurant):
    session.query(OpeningHours).filter_by(restaurant_id=restaurant.id, name="Lunch").update(
        {"name": "=HYPERLINK(\"x\")"})
    session.commit()
    header = _csv(owner_client, "covers")[0]
    assert header[1] == "'=HYPERLINK(\"x\")"


def test_staff_see_insights_other_restaurants_do_not(session, client, restaurant):
    make_owner(session, restaurant, "staff@example.com", role="staff")
    other = make_restaurant(session, slug="not-mine")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get("/owner/chez-test/insights").status_code == 200
    assert client.get("/owner/chez-test/insights/rates.csv").status_code == 200
    for url in ("/owner/not-mine/insights", f"/owner/{other.id}/insights",
                "/owner/not-mine/insights/covers.csv"):
        assert client.get(url).status_code == 404, url


def test_login_required(client, restaurant):
    for url in ("/owner/chez-test/insights", "/owner/chez-test/insights/covers.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_the_restaurants_own_bookings_count(session, owner_client, restaurant, booked):
    other = make_restaurant(session, slug="elsewhere")
    session.add(Reservation(restaurant_id=other.id, table_id=other.tables[0].id,
                            starts_at=local(other, booked, 19), ends_at=local(other, booked, 21),
                            party_size=2, guest_name="Elsewhere"))
    session.commit()
    assert sum(int(r[1]) for r in _csv(owner_client, "sources")[1:]) == 3
