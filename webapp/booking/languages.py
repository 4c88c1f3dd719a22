"""The language a booking records (``reservations.language``): every e-mail about the
booking (confirmation, change, cancellation, reminder, its .ics) is written in it,
whoever causes the e-mail: the guest, the owner's dashboard, the API or the worker.

One rule for every door:

* a guest booking on the guest page or the embed: the page's language (the caller
  passes it; the booking domain reads no request);
* a guest who later changes or cancels the booking on its page: the language they use
  then (the last one the guest used);
* the owner API's ``language``, when given;
* otherwise (the restaurant's own bookings: phone, walk-in, the API without
  ``language``): the restaurant's default language (``restaurants.default_language``),
  else English.
"""

from __future__ import annotations

from ..i18n import LANGUAGES
from ..models import Restaurant


def checked(language: str) -> str:
    """``language`` when it is one of ours; a ValueError otherwise (the forms refuse an
    unknown code before it gets here: this is a caller's mistake, not a guest's)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    return language


def booking_language(restaurant: Restaurant, asked: str | None = None) -> str:
    """The language of a new booking: ``asked`` (the guest's page, the API's field) when
    given, else the restaurant's default language, else English."""
    if asked:
        return checked(asked)
    default = restaurant.default_language
    return default if default in LANGUAGES else "en"
