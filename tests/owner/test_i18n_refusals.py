"""The domain's refusals with a number, a time, a name, a status or a day in them, as the
German dashboard shows them (issue 20): each triggered through the dashboard, first in
English (the domain's text, word for word), then with Accept-Language: de, where the
German sentence shows with the same values and no word of the English one remains.
owner/labels.py's patterns translate them; the guest's pace refusal reads German too."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from tests.factories import DEFAULT_PASSWORD, make_owner
from webapp.booking import rules
from webapp.i18n import day_month
from webapp.models import OpeningHours, Reservation

from .test_i18n_dashboard import GERMAN

ENGLISH = {"Accept-Language": "en"}
# The English words of the refusals' sentences (the values -- times, names, numbers --
# are the same in both languages).
_ENGLISH_WORD = re.compile(r"\b(?:already|has|its|covers|the|is|taken|by|booking|"
                           r"reservation|cannot|become|changed|anyway|seat|it|for|give|"
                           r"only|site|page|path|address|valid|phone|number|start|with|"
                           r"country|code|row|tables|seats|table|whole|owner|first|"
                           r"reserved|choose|another|direction|must|or|and|no|at|"
                           r"a)\b", re.IGNORECASE)
# Not in the list: the words both languages share ("Service", "an", "Restaurant"), the
# values "past",
# "next" and "6 of 2" the owner types).


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def english_words(sentence: str) -> list[str]:
    """The English words of ``sentence``, an e-mail address (a value) left out."""
    return _ENGLISH_WORD.findall(re.sub(r"\S+@\S+", "", sentence))


def assert_german(response, english: str, german: str, status: int | None = None) -> None:
    """The German dashboard's answer holds ``german`` and not ``english``; the German
    sentence has none of the English one's words."""
    page = text(response)
    if status is not None:
        assert response.status_code == status, page[:400]
    assert german in page, re.findall(r"<small[^>]*error[^>]*>([^<]*)", page)
    assert english not in page
    assert english_words(german) == [], german
    assert '<html lang="de">' in page


def both(client, url: str, data: dict, english: str, german: str, status: int) -> None:
    """POST ``data`` in English (the domain's text, exactly) and in German."""
    answer = client.post_form(url, data, headers=ENGLISH)
    assert answer.status_code == status, text(answer)[:400]
    assert english in text(answer), text(answer)[:3000]
    assert_german(client.post_form(url, data, headers=GERMAN), english, german, status)


def _limit_dinner(session, restaurant, **values) -> None:
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Dinner").values(**values))
    session.commit()


def _phone_booking(day: dt.date, time: str, party: int = 2, name: str = "Neu Gast",
                   **extra) -> dict:
    return {"source": "phone", "date": day.isoformat(), "time": time,
            "party_size": str(party), "name": name, **extra}


NEW = "/owner/chez-test/reservations/new"


# --------------------------------------------------------------------------- the pace


def test_a_pace_slot_refusal_reads_german(owner_client, session, restaurant, book, day):
    _limit_dinner(session, restaurant, pace_covers=4)
    book(19, 30, party=4, name="Voll")
    both(owner_client, NEW, _phone_booking(day, "19:35"),
         "19:30–19:45 already has 4 of its 4 covers.",
         "19:30–19:45 hat schon 4 von 4 Gästen.", 409)
    # The choice to book over the pace is German too.
    page = text(owner_client.post_form(NEW, _phone_booking(day, "19:35"), headers=GERMAN))
    assert "Book over the pace" not in page


def test_a_service_limit_refusal_reads_german_named_or_not(owner_client, session, restaurant,
                                                           book, day):
    _limit_dinner(session, restaurant, max_covers=4)
    book(19, 0, party=4, name="Voll")
    both(owner_client, NEW, _phone_booking(day, "21:00"),
         "Dinner already has 4 of its 4 covers.", "Dinner hat schon 4 von 4 Gästen.", 409)
    # A service without a name is "the service" in English, declined in German.
    _limit_dinner(session, restaurant, name="")
    both(owner_client, NEW, _phone_booking(day, "21:00"),
         "the service already has 4 of its 4 covers.", "Der Service hat schon 4 von 4 Gästen.",
         409)


def test_the_pace_refusal_of_a_move_and_its_question_read_german(owner_client, session,
                                                                 restaurant, book, day):
    _limit_dinner(session, restaurant, pace_covers=4)
    book(19, 0, party=4, name="Voll")
    mover = book(21, 0, party=2, name="Mover", table="T1")
    data = {"date": day.isoformat(), "time": "19:00", "table": str(mover.table_id),
            "party_size": "2", "duration_minutes": "120", "version": "1"}
    both(owner_client, f"/owner/chez-test/reservations/{mover.id}/move", data,
         "19:00–19:15 already has 4 of its 4 covers.", "19:00–19:15 hat schon 4 von 4 Gästen.",
         409)


# --------------------------------------------------------------------------- tables, guests


def test_the_booking_that_holds_the_table_is_named_in_german(owner_client, restaurant, book,
                                                             day):
    book(19, 0, name="Rossi", table="T1")
    t1 = next(t.id for t in restaurant.tables if t.name == "T1")
    both(owner_client, NEW, _phone_booking(day, "19:30", table=str(t1)),
         "T1 is taken 19:00–21:00 by Rossi.", "T1 ist 19:00–21:00 von Rossi belegt.", 409)


def test_an_invalid_phone_number_reads_german(owner_client, restaurant, day):
    refused = owner_client.post_form(NEW, _phone_booking(day, "19:00", phone="12345"),
                                     headers=ENGLISH)
    english = re.search(r"“12345” is not a valid phone number\.[^<]*", text(refused))
    assert refused.status_code == 422 and english, text(refused)[:3000]
    german = "„12345“ ist keine gültige Telefonnummer."
    if english[0].endswith("1234567."):  # no country for numbers without +
        german += " Bitte mit + und der Landesvorwahl beginnen, z. B. +49 170 1234567."
    assert_german(owner_client.post_form(NEW, _phone_booking(day, "19:00", phone="12345"),
                                         headers=GERMAN), english[0], german, 422)


# --------------------------------------------------------------------------- statuses


def test_seating_off_the_day_asks_in_german_with_the_day_in_german(owner_client, restaurant,
                                                                   book, day):
    booking = book(19, 0, name="Früh", table="T2")
    data = {"status": "seated", "version": "1"}
    url = f"/owner/chez-test/reservations/{booking.id}/status"
    english = f"This booking is for {day:%A} {day.day} {day:%B}. Seat it anyway?"
    german = f"Diese Reservierung ist für {day_month(day, 'de')}. Trotzdem platzieren?"
    both(owner_client, url, data, english, german, 409)


def test_a_cancelled_booking_cannot_be_changed_in_german(owner_client, session, restaurant,
                                                         book, day):
    booking = book(19, 0, name="Weg", table="T2")
    session.execute(update(Reservation).where(Reservation.id == booking.id)
                    .values(status="cancelled"))
    session.commit()
    data = {"party_size": "3", "name": "Weg", "email": "", "phone": "", "notes": "",
            "version": "1"}
    both(owner_client, f"/owner/chez-test/reservations/{booking.id}/edit", data,
         "A cancelled reservation cannot be changed.",
         "Eine Reservierung mit dem Status „storniert“ kann nicht geändert werden.", 409)


def test_a_status_the_rules_do_not_allow_reads_german(owner_client, restaurant, book, day):
    booking = book(19, 0, name="Sprung", table="T2")
    both(owner_client, f"/owner/chez-test/reservations/{booking.id}/status",
         {"status": "completed", "version": "1"},
         "A reservation that is booked cannot become completed.",
         "Eine Reservierung mit dem Status „reserviert“ kann nicht „abgeschlossen“ werden.",
         409)


def test_a_no_show_whose_time_is_over_stays_in_german(owner_client, session, restaurant,
                                                     book, day, clock):
    booking = book(19, 0, name="Fehlt", table="T2")
    session.execute(update(Reservation).where(Reservation.id == booking.id)
                    .values(status="no_show"))
    session.commit()
    clock.advance(days=8)
    both(owner_client, f"/owner/chez-test/reservations/{booking.id}/status",
         {"status": "booked", "version": "1", "allow_off_day": "y", "confirm": "y"},
         "This booking's time is over; it stays no show.",
         "Die Zeit dieser Reservierung ist vorbei; sie bleibt „nicht erschienen“.", 409)


def test_every_off_day_sentence_and_status_word_reads_german(app):
    """Each status's off-day question (an owner's) and refusal (staff's), every status
    word the refusals name: the German has no English word left, the day in German."""
    day = dt.date(2026, 12, 4)
    today = frozenset({dt.date(2026, 12, 2)})
    from webapp.owner.labels import translate_refusal
    with app.test_request_context("/owner/"), force_locale("de"):
        for status in rules.STATUS_VERBS:
            for may_override in (True, False):
                with pytest.raises(Exception) as refused:
                    rules.check_service_day(status, day, today, allow=False,
                                            may_override=may_override)
                german = translate_refusal(refused.value.message)
                assert german.startswith("Diese Reservierung ist für Freitag, 4. Dezember"), \
                    german
                assert english_words(german) == [], german
        for current in ("booked", "seated", "completed", "cancelled", "no_show"):
            shown = translate_refusal(f"This booking's time is over; it stays "
                                      f"{current.replace('_', ' ')}.")
            assert english_words(shown) == [] and "„" in shown, shown
        assert translate_refusal("This booking is for Sunday 29 February.") == \
            "This booking is for Sunday 29 February."  # no pattern: as it is
        from webapp.owner.labels import _day_words
        assert _day_words("Thursday 29 February") == "Donnerstag, 29. Februar"
        assert _day_words("Someday 4 December") == "Someday 4 December"


# --------------------------------------------------------------------------- set-up pages


def test_an_embed_origin_with_a_page_path_reads_german(owner_client, restaurant):
    entry = "https://www.example.com/book"
    owner_client.get("/owner/chez-test/settings")
    refused = owner_client.post_form("/owner/chez-test/settings", {"embed_origins": entry},
                                     headers=GERMAN)
    assert_german(refused, f"“{entry}”: give only the site",
                  f"„{entry}“: Bitte nur die Website angeben (Schema und Host, z. B. "
                  "https://www.example.com), ohne Seitenpfad.", 422)


@pytest.mark.parametrize(("url", "german"), [
    ("ftp://pos.example.com/hooks", "Bitte eine http://- oder https://-Adresse angeben"),
    ("https://till:secret@pos.example.com/hooks",
     "Bitte keinen Benutzernamen und kein Passwort in die Adresse schreiben"),
])
def test_a_webhook_address_refusal_reads_german(owner_client, restaurant, url, german):
    refused = owner_client.post_form("/owner/chez-test/webhooks", {
        "url": url, "events": ["reservation.created"]}, headers=GERMAN)
    page = text(refused)
    assert refused.status_code == 422, page[:400]
    assert german in page and "address" not in page.split("<main", 1)[-1].split(
        "</main>")[0].lower().replace("e-mail-adresse", ""), page[:3000]


def test_the_only_owner_stays_in_german(owner_client, restaurant, owner):
    english = ("owner@example.com is the only owner of Chez Test. Make another member an "
               "owner first: a restaurant always keeps one.")
    url = f"/owner/chez-test/staff/members/{owner.id}/role"
    answer = text(owner_client.post_form(url, {"role": "staff"}, headers=ENGLISH))
    name = re.search(r"(\S+) is the only owner of Chez Test\.", answer)
    assert name, answer[:3000]
    english = english.replace("owner@example.com", name[1])
    german = (f"{name[1]} ist die einzige Inhaberin oder der einzige Inhaber von Chez Test. "
              "Machen Sie zuerst ein anderes Mitglied zum Inhaber: Ein Restaurant behält "
              "immer mindestens einen.")
    assert_german(owner_client.post_form(url, {"role": "staff"}, headers=GERMAN), english,
                  german, 409)


def test_the_insights_direction_refusal_reads_german(owner_client, restaurant):
    refused = owner_client.get("/owner/chez-test/insights?dir=sideways", headers=GERMAN)
    assert_german(refused, "Direction must be past or next.",
                  "Die Richtung ist „past“ oder „next“.", 422)


GUIDE = "/owner/chez-test/setup-guide"


def test_the_setup_guides_table_refusals_read_german(owner_client, restaurant):
    both(owner_client, f"{GUIDE}/tables", {"action": "plan", "count-0": "2", "seats-0": "2",
                                           "count-1": "2", "seats-1": "x"},
         "Row 2: give the seats per table as a whole number.",
         "Zeile 2: Bitte die Plätze pro Tisch als ganze Zahl angeben.", 422)
    both(owner_client, f"{GUIDE}/tables", {"action": "plan", "area-0": "Terrasse"},
         "Row 1: give the number of tables and their seats.",
         "Zeile 1: Bitte die Anzahl der Tische und ihre Plätze angeben.", 422)
    both(owner_client, f"{GUIDE}/tables", {"action": "plan", "quick": "2 of 0"},
         "“2 of 0”: a table has 1 to", "„2 of 0“: Ein Tisch hat 1 bis", 422)


@pytest.mark.parametrize(("slug", "english", "german"), [
    ("admin", "This address is reserved; choose another.",
     "Diese Adresse ist reserviert; bitte eine andere wählen."),
    ("x", "The address needs 2 to 64 characters.", "Die Adresse braucht 2 bis 64 Zeichen."),
    ("Chez!", "Use lower-case letters", "Bitte Kleinbuchstaben"),
])
def test_the_guides_address_check_reads_german(owner_client, restaurant, slug, english,
                                               german):
    url = f"{GUIDE}/address-check?slug={slug}"
    assert english in text(owner_client.get(url, headers=ENGLISH))
    answer = text(owner_client.get(url, headers=GERMAN))
    assert german in answer and english not in answer, answer


# --------------------------------------------------------------------------- staff


def test_staff_hear_the_off_day_refusal_in_german(client, session, restaurant, book, day):
    booking = book(19, 0, name="Früh", table="T2")
    make_owner(session, restaurant, "cook@example.com", role="staff")
    client.login("cook@example.com", DEFAULT_PASSWORD)
    refused = client.post_form(f"/owner/chez-test/reservations/{booking.id}/status",
                               {"status": "seated", "version": "1"}, headers=GERMAN)
    assert_german(refused, "it can be seated on that day",
                  f"Diese Reservierung ist für {day_month(day, 'de')}; sie kann an diesem Tag "
                  "platziert werden (Inhaber können es trotzdem tun).", 409)


def test_a_refusal_naming_no_field_of_the_form_reads_german_above_it(app):
    """The set-up guide shows a refusal whose field the form lacks (a slug taken meanwhile,
    met on the new-restaurant form, which has only the name) above the form: translated
    like the refusals under a field."""
    from webapp.booking.operations.setup import SLUG_TAKEN, SetupRefused
    from webapp.owner.onboarding import NewRestaurantForm, _refusal_to
    with app.test_request_context("/owner/new", method="POST"), force_locale("de"):
        form = NewRestaurantForm(formdata=None, meta={"csrf": False})
        _refusal_to(form, SetupRefused(SLUG_TAKEN, field="slug"))
        _refusal_to(form, SetupRefused("Could not find a free address for this name; "
                                       "try again.", field="name"))
        assert form.form_errors == ["Ein anderes Restaurant verwendet diese Adresse schon."]
        assert form.name.errors and english_words(form.name.errors[0]) == []
