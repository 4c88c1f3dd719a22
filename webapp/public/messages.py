"""The booking domain's refusals as the guest reads them, in the guest's language.

``webapp.booking`` speaks English and knows nothing of requests or locales; its errors
carry a code (and the English message the API returns). The guest pages translate here,
at the boundary: by the exact English message for the fixed ones, else by the error's
code with a general sentence. English stays the domain's own text, word for word.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from ..booking.errors import BookingError
from ..i18n import language

# The domain's fixed messages (errors.py, rules.py, attendance.py, accounts.py, waitlist.py).
_BY_MESSAGE: dict[str, Callable[[], str]] = {
    "That time was just taken.": lambda: _("That time was just taken."),
    "There is already a booking with this e-mail address at an overlapping time.":
        lambda: _("There is already a booking with this e-mail address at an overlapping time."),
    "There is already a booking with this phone number at an overlapping time.":
        lambda: _("There is already a booking with this phone number at an overlapping time."),
    "The restaurant does not take bookings at that time.":
        lambda: _("The restaurant does not take bookings at that time."),
    "That time is too soon to book online.": lambda: _("That time is too soon to book online."),
    "That time has already passed.": lambda: _("That time has already passed."),
    "That date is too far ahead to book.": lambda: _("That date is too far ahead to book."),
    "No table takes a party of that size.": lambda: _("No table takes a party of that size."),
    "This booking is cancelled.": lambda: _("This booking is cancelled."),
    "This booking is in the past.": lambda: _("This booking is in the past."),
    "This restaurant is not taking bookings online yet.":
        lambda: _("This restaurant is not taking bookings online yet."),
    # booking/waitlist.py
    "The latest time is before the earliest.":
        lambda: _("The latest time is before the earliest."),
    "Pick a date from today within the booking horizon.":
        lambda: _("Pick a date from today within the booking horizon."),
    "A name and an e-mail address are needed for the offer.":
        lambda: _("A name and an e-mail address are needed for the offer."),
    "That window has already passed.": lambda: _("That window has already passed."),
    "This offer is no longer open.": lambda: _("This offer is no longer open."),
}

# The ones with numbers or names in them, by code: a sentence that holds for each.
_BY_CODE: dict[str, Callable[[], str]] = {
    "slot_taken": lambda: _("That time was just taken."),
    "outside_opening_hours": lambda: _("The restaurant does not take bookings at that time."),
    "stay_past_closing": lambda: _("The restaurant does not take bookings at that time."),
    "too_late": lambda: _("That time is too soon to book online; please call the restaurant."),
    "too_far_ahead": lambda: _("That date is too far ahead to book."),
    "party_too_large": lambda: _("That party is too large to book online; please call the "
                                 "restaurant."),
    "no_suitable_table": lambda: _("No table takes a party of that size."),
    "lock_timeout": lambda: _("The restaurant is very busy right now; please try again in a "
                              "moment."),
    "not_changeable": lambda: _("This booking can no longer be changed."),
    "stale": lambda: _("This booking was changed meanwhile; please reload the page and try "
                       "again."),
    "table_inactive": lambda: _("That time was just taken."),
    "table_removed": lambda: _("That time was just taken."),
    "pace_exceeded": lambda: _("That time is fully booked."),
    "cancel_cutoff": lambda: _("Online changes and cancellations are closed for this booking; "
                               "please call the restaurant."),
}


def guest_text(message: str, code: str | None = None) -> str:
    """``message`` (the domain's English) in the guest's language."""
    if language() == "en":
        return message
    translate = _BY_MESSAGE.get(message) or (_BY_CODE.get(code) if code else None)
    return translate() if translate else message


def guest_error(error: BookingError) -> str:
    return guest_text(error.message, error.code)
