"""The language a booking is made in (``reservations.language``) and the restaurant's own
default language (``restaurants.default_language``).

Every e-mail about a booking is written in the booking's language, whichever door causes
it: the guest's page, the owner's dashboard (English), the API, the reminder worker. A
guest page opens in the restaurant's default language unless the guest chose one
(``?lang=``, the cookie); without a default the browser decides."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from babel.dates import format_date
from sqlalchemy import event, select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner
from tests.public.conftest import manage_path
from tests.public.test_embed import FRAME_TOKEN
from tests.public.test_outbox import smtp_config
from webapp.auth.tokens import create_token
from webapp.booking import service
from webapp.extensions import db
from webapp.models import OutboxEmail, Reservation, Restaurant
from webapp.notifications.outbox import MailWriter, deliver_due

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
API = "/api/v1/restaurants/bistro"


def guest(day: dt.date, time: str = "19:00", **extra) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": "2", "name": "Anna Schmidt",
            "email": "anna@example.com", "phone": "+49 30 1234567", **extra}


def mails(session, reservation_id: int) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboxEmail).where(
        OutboxEmail.reservation_id == reservation_id, OutboxEmail.kind != "reminder")
        .order_by(OutboxEmail.id)))


def stored(session, reservation_id: int) -> Reservation:
    session.expire_all()
    return session.get(Reservation, reservation_id)


def book_in_german(client, session, day: dt.date) -> tuple[int, str]:
    response = client.post_form("/r/bistro/book", guest(day), headers=GERMAN)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    path = manage_path(response)
    rid = session.scalar(select(Reservation.id).where(Reservation.guest_name == "Anna Schmidt"))
    return rid, path


def api_auth(session, restaurant) -> dict[str, str]:
    _, clear = create_token(session, restaurant.id, "language")
    session.commit()
    return {"Authorization": f"Bearer {clear}"}


def log_in_owner(client, session, restaurant) -> None:
    make_owner(session, restaurant, "owner@example.com")
    client.login("owner@example.com", DEFAULT_PASSWORD)


def table_of(restaurant, name: str) -> int:
    return next(t.id for t in restaurant.tables if t.name == name)


# --------------------------------------------------------------------------- the e-mails


@pytest.mark.parametrize("door", ["page", "api"])
def test_the_owners_move_and_cancellation_of_a_german_booking_are_told_in_german(
        door, client, session, restaurant):
    """The owner works in English (dashboard, API); the guest booked in German."""
    day = future_day()
    rid, _ = book_in_german(client, session, day)
    assert stored(session, rid).language == "de"
    table = table_of(restaurant, "T2")
    if door == "page":
        log_in_owner(client, session, restaurant)
        moved = client.post_form(f"/owner/bistro/reservations/{rid}/move", {
            "date": day.isoformat(), "time": "20:00", "party_size": "2", "table": str(table),
            "version": "1", "notify_guest": "y"}, headers=ENGLISH)
        assert moved.status_code == 303, moved.get_data(as_text=True)[:300]
        cancelled = client.post_form(f"/owner/bistro/reservations/{rid}/status", {
            "status": "cancelled", "version": "2", "notify_guest": "y", "confirm": "y"},
            headers=ENGLISH)
        assert cancelled.status_code == 303, cancelled.get_data(as_text=True)[:300]
    else:
        auth = {**api_auth(session, restaurant), **ENGLISH}
        moved = client.post(f"{API}/reservations/{rid}/move", headers=auth, json={
            "date": day.isoformat(), "time": "20:00", "party_size": 2, "table": table,
            "version": 1})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["language"] == "de"
        cancelled = client.post(f"{API}/reservations/{rid}/status", headers=auth,
                                json={"status": "cancelled", "version": 2})
        assert cancelled.status_code == 200, cancelled.get_json()
    confirmation, change, cancellation = mails(session, rid)
    german_day = format_date(day, "full", locale="de")
    assert change.subject == f"Ihre Reservierung im Bistro Blau wurde geändert: {german_day} um 20:00"
    assert change.body_text.startswith("Guten Tag Anna Schmidt,\n")
    assert "Ihre Reservierung wurde geändert." in change.body_text
    assert "SUMMARY:Tisch für 2 im Bistro Blau" in change.ics
    assert cancellation.subject == "Ihre Reservierung im Bistro Blau ist storniert"
    assert "Ihre Reservierung wurde storniert." in cancellation.body_text
    assert "METHOD:CANCEL" in cancellation.ics and "Tisch für 2" in cancellation.ics
    # The dashboard after these writes is still the owner's English one.
    if door == "page":
        page = client.get(f"/owner/bistro/reservations/{rid}", headers=ENGLISH)
        assert '<html lang="en">' in page.get_data(as_text=True)


def test_a_guest_changing_on_the_french_page_is_told_in_french_from_then_on(client, session,
                                                                            restaurant):
    day = future_day()
    rid, path = book_in_german(client, session, day)
    changed = client.post_form(f"{path}/change?lang=fr", {
        "date": day.isoformat(), "time": "20:30", "party_size": "2"}, headers=GERMAN)
    assert changed.status_code == 303, changed.get_data(as_text=True)[:300]
    assert stored(session, rid).language == "fr"
    # The owner's cancellation afterwards: French too (the guest's last language).
    auth = api_auth(session, restaurant)
    cancelled = client.post(f"{API}/reservations/{rid}/status", headers=auth,
                            json={"status": "cancelled", "version": 2})
    assert cancelled.status_code == 200, cancelled.get_json()
    _, change, cancellation = mails(session, rid)
    # French puts a no-break space before the colon.
    assert change.subject.startswith("Votre réservation chez Bistro Blau a été modifiée\xa0: ")
    assert cancellation.subject == "Votre réservation chez Bistro Blau est annulée"


def test_a_guest_cancelling_on_the_italian_page_is_told_in_italian(client, session,
                                                                  restaurant):
    day = future_day()
    rid, path = book_in_german(client, session, day)
    client.get(f"{path}?lang=it")  # the menu: the cookie keeps Italian
    cancelled = client.post_form(f"{path}/cancel", {"confirm": "y"}, headers=GERMAN)
    assert cancelled.status_code == 303
    assert stored(session, rid).language == "it"
    assert mails(session, rid)[-1].subject == "La tua prenotazione da Bistro Blau è annullata"


def test_the_reminder_goes_out_in_the_bookings_language(app, client, session, restaurant,
                                                        smtp_server):
    """Written by the worker outside any request, from the column. A reminder planned
    before migration 0010 named the language in its placeholder ("... sent.) [es]") and
    its booking was given "en": it keeps the placeholder's language."""
    restaurant.reminder_hours = 24
    session.commit()
    day = future_day()
    older = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                         party_size=2, guest=service.GuestDetails("Ana", "ana@example.com"),
                         after_write=MailWriter(link_for=lambda t: f"http://x.test/b/{t}"))
    assert older.reservation.language == "en"
    planned_before = session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "reminder"))
    planned_before.body_text = "(A reminder: written when it is sent.) [es]\n"
    session.commit()
    auth = api_auth(session, restaurant)
    made = client.post(f"{API}/reservations", headers=auth, json={
        "source": "phone", "date": day.isoformat(), "time": "19:30", "party_size": 2,
        "name": "Luca Rossi", "email": "luca@example.com", "language": "it"})
    assert made.status_code == 201, made.get_json()
    rid = made.get_json()["id"]
    planned = session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "reminder",
                                                       OutboxEmail.reservation_id == rid))
    assert planned.subject.startswith("Promemoria: il tuo tavolo da Bistro Blau, ")
    config = {**app.config, **smtp_config(smtp_server)}
    deliver_due(db.session, config, now=local(restaurant, day, 19, 30) - dt.timedelta(hours=2))
    db.session.remove()
    parsed = [email.message_from_bytes(raw, policy=policy.default)
              for raw in smtp_server.messages]
    (reminder,) = [m for m in parsed if m["Subject"].startswith("Promemoria")]
    text = reminder.get_body(("plain",)).get_content()
    assert "Ti ricordiamo la tua prenotazione da Bistro Blau." in text
    assert format_date(day, "full", locale="it") in text
    (attachment,) = reminder.iter_attachments()
    assert "SUMMARY:Tavolo per 2 da Bistro Blau" in attachment.get_content()
    assert stored(session, rid).language == "it"
    (spanish,) = [m for m in parsed if m["To"] == "ana@example.com"
                  and m["Subject"].startswith("Recordatorio: tu mesa en Bistro Blau, ")]
    assert "Te recordamos tu reserva en Bistro Blau." in spanish.get_body(("plain",)).get_content()


# --------------------------------------------------------------------------- the rule


def test_the_restaurants_own_bookings_take_its_default_language_else_english(
        client, session, restaurant):
    day = future_day()
    log_in_owner(client, session, restaurant)

    def phone_booking(time: str) -> Reservation:
        response = client.post_form("/owner/bistro/reservations/new", {
            "source": "phone", "date": day.isoformat(), "time": time, "party_size": "2",
            "name": f"Guest {time}", "email": f"guest{time[:2]}@example.com",
            "notify_guest": "y"})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        return session.scalar(select(Reservation).where(Reservation.guest_name == f"Guest {time}"))

    assert phone_booking("12:00").language == "en"
    restaurant.default_language = "es"
    session.commit()
    row = phone_booking("13:00")
    assert row.language == "es"
    assert mails(session, row.id)[0].subject.startswith("Tu mesa en Bistro Blau: ")
    # A guest's own booking: their page's language. The page opens in Spanish (the
    # restaurant's default beats the browser's German)...
    rid, _ = book_in_german(client, session, day)
    assert stored(session, rid).language == "es"
    # ...unless the guest picks German in the menu (the cookie keeps it).
    client.get("/r/bistro?lang=de")
    response = client.post_form("/r/bistro/book", guest(day, "20:00", name="Karl Weber",
                                                         email="karl@example.com",
                                                         phone="+49 30 7654321"))
    assert response.status_code == 303
    karl = session.scalar(select(Reservation).where(Reservation.guest_name == "Karl Weber"))
    assert karl.language == "de"


def test_the_api_takes_an_optional_language_and_refuses_an_unknown_one(client, session,
                                                                       restaurant):
    day = future_day()
    auth = api_auth(session, restaurant)

    def create(time: str, **extra):
        return client.post(f"{API}/reservations", headers=auth, json={
            "source": "phone", "date": day.isoformat(), "time": time, "party_size": 2,
            "name": "Api Guest", "email": "api@example.com", **extra})

    refused = create("19:00", language="xx")
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["errors"]["language"] == ["Choose one of en, de, fr, it, es, or leave it empty."]
    assert session.scalar(select(Reservation.id)) is None
    german = create("19:00", language="de")
    assert german.status_code == 201 and german.get_json()["language"] == "de"
    assert mails(session, german.get_json()["id"])[0].subject.startswith("Ihr Tisch im ")
    restaurant.default_language = "fr"
    session.commit()
    default = create("12:00")
    assert default.status_code == 201 and default.get_json()["language"] == "fr"
    fetched = client.get(f"{API}/reservations/{default.get_json()['id']}", headers=auth)
    assert fetched.get_json()["language"] == "fr"
    # The guest's own link answers with it too.
    guest_view = client.get(f"/api/v1/reservations/{default.get_json()['manage_token']}")
    assert guest_view.get_json()["language"] == "fr"
    # Without the restaurant's token the field is the owner's (401, as documented).
    anonymous = client.post(f"{API}/reservations", json={**guest(day, "14:00"), "language": "de"})
    assert anonymous.status_code == 401


def test_the_openapi_document_names_the_languages(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert schemas["Settings"]["properties"]["default_language"]["enum"] == [
        "", "en", "de", "fr", "it", "es"]
    assert "default_language" in schemas["Settings"]["required"]
    assert schemas["Reservation"]["properties"]["language"]["enum"] == [
        "en", "de", "fr", "it", "es"]
    paths = document["paths"]
    guest_or_owner = paths["/restaurants/{slug}/reservations"]["post"]["requestBody"][
        "content"]["application/json"]["schema"]["anyOf"]
    (owner_body,) = [body for body in guest_or_owner if "language" in body["properties"]]
    # Optional: a language, "" or null (the restaurant's default).
    assert owner_body["properties"]["language"]["anyOf"] == [
        {"enum": ["en", "de", "fr", "it", "es"], "type": "string"},
        {"maxLength": 0, "type": "string"}, {"type": "null"}]
    settings_body = paths["/restaurants/{slug}/settings"]["patch"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert settings_body["properties"]["default_language"]["anyOf"][:2] == [
        {"enum": ["en", "de", "fr", "it", "es"], "type": "string"},
        {"maxLength": 0, "type": "string"}]


# --------------------------------------------------------------------------- the page


def test_the_restaurants_default_language_opens_the_page_unless_the_guest_chose(client,
                                                                                 session,
                                                                                 restaurant):
    french_browser = {"Accept-Language": "fr-FR,fr;q=0.9"}
    before = client.get("/r/bistro", headers=french_browser).get_data(as_text=True)
    assert '<html lang="fr">' in before  # no default: the browser decides
    restaurant.default_language = "de"
    session.commit()
    page = client.get("/r/bistro", headers=french_browser).get_data(as_text=True)
    assert '<html lang="de">' in page and "Tisch reservieren" in page
    asked = client.get("/r/bistro?lang=it", headers=french_browser).get_data(as_text=True)
    assert '<html lang="it">' in asked  # ?lang= wins, and its cookie stays
    kept = client.get("/r/bistro", headers=french_browser).get_data(as_text=True)
    assert '<html lang="it">' in kept
    # A booking's page too, and an error page answered before the view ran (CSRF).
    client.delete_cookie("lang")
    refused = client.post("/r/bistro/book", data=guest(future_day()), headers=french_browser)
    assert refused.status_code == 400
    assert '<html lang="de">' in refused.get_data(as_text=True)
    # Other pages of the site are not the restaurant's: the front page stays English.
    assert '<html lang="en">' in client.get("/", headers=french_browser).get_data(as_text=True)


def test_the_default_language_costs_the_booking_page_no_query(app, client, session,
                                                              restaurant):
    day = future_day()
    url = f"/r/bistro?date={day}&party_size=2"
    with app.app_context():
        engine = db.engine

    def statements(language: str) -> int:
        seen: list[str] = []
        record = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            page = client.get(url, headers={"Accept-Language": "fr"})
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert page.status_code == 200
        assert f'<html lang="{language}">' in page.get_data(as_text=True)
        return len(seen)

    client.get(url)  # the set-up cache warm
    without = statements("fr")
    restaurant.default_language = "it"
    session.commit()
    client.get(url)
    assert statements("it") == without


# --------------------------------------------------------------------------- settings


def test_the_settings_page_sets_the_guest_page_language(client, session, restaurant):
    log_in_owner(client, session, restaurant)
    page = client.get("/owner/bistro/settings").get_data(as_text=True)
    assert "Guest page language" in page
    assert '<option selected value="">The guest&#39;s browser decides</option>' in page
    assert '<option lang="de" value="de">Deutsch</option>' in page
    assert '<option lang="fr" value="fr">Français</option>' in page
    form = {"name": "Bistro Blau", "slug": "bistro", "timezone": "Europe/Berlin",
            "slot_interval_minutes": "15", "default_turn_minutes": "120",
            "lead_time_minutes": "60", "horizon_days": "60", "max_online_party": "8",
            "reminder_hours": "24", "default_language": "it"}
    saved = client.post_form("/owner/bistro/settings", form)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).default_language == "it"
    again = client.get("/owner/bistro/settings").get_data(as_text=True)
    assert '<option lang="it" selected value="it">Italiano</option>' in again
    odd = client.post_form("/owner/bistro/settings", {**form, "default_language": "xx"})
    assert odd.status_code == 422
    assert "Choose one of en, de, fr, it, es, or leave it empty." in odd.get_data(as_text=True)
    cleared = client.post_form("/owner/bistro/settings", {**form, "default_language": ""})
    assert cleared.status_code == 303
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).default_language == ""


def test_the_settings_api_reads_and_validates_the_default_language(client, session,
                                                                   restaurant):
    auth = api_auth(session, restaurant)
    assert client.get(f"{API}/settings", headers=auth).get_json()["default_language"] == ""
    refused = client.patch(f"{API}/settings", headers=auth, json={"default_language": "jp"})
    assert refused.status_code == 422
    assert "default_language" in refused.get_json()["errors"]
    changed = client.patch(f"{API}/settings", headers=auth, json={"default_language": "es"})
    assert changed.status_code == 200 and changed.get_json()["default_language"] == "es"
    # A PATCH of something else keeps it.
    other = client.patch(f"{API}/settings", headers=auth, json={"horizon_days": 90})
    assert other.status_code == 200 and other.get_json()["default_language"] == "es"
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).default_language == "es"
    cleared = client.patch(f"{API}/settings", headers=auth, json={"default_language": ""})
    assert cleared.status_code == 200 and cleared.get_json()["default_language"] == ""


def test_the_embed_books_in_the_language_its_frame_asked_for(client, session, restaurant):
    """An <iframe src=".../embed?lang=fr">: inside another site's frame the language
    cookie may not come back, so the embed's own addresses carry ?lang= on."""
    restaurant.embed_origins = "https://www.bistro-blau.de"
    session.commit()
    page = client.get("/r/bistro/embed?lang=fr", headers=GERMAN).get_data(as_text=True)
    assert '<html lang="fr">' in page and 'action="/r/bistro/embed/book?lang=fr"' in page
    token = FRAME_TOKEN.search(page).group(1)
    client.delete_cookie("lang")
    client.delete_cookie("session")
    response = client.post("/r/bistro/embed/book?lang=fr",
                           data={"csrf_token": token, **guest(future_day())}, headers=GERMAN)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].endswith("?lang=fr")
    booked = session.scalar(select(Reservation))
    assert booked.language == "fr"
    assert mails(session, booked.id)[0].subject.startswith("Votre table chez Bistro Blau")
    # Without ?lang= the addresses are as they were.
    plain = client.get("/r/bistro/embed", headers=GERMAN).get_data(as_text=True)
    assert 'action="/r/bistro/embed/book"' in plain
