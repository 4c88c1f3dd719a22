"""The words the dashboard shows for the domain's codes (a reservation's status, its
source, a history event's action), in the owner's language. The domain and the API keep
the codes; only the pages read them as words. Template globals (status_label, ...)
registered by the blueprint (views.py), so the imported macros see them too."""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import get_day_names, get_month_names
from babel.numbers import format_decimal
from flask_babel import gettext, pgettext

from ..i18n import N_, day_month, language
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
                _l("Preview and publish"), _l("Lunch and dinner"), _l("Dinner only"),
                # booking/webhooks.py: EVENT_LABELS, the webhooks page's events
                _l("A reservation is made"), _l("A reservation is moved or changed"),
                _l("A reservation is cancelled"), _l("A guest is seated, done or a no-show"))

# The domain's fixed refusals an owner meets (webapp/booking: raised with a literal
# message), looked up by their English where a page shows them (common.refusal_text,
# translate_refusal(refusal.message)); the guest's are marked in webapp/public/messages.py. Those
# with a number, a time or a name in them: PATTERNED below.
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
    # booking/webhooks.py: the endpoint's address
    _l("The address is too long (at most 500 characters)."),
    _l("Give an http:// or https:// address, e.g. https://pos.example.com/hooks."),
    _l("Put no user name or password in the address; the signature proves the sender."),
    # booking/operations/accounts.py: publishing the guest page
    _l("Verify your e-mail address first: we sent you a link."),
    _l("Only an owner of this restaurant can publish its page."),
    _l("Direction must be past or next."),  # booking/insights.py: the period's way
    # booking/errors.py: a table taken out of service or removed during the write
    _l("That table is no longer bookable; choose another table."),
    _l("That table was just removed; choose another table."),
    _l("The service: opening and closing times cannot be the same."),  # onboarding
    # booking/operations/restaurants.py: the web address the guide checks as it is typed
    _l("The address needs 2 to 64 characters."), _l("This address is reserved; choose another."),
)


# N_ (i18n.N_) marks the patterns below for the catalogs; they are looked up when a
# refusal is shown.


# The domain's refusals with a number, a time or a name in them, word for word as
# webapp/booking writes them, each value a %(name)s: a refusal that matches one is shown
# as its translation with the same values (translate_refusal).
PATTERNED = (
    # A service without a name is "the service" in the sentence: German declines it, so
    # these come first: the first pattern that matches is taken.
    N_("the service already has %(taken)s of its %(pace)s covers."),
    N_("The last seating for the service is %(latest)s; %(start)s is after it."),
    N_("A %(minutes)s-minute stay does not fit in the service (%(opens)s–%(closes)s); "
       "shorten the stay."),
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
    N_("“%(entry)s”: give only the site (scheme and host, e.g. %(site)s), no page path."),
    # operations/reservations.py: the booking that holds the table the owner asked for
    N_("%(table)s is taken %(start)s–%(end)s by %(guest)s."),
    N_("%(table)s is held for a guest who is booking online, until %(time)s."),
    # A status (%(status)s, %(current)s, %(wanted)s) is shown as the dashboard's word.
    N_("A reservation that is %(current)s cannot become %(wanted)s."),
    N_("A %(status)s reservation cannot be changed."),
    N_("This booking's time is over; it stays %(status)s."),
    # rules.check_service_day: %(day)s is "Friday 4 December", shown as the language
    # writes it; each status's question and verb its own sentence.
    N_("This booking is for %(day)s. Seat it anyway?"),
    N_("This booking is for %(day)s. Complete it anyway?"),
    N_("This booking is for %(day)s. Mark it as no-show anyway?"),
    N_("This booking is for %(day)s. Take the no-show back anyway?"),
    N_("This booking is for %(day)s; it can be seated on that day (an owner may "
       "override)."),
    N_("This booking is for %(day)s; it can be completed on that day (an owner may "
       "override)."),
    N_("This booking is for %(day)s; it can be marked as no-show on that day (an owner "
       "may override)."),
    N_("This booking is for %(day)s; it can be booked again on that day (an owner may "
       "override)."),
    N_("Table %(table)s is no longer bookable; choose another table."),
    N_("Table %(table)s was just removed; choose another table."),
    N_("“%(entry)s” is not a valid phone number. Start it with + and the country code, "
       "e.g. +49 170 1234567."),
    N_("“%(entry)s” is not a valid phone number."),
    N_("%(name)s is the only owner of %(restaurant)s. Make another member an owner first: "
       "a restaurant always keeps one."),
    N_("A role is one of %(roles)s."),
    N_("Unknown scope %(scopes)s: choose from %(choices)s."),
    N_("Unknown time zone %(zone)s: give an IANA name such as Europe/Berlin."),
    # operations/onboarding.py: %(where)s is "Row 2" (the form's row) or the text typed
    N_("Row %(row)s: give the number of tables and their seats."),
    N_("%(where)s: give at least one table."),
    N_("%(where)s: a table has 1 to %(num)s seats."),
    N_("%(where)s: an area name has at most 60 characters."),
    N_("%(where)s: give the number of tables as a whole number."),
    N_("%(where)s: give the seats per table as a whole number."),
    N_("“%(entry)s” is not a kind of table: write it as “6 of 2” (six tables of two seats)."),
    N_("%(service)s: opening and closing times cannot be the same."),
    N_("%(later)s starts before %(before)s ends: the services of a day cannot overlap."),
)


def _pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", msgid)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                              for i, part in enumerate(parts)))


_MATCHERS = tuple((_pattern(msgid), msgid) for msgid in PATTERNED)


# The domain's own words inside a refusal's values, by the placeholder they fill: shown
# as the page's language writes them (_value_text).
VALUE_WORDS = {"later": {"A service": N_("A service")},
               "before": {"the one before": N_("the one before")}}
ROW = N_("Row %(row)s")  # onboarding's %(where)s for the form's row
_ROW = _pattern(ROW)
QUOTED = N_("“%(text)s”")  # ... or what the owner typed, in the language's quotes
_QUOTED = _pattern(QUOTED)
_STATUS_VALUES = ("status", "current", "wanted")
_ENGLISH_DAY = re.compile(r"(?P<weekday>\w+) (?P<day>\d{1,2}) (?P<month>\w+)")
# rules.day_words writes English names (strftime %A and %B in the C locale).
_WEEKDAYS = [get_day_names("wide", locale="en")[i] for i in range(7)]
_MONTHS = [get_month_names("wide", locale="en")[i] for i in range(1, 13)]


def _day_words(text: str) -> str:
    """rules.day_words' "Friday 4 December" as the language writes it ("Freitag, 4.
    Dezember"): any year where that date is that weekday writes the same words (the
    text has no year); else as it is."""
    found = _ENGLISH_DAY.fullmatch(text)
    if not found or found["weekday"] not in _WEEKDAYS or found["month"] not in _MONTHS:
        return text
    weekday, month = _WEEKDAYS.index(found["weekday"]), _MONTHS.index(found["month"]) + 1
    for year in range(2000, 2029):  # 28 years: every weekday of every date, 29 February too
        try:
            day = dt.date(year, month, int(found["day"]))
        except ValueError:
            continue
        if day.weekday() == weekday:
            return day_month(day)
    return text


def _value_text(name: str, value: str) -> str:
    """A refusal's value in the page's language where it is the domain's word (a status,
    a day, "Row 2"); a name, a time or a number as it is."""
    if name in _STATUS_VALUES:
        code = value.replace(" ", "_").replace("-", "_")
        return status_label(code) if code in STATUS else value
    if name == "day":
        return _day_words(value)
    row = _ROW.fullmatch(value) if name == "where" else None
    if row and row["row"].isdigit():
        return gettext(ROW, row=row["row"])
    quoted = _QUOTED.fullmatch(value) if name == "where" else None
    if quoted:
        return gettext(QUOTED, text=quoted["text"])
    words = VALUE_WORDS.get(name, {})
    return gettext(words[value]) if value in words else value


def translate_refusal(message: str) -> str:
    """A refusal of the domain (English) in the page's language: by its exact English
    (the fixed ones: REFUSALS here, the guest's in webapp/public/messages.py), else by
    the pattern it matches, its values kept; else as it is."""
    if not message or language() == "en":  # the domain's own text, word for word
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, msgid in _MATCHERS:
        found = pattern.fullmatch(message)
        if found:
            return gettext(msgid, **{name: _value_text(name, value)
                                     for name, value in found.groupdict().items()})
    return message
