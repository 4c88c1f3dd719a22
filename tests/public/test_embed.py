"""The booking embed (/r/<slug>/embed): framed only by the owner's listed sites (and us),
every other page unframeable; the embed's own CSRF token; the whole flow in the frame."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, make_owner
from tests.public.test_booking_page import HTMX, guest
from webapp.booking.embed import OriginError, normalise_origin, parse_origins
from webapp.models import Reservation, Restaurant

SITES = "https://www.bistro-blau.de\nhttps://shop.example.com:8443"
FRAME_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    match = re.search(r"frame-ancestors ([^;]+)", policy)
    assert match, policy
    return match.group(1).split()


@pytest.fixture
def embeddable(session, restaurant):
    restaurant.embed_origins = SITES
    session.commit()
    return restaurant


def test_embed_is_framed_by_the_listed_sites_and_us_only(client, embeddable):
    response = client.get("/r/bistro/embed")
    assert response.status_code == 200
    assert frame_ancestors(response) == ["http://localhost", "https://www.bistro-blau.de",
                                         "https://shop.example.com:8443"]
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    # Otherwise as strict as everywhere: our own files only, no inline script.
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.get_data(as_text=True)
    assert 'class="site-header"' not in html and "Owner login" not in html
    assert "js/embed.js" in html and "<script>" not in html
    # No session inside the frame: the form's token is the embed's own.
    assert "Set-Cookie" not in response.headers
    # The htmx fragment (a new date) is framed the same way.
    fragment = client.get(f"/r/bistro/embed?date={future_day().isoformat()}&party_size=2",
                          headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert frame_ancestors(fragment)[1:] == ["https://www.bistro-blau.de",
                                             "https://shop.example.com:8443"]
    assert "X-Frame-Options" not in fragment.headers


def test_no_listed_site_means_only_us_and_the_page_says_embedding_is_off(client, restaurant):
    response = client.get("/r/bistro/embed")
    assert response.status_code == 200
    assert frame_ancestors(response) == ["http://localhost"]
    html = response.get_data(as_text=True)
    assert "isn&#39;t switched on" in html or "isn't switched on" in html
    assert 'id="booking"' not in html


@pytest.mark.parametrize("path", ["/", "/r/bistro", "/login", "/signup", "/r/bistro/nope",
                                  "/api/v1/openapi.json"])
def test_every_other_page_stays_unframeable(client, embeddable, path):
    response = client.get(path)
    assert frame_ancestors(response) == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_owner_pages_stay_unframeable(client, session, embeddable):
    make_owner(session, embeddable, "owner@bistro.example")
    client.login("owner@bistro.example", DEFAULT_PASSWORD)
    for path in ("/owner/bistro/settings", "/owner/bistro/day", "/account"):
        response = client.get(path, follow_redirects=True)
        assert frame_ancestors(response) == ["'none'"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def _frame_token(client) -> str:
    match = FRAME_TOKEN.search(client.get("/r/bistro/embed").get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_booking_inside_the_embed(client, session, embeddable, headers):
    day = future_day()
    token = _frame_token(client)
    # A cross-site frame sends no cookie: book from a client that has none.
    client.delete_cookie("session")
    response = client.post("/r/bistro/embed/book", data={"csrf_token": token,
                                                          **guest(day, "19:30", 3)},
                           headers=headers)
    assert response.status_code in (303, 204), response.get_data(as_text=True)[:800]
    location = response.headers.get("HX-Redirect") or response.headers["Location"]
    assert re.search(r"/r/bistro/embed/b/[A-Za-z0-9_-]+$", location)
    assert frame_ancestors(response)[1:] == ["https://www.bistro-blau.de",
                                             "https://shop.example.com:8443"]
    assert "Set-Cookie" not in response.headers
    session.expire_all()
    booked = session.scalars(select(Reservation)).one()
    assert (booked.party_size, booked.guest_name, booked.source) == (3, "Ada Lovelace", "online")

    confirmation = client.get(location)
    assert confirmation.status_code == 200
    assert frame_ancestors(confirmation)[1:] == ["https://www.bistro-blau.de",
                                                 "https://shop.example.com:8443"]
    assert "X-Frame-Options" not in confirmation.headers
    assert confirmation.headers["Cache-Control"] == "private, no-store"
    html = confirmation.get_data(as_text=True)
    assert "Your table is booked" in html and "19:30" in html
    manage = re.search(r'<a href="([^"]+/r/bistro/b/[^"]+)" target="_blank" rel="noopener"', html)
    assert manage, html
    # The guest's own page (outside the frame) opens with that link and is not framed.
    own = client.get(manage.group(1).removeprefix("http://localhost"))
    assert own.status_code == 200 and own.headers["X-Frame-Options"] == "DENY"


def test_the_embed_refuses_a_booking_without_its_token(client, session, embeddable):
    day = future_day()
    for token in ("", "forged", _frame_token(client) + "x"):
        response = client.post("/r/bistro/embed/book", data={"csrf_token": token, **guest(day)})
        assert response.status_code == 400
        assert "open too long" in response.get_data(as_text=True)
    # A token for another restaurant does not book here.
    assert session.scalars(select(Reservation)).first() is None


def test_the_embed_books_nothing_while_embedding_is_off(client, session, restaurant):
    from webapp.public.embed import form_token

    response = client.post("/r/bistro/embed/book",
                           data={"csrf_token": form_token(restaurant), **guest(future_day())})
    assert response.status_code == 403
    assert session.scalars(select(Reservation)).first() is None


def test_a_token_of_another_restaurant_is_refused(client, session, embeddable):
    from tests.factories import make_restaurant
    from webapp.public.embed import form_token

    other = make_restaurant(session, slug="other", tables=[("A1", 2)])
    response = client.post("/r/bistro/embed/book",
                           data={"csrf_token": form_token(other), **guest(future_day())})
    assert response.status_code == 400
    assert session.scalars(select(Reservation)).first() is None


def test_a_taken_time_keeps_the_guest_in_the_frame(client, session, embeddable):
    day = future_day()
    token = _frame_token(client)
    first = client.post("/r/bistro/embed/book", data={"csrf_token": token, **guest(day, party=4)})
    assert first.status_code == 303
    second = client.post("/r/bistro/embed/book",
                         data={"csrf_token": token, **guest(day, party=4, email="b@example.com",
                                                            name="Bo")},
                         headers=HTMX)
    assert second.status_code == 409
    assert 'action="/r/bistro/embed/book"' in second.get_data(as_text=True) or \
        "/r/bistro/embed" in second.get_data(as_text=True)
    assert "X-Frame-Options" not in second.headers


# --------------------------------------------------------------------------- origins


@pytest.mark.parametrize(("entry", "origin"), [
    ("https://Example.COM", "https://example.com"),
    ("https://example.com/", "https://example.com"),
    ("https://example.com:443", "https://example.com"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://shop.example.com:8443", "https://shop.example.com:8443"),
])
def test_origins_are_normalised(entry, origin):
    assert normalise_origin(entry) == origin


@pytest.mark.parametrize("entry", [
    "example.com", "ftp://example.com", "https://example.com/booking", "https://example.com?a=1",
    "https://user:pw@example.com", "https://*.example.com", "https://exa_mple.com",
    "https://example.com;script-src", "javascript:alert(1)", "https://", "https://example.com:99999",
    "'self'",
])
def test_bad_origins_are_refused(entry):
    with pytest.raises(OriginError):
        normalise_origin(entry)


def test_at_most_ten_origins():
    assert len(parse_origins(" ".join(f"https://s{i}.example.com" for i in range(10)))) == 10
    with pytest.raises(OriginError, match="At most 10"):
        parse_origins("\n".join(f"https://s{i}.example.com" for i in range(11)))


SETTINGS = {"name": "Bistro Blau", "slug": "bistro", "timezone": "Europe/Berlin",
            "slot_interval_minutes": "15", "default_turn_minutes": "120", "turn_times": "",
            "lead_time_minutes": "60", "horizon_days": "60", "max_online_party": "8",
            "reminder_hours": "24", "country": "DE", "phone": "+49 30 1234567"}


def test_the_settings_page_stores_checked_origins_and_refuses_bad_ones(client, session,
                                                                       restaurant):
    make_owner(session, restaurant, "owner@bistro.example")
    client.login("owner@bistro.example", DEFAULT_PASSWORD)
    bad = client.post_form("/owner/bistro/settings", dict(
        SETTINGS, embed_origins="https://www.bistro-blau.de\nhttps://bistro-blau.de/book"))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "no page path" in html
    # The message sits under the field it is about.
    assert re.search(r'id="embed_origins".*?no page path', html, re.S)
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).embed_origins == ""

    good = client.post_form("/owner/bistro/settings", dict(
        SETTINGS, embed_origins="https://WWW.bistro-blau.de/  https://bistro-blau.de",
        calendar_feed_contact="y"))
    assert good.status_code == 303
    session.expire_all()
    saved = session.get(Restaurant, restaurant.id)
    assert saved.embed_origins == "https://www.bistro-blau.de\nhttps://bistro-blau.de"
    assert saved.calendar_feed_contact is True
    page = client.get("/owner/bistro/settings").get_data(as_text=True)
    # The snippet to paste (escaped inside its <textarea>), with this restaurant's embed
    # address and our script, and the preview frame.
    snippet = re.search(r'<textarea id="embed-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert snippet, page
    assert "<iframe" not in snippet.group(1)  # shown as text, not rendered
    assert 'src="http://localhost/r/bistro/embed"' in html_lib.unescape(snippet.group(1))
    assert 'src="http://localhost/static/js/embed-host.js"' in html_lib.unescape(snippet.group(1))
    assert 'class="embed-preview"' in page
    assert client.get("/r/bistro/embed").headers["Content-Security-Policy"].count(
        "https://bistro-blau.de") == 1


def test_the_settings_api_round_trips_the_new_fields(client, session, restaurant):
    from webapp.auth.tokens import create_token

    _, clear = create_token(session, restaurant.id, "tests")
    session.commit()
    auth = {"Authorization": f"Bearer {clear}"}
    url = "/api/v1/restaurants/bistro/settings"
    changed = client.patch(url, json={"embed_origins": "https://Bistro-Blau.de/ https://x.example",
                                      "calendar_feed_contact": True}, headers=auth)
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["embed_origins"] == "https://bistro-blau.de\nhttps://x.example"
    assert body["calendar_feed_contact"] is True
    # What GET answers goes back through PATCH unchanged.
    current = client.get(url, headers=auth).get_json()
    current.pop("id")
    again = client.patch(url, json=current, headers=auth)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["embed_origins"] == body["embed_origins"]
    refused = client.patch(url, json={"embed_origins": "https://bistro-blau.de/book"},
                           headers=auth)
    assert refused.status_code == 422
    assert "embed_origins" in str(refused.get_json())


@pytest.mark.parametrize(("policy", "deny"), [
    ("default-src 'self'", True),  # a page's own policy without frame-ancestors
    ("default-src 'self'; frame-ancestors 'none'", True),
    ("default-src 'self'; frame-ancestors https://www.bistro-blau.de", False),  # the embed
])
def test_x_frame_options_is_left_out_only_for_a_listed_frame_ancestors(app, policy, deny):
    from flask import Response

    from webapp.observability import _security_headers

    with app.test_request_context("/"):
        response = Response("x", headers={"Content-Security-Policy": policy})
        _security_headers(response)
    assert (response.headers.get("X-Frame-Options") == "DENY") is deny
