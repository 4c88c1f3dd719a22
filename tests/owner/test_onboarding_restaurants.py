"""Several restaurants per account: "New restaurant" from the dashboard, the switcher in
the header, and tenancy: a restaurant made this way is its owner's alone."""

from __future__ import annotations

import re

import pytest

from tests.factories import DEFAULT_PASSWORD, future_day, make_owner, make_restaurant
from webapp.models import Membership, Restaurant


def html(response) -> str:
    return response.get_data(as_text=True)


def create(client, name: str):
    return client.post_form("/owner/new", {"name": name})


def test_new_restaurant_starts_its_own_guide(owner_client, session, owner, restaurant):
    page = owner_client.get("/owner/new")
    assert page.status_code == 200 and 'name="name"' in html(page)
    made = create(owner_client, "Café Zwei")
    assert made.status_code == 303
    assert made.headers["Location"] == "/owner/cafe-zwei/setup-guide/restaurant"
    new = session.query(Restaurant).filter_by(slug="cafe-zwei").one()
    assert (new.name, new.timezone, new.published_at, new.onboarded_at) == (
        "Café Zwei", restaurant.timezone, None, None)
    membership = session.get(Membership, (owner.id, new.id))
    assert membership is not None and membership.role == "owner"
    # The same name again gets the next free address.
    assert create(owner_client, "Café Zwei").headers["Location"].startswith(
        "/owner/cafe-zwei-2/")
    # Not published: guests find nothing yet.
    assert owner_client.get("/r/cafe-zwei").status_code == 404


def test_new_restaurant_refusals(owner_client, session):
    empty = create(owner_client, "  ")
    assert empty.status_code == 422
    assert 'id="name-error" class="field-error">Give the restaurant&#39;s name.<' in html(empty)
    long = create(owner_client, "x" * 121)
    assert long.status_code == 422
    assert owner_client.post("/owner/new", data={"name": "No Token"}).status_code == 400
    assert session.query(Restaurant).count() == 1


def test_new_restaurant_needs_a_login(client, session):
    assert client.get("/owner/new").status_code == 302


def test_only_owners_add_restaurants_when_signup_is_not_open(make_app, session, restaurant):
    closed = make_app(SIGNUP="closed")
    make_owner(session, restaurant, "staff@example.com", role="staff")
    make_owner(session, restaurant, "boss@example.com")
    staff = closed.test_client()
    staff.login("staff@example.com", DEFAULT_PASSWORD)
    assert staff.get("/owner/new").status_code == 403
    assert "New restaurant" not in html(staff.get(f"/owner/chez-test/day/{future_day()}"))
    boss = closed.test_client()
    boss.login("boss@example.com", DEFAULT_PASSWORD)
    assert boss.get("/owner/new").status_code == 200


def test_switcher_shows_where_you_are_and_the_others(owner_client, session, owner):
    other = make_restaurant(session, name="Bistro Zwei", slug="bistro-zwei")
    session.add(Membership(user_id=owner.id, restaurant_id=other.id, role="staff"))
    session.commit()
    session.expire_all()  # the requests share the test's session (and its loaded user)
    page = html(owner_client.get(f"/owner/chez-test/day/{future_day()}"))
    switcher = page[page.index('class="dropdown restaurant-switcher"'):page.index("</details>")]
    assert "<summary><span class=\"visually-hidden\">Restaurant: </span><strong>Chez Test</strong>" \
        in switcher
    assert re.search(r'href="/owner/chez-test/" aria-current="true">Chez Test ✓', switcher)
    assert 'href="/owner/bistro-zwei/">Bistro Zwei<' in switcher
    assert 'href="/owner/new">New restaurant' in switcher
    # Switching: the other one's day, as its staff (no set-up links).
    switched = owner_client.get("/owner/bistro-zwei/", follow_redirects=True)
    assert switched.request.path.startswith("/owner/bistro-zwei/day/")
    assert "<strong>Bistro Zwei</strong>" in html(switched)
    assert "/owner/bistro-zwei/settings" not in html(switched)
    # With two restaurants the dashboard lists both instead of picking one.
    index = html(owner_client.get("/owner/"))
    assert "Chez Test" in index and "Bistro Zwei" in index and 'href="/owner/new"' in index


@pytest.fixture
def made_by_other(session, client, restaurant):
    """A restaurant another account made with "New restaurant", with a table and hours."""
    make_owner(session, None, "other@example.com")
    client.login("other@example.com", DEFAULT_PASSWORD)
    assert create(client, "Their Place").status_code == 303
    assert client.post_form("/owner/their-place/setup-guide/tables", {
        "action": "create", "count": "1", "names-0": "Secret", "seats-0": "4",
        "position-0": "0"}).status_code == 303
    client.post_form("/logout")
    return session.query(Restaurant).filter_by(slug="their-place").one()


def test_a_restaurant_made_from_the_dashboard_is_its_owner_alone(made_by_other, session, client,
                                                                 owner):
    client.login("owner@example.com", DEFAULT_PASSWORD)
    table_id = made_by_other.tables[0].id
    day = future_day()
    for ref in ("their-place", str(made_by_other.id)):
        for path in ("", f"day/{day}", "settings", "tables", f"tables/{table_id}", "hours",
                     "reservations", "tokens", "share", "share/qr.svg", "setup-guide",
                     "setup-guide/restaurant", "setup-guide/tables", "setup-guide/hours",
                     "setup-guide/rules", "setup-guide/publish",
                     "setup-guide/address-check?slug=x"):
            url = f"/owner/{ref}/{path}"
            assert client.get(url).status_code == 404, url
        for path in ("setup-guide/restaurant", "setup-guide/tables", "setup-guide/hours",
                     "setup-guide/rules", "setup-guide/publish", "setup-guide/later",
                     f"tables/{table_id}/activate"):
            url = f"/owner/{ref}/{path}"
            assert client.post_form(url, {"name": "Mine now"}).status_code == 404, url
    assert client.get(f"/owner/chez-test/tables/{table_id}").status_code == 404
    switcher = html(client.get(f"/owner/chez-test/day/{day}"))
    assert "Their Place" not in switcher
    session.expire_all()
    assert session.get(Restaurant, made_by_other.id).name == "Their Place"


def test_new_restaurants_are_rate_limited_per_account(make_app, session, owner):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = limited.test_client()
    client.login("owner@example.com", DEFAULT_PASSWORD)
    answers = [create(client, f"Branch {n}").status_code for n in range(21)]
    assert answers == [303] * 20 + [429]
    assert session.query(Restaurant).count() == 21  # the fixture's and twenty new ones
