"""The owner dashboard and the account pages in German (issue 20): the browser's
Accept-Language or the English / Deutsch menu (?lang=, kept in the lang cookie) picks
it; pages, flash messages, form errors, refusals and dates read German; English stays
as it was; the API answers English whatever the browser asks for."""

from __future__ import annotations

import re

from babel.dates import format_date, format_skeleton
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from webapp.auth.tokens import create_token
from webapp.models import OutboxEmail

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def test_accept_language_de_gives_the_german_day_view(owner_client, restaurant, book, day):
    book(19, 0, party=3, name="Grace Hopper")
    response = owner_client.get(f"/owner/chez-test/day/{day}", headers=GERMAN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="de">' in html
    # The layout's menu, the day's header and actions, the grid's words.
    assert ">Reservierungen<" in html and ">Tische<" in html and ">Einstellungen<" in html
    assert "Neue Telefonreservierung" in html and ">Tagesansicht<" not in html
    assert 'aria-label="Tagesansicht"' in html
    assert ">3</span> Gäste" in html and "1 Reservierung" in html
    assert "New phone booking" not in html and "</span> covers" not in html
    # The date in German as CLDR writes it ("Mittwoch, 9. Dezember 2026").
    assert format_date(day, "full", locale="de") in html
    # The grid's cells, written in Python (layout.py), speak German too.
    assert re.search(r'aria-label="T1 um \d\d:\d\d reservieren"', html)
    assert ">reserviert<" in html  # the booking's status
    assert "Accept-Language" in response.headers["Vary"]


def test_english_stays_as_it_was(owner_client, restaurant, book, day):
    book(19, 0, party=3, name="Grace Hopper")
    html = owner_client.get(f"/owner/chez-test/day/{day}",
                            headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "New phone booking" in html
    assert f"{day:%A} {day.day} {day:%B} {day:%Y}" in html
    assert ">3</span> covers" in html and re.search(r'aria-label="Book T1 at \d\d:\d\d"', html)
    # A language the dashboard does not speak is English there.
    french = owner_client.get(f"/owner/chez-test/day/{day}",
                              headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in french and "New phone booking" in french


def test_the_language_menu_sets_the_cookie_and_only_offers_english_and_german(
        owner_client, restaurant):
    page = owner_client.get("/owner/chez-test/tables").get_data(as_text=True)
    menu = page.split('class="language-menu"')[1].split("</nav>")[0]
    assert 'hreflang="en"' in menu and 'hreflang="de"' in menu
    assert 'hreflang="fr"' not in menu and 'aria-current="true">English<' in menu
    chosen = owner_client.get("/owner/chez-test/tables?lang=de")
    assert chosen.headers["Set-Cookie"].startswith("lang=de;")
    assert ">Tisch hinzufügen<" in chosen.get_data(as_text=True)
    # The cookie keeps German on the next page, whatever the browser says.
    later = owner_client.get("/owner/chez-test/hours", headers={"Accept-Language": "en"})
    html = later.get_data(as_text=True)
    assert '<html lang="de">' in html and "Öffnungszeiten" in html and "Montag" in html
    # ?lang=fr is not a dashboard language: no cookie, the page stays German.
    odd = owner_client.get("/owner/chez-test/hours?lang=fr")
    assert "Set-Cookie" not in odd.headers and '<html lang="de">' in odd.get_data(as_text=True)


def test_several_pages_read_german(owner_client, restaurant, book, day):
    book(20, 0, name="Ada Guest")
    owner_client.get("/owner/chez-test/tables?lang=de")
    expected = {
        f"/owner/chez-test/reservations?start={day}": ["CSV herunterladen", "Kontakt",
                                                        "reserviert"],
        "/owner/chez-test/reservations/new": ["Neue Telefonreservierung", "Name des Gastes",
                                              "Bester freier Tisch"],
        "/owner/chez-test/tables": ["Tisch hinzufügen", "buchbar", "Anzahl Plätze"],
        "/owner/chez-test/hours": ["Service hinzufügen", "Was Gäste sehen", "Dienstag"],
        "/owner/chez-test/special-days": ["Schließtage und besondere Tage"],
        "/owner/chez-test/settings": ["Restauranteinstellungen", "Reservierungsregeln",
                                      "Zeitraster (Minuten)"],
        "/owner/chez-test/staff": ["Mitglieder", "Jemanden einladen", "Offene Einladungen"],
        "/owner/chez-test/insights": ["Auswertungen", "Gäste pro Tag nach Service",
                                      "Stornoquote (%)", ">Datum<"],
        f"/owner/chez-test/week/{day}": ["Diese Woche", "Woche vom"],
        "/owner/chez-test/calendar-feed": ["Kalender-Abo"],
        "/owner/chez-test/tokens": ["Neues Token", "Token anlegen"],
        "/owner/chez-test/webhooks": ["Neuer Endpunkt", "Endpunkt hinzufügen"],
        "/owner/chez-test/setup-guide": [],
        "/account": ["Ihr Konto", "Passwort ändern", "Überall abmelden"],
    }
    for path, words in expected.items():
        response = owner_client.get(path, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert '<html lang="de">' in html, path
        for word in words:
            assert word in html, (path, word)


def test_a_german_flash_message_and_a_german_form_error(owner_client, restaurant):
    owner_client.get("/owner/chez-test/tables?lang=de")
    added = owner_client.post_form("/owner/chez-test/tables", {
        "name": "Fenster", "seats": "4", "min_party": "1", "position": "9", "active": "y"},
        follow_redirects=True)
    assert "Tisch Fenster hinzugefügt." in added.get_data(as_text=True)
    refused = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "phone", "date": "", "time": "19:00", "party_size": "2", "name": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Bitte das Datum angeben." in html and "Bitte den Namen des Gastes angeben." in html
    assert "Give the date." not in html


def test_a_booking_refusal_reads_german(owner_client, restaurant, day):
    """The domain's refusal (English) is looked up in the catalog: 03:00 is outside the
    opening hours."""
    owner_client.get("/owner/chez-test/tables?lang=de")
    refused = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "phone", "date": day.isoformat(), "time": "03:00", "party_size": "2",
        "name": "Nacht Eule"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Diese Zeit liegt außerhalb der Services des Restaurants." in html, html


def test_the_login_page_in_german(client, owner):
    page = client.get("/login", headers=GERMAN).get_data(as_text=True)
    assert '<html lang="de">' in page and "Passwort vergessen?" in page
    assert "Auf diesem Gerät angemeldet bleiben" in page and 'hreflang="de"' in page
    wrong = client.post_form("/login", {"email": "owner@example.com", "password": "nope"},
                             headers=GERMAN)
    assert '<html lang="de">' in wrong.get_data(as_text=True)


def test_the_api_stays_english_with_a_german_cookie_and_browser(client, session, restaurant):
    _, clear = create_token(session, restaurant.id, "tests")
    session.commit()
    client.set_cookie("lang", "de")
    headers = {"Authorization": f"Bearer {clear}", **GERMAN}
    refused = client.post("/api/v1/restaurants/chez-test/reservations", headers=headers,
                          json={"source": "phone", "party_size": 2})
    body = refused.get_json()
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    text = str(body)
    assert "Give the date." in text and "Bitte" not in text
    assert "Accept-Language" not in refused.headers.get("Vary", "")


def test_dates_in_the_week_view_are_german(owner_client, restaurant, day):
    html = owner_client.get(f"/owner/chez-test/week/{day}", headers=GERMAN).get_data(
        as_text=True)
    assert format_skeleton("MMMEd", day, locale="de") in html  # "Mi., 9. Dez."
    assert DEFAULT_PASSWORD not in html


def test_a_refusal_with_times_in_it_reads_german_with_the_same_times(owner_client, restaurant,
                                                                     day):
    """A refusal the domain writes with numbers (a stay past closing) matches its pattern
    and is shown translated, its values kept; in English word for word as before."""
    data = {"source": "phone", "date": day.isoformat(), "time": "21:15", "party_size": "4",
            "name": "Späte Gäste"}
    english = owner_client.post_form("/owner/chez-test/reservations/new", data,
                                     headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ("A 120-minute stay from 21:15 would end after closing at 23:00; latest start "
            "21:00, or shorten the stay.") in english
    german = owner_client.post_form("/owner/chez-test/reservations/new", data, headers=GERMAN)
    assert german.status_code == 422
    assert ("Ein Aufenthalt von 120 Minuten ab 21:15 würde nach der Schließung um 23:00 "
            "enden; spätester Beginn 21:00, oder verkürzen Sie den Aufenthalt."
            ) in german.get_data(as_text=True)


def test_numbers_as_the_language_writes_them(app):
    from flask_babel import force_locale

    from webapp.owner.labels import column_label, number_text
    with app.test_request_context("/owner/"):
        assert number_text(33.3) == "33.3" and number_text(0.0) == "0.0"  # as before
        with force_locale("de"):
            assert number_text(33.3) == "33,3" and number_text(1234) == "1.234"
            assert column_label("cancellation_rate_percent") == "Stornoquote (%)"
            assert number_text("yes") == "ja" and number_text("Dinner") == "Dinner"


def test_a_settings_refusal_with_the_owners_text_in_it_reads_german(owner_client, restaurant):
    owner_client.get("/owner/chez-test/tables?lang=de")
    refused = owner_client.post_form("/owner/chez-test/settings",
                                     {"embed_origins": "ftp://www.example.com"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "„ftp://www.example.com“: Bitte eine https://-Adresse (oder http://) verwenden." \
        in html


# --------------------------------------------------------------------------- account e-mails


def _last_mail(session, kind: str) -> OutboxEmail:
    session.expire_all()
    return session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)
                           .order_by(OutboxEmail.id.desc())).first()


def test_a_staff_invitation_from_the_german_dashboard_is_written_in_german(
        owner_client, session, restaurant):
    answer = owner_client.post_form("/owner/chez-test/staff/invite",
                                    {"email": "koch@example.com", "role": "staff"},
                                    headers=GERMAN)
    assert answer.status_code in (200, 303)
    mail = _last_mail(session, "invitation")
    assert mail.subject == f"Willkommen bei {restaurant.name} auf Booking Manager"
    assert f"lädt Sie als Personal (die Reservierungen des Tages) zu {restaurant.name} auf " \
           "Booking Manager ein." in mail.body_text
    assert "Nehmen Sie die Einladung hier an (der Link funktioniert einmal, 72 Stunden " \
           "lang):" in mail.body_text
    assert "/a/invite/" in mail.body_text and "invites you" not in mail.body_text
    # From the English dashboard: English, as before.
    owner_client.post_form("/owner/chez-test/staff/invite",
                           {"email": "cook@example.com", "role": "owner"},
                           headers={"Accept-Language": "en"})
    mail = _last_mail(session, "invitation")
    assert mail.subject == f"Join {restaurant.name} on Booking Manager"
    assert "as an owner (everything, also the set-up and the staff)." in mail.body_text


def test_sign_up_and_a_forgotten_password_in_german(client, session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = GERMAN["Accept-Language"]
    assert client.post_form("/signup", {"email": "marie@example.com",
                                        "password": "a-long-enough-password",
                                        "restaurant_name": "Chez Marie"}).status_code == 303
    client._csrf = None  # signed in: a new CSRF token
    mail = _last_mail(session, "verify_email")
    assert mail.subject == "Bestätigen Sie Ihre E-Mail-Adresse für Booking Manager"
    assert mail.body_text.startswith(
        "Guten Tag,\n\nSie haben sich mit dieser Adresse bei Booking Manager registriert, "
        "um die Reservierungen von Chez Marie zu verwalten. Bitte bestätigen Sie")
    assert "/a/verify/" in mail.body_text

    client.post_form("/logout", {})
    client._csrf = None
    for address, kind, words in (
            ("marie@example.com", "reset_password", "innerhalb von 60 Minuten ein neues"),
            ("nobody@example.com", "reset_unknown", "aber es gibt kein Konto mit ihr")):
        assert client.post_form("/forgot", {"email": address}).status_code == 303
        mail = _last_mail(session, kind)
        assert mail.body_text.startswith("Guten Tag,\n\nJemand (vielleicht Sie)"), mail.body_text
        assert words in mail.body_text


def test_a_refused_one_time_link_explains_itself_in_german(client):
    """The account pages' refusals of a one-time link (verification, reset, invitation)
    were English under a German heading."""
    for path in ("/a/verify/not-a-real-token-at-all", "/a/invite/not-a-real-token-at-all"):
        page = client.get(path, headers=GERMAN)
        assert page.status_code == 404, path
        html = page.get_data(as_text=True)
        assert "Dieser Link ist ungültig. Prüfen Sie, ob Sie ihn vollständig kopiert haben." \
            in html, path
        assert "This link is not valid" not in html
        english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "This link is not valid. Check that you copied all of it." in english
