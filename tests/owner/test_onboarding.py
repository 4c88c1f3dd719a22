"""The set-up guide's pages: each step's GET, valid POST, refused POST (422 with the
message under its field), skip and re-open; the address check; the share page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.models import DiningTable, OpeningHours, Restaurant

GUIDE = "/owner/chez-test/setup-guide"


@pytest.fixture
def new_restaurant(session, restaurant):
    """The fixture's restaurant as sign-up leaves one: not onboarded, not published."""
    restaurant.onboarded_at = None
    restaurant.published_at = None
    session.commit()
    return restaurant


def html(response) -> str:
    return response.get_data(as_text=True)


def error_under(page: str, field_id: str, message: str) -> bool:
    """The message is shown as the field's own error (the id its control points at)."""
    return f'id="{field_id}-error" class="field-error">{message}<' in page


def test_owner_lands_in_the_guide_until_it_is_put_off(owner_client, new_restaurant):
    landing = owner_client.get("/owner/", follow_redirects=True)
    assert landing.request.path == f"{GUIDE}/restaurant"
    page = html(landing)
    assert "Step 1 of 5" in page and 'aria-current="step"' in page
    assert "Skip for now" in page and "Set-up guide" in page
    later = owner_client.post_form(f"{GUIDE}/later")
    assert later.status_code == 303 and later.headers["Location"].endswith("/owner/chez-test/day")
    assert owner_client.get("/owner/chez-test/").headers["Location"].startswith(
        "/owner/chez-test/day/")
    # Re-openable: the menu still offers it (not published yet), and it opens.
    day = html(owner_client.get("/owner/chez-test/day", follow_redirects=True))
    assert f'href="{GUIDE}"' in day and "stays under “Set-up guide” in the menu" in day
    assert owner_client.get(GUIDE, follow_redirects=True).status_code == 200


def test_staff_never_see_the_guide(session, client, new_restaurant):
    make_owner(session, new_restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get("/owner/chez-test/").headers["Location"].startswith("/owner/chez-test/day/")
    assert client.get(f"{GUIDE}/restaurant").status_code == 403
    assert f'href="{GUIDE}"' not in html(client.get("/owner/chez-test/day", follow_redirects=True))


def test_every_step_shows_its_place_and_links_the_next(owner_client, new_restaurant):
    steps = ["restaurant", "tables", "hours", "rules", "publish"]
    for number, step in enumerate(steps, 1):
        page = html(owner_client.get(f"{GUIDE}/{step}"))
        assert f"Step {number} of 5" in page, step
        if number < 5:
            assert f'href="{GUIDE}/{steps[number]}" class="skip-step">Skip for now' in page
        else:
            assert "Skip for now" not in page and "Finish later" in page


# --------------------------------------------------------------------------- 1. restaurant


RESTAURANT = {"name": "Chez Marie", "slug": "chez-marie", "timezone": "Europe/Paris",
              "address": "1 Rue Test, Paris", "phone": "+33 1 23 45 67 89",
              "description": "Bistro food."}


def test_restaurant_step_saves_and_moves_on(owner_client, session, new_restaurant):
    page = html(owner_client.get(f"{GUIDE}/restaurant"))
    assert 'data-fill-from-browser="1"' in page and '<option value="Europe/Paris">' in page
    assert 'hx-get="/owner/chez-test/setup-guide/address-check"' in page
    saved = owner_client.post_form(f"{GUIDE}/restaurant", RESTAURANT)
    assert saved.status_code == 303
    assert saved.headers["Location"] == "/owner/chez-marie/setup-guide/tables"
    session.expire_all()
    restaurant = session.get(Restaurant, new_restaurant.id)
    assert (restaurant.name, restaurant.slug, restaurant.timezone, restaurant.address,
            restaurant.description, restaurant.country) == (
        "Chez Marie", "chez-marie", "Europe/Paris", "1 Rue Test, Paris", "Bistro food.", "FR")
    # Chosen once: the browser's zone is no longer offered instead.
    again = html(owner_client.get("/owner/chez-marie/setup-guide/restaurant"))
    assert "data-fill-from-browser" not in again
    assert '<option selected value="Europe/Paris">' in again


def test_restaurant_step_refusals_are_422_under_the_field(owner_client, session, new_restaurant):
    make_restaurant(session, slug="taken")
    bad = owner_client.post_form(f"{GUIDE}/restaurant", dict(
        RESTAURANT, name="", slug="taken", timezone="Mars/Olympus", phone="call me"))
    assert bad.status_code == 422
    page = html(bad)
    assert error_under(page, "name", "Give the restaurant&#39;s name.")
    assert error_under(page, "slug", "Another restaurant already uses this address.")
    assert error_under(page, "timezone", "Choose a time zone from the list, e.g. Europe/Berlin.")
    assert 'id="phone-error"' in page
    assert "data-fill-from-browser" not in page  # the posted choice stands
    shape = owner_client.post_form(f"{GUIDE}/restaurant", dict(RESTAURANT, slug="Chez Marie!"))
    assert shape.status_code == 422
    assert error_under(html(shape), "slug",
                       "Use lower-case letters, digits and single dashes, e.g. chez-marie.")
    reserved = owner_client.post_form(f"{GUIDE}/restaurant", dict(RESTAURANT, slug="signup"))
    assert error_under(html(reserved), "slug", "This address is reserved; choose another.")
    session.expire_all()
    assert session.get(Restaurant, new_restaurant.id).slug == "chez-test"
    no_csrf = owner_client.post(f"{GUIDE}/restaurant", data=RESTAURANT)
    assert no_csrf.status_code == 400


def test_address_check_fragment(owner_client, session, new_restaurant):
    make_restaurant(session, slug="taken")
    url = f"{GUIDE}/address-check"
    free = owner_client.get(url, query_string={"slug": "chez-marie"}, headers={"HX-Request": "true"})
    assert free.status_code == 200 and "<html" not in html(free)
    assert "✓ /r/chez-marie is free." in html(free)
    assert "Another restaurant already uses this address." in html(
        owner_client.get(url, query_string={"slug": "taken"}))
    assert "This is your address now." in html(owner_client.get(url, query_string={"slug": "chez-test"}))
    assert "The address needs 2 to 64 characters." in html(owner_client.get(url))
    assert "Use lower-case letters" in html(owner_client.get(url, query_string={"slug": "a b"}))


# --------------------------------------------------------------------------- 2. tables


def test_tables_quick_form_then_confirm_with_names(owner_client, session, new_restaurant):
    page = html(owner_client.get(f"{GUIDE}/tables"))
    assert 'name="count-3"' in page and 'name="count-4"' not in page  # 4 rows without JS
    assert "You have 3 tables" in page
    plan = owner_client.post_form(f"{GUIDE}/tables", {
        "action": "plan", "count-0": "2", "seats-0": "2", "count-1": "1", "seats-1": "8",
        "area-1": "Terrace", "quick": "1 of 6"})
    assert plan.status_code == 200
    confirm = html(plan)
    # The fixture has T1-T3: the new ones go on from T4, in the order given.
    for index, name in enumerate(["T4", "T5", "T6", "T7"]):
        assert f'name="names-{index}" value="{name}"' in confirm
    assert "8 seats · Terrace" in confirm and 'name="count" value="4"' in confirm
    assert session.query(DiningTable).count() == 3  # nothing written yet
    created = owner_client.post_form(f"{GUIDE}/tables", {
        "action": "create", "count": "2", "names-0": "Window", "seats-0": "2",
        "position-0": "3", "names-1": "T5", "seats-1": "8", "area-1": "Terrace",
        "position-1": "4"})
    assert created.status_code == 303 and created.headers["Location"].endswith("/setup-guide/hours")
    rows = session.scalars(select(DiningTable).where(DiningTable.name.in_(["Window", "T5"]))
                           .order_by(DiningTable.position)).all()
    assert [(t.name, t.seats, t.area, t.active) for t in rows] == [
        ("Window", 2, "", True), ("T5", 8, "Terrace", True)]


def test_tables_refusals_are_422_under_the_row(owner_client, session, new_restaurant):
    bad = owner_client.post_form(f"{GUIDE}/tables", {"action": "plan", "count-0": "2",
                                                     "seats-0": "2", "count-1": "x",
                                                     "seats-1": "4"})
    assert bad.status_code == 422
    assert error_under(html(bad), "rows-1", "Row 2: give the number of tables as a whole number.")
    assert 'name="count-1" value="x"' in html(bad)  # what was typed stays
    empty = owner_client.post_form(f"{GUIDE}/tables", {"action": "plan"})
    assert empty.status_code == 422
    assert error_under(html(empty), "rows-0", "Give at least one kind of table, e.g. 6 of 2.")
    quick = owner_client.post_form(f"{GUIDE}/tables", {"action": "plan", "quick": "lots"})
    assert quick.status_code == 422
    assert "“lots” is not a kind of table" in html(quick) and 'id="quick-error"' in html(quick)
    clash = owner_client.post_form(f"{GUIDE}/tables", {
        "action": "create", "count": "2", "names-0": "T1", "seats-0": "2", "position-0": "3",
        "names-1": "New", "seats-1": "2", "position-1": "4"})
    assert clash.status_code == 422
    assert error_under(html(clash), "names-0", "Another table already has this name.")
    assert 'name="names-1" value="New"' in html(clash)
    broken = owner_client.post_form(f"{GUIDE}/tables", {"action": "create", "count": "1",
                                                        "names-0": "X", "seats-0": "two"})
    assert broken.status_code == 400
    assert session.query(DiningTable).count() == 3


# --------------------------------------------------------------------------- 3. hours


def test_hours_preset_review_and_save(owner_client, session, new_restaurant):
    session.execute(OpeningHours.__table__.delete())
    session.commit()
    page = html(owner_client.get(f"{GUIDE}/hours"))
    assert 'value="lunch_dinner" checked' in page and 'value="dinner"' in page
    review = owner_client.post_form(f"{GUIDE}/hours", {"action": "review", "preset": "lunch_dinner",
                                                       "weekdays": ["1", "2", "5"]})
    assert review.status_code == 200
    times = html(review)
    assert 'name="services-0-opens" value="12:00"' in times
    assert 'name="services-1-closes" value="23:00"' in times
    assert "Tuesday, Wednesday, Saturday" in times
    assert session.query(OpeningHours).count() == 0
    saved = owner_client.post_form(f"{GUIDE}/hours", {
        "action": "save", "preset": "lunch_dinner", "weekdays": ["1", "5"],
        "services-0-name": "Lunch", "services-0-opens": "11:30", "services-0-closes": "14:30",
        "services-1-name": "Dinner", "services-1-opens": "18:00", "services-1-closes": "00:30"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/setup-guide/rules")
    rows = session.scalars(select(OpeningHours).order_by(OpeningHours.weekday,
                                                         OpeningHours.opens)).all()
    assert [(r.weekday, r.name, r.opens, r.closes) for r in rows] == [
        (1, "Lunch", dt.time(11, 30), dt.time(14, 30)), (1, "Dinner", dt.time(18), dt.time(0, 30)),
        (5, "Lunch", dt.time(11, 30), dt.time(14, 30)), (5, "Dinner", dt.time(18), dt.time(0, 30))]
    # Again for Tuesday, dinner only: Tuesday's hours are replaced, Saturday's stay.
    owner_client.post_form(f"{GUIDE}/hours", {
        "action": "save", "preset": "dinner", "weekdays": ["1"], "services-0-name": "Dinner",
        "services-0-opens": "19:00", "services-0-closes": "23:00"})
    session.expire_all()
    assert [(r.weekday, r.name) for r in session.scalars(select(OpeningHours).order_by(
        OpeningHours.weekday, OpeningHours.opens))] == [(1, "Dinner"), (5, "Lunch"), (5, "Dinner")]


def test_hours_refusals_are_422_under_the_field(owner_client, session, new_restaurant):
    before = session.query(OpeningHours).count()
    no_days = owner_client.post_form(f"{GUIDE}/hours", {"action": "review", "preset": "dinner"})
    assert no_days.status_code == 422
    assert error_under(html(no_days), "weekdays", "Choose at least one day.")
    preset = owner_client.post_form(f"{GUIDE}/hours", {"action": "review", "preset": "brunch",
                                                       "weekdays": "1"})
    assert preset.status_code == 422
    assert error_under(html(preset), "preset", "Choose lunch and dinner, or dinner only.")
    bad_time = owner_client.post_form(f"{GUIDE}/hours", {
        "action": "save", "preset": "dinner", "weekdays": "1", "services-0-name": "Dinner",
        "services-0-opens": "25:00", "services-0-closes": "23:00"})
    assert bad_time.status_code == 422
    assert error_under(html(bad_time), "services-0-opens",
                       "Give the opening time as HH:MM, e.g. 12:00.")
    overlap = owner_client.post_form(f"{GUIDE}/hours", {
        "action": "save", "preset": "lunch_dinner", "weekdays": "1",
        "services-0-name": "Lunch", "services-0-opens": "12:00", "services-0-closes": "19:00",
        "services-1-name": "Dinner", "services-1-opens": "18:00", "services-1-closes": "23:00"})
    assert overlap.status_code == 422
    assert error_under(html(overlap), "services-1-opens",
                       "Dinner starts before Lunch ends: the services of a day cannot overlap.")
    assert session.query(OpeningHours).count() == before


# --------------------------------------------------------------------------- 4. rules


RULES = {"slot_interval_minutes": "30", "default_turn_minutes": "90", "turn_times": "5:150",
         "lead_time_minutes": "120", "horizon_days": "30", "max_online_party": "6"}


def test_rules_step_defaults_explained_saves(owner_client, session, new_restaurant):
    page = html(owner_client.get(f"{GUIDE}/rules"))
    assert 'id="slot_interval_minutes-help"' in page and "Online bookings close this long" in page
    saved = owner_client.post_form(f"{GUIDE}/rules", RULES)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/setup-guide/publish")
    session.expire_all()
    restaurant = session.get(Restaurant, new_restaurant.id)
    assert (restaurant.slot_interval_minutes, restaurant.default_turn_minutes,
            restaurant.turn_times, restaurant.lead_time_minutes, restaurant.horizon_days,
            restaurant.max_online_party) == (30, 90, {"5": 150}, 120, 30, 6)
    assert restaurant.name == "Chez Test"  # the other settings stay


def test_rules_refusals_are_422_under_the_field(owner_client, session, new_restaurant):
    bad = owner_client.post_form(f"{GUIDE}/rules", dict(RULES, slot_interval_minutes="3",
                                                        horizon_days="x", turn_times="five"))
    assert bad.status_code == 422
    page = html(bad)
    assert error_under(page, "slot_interval_minutes",
                       "The slot interval (minutes) must be between 5 and 120.")
    assert error_under(page, "horizon_days",
                       "Give the booking horizon (days) as a whole number.")
    assert 'id="turn_times-error"' in page
    session.expire_all()
    assert session.get(Restaurant, new_restaurant.id).slot_interval_minutes == 15


# --------------------------------------------------------------------------- 5. preview


def test_publish_step_previews_real_free_times(owner_client, book, day, new_restaurant):
    page = html(owner_client.get(f"{GUIDE}/publish"))
    assert "What guests will see" in page and "Step 5 of 5" in page
    # The suite's clock is Wednesday 12 June 2030 08:00 UTC; open daily 12-15, 18-23.
    assert "Wednesday 12 June · 2 guests" in page
    assert '<li class="time-chip">12:00</li>' in page and '<li class="time-chip">21:00</li>' in page
    assert "http://localhost/r/chez-test" in page
    assert '<button type="submit">Publish</button>' in page


def test_publish_step_says_what_is_missing(owner_client, session, new_restaurant):
    session.execute(OpeningHours.__table__.delete())
    session.commit()
    page = html(owner_client.get(f"{GUIDE}/publish"))
    assert "Guests cannot book yet" in page and "set your opening hours" in page


# --------------------------------------------------------------------------- share


def test_share_page_has_the_link_and_its_qr_code(owner_client, restaurant):
    page = owner_client.get("/owner/chez-test/share")
    assert page.status_code == 200
    text = html(page)
    assert 'href="http://localhost/r/chez-test"' in text
    svg = text[text.index("<svg"):text.index("</svg>")]
    assert 'role="img"' in svg and 'class="qr-code"' in svg and "style=" not in svg
    assert "QR code of http://localhost/r/chez-test" in svg
    download = owner_client.get("/owner/chez-test/share/qr.svg")
    assert download.status_code == 200 and download.mimetype == "image/svg+xml"
    assert 'filename="chez-test-qr.svg"' in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True).startswith("<?xml")
    assert 'href="/owner/chez-test/share"' in html(owner_client.get("/owner/chez-test/day",
                                                                    follow_redirects=True))


def test_qr_code_holds_the_link():
    """The SVG's dark modules, read back from its path, are the QR matrix of the link."""
    import re

    import segno

    from webapp.owner.onboarding import qr_svg

    link = "http://localhost/r/chez-test"
    svg = qr_svg(link)
    expected = segno.make(link, error="m")
    size = expected.symbol_size(border=0)[0]
    dark = re.search(r'<path[^>]*stroke="#000"[^>]*d="([^"]+)"', svg)
    assert dark, svg[:300]
    modules: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, a, b in re.findall(r"([MmHh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", dark.group(1)):
        if command in "Mm":
            x, y = (float(a), float(b)) if command == "M" else (x + float(a), y + float(b))
        else:
            length = float(a) if command == "h" else float(a) - x
            modules.update((int(x) + i - 4, int(y) - 4) for i in range(int(length)))
            x += length
    matrix = {(col, row) for row, line in enumerate(expected.matrix)
              for col, bit in enumerate(line) if bit}
    assert len(expected.matrix) == size and modules == matrix


def test_publish_needs_a_verified_address(owner_client, session, owner, new_restaurant):
    owner.email_verified_at = None
    session.commit()
    refused = owner_client.post_form(f"{GUIDE}/publish")
    assert refused.status_code == 422
    text = html(refused)
    assert 'id="publish-refusal"' in text and "Not published yet." in text
    assert 'action="/account/verify/resend"' in text and "Send the verification e-mail again" in text
    session.expire_all()
    restaurant = session.get(Restaurant, new_restaurant.id)
    assert restaurant.published_at is None and restaurant.onboarded_at is None
    assert owner_client.get("/r/chez-test").status_code == 404


def test_publish_opens_the_guest_page_and_ends_the_guide(owner_client, session, new_restaurant):
    published = owner_client.post_form(f"{GUIDE}/publish")
    assert published.status_code == 303
    assert published.headers["Location"].endswith("/owner/chez-test/share")
    session.expire_all()
    restaurant = session.get(Restaurant, new_restaurant.id)
    assert restaurant.published_at is not None and restaurant.onboarded_at is not None
    share = html(owner_client.get("/owner/chez-test/share"))
    assert "Your booking page is live" in share and "<svg" in share
    assert owner_client.get("/owner/chez-test/").headers["Location"].startswith(
        "/owner/chez-test/day/")
    assert f'href="{GUIDE}"' not in share  # done: the menu no longer offers it
    assert owner_client.get("/r/chez-test").status_code == 200
    assert "Close the set-up guide" in html(owner_client.get(f"{GUIDE}/publish"))
    assert owner_client.post_form(f"{GUIDE}/publish", {}).status_code == 303  # again: no change
    no_csrf = owner_client.post(f"{GUIDE}/publish")
    assert no_csrf.status_code == 400


def test_settings_link_to_the_guide(owner_client, restaurant):
    assert f'href="{GUIDE}"' in html(owner_client.get("/owner/chez-test/settings"))


def test_day_view_folds_the_link_and_qr_code_away(owner_client, session, restaurant):
    day = html(owner_client.get("/owner/chez-test/day", follow_redirects=True))
    card = day[day.index('<details class="share-card">'):]
    assert 'href="http://localhost/r/chez-test"' in card
    assert 'aria-labelledby="share-card-caption"' in card and "style=" not in card
    assert 'href="/owner/chez-test/share/qr.svg" download' in card
    restaurant.published_at = None
    session.commit()
    assert "share-card" not in html(owner_client.get("/owner/chez-test/day",
                                                     follow_redirects=True))
