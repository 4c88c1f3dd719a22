"""Links that leave the site (the manage link in e-mails) never follow the request's
Host header, and the addresses a restaurant had before keep working (301)."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import future_day
from tests.public.conftest import TOKEN_IN_PAGE, manage_path
from webapp.models import OutboxEmail, PreviousSlug, Restaurant

FORGED = {"Host": "evil.example"}


def guest(time: str = "19:00") -> dict:
    return {"date": future_day().isoformat(), "time": time, "party_size": "2",
            "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958"}


def forged_booking(client):
    """A booking sent as an attacker would: the page and the form both under Host: evil.example
    (so the session and its CSRF token belong to that host too)."""
    page = client.get("/r/bistro", headers=FORGED).get_data(as_text=True)
    token = TOKEN_IN_PAGE.search(page).group(1)
    return client.post("/r/bistro/book", data={"csrf_token": token, **guest()}, headers=FORGED)


def mail_bodies(session) -> list[str]:
    session.commit()
    return list(session.scalars(select(OutboxEmail.body_text)))


def test_a_booking_with_a_forged_host_emails_the_configured_base(client, session, restaurant):
    response = forged_booking(client)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    [body] = mail_bodies(session)
    assert "evil.example" not in body
    # The suite's base (settings: http://localhost in testing), whatever the Host said.
    assert f"http://localhost{manage_path(response)}" in body


def test_the_configured_base_wins_over_the_host(client, session, restaurant, app):
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://book.example.org"
    try:
        response = forged_booking(client)
    finally:
        app.config["PUBLIC_BASE_URL"] = before
    [body] = mail_bodies(session)
    assert f"https://book.example.org{manage_path(response)}" in body
    assert "evil.example" not in body


def test_trusted_hosts_refuse_any_other_host(make_app, restaurant):
    strict = make_app(TRUSTED_HOSTS=["book.example.org"]).test_client()
    assert strict.get("/r/bistro", headers={"Host": "book.example.org"}).status_code == 200
    assert strict.get("/r/bistro", headers=FORGED).status_code == 400


def rename(session, restaurant: Restaurant, slug: str) -> None:
    restaurant.slug = slug
    session.commit()


def test_a_new_slug_keeps_the_old_one(session, restaurant):
    rename(session, restaurant, "bistro-blau")
    rename(session, restaurant, "blau")
    assert dict(session.execute(select(PreviousSlug.slug, PreviousSlug.restaurant_id)).all()) == \
        {"bistro": restaurant.id, "bistro-blau": restaurant.id}
    # Taking an old address back makes it current again, not previous.
    rename(session, restaurant, "bistro")
    assert set(session.scalars(select(PreviousSlug.slug))) == {"bistro-blau", "blau"}


def test_an_emailed_link_under_the_old_slug_redirects_301(client, session, restaurant):
    path = manage_path(client.post_form("/r/bistro/book", guest()))
    rename(session, restaurant, "bistro-blau")
    response = client.get(path + "?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"] == path.replace("/r/bistro/", "/r/bistro-blau/") + "?lang=en"
    assert client.get(response.headers["Location"]).status_code == 200
    page = client.get("/r/bistro")
    assert page.status_code == 301 and page.headers["Location"] == "/r/bistro-blau"


def test_a_current_slug_wins_over_a_previous_one(client, session, restaurant):
    from tests.factories import make_restaurant

    rename(session, restaurant, "bistro-blau")
    make_restaurant(session, slug="bistro", name="The New Bistro")
    page = client.get("/r/bistro")
    assert page.status_code == 200 and "The New Bistro" in page.get_data(as_text=True)


def test_an_unknown_slug_is_still_404(client, session, restaurant):
    assert client.get("/r/never-was").status_code == 404
