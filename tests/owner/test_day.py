"""The day view: the grid, the covers, the live refresh, and who may see it."""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant


def test_one_restaurant_redirects_to_today(owner_client, restaurant):
    response = owner_client.get("/owner/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/owner/chez-test/")
    today = owner_client.get("/owner/chez-test/")
    assert "/owner/chez-test/day/" in today.headers["Location"]


def test_several_restaurants_are_listed(session, owner_client, owner):
    other = make_restaurant(session, name="Second Place", slug="second-place")
    make_owner(session, other, "owner@example.com")
    page = owner_client.get("/owner/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chez Test" in html and "Second Place" in html


def test_login_required(client, restaurant):
    response = client.get("/owner/chez-test/day/2026-12-01")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_day_grid_places_reservations(owner_client, restaurant, book, day):
    booking = book(19, 0, party=3, name="Grace Hopper")
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert "Grace Hopper" in html
    # 19:00-21:00 at a 15-minute grid spans 8 columns.
    assert f'data-reservation="{booking.id}"' in html
    assert " s-8" in html
    assert 'data-service="Dinner">3<' in html
    assert 'data-service="Lunch">0<' in html


def test_day_by_id_and_picker(owner_client, restaurant, day):
    assert owner_client.get(f"/owner/{restaurant.id}/day/{day}").status_code == 200
    picked = owner_client.get(f"/owner/chez-test/day?date={day}")
    assert picked.headers["Location"].endswith(f"/owner/chez-test/day/{day}")
    for bad in ("2026-13-45", "9999-12-31", "0001-01-01", "yesterday"):
        assert owner_client.get(f"/owner/chez-test/day/{bad}").status_code == 404, bad
    assert owner_client.get("/owner/chez-test/hours?preview=9999-12-31").status_code == 200


def test_grid_fragment_answers_204_until_something_changes(owner_client, book, day):
    fragment = owner_client.get(f"/owner/chez-test/day/{day}/grid", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    version = html.split('data-fingerprint="')[1].split('"')[0]
    unchanged = owner_client.get(f"/owner/chez-test/day/{day}/grid?v={version}")
    assert unchanged.status_code == 204
    book(20, 0, name="Live Guest")
    changed = owner_client.get(f"/owner/chez-test/day/{day}/grid?v={version}")
    assert changed.status_code == 200
    assert "Live Guest" in changed.get_data(as_text=True)


def test_other_restaurant_is_404(session, owner_client, day):
    other = make_restaurant(session, name="Not Mine", slug="not-mine")
    for url in (f"/owner/not-mine/day/{day}", f"/owner/{other.id}/day/{day}",
                f"/owner/not-mine/day/{day}/grid", "/owner/not-mine/settings",
                "/owner/not-mine/tables", "/owner/not-mine/reservations",
                "/owner/not-mine/reservations.csv", "/owner/not-mine/tokens",
                "/owner/nowhere/day/2026-12-01", "/owner/99999/hours"):
        assert owner_client.get(url).status_code == 404, url


def test_staff_runs_the_day_but_not_the_setup(session, client, restaurant, day):
    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get(f"/owner/chez-test/day/{day}").status_code == 200
    assert client.get("/owner/chez-test/reservations").status_code == 200
    for url in ("/owner/chez-test/settings", "/owner/chez-test/tables", "/owner/chez-test/hours",
                "/owner/chez-test/special-days", "/owner/chez-test/tokens"):
        assert client.get(url).status_code == 403, url
        assert client.post_form(url, {}).status_code == 403, url
    page = client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert "/owner/chez-test/settings" not in page




def test_panel_fragments_for_htmx(owner_client, book, day):
    booking = book(19, name="Panel Guest")
    headers = {"HX-Request": "true", "HX-Target": "panel"}
    panel = owner_client.get(f"/owner/chez-test/reservations/{booking.id}", headers=headers)
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and html.lstrip().startswith("<dialog")
    assert "Panel Guest" in html and "<html" not in html
    new = owner_client.get(f"/owner/chez-test/reservations/new?date={day}&time=19:15&table=2",
                           headers=headers).get_data(as_text=True)
    assert new.lstrip().startswith("<dialog") and 'value="19:15"' in new
    assert '<option value="2" selected>' in new
    page = owner_client.get(f"/owner/chez-test/reservations/{booking.id}").get_data(as_text=True)
    assert "<html" in page and "Panel Guest" in page


def test_live_poll_after_logout_sends_the_browser_to_login(client, restaurant, day):
    response = client.get(f"/owner/chez-test/day/{day}/grid", headers={
        "HX-Request": "true", "HX-Current-URL": f"http://localhost/owner/chez-test/day/{day}"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_closed_day_and_inactive_table_bookings(owner_client, session, restaurant, book, day):
    from webapp.models import DiningTable, SpecialDay

    booking = book(19, table="T3", name="On Old Table")
    session.get(DiningTable, booking.table_id).active = False
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=day, end_date=day, closed=True,
                           reason="Holiday"))
    session.commit()
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert "<strong>Closed:</strong> no services on this day." in html
    assert "On Old Table" in html and "other tables (1)" in html
