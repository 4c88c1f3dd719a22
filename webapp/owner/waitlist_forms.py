"""The waitlist's forms, one definition for the dashboard's posts and the API's bodies
(``webapp/api/waitlist_views.py`` binds the very same classes)."""

from __future__ import annotations

from wtforms import DateField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired

from ..booking.operations.waitlist import NewEntry, Seat
from ..booking.rules import MAX_PARTY
from ..booking.service import GuestDetails
from ..i18n import lazy_gettext as _l
from ..validators import Length, Optional, SingleLine
from .fields import WholeNumberField
from .forms import (
    TIME_FORMATS,
    LanguageField,
    OwnerForm,
    PlausibleDate,
    _int_field,
    _notify_field,
    _phone_field,
    _strip,
)
from .time_fields import WallTimeField

# How far one move may go: further than any line is long, so "to the top" is one call.
MAX_STEPS = 1000


class WaitlistEntryForm(OwnerForm):
    """A guest the owner puts in line (they phoned): the offer goes out by e-mail."""

    date = DateField(_l("Date"), validators=[InputRequired(_l("Give the date.")),
                                             PlausibleDate()])
    party_size = _int_field(_l("party size"), 1, MAX_PARTY, default=2)
    window_from = WallTimeField(_l("From"), format=TIME_FORMATS,
                                validators=[InputRequired(_l("Give the earliest time."))],
                                description=_l("The earliest start the guest accepts."))
    window_to = WallTimeField(_l("Until"), format=TIME_FORMATS,
                              validators=[InputRequired(_l("Give the latest time."))],
                              description=_l("The latest start the guest accepts."))
    name = StringField(_l("Guest name"), filters=[_strip], validators=[
        DataRequired(_l("Give the guest's name.")), SingleLine(), Length(max=120)])
    email = EmailField(_l("E-mail"), filters=[_strip], validators=[
        DataRequired(_l("Give the guest's e-mail address: the offer is e-mailed.")),
        SingleLine(), Length(max=254), Email(_l("Give a valid e-mail address."))])
    phone = _phone_field()
    language = LanguageField(
        _l("Guest's language"), _l("The restaurant's"),
        description=_l("The language of the offer e-mail."))

    def details(self) -> NewEntry:
        return NewEntry(day=self.date.data, party_size=self.party_size.data,
                        earliest=self.window_from.data, latest=self.window_to.data,
                        guest=GuestDetails(self.name.data, self.email.data,
                                           self.phone.data or ""),
                        language=self.language.data or None)


class MoveEntryForm(OwnerForm):
    steps = _int_field(_l("steps"), -MAX_STEPS, MAX_STEPS,
                       description=_l("Places to move: negative up the line, positive down."))


class SeatEntryForm(OwnerForm):
    """Book the entry's guest at ``time`` on the entry's date (on ``table`` or the best
    free one), or, without a time, seat them now as a walk-in."""

    time = WallTimeField(_l("Time"), format=TIME_FORMATS, validators=[Optional()],
                         description=_l("Empty: seat the guest now."))
    table = WholeNumberField(_l("Table"), validators=[Optional()],
                             description=_l("Empty: the best free table."))
    notify_guest = _notify_field()

    def details(self) -> Seat:
        return Seat(time=self.time.data, utc_offset=self.time.utc_offset,
                    table_id=self.table.data, notify_guest=bool(self.notify_guest.data))
