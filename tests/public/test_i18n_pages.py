"""The guest pages in the guest's language: Accept-Language picks it, ?lang= (kept in a
cookie) overrides it, dates and times are the locale's (CLDR via Babel), and the
e-mail goes out in the language the guest booked in, through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

from babel.dates import format_date, format_skeleton
from sqlalchemy import select

from tests.factories import future_day, local
from tests.public.conftest import manage_path
from tests.public.test_outbox import smtp_config
from webapp.extensions import db
from webapp.models import OutboxEmail
from webapp.notifications.outbox import deliver_due

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def guest(day, time="19:00", party=2, **extra) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": str(party),
            "name": "Anna Schmidt", "email": "anna@example.com", "phone": "+49 30 1234567",
            **extra}


def test_accept_language_de_gives_the_german_page_with_german_dates(client, restaurant):
    day = future_day()
    response = client.get(f"/r/bistro?date={day}&party_size=2", headers=GERMAN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="de">' in html
    assert "Tisch reservieren" in html and "Freie Zeiten anzeigen" in html
    assert "Book a table" not in html
    # The weekday and month in German, as CLDR writes them ("Fr., 4. Dez.").
    assert format_skeleton("MMMEd", day, locale="de") in html
    assert format_date(day, "full", locale="de") in html  # the times' heading
    assert "2 Personen" in html
    # 24-hour times, the value the form posts unchanged.
    assert re.search(r'value="19:00"[^>]*><span>19:00</span>', html)
    assert "PM" not in html
    assert "Accept-Language" in response.headers["Vary"]


def test_accept_language_fr_gives_french_and_unknown_languages_english(client, restaurant):
    day = future_day()
    french = client.get(f"/r/bistro?date={day}&party_size=2",
                        headers={"Accept-Language": "fr-CH, fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in french and "Réserver une table" in french
    assert format_skeleton("MMMEd", day, locale="fr") in french  # "ven. 4 déc."
    japanese = client.get(f"/r/bistro?date={day}&party_size=2",
                          headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in japanese and "Book a table" in japanese
    assert f"{day:%a} {day.day} {day:%b}" in japanese  # English as before: "Fri 4 Dec"


def test_the_language_menu_sets_a_cookie_that_overrides_the_browser(client, restaurant):
    day = future_day()
    page = client.get(f"/r/bistro?date={day}&party_size=2", headers=GERMAN)
    html = page.get_data(as_text=True)
    # The menu links this same page in each language, each named in itself.
    assert re.search(r'href="/r/bistro\?date=[^"]*lang=it" hreflang="it" lang="it"', html)
    assert 'aria-current="true">Deutsch<' in html and ">Italiano<" in html
    chosen = client.get(f"/r/bistro?date={day}&party_size=2&lang=it", headers=GERMAN)
    assert "Prenota un tavolo" in chosen.get_data(as_text=True)
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("lang=it;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The next page, without ?lang=, keeps Italian although the browser asks for German.
    later = client.get("/r/bistro", headers=GERMAN).get_data(as_text=True)
    assert '<html lang="it">' in later and "Prenota un tavolo" in later
    # An unknown ?lang= changes nothing.
    odd = client.get("/r/bistro?lang=xx", headers=GERMAN)
    assert "Set-Cookie" not in odd.headers
    assert "Prenota un tavolo" in odd.get_data(as_text=True)


def test_a_refusal_reads_in_the_guests_language(client, restaurant):
    day = future_day()
    response = client.post_form("/r/bistro/book", guest(day, time="19:00", email=""),
                                headers=GERMAN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Wir brauchen eine E-Mail-Adresse für die Bestätigung." in html
    assert "We need an e-mail address" not in html


def test_the_front_page_stays_english(client, restaurant):
    html = client.get("/", headers=GERMAN).get_data(as_text=True)
    assert '<html lang="en">' in html and "Owner login" in html


def test_a_booking_made_in_german_sends_a_german_email(client, session, restaurant, make_app,
                                                      smtp_server):
    day = future_day()
    response = client.post_form("/r/bistro/book", guest(day, notes="Fensterplatz"),
                                headers=GERMAN)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    path = manage_path(response)
    landing = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Ihr Tisch ist reserviert." in landing  # the flash, written in German

    mailer = make_app(**smtp_config(smtp_server))
    with mailer.app_context():  # the worker: no request, no Accept-Language
        result = mailer.test_cli_runner().invoke(args=["deliver-mail"])
    assert "sent 1," in result.output, result.output
    message = email.message_from_bytes(smtp_server.messages[0], policy=policy.default)
    german_day = format_date(day, "full", locale="de")  # "Freitag, 4. Dezember 2026"
    assert message["Subject"] == f"Ihr Tisch im Bistro Blau: {german_day} um 19:00"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    lines = text.splitlines()
    assert lines[0] == "Guten Tag Anna Schmidt,"
    assert "Vielen Dank für Ihre Reservierung." in lines[2]
    assert f"Datum:            {german_day}" in lines
    assert "Tisch reserviert: bis 21:00 (2 Std.)" in lines
    assert "Gäste:            2 Personen" in lines
    assert f"http://localhost{path}" in text
    # The HTML part reads the German labels back into its table.
    assert "Tisch reserviert" in html and "2 Personen" in html and "<table" in html
    (attachment,) = message.iter_attachments()
    ics = attachment.get_content()
    assert "SUMMARY:Tisch für 2 im Bistro Blau" in ics
    assert "DESCRIPTION:Ändern oder stornieren: " in ics


def test_the_reminder_is_written_in_the_language_the_guest_booked_in(app, client, session,
                                                                     restaurant, smtp_server):
    """The worker writes the reminder days later, outside any request: the booking
    recorded its language (reservations.language) and the worker writes in it."""
    restaurant.reminder_hours = 24
    session.commit()
    day = future_day()
    response = client.post_form("/r/bistro/book", guest(day, time="19:30"),
                                headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert response.status_code == 303
    session.commit()
    (planned,) = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder"))
    assert planned.subject.startswith("Recordatorio: tu mesa en Bistro Blau, ")
    config = {**app.config, "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port,
              "MAIL_USE_TLS": False, "MAIL_DEFAULT_SENDER": "bistro@example.org"}
    deliver_due(db.session, config, now=local(restaurant, day, 19, 30) - dt.timedelta(hours=2))
    db.session.remove()
    parsed = [email.message_from_bytes(raw, policy=policy.default)
              for raw in smtp_server.messages]
    (reminder,) = [m for m in parsed if m["Subject"].startswith("Recordatorio")]
    text = reminder.get_body(("plain",)).get_content()
    assert "Hola, Anna Schmidt:" in text
    assert "Te recordamos tu reserva en Bistro Blau." in text
    assert format_date(day, "full", locale="es") in text and "a las 19:30" in text
    assert "¿Vienes? Confírmanoslo:" in text and "Confirmar: http://" in text
    # ...and the next request in English is English again: no language left behind.
    assert "Book a table" in client.get("/r/bistro").get_data(as_text=True)


def test_the_embed_speaks_the_browsers_language_too(client, session, restaurant):
    """The booking form inside the restaurant's own site: no menu there, the browser's
    language decides (a framed page's cookie may be blocked as third-party)."""
    off = client.get("/r/bistro/embed", headers=GERMAN).get_data(as_text=True)
    assert "Die Reservierung über diese Website ist noch nicht freigeschaltet." in off
    assert "unserer Reservierungsseite" in off and 'href="tel:+49301234567"' in off
    restaurant.embed_origins = "https://www.bistro-blau.de"
    session.commit()
    html = client.get(f"/r/bistro/embed?date={future_day()}&party_size=2",
                      headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert '<html lang="it">' in html and "Prenota un tavolo da Bistro Blau" in html
    assert "Mostra gli orari liberi" in html


def test_a_guests_error_page_is_in_their_language_and_the_api_stays_english(client,
                                                                             restaurant):
    page = client.get("/r/bistro/b/no-such-token", headers=GERMAN)
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "<h1>Nicht gefunden</h1>" in html and "Fehler 404" in html
    assert "Wir konnten diese Reservierung nicht finden." in html
    assert "Zurück zur Startseite" in html
    problem = client.get("/api/v1/restaurants/nowhere", headers=GERMAN)
    assert problem.status_code in (401, 404)
    assert problem.get_json()["title"] in ("Not found", "Login required")
