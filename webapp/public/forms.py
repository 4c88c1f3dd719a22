"""The guest's forms: shapes only (types, lengths, formats).

Restaurant rules (opening hours, lead time, horizon, party limit, free tables)
are the booking service's job; these forms only make sure the values have the
right shape, with a message a guest understands.

The forms read HTML form posts, query strings (``meta={"csrf": False}`` with
``formdata=request.args``) and JSON bodies alike: Flask-WTF wraps a JSON object
as form data, so the JSON API reuses them. The custom fields below therefore
accept JSON numbers, booleans and strings without crashing on the wrong type.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Regexp, ValidationError
from wtforms.widgets import DateInput, NumberInput, TextInput

from ..input_limits import PHONE_MAX, PHONE_PATTERN
from ..validators import Length, Optional, SingleLine

MAX_PARTY_SIZE = 99
NAME_MAX = 120
EMAIL_MAX = 254
NOTES_MAX = 1000

# The shared validators' English (input_limits, validators), marked for the guests' catalogs
# here: the same words, in the guest's language.
_PHONE_MESSAGE = _l("Enter a phone number: digits, spaces, + ( ) - / only.")
_SINGLE_LINE = _l("Use one line of plain text: no line breaks, tabs or other control characters.")

# "19:30", or "02:30+01:00" to pick one of the two 02:30s of the night clocks go back.
TIME_PATTERN = re.compile(r"^(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)"
                          r"(?P<offset>[+-](?:[01]\d|2[0-3]):[0-5]\d)?$")


def _as_text(value: Any) -> str:
    """A submitted value as text; JSON may send numbers or booleans where we expect text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        raise ValueError(_("Expected a single value."))
    return str(value)


def _single(valuelist: list[Any]) -> Any:
    """The one submitted value; a JSON array (which Flask-WTF turns into several values)
    or a repeated form field is refused rather than silently cut to its first item."""
    if len(valuelist) > 1:
        raise ValueError(_("Send a single value."))
    return valuelist[0]


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class TextField(StringField):
    """A StringField that turns JSON numbers into text instead of failing on them."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = _as_text(_single(valuelist))
            except ValueError as error:
                # Keep something in data: DataRequired would otherwise replace our message.
                first = valuelist[0]
                self.data = first if isinstance(first, str) else ""
                raise ValueError(str(error)) from None


class LongTextField(TextField):
    widget = TextAreaField.widget


class ISODateField(Field):
    """A calendar date written as YYYY-MM-DD (what <input type="date"> sends)."""

    widget = DateInput()
    # A dt.date, or None until a valid one was read; Any like every WTForms field's data,
    # so that code running after validate() passes it on as the date it then is.
    data: Any

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(_as_text(v) for v in self.raw_data if not isinstance(v, list | dict))
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        raw = _single(valuelist)
        if raw in (None, ""):
            return
        try:
            self.data = dt.date.fromisoformat(_as_text(raw).strip())
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD, e.g. 2026-12-24.")) from None
        if len(_as_text(raw).strip()) != 10:  # fromisoformat also takes 20261224
            self.data = None
            raise ValueError(_("Enter a date as YYYY-MM-DD, e.g. 2026-12-24."))


class PartySizeField(Field):
    """A whole number of guests, 1..99; JSON may send it as a number or a string."""

    widget = NumberInput(min=1, max=MAX_PARTY_SIZE)
    data: Any  # an int, or None until a valid one was read (as ISODateField.data)

    def _value(self) -> str:
        if self.raw_data:
            return _as_text(self.raw_data[0]) if not isinstance(self.raw_data[0], list | dict) else ""
        return str(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        raw = _single(valuelist)
        if raw in (None, ""):
            return
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError(_("Enter the number of guests as a whole number."))
        text = str(raw).strip()
        if not re.fullmatch(r"\d{1,4}", text):
            raise ValueError(_("Enter the number of guests as a whole number."))
        self.data = int(text)

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not 1 <= self.data <= MAX_PARTY_SIZE:
            raise ValidationError(_("A party is between 1 and %(max)d guests.", max=MAX_PARTY_SIZE))


class TimeOfDayField(TextField):
    """A wall-clock time "HH:MM" in the restaurant's zone, optionally with its UTC offset
    ("02:30+01:00") to tell apart the two 02:30s when the clocks go back."""

    widget = TextInput()

    @property
    def wall_time(self) -> dt.time | None:
        match = TIME_PATTERN.match(self.data or "")
        if not match:
            return None
        return dt.time(int(match["hour"]), int(match["minute"]))

    @property
    def utc_offset(self) -> dt.timedelta | None:
        match = TIME_PATTERN.match(self.data or "")
        if not match or not match["offset"]:
            return None
        sign = -1 if match["offset"][0] == "-" else 1
        hours, minutes = match["offset"][1:].split(":")
        return sign * dt.timedelta(hours=int(hours), minutes=int(minutes))


def _date_field() -> ISODateField:
    return ISODateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])


def _party_field() -> PartySizeField:
    return PartySizeField(_l("Guests"), validators=[
        InputRequired(_l("Say how many guests are coming."))])


def _time_field() -> TimeOfDayField:
    return TimeOfDayField(_l("Time"), filters=[strip], validators=[
        DataRequired(_l("Choose a time.")),
        Regexp(TIME_PATTERN.pattern, message=_l("Choose one of the times offered (HH:MM).")),
    ])


class AvailabilityForm(FlaskForm):
    """Which times are free on a date for a party (a GET: build it with meta={"csrf": False})."""

    date = _date_field()
    party_size = _party_field()


class BookingForm(FlaskForm):
    date = _date_field()
    time = _time_field()
    party_size = _party_field()
    name = TextField(_l("Name"), filters=[strip], validators=[
        DataRequired(_l("Tell us the name for the booking.")),
        Length(max=NAME_MAX, message=_l("Keep the name under %(max)d characters.", max=NAME_MAX)),
        SingleLine(_SINGLE_LINE),
    ])
    email = TextField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("We need an e-mail address to send the confirmation.")),
        Length(max=EMAIL_MAX, message=_l("An e-mail address has at most %(max)d characters.",
                                         max=EMAIL_MAX)),
        SingleLine(_SINGLE_LINE),
        Email(_l("This does not look like an e-mail address (name@example.com).")),
    ])
    phone = TextField(_l("Phone"), filters=[strip], validators=[
        DataRequired(_l("We need a phone number in case we must reach you.")),
        Length(max=PHONE_MAX, message=_l("A phone number has at most %(max)d characters.",
                                         max=PHONE_MAX)),
        SingleLine(_SINGLE_LINE),
        Regexp(PHONE_PATTERN, message=_PHONE_MESSAGE),
    ])
    notes = LongTextField(_l("Notes (optional)"), filters=[strip], validators=[
        Optional(),
        Length(max=NOTES_MAX, message=_l("Keep the notes under %(max)d characters.",
                                         max=NOTES_MAX)),
    ])


class ChangeBookingForm(FlaskForm):
    date = _date_field()
    time = _time_field()
    party_size = _party_field()


class HoldForm(ChangeBookingForm):
    """The time a guest picked, to hold its table while they type (booking/holds.py)."""


# A hold's token (booking/holds.py): random, URL-safe, well under this.
HOLD_TOKEN_MAX = 200


class HeldBookingForm(BookingForm):
    """The API's guest booking: the booking page's fields and the hold it converts (the
    page keeps its hold in the browser session instead)."""

    hold = TextField(_l("Hold"), filters=[strip],
                     description="The id of a hold (POST .../holds) for this time: its "
                                 "tables are booked first and the hold ends.",
                     validators=[Optional(), Length(max=HOLD_TOKEN_MAX), SingleLine()])


class CancelBookingForm(FlaskForm):
    # JSON sends true/false: False must read as "not confirmed" (WTForms' default
    # false_values are strings only).
    confirm = BooleanField(
        _l("Yes, cancel my booking"),
        false_values=(False, "false", "False", "", "0", "no", "off"),
        validators=[DataRequired(_l("Tick the box to confirm the cancellation."))],
    )


def field_errors(form: FlaskForm) -> dict[str, list[str]]:
    """The form's errors as {field: [messages]} (CSRF errors under "csrf_token")."""
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _window_field(label: Any) -> TimeOfDayField:
    """One end of a waitlist window: "HH:MM" (what <input type="time"> sends)."""
    return TimeOfDayField(label, filters=[strip], validators=[
        DataRequired(_l("Give a time as HH:MM.")),
        Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Give a time as HH:MM, e.g. 19:30.")),
    ])


class WaitlistForm(FlaskForm):
    """Joining the waitlist (booking/waitlist.join): the date, the party, the window of
    start times the guest accepts, and how to reach them with an offer. The guest's
    details are the booking form's own fields (same rules, same messages)."""

    date = _date_field()
    party_size = _party_field()
    window_from = _window_field(_l("Earliest time"))
    window_to = _window_field(_l("Latest time"))
    name = BookingForm.name
    email = BookingForm.email
    phone = BookingForm.phone


class WaitlistActionForm(FlaskForm):
    """Only the CSRF token: leaving the waitlist, or booking the offered table."""
