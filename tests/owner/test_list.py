"""Search, the reservation list with filters, and its CSV export."""

from __future__ import annotations

import csv
import io

from webapp.owner.reservations import csv_safe


def test_search_by_name_email_and_phone(owner_client, book, day):
    book(12, name="Alice Archer", email="alice@example.com")
    book(19, name="Bob Baker", phone="+49 170 5550123")
    for query, expected, absent in (("archer", "Alice Archer", "Bob Baker"),
                                    ("ALICE@example", "Alice Archer", "Bob Baker"),
                                    ("170 555", "Bob Baker", "Alice Archer")):
        html = owner_client.get("/owner/chez-test/reservations", query_string={"q": query}
                                ).get_data(as_text=True)
        assert expected in html and absent not in html, query


def test_list_filters_by_dates_and_status(owner_client, session, book, day, restaurant):
    from datetime import timedelta

    from webapp.booking import service

    kept = book(19, name="In Range")
    book(19, name="Later Guest", when=day + timedelta(days=3))
    cancelled = book(12, name="Cancelled Guest")
    service.cancel(session, restaurant, cancelled.id, actor="guest")
    html = owner_client.get("/owner/chez-test/reservations", query_string={
        "start": str(day), "end": str(day), "status": "booked"}).get_data(as_text=True)
    assert "In Range" in html and "Later Guest" not in html and "Cancelled Guest" not in html
    assert f"/reservations/{kept.id}" in html


def test_list_bad_input_is_422(owner_client, day):
    response = owner_client.get("/owner/chez-test/reservations", query_string={
        "start": str(day), "end": "2000-01-01", "status": "bogus"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The last day cannot be before the first day." in html and "Not a valid choice" in html
    assert owner_client.get("/owner/chez-test/reservations.csv",
                            query_string={"start": "nope"}).status_code == 422


def test_csv_export_is_safe_against_formulas(owner_client, book, day):
    book(19, name="=HYPERLINK(\"http://evil\")", phone="+49 30 1234567")
    book(12, name="@SUM(A1)")
    response = owner_client.get("/owner/chez-test/reservations.csv",
                                query_string={"start": str(day), "end": str(day)})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["'@SUM(A1)", "'=HYPERLINK(\"http://evil\")"]
    assert rows[1]["phone"] == "+49301234567"  # a phone number is data, not a formula
    assert rows[1]["time"] == "19:00" and rows[1]["party_size"] == "2"


def test_csv_safe():
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("-2") == "'-2"
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == ""
