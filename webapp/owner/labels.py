"""The words the dashboard shows for the domain's codes (a reservation's status, its
source, a history event's action), in the owner's language. The domain and the API keep
the codes; only the pages read them as words. Template globals (status_label, ...)
registered by the blueprint (views.py), so the imported macros see them too."""

from __future__ import annotations

import re

from babel.numbers import format_decimal
from flask_babel import gettext, pgettext

from ..i18n import N_, language
from ..i18n import lazy_gettext as _l

STATUS = {"booked": _l("booked"), "seated": _l("seated"), "completed": _l("completed"),
          "cancelled": _l("cancelled"), "no_show": _l("no-show")}
SOURCE = {"online": _l("online"), "phone": _l("phone"), "walk_in": _l("walk-in"),
          "api": _l("API")}
ACTION = {"created": _l("created"), "changed": _l("changed"), "reinstated": _l("reinstated"),
          "confirmed": _l("confirmed"), "status_changed": _l("status changed"),
          "cancelled": _l("cancelled"), "moved": _l("moved")}


def _word(table: dict, code: str) -> str:
    word = table.get(code)
    return str(word) if word is not None else code.replace("_", " ")


def status_label(status: str) -> str:
    return _word(STATUS, status)


def source_label(source: str) -> str:
    return _word(SOURCE, source)


def action_label(action: str) -> str:
    return _word(ACTION, action)


def actor_label(actor: str) -> str:
    """Who did it: "guest" in words; an account ("owner:<address>") as it is."""
    return pgettext("history: who did it", "guest") if actor == "guest" else actor


# The insights' table columns (the CSV's own header stays these English keys).
COLUMNS = {"date": _l("date"), "total": _l("total"), "closed": _l("closed"),
           "source": _l("source"), "bookings": _l("bookings"), "week_from": _l("week from"),
           "cancelled": _l("cancelled"), "no_shows": _l("no shows"),
           "cancellation_rate_percent": _l("cancellation rate percent"),
           "no_show_rate_percent": _l("no show rate percent"),
           "booked_before_visit": _l("booked before visit"), "party_size": _l("party size"),
           "yes": _l("yes"), "no": _l("no")}


def column_label(key: object) -> str:
    """A column's heading (or a yes/no cell) in the page's language; a service's name as
    it is."""
    word = COLUMNS.get(str(key))
    return str(word) if word is not None else str(key).replace("_", " ")


def number_text(value: object) -> str:
    """A number as the page's language writes it ("12.5", German "12,5"); not a number:
    as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return column_label(value) if value in ("yes", "no") else str(value)
    code = language()
    return str(value) if code == "en" else format_decimal(value, locale=code)


GLOBALS = {"status_label": status_label, "source_label": source_label,
           "action_label": action_label, "actor_label": actor_label,
           "column_label": column_label, "number_text": number_text}

# The domain's own English words the insights show (booking/insights.py's SOURCE_LABELS and
# LEAD_BUCKETS), marked here so the catalogs hold them; insights.py looks each up by its
# English (gettext of the word itself).
DOMAIN_WORDS = (_l("Online"), _l("Phone"), _l("Walk-in"), _l("API"), _l("Under 1 hour"),
                _l("1–24 hours"), _l("1–3 days"), _l("3–7 days"), _l("1–2 weeks"),
                _l("2–4 weeks"), _l("Over 4 weeks"),
                # booking/operations/onboarding.py: the guide's steps and presets
                _l("Your restaurant"), _l("Tables"), _l("Opening hours"), _l("Booking rules"),
                _l("Preview and publish"), _l("Lunch and dinner"), _l("Dinner only"))

# The domain's fixed refusals an owner meets (webapp/booking: raised with a literal
# message), looked up by their English where a page shows them (common.refusal_text,
# translate_refusal(refusal.message)); the guest's are marked in webapp/public/messages.py. Messages
# with a number or a name in them stay English for now.
REFUSALS = (
    _l("That time is outside the restaurant's services."),
    _l("A stay must last between 5 minutes and a day."),
    _l("A table name has at most 60 characters."),
    _l("An account with this address was just made: log in with it to accept."),
    _l("Choose at least one of the events."), _l("Choose days from Monday to Sunday."),
    _l("Choose lunch and dinner, or dinner only."),
    _l("Could not find a free address for this name; try again."),
    _l("Give at least one service."), _l("Give the date and the time."),
    _l("Give the restaurant's name (at most 120 characters)."), _l("No such reservation."),
    _l("No such table at this restaurant."),
    _l("The last service runs past midnight into the next day's first one."),
    _l("There are no tables to add."),
    _l("This reservation was changed meanwhile; reload it and try again."),
    _l("Two of the new tables have this name."),
)


# N_ (i18n.N_) marks the patterns below for the catalogs; they are looked up when a
# refusal is shown.


# The domain's refusals with a number, a time or a name in them, word for word as
# webapp/booking writes them, each value a %(name)s: a refusal that matches one is shown
# as its translation with the same values (translate_refusal).
PATTERNED = (
    N_("The last seating for %(service)s is %(latest)s; %(start)s is after it."),
    N_("A %(minutes)s-minute stay does not fit in %(service)s (%(opens)s–%(closes)s); "
       "shorten the stay."),
    N_("A %(minutes)s-minute stay from %(start)s would end after closing at %(closes)s; "
       "latest start %(latest)s, or shorten the stay."),
    N_("Parties of more than %(num)s cannot book online; please call the restaurant."),
    N_("Online bookings close %(num)s minutes before the start; please call the "
       "restaurant."),
    N_("Bookings open %(num)s days ahead."),
    N_("A party must be between 1 and %(num)s people."),
    N_("No table takes a party of %(num)s."),
    N_("Table %(table)s takes parties of %(low)s to %(high)s."),
    N_("%(window)s already has %(taken)s of its %(pace)s covers."),
    N_("%(email)s is already a member of %(restaurant)s; change their role in the list "
       "instead."),
    N_("There is already an account for %(email)s: log in with it to accept."),
    N_("This invitation is for %(email)s; you are logged in as %(mine)s."),
    N_("A restaurant can have %(num)s endpoints; remove one first."),
    N_("The host %(host)s cannot be found."),
    N_("%(host)s is a private or local address (%(address)s); webhooks go only to public "
       "addresses."),
    N_("At most %(num)s kinds of table at once."),
    N_("At most %(num)s tables at once; add more later under Tables."),
    N_("A table has 1 to %(num)s seats."),
    N_("At most %(num)s sites may embed the booking form; this list has %(count)s."),
    N_("Weeks must be from %(low)s to %(high)s."),
    N_("Weeks must be a whole number from %(low)s to %(high)s."),
    N_("“%(entry)s” is not a web address like https://www.example.com."),
    N_("“%(entry)s”: use an https:// (or http://) address."),
    N_("“%(entry)s”: leave out the user name and password."),
    N_("“%(entry)s” has no valid host name."),
    N_("“%(entry)s” has an invalid port."),
)


def _pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", msgid)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                              for i, part in enumerate(parts)))


_MATCHERS = tuple((_pattern(msgid), msgid) for msgid in PATTERNED)


def translate_refusal(message: str) -> str:
    """A refusal of the domain (English) in the page's language: by its exact English
    (the fixed ones: REFUSALS here, the guest's in webapp/public/messages.py), else by
    the pattern it matches, its values kept; else as it is."""
    if not message:
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, msgid in _MATCHERS:
        found = pattern.fullmatch(message)
        if found:
            return gettext(msgid, **found.groupdict())
    return message
