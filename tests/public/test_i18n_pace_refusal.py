"""A guest who asks for a time whose pace is full (issue 19) is told, in the guest's
language, that the time was just taken, and offered the nearest free times: never the
kitchen's numbers ("19:00–19:15 already has 2 of its 2 covers." is the dashboard's text,
webapp/public/messages.py maps the pace's refusal by its code)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import update

from tests.factories import future_day
from webapp.i18n import LANGUAGES, translations_of
from webapp.models import OpeningHours

from .test_booking_language import GERMAN, guest

SORRY = "Sorry, that time was just taken."
FREE = "Nearest free times"


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_full_pace_slot_is_fully_booked_in_the_guests_language(client, session, restaurant,
                                                                 code):
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Dinner")
                    .values(pace_covers=2))
    session.commit()
    day = future_day(5)
    first = client.post_form("/r/bistro/book", guest(day, "19:00", name="Erste",
                                                     email="erste@example.com"),
                             headers=GERMAN)
    assert first.status_code == 303, re.findall(r"<small[^>]*>([^<]*)", first.get_data(as_text=True))
    refused = client.post_form(f"/r/bistro/book?lang={code}",
                               guest(day, "19:00", name="Zweite", email="zweite@example.com",
                                     phone="+49 30 7654321"))
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409, re.findall(r"<small[^>]*>([^<]*)|role=\"alert\"[^>]*>([^<]*)", page)
    assert f'<html lang="{code}">' in page
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.find("<main"):]))
    assert translations_of(SORRY)[LANGUAGES.index(code)] in words, words[-1500:]
    assert translations_of(FREE)[LANGUAGES.index(code)] in words
    assert "19:15" in words  # the nearest free time after the full 19:00–19:15
    for english in ("covers", "already has", "fully booked", "19:00–19:15"):
        assert english not in words, english
    if code != "en":
        assert SORRY not in words
