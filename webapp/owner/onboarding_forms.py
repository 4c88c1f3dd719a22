"""Forms of the set-up guide (webapp/owner/onboarding.py). Shape and range checks only;
what the guide refuses beyond them is in ``booking/operations/onboarding.py``."""

from __future__ import annotations

from typing import Any

from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from ..booking.operations.restaurants import slug_problem
from ..booking.rules import MAX_PARTY
from ..i18n import lazy_gettext as _l
from ..validators import Length, Optional, SingleLine
from .fields import TurnTimesField
from .forms import OwnerForm, ValidTimezone, _int_field, _phone_field, _strip, sorted_timezones
from .labels import translate_refusal


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class RestaurantStepForm(OwnerForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Give the restaurant's name.")), SingleLine(), Length(max=120)])
    slug = StringField(_l("Web address"), filters=[_strip, _lower],
                       description=_l("Guests book at /r/<address>: lower-case letters, digits "
                                   "and dashes."),
                       validators=[DataRequired(_l("Give the web address.")), SingleLine()])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired(_l("Choose the time zone.")),
                                                    ValidTimezone()],
                           description=_l("Opening hours and bookings are in this zone's "
                                       "local time."))
    address = TextAreaField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=300)])
    phone = _phone_field()
    description = TextAreaField(_l("Short description for guests"), filters=[_strip],
                                validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in sorted_timezones()]
        # The list's own check would say "Not a valid choice"; ValidTimezone says better.
        self.timezone.validate_choice = False

    def validate_slug(self, field: Field) -> None:
        from ..extensions import db

        problem = slug_problem(db.session, field.data or "", self.restaurant_id)
        if problem:
            raise ValidationError(translate_refusal(problem))


class RulesStepForm(OwnerForm):
    """The booking rules, each with the one line a new owner needs to choose it."""

    slot_interval_minutes = _int_field(
        _l("slot interval (minutes)"), 5, 120, default=15,
        description=_l("Guests can pick a start time every this many minutes (15: 19:00, "
                    "19:15, 19:30…)."))
    default_turn_minutes = _int_field(
        _l("turn time (minutes)"), 15, 720, default=120,
        description=_l("How long a table stays taken by one booking, when no party size "
                    "below says otherwise."))
    turn_times = TurnTimesField(
        _l("Turn time by party size"), default=dict,
        description=_l("Optional, party size:minutes: “1:90, 5:150” — parties of 1–4 stay "
                    "90 minutes, 5 or more 150."))
    lead_time_minutes = _int_field(
        _l("lead time (minutes)"), 0, 60 * 24 * 30, default=60,
        description=_l("Online bookings close this long before the start time, so the kitchen "
                    "is never surprised."))
    horizon_days = _int_field(
        _l("booking horizon (days)"), 1, 730, default=60,
        description=_l("How many days ahead guests can book online."))
    max_online_party = _int_field(
        _l("largest online party"), 1, MAX_PARTY, default=8,
        description=_l("Larger groups are asked to call you instead."))
