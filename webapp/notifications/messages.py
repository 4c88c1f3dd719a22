"""What the guest e-mails say: subject, plain-text body, its HTML twin and an .ics
calendar entry.

Pure functions of a reservation, its restaurant and the schedule, so they can be
written to the outbox inside the booking transaction without any network or request
state. ``booking_facts`` is also what the guest's booking page shows, so the page and
the e-mails state the same date, time, stay, party, notes, address and phone.

The outbox stores the plain text only; ``html_body`` renders the HTML part from it when
the e-mail is sent, so both parts always say the same (and the stored copy has one text
to redact).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar.parser import escape_char, foldline
from markupsafe import Markup, escape

from ..booking import slots as slotlib
from ..booking.slots import Schedule
from ..i18n import clock_time, day_long, ngettext, translations_of
from ..i18n import gettext as _
from ..models import Reservation, Restaurant

KINDS = ("confirmation", "change", "cancellation")

# Service action (``after_write``'s third argument) -> e-mail kind.
# A no-show or cancellation taken back is, for the guest, their booking changed (it is
# on again).
ACTION_KINDS = {"created": "confirmation", "changed": "change", "reinstated": "change",
                "cancelled": "cancellation"}


@dataclass(frozen=True)
class Composed:
    kind: str
    to_address: str
    subject: str
    body_text: str
    ics: str

    @property
    def body_html(self) -> str:
        return html_body(self.body_text)


@dataclass(frozen=True)
class BookingFacts:
    """A booking as the guest is told it, on the page and in every e-mail."""

    service_day: dt.date
    date: str  # the service date: "Monday 7 December 2026"
    time: str  # "19:30", "00:30 (after midnight)"
    held: str  # "until 21:30 (2 h)"
    party: str  # "3 guests"
    notes: str
    address: str
    phone: str


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(num)d min", num=rest)
    return _("%(num)d h", num=hours) + (" " + _("%(num)d min", num=rest) if rest else "")


def _guests(party_size: int) -> str:
    return ngettext("%(num)d guest", "%(num)d guests", party_size)


def booking_facts(restaurant: Restaurant, reservation: Reservation,
                  schedule: Schedule | None) -> BookingFacts:
    """The facts of ``reservation``. The date is its service date (a 00:30 start in the
    service that opened on Monday evening is Monday's, "00:30 (after midnight)"); without
    a schedule the local calendar date stands in."""
    zone = schedule.zone if schedule is not None else ZoneInfo(restaurant.timezone)
    start = reservation.starts_at.astimezone(zone)
    end = reservation.ends_at.astimezone(zone)
    day = (slotlib.service_date_of(schedule, reservation.starts_at) if schedule is not None
           else start.date())
    time = clock_time(start)
    if slotlib.is_repeated_wall_time(start):  # the night the clocks go back: which 02:30
        offset = f"{start:%z}"
        time += f" ({start.tzname()}, UTC{offset[:3]}:{offset[3:]})"
    if start.date() > day:
        time = _("%(time)s (after midnight)", time=time)
    minutes = round((reservation.ends_at - reservation.starts_at).total_seconds() / 60)
    return BookingFacts(
        service_day=day, date=day_long(day), time=time,
        held=_("until %(time)s (%(duration)s)", time=clock_time(end), duration=_duration(minutes)),
        party=_guests(reservation.party_size),
        notes=(reservation.notes or "").strip(), address=restaurant.address or "",
        phone=restaurant.phone or "")


def local_description(moment: dt.datetime, zone: str) -> str:
    """'Tuesday 1 December 2026 at 19:30 (CET)' in the restaurant's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return _("%(day)s at %(time)s (%(zone)s)", day=day_long(local.date()),
             time=clock_time(local), zone=local.tzname())


# The facts block of the text body: "Label:" padded to one column (wider when a
# translation's label is longer), a long value's further lines indented to it.
# ``html_body`` reads the block back by these labels, in any of the languages.
_LABEL_WIDTH = 12
FACT_LABELS = ("Restaurant", "Date", "Time", "Table held", "Party", "Your notes", "Address",
               "Phone")


# Literal msgids, for extraction; each translated only when asked for (a dict of the
# texts themselves translated all eight for every label: 40 lookups per e-mail).
_FACT_LABEL_TEXTS: dict[str, Callable[[], str]] = {
    "Restaurant": lambda: _("Restaurant"), "Date": lambda: _("Date"),
    "Time": lambda: _("Time"), "Table held": lambda: _("Table held"),
    "Party": lambda: _("Party"), "Your notes": lambda: _("Your notes"),
    "Address": lambda: _("Address"), "Phone": lambda: _("Phone")}


def _fact_label(label: str) -> str:
    """A FACT_LABELS label in the guest's language."""
    return _FACT_LABEL_TEXTS[label]()


def _fact_lines(label: str, value: str, width: int = _LABEL_WIDTH) -> list[str]:
    lines = [line.strip() for line in value.splitlines() if line.strip()] or [""]
    first = f"{label + ':':<{width}}{lines[0]}"
    return [first, *(" " * width + line for line in lines[1:])]


def compose(restaurant: Restaurant, reservation: Reservation, kind: str,
            manage_url: str | None, host: str = "booking-manager",
            schedule: Schedule | None = None) -> Composed:
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    facts = booking_facts(restaurant, reservation, schedule)
    when = _("%(date)s at %(time)s", date=facts.date, time=facts.time)
    name = restaurant.name
    # Only the kind's own subject and opening are translated (lambdas: literal msgids).
    subjects: dict[str, Callable[[], str]] = {
        "confirmation": lambda: _("Your table at %(restaurant)s: %(when)s", restaurant=name,
                                  when=when),
        "change": lambda: _("Your booking at %(restaurant)s was changed: %(when)s",
                            restaurant=name, when=when),
        "cancellation": lambda: _("Your booking at %(restaurant)s is cancelled", restaurant=name),
    }
    openings: dict[str, Callable[[], str]] = {
        "confirmation": lambda: _("Thank you for your booking. We look forward to seeing you."),
        "change": lambda: _("Your booking has been changed. Here are the new details."),
        "cancellation": lambda: _("Your booking has been cancelled. We hope to see you another "
                                  "time."),
    }
    rows = [("Restaurant", restaurant.name), ("Date", facts.date), ("Time", facts.time)]
    if kind != "cancellation":
        rows.append(("Table held", facts.held))
    rows.append(("Party", facts.party))
    if facts.notes and kind != "cancellation":
        rows.append(("Your notes", facts.notes))
    if facts.address:
        rows.append(("Address", facts.address))
    if facts.phone:
        rows.append(("Phone", facts.phone))
    lines = [_("Hello %(name)s,", name=reservation.guest_name), "", openings[kind](), ""]
    labelled = [(_fact_label(label), value) for label, value in rows]
    width = max(_LABEL_WIDTH, *(len(label) + 2 for label, _value in labelled))
    for label, value in labelled:
        lines += _fact_lines(label, value, width)
    lines.append("")
    if manage_url and kind != "cancellation":
        lines += [_("To see, change or cancel your booking, use your private link"),
                  _("(keep it to yourself, it needs no password):"), manage_url, "",
                  _("The attached booking.ics adds the table to your calendar."), ""]
    elif manage_url:
        lines += [_("Your booking page:"), manage_url, ""]
    contact = _contact(restaurant)
    if contact:
        lines += [_("Questions? Reach us at %(contact)s.", contact=contact), ""]
    lines += [f"{restaurant.name}"]
    return Composed(kind=kind, to_address=reservation.guest_email, subject=subjects[kind](),
                    body_text="\n".join(lines) + "\n",
                    ics=calendar_entry(restaurant, reservation, kind, manage_url, host))


# --------------------------------------------------------------------------- HTML part

def _contact(restaurant: Restaurant) -> str:
    if restaurant.phone and restaurant.email:
        return _("%(phone)s or %(email)s", phone=restaurant.phone, email=restaurant.email)
    return restaurant.phone or restaurant.email or ""


@functools.cache
def _fact_line() -> re.Pattern[str]:
    """A facts line in any language's labels (the worker renders HTML in no locale)."""
    labels = sorted({t for label in FACT_LABELS for t in translations_of(label)},
                    key=len, reverse=True)
    return re.compile(r"^(" + "|".join(re.escape(x) for x in labels) + r"):\s*(.*)$")


_URL = re.compile(r"https?://[^\s<>\"']+")
_BODY_STYLE = ("margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;"
               "line-height:1.5;color:#222;background:#fff")
_P_STYLE = "margin:0 0 14px"
_TH_STYLE = ("text-align:left;vertical-align:top;padding:3px 14px 3px 0;font-weight:normal;"
             "color:#555;white-space:nowrap")
_TD_STYLE = "vertical-align:top;padding:3px 0"
_A_STYLE = "color:#1a5fb4;word-break:break-all"


def linked_text(text: str, style: str = _A_STYLE) -> Markup:
    """``text`` escaped, its web addresses as links (inline-styled for e-mail unless
    ``style`` is empty)."""
    out, last = [], 0
    link = Markup('<a href="{0}" style="{1}">{0}</a>') if style else Markup('<a href="{0}">{0}</a>')
    for match in _URL.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = escape(match.group(0))
        out.append(link.format(url, style))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _facts_table(lines: list[str]) -> Markup | None:
    """The facts block as a table, or None when ``lines`` is not one."""
    rows: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _fact_line().match(line)
        if match:
            rows.append((match.group(1), [match.group(2)]))
        elif rows and line.startswith(" " * _LABEL_WIDTH):
            rows[-1][1].append(line.strip())
        else:
            return None
    cells = [Markup('<tr><th scope="row" style="{0}">{1}</th><td style="{2}">{3}</td></tr>')
             .format(_TH_STYLE, label, _TD_STYLE, Markup("<br>").join(linked_text(x) for x in values))
             for label, values in rows]
    return Markup('<table role="presentation" style="border-collapse:collapse;margin:0 0 14px">'
                  '{0}</table>').format(Markup("").join(cells))


def _paragraph(lines: list[str]) -> Markup:
    """A text paragraph's lines as one flowing paragraph; a line that is a web address
    stays on a line of its own."""
    out = Markup("")
    for index, line in enumerate(lines):
        if index:
            alone = _URL.fullmatch(line) or _URL.fullmatch(lines[index - 1])
            out += Markup("<br>") if alone else Markup(" ")
        out += linked_text(line)
    return out


def html_body(body_text: str) -> str:
    """The HTML part of an e-mail, rendered from its plain text (``compose``'s layout):
    one paragraph per block, the facts as a table, links clickable, everything the guest
    or the owner typed escaped. Small and inline-styled, as mail clients want it."""
    blocks = [block.split("\n") for block in body_text.strip("\n").split("\n\n")]
    parts = []
    for block in blocks:
        table = _facts_table(block)
        parts.append(table if table is not None else Markup('<p style="{0}">{1}</p>').format(
            _P_STYLE, _paragraph(block)))
    return str(Markup('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                      '<body style="{0}">{1}</body></html>\n')
               .format(_BODY_STYLE, Markup("\n").join(parts)))


# --------------------------------------------------------------------------- calendar


_PRODID = "-//Booking Manager//booking-manager//EN"


def _ical_utc(moment: dt.datetime) -> str:
    """A DATE-TIME in UTC (RFC 5545 §3.3.5, form 2): 20301207T183000Z."""
    m = moment.astimezone(dt.UTC)
    return f"{m.year:04}{m.month:02}{m.day:02}T{m.hour:02}{m.minute:02}{m.second:02}Z"


def calendar_entry(restaurant: Restaurant, reservation: Reservation, kind: str,
                   manage_url: str | None, host: str) -> str:
    """An iCalendar (RFC 5545) entry; one UID per reservation so calendar apps update
    the same event on a change and remove it on a cancellation.

    Written line by line, exactly as the ``icalendar`` package writes this entry (its
    property order, TEXT escaping and folding; tests/public/test_calendar_entry.py
    compares the two): building it through the package's objects was a twentieth of a
    booking's CPU."""
    cancelled = kind == "cancellation"
    # The package's order: VERSION, PRODID, METHOD; the event's SUMMARY, DTSTART, DTEND,
    # DTSTAMP, UID, SEQUENCE first, then the other properties by name.
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{escape_char(_PRODID)}",
             f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}", "BEGIN:VEVENT",
             "SUMMARY:" + escape_char(_("Table for %(num)d at %(restaurant)s",
                                        num=reservation.party_size, restaurant=restaurant.name)),
             f"DTSTART:{_ical_utc(reservation.starts_at)}",
             f"DTEND:{_ical_utc(reservation.ends_at)}",
             f"DTSTAMP:{_ical_utc(dt.datetime.now(dt.UTC))}",
             "UID:" + escape_char(f"reservation-{reservation.id}@{host}"),
             f"SEQUENCE:{reservation.version}"]
    if manage_url:
        lines.append("DESCRIPTION:" + escape_char(_("Change or cancel: %(url)s", url=manage_url)))
    if restaurant.address:
        lines.append("LOCATION:" + escape_char(restaurant.address))
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    if manage_url:
        lines.append(f"URL:{manage_url}")  # a URI: not escaped
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(foldline(line) for line in lines) + "\r\n"


# RFC 5545 §3.1: a content line longer than 75 octets goes on over lines that start with
# a space or a tab; the line break and that one character are not part of the value.
_FOLD = re.compile(r"\r?\n[ \t]")
_LINE_END = re.compile(r"(\r?\n)")


def redact_calendar(ics: str, redact: Callable[[str], str]) -> str:
    """``ics`` with ``redact`` applied to each whole (unfolded) content line, folded
    again. A long DESCRIPTION or URL is folded in the middle of its link, so a
    redaction of the folded text would match only the first part of the token (or,
    when the fold falls inside "/b/", none of it)."""
    parts = _LINE_END.split(_FOLD.sub("", ics))
    for index in range(0, len(parts), 2):  # the even ones are lines, the odd ones their ends
        parts[index] = foldline(redact(parts[index]))
    return "".join(parts)


# --------------------------------------------------------------------------- the reminder

REMINDER = "reminder"
# What a planned reminder row holds until it is sent: it is written at send time (the
# booking as it is then, and links with a token issued then, see outbox.py), so the
# outbox never stores a token in clear for the days a reminder waits. It is written in
# the booking's language (``reservations.language``).
REMINDER_PLACEHOLDER = "(A reminder: written when it is sent.)\n"
# Reminders planned before migration 0010 carried the guest's language in the
# placeholder ("... sent.) [de]") and their bookings were all given "en": for them the
# placeholder's language stands.
_PLACEHOLDER_LANGUAGE = re.compile(r"^\(A reminder: written when it is sent\.\) \[([a-z]{2})\]$")


def placeholder_language(text: str) -> str | None:
    """The language in an older reminder's placeholder, or None (there is none)."""
    match = _PLACEHOLDER_LANGUAGE.match(text.strip())
    return match.group(1) if match else None


def reminder_subject(restaurant: Restaurant, reservation: Reservation) -> str:
    when = local_description(reservation.starts_at, restaurant.timezone)
    return _("Reminder: your table at %(restaurant)s, %(when)s", restaurant=restaurant.name,
             when=when)


def compose_reminder(restaurant: Restaurant, reservation: Reservation, manage_url: str,
                     host: str = "booking-manager") -> Composed:
    """The reminder with its Confirm, Change and Cancel links (``manage_url`` opens the
    booking; confirm and cancel are its pages)."""
    when = local_description(reservation.starts_at, restaurant.timezone)
    facts = [(_("When:"), when), (_("Party:"), _guests(reservation.party_size))]
    if restaurant.address:
        facts.append((_("Address:"), restaurant.address))
    width = max(_LABEL_WIDTH, *(len(label) + 1 for label, _value in facts))
    links = [(_("Confirm:"), f"{manage_url}/confirm"), (_("Change:"), manage_url),
             (_("Cancel:"), f"{manage_url}/cancel")]
    link_width = max(len(label) + 1 for label, _url in links)
    lines = [
        _("Hello %(name)s,", name=reservation.guest_name),
        "",
        _("This is a reminder of your booking at %(restaurant)s.", restaurant=restaurant.name),
        "",
        *(f"{label:<{width}}{value}" for label, value in facts),
        "",
        _("Are you coming? Please confirm:"),
        *(f"{label:<{link_width}}{url}" for label, url in links),
        "",
        _("(These links are private and need no password: keep them to yourself.)"),
        "",
    ]
    contact = _contact(restaurant)
    if contact:
        lines += [_("Questions? Reach us at %(contact)s.", contact=contact), ""]
    lines += [f"{restaurant.name}"]
    return Composed(kind=REMINDER, to_address=reservation.guest_email,
                    subject=reminder_subject(restaurant, reservation),
                    body_text="\n".join(lines) + "\n",
                    ics=calendar_entry(restaurant, reservation, "confirmation", manage_url, host))
