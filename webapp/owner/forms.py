"""Owner forms: one definition for the dashboard's form posts and the JSON API.

The API reads its JSON bodies into form data first (``webapp.api.bodies``), so every
field validates a JSON body exactly like a form post; NUL characters never get this
far (``webapp.input_guard``). Booking rules (is the table free, is it inside the
hours) stay in ``webapp.booking``; these forms check shape, ranges and cross-field
sense only. The custom field types are in ``fields.py``.

Uniqueness checks (restaurant slug, table name) need the database; the view or
API passes the context as ``restaurant_id=`` / ``table_id=`` keyword arguments.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    NumberRange,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from ..booking.embed import MAX_EMBED_ORIGINS, OriginError, parse_origins
from ..booking.operations.setup import (
    RestaurantSettings,
    ServiceTimes,
    SpecialDayDetails,
    TableDetails,
    WeeklyService,
)
from ..booking.phones import country_for_zone, phone_countries
from ..booking.rules import MAX_PARTY
from ..i18n import LANGUAGE_NAMES, LANGUAGES, EscapedLazyString
from ..i18n import lazy_gettext as _l
from ..input_limits import EARLIEST_DATE, LATEST_DATE, PHONE_MAX, PHONE_MESSAGE, PHONE_PATTERN
from ..models import (
    MAX_STAY_MINUTES,
    STATUSES,
    DiningTable,
    Restaurant,
)
from ..validators import Length, Optional, SingleLine
from .fields import (  # noqa: F401  (ServiceSpec: imported from here by the set-up views)
    ServicesField,
    ServiceSpec,
    TurnTimesField,
    WholeNumberField,
    within_service,
)
from .labels import translate_refusal
from .time_fields import WallTimeField

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday")]


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LanguageField(SelectField):
    """One of the guests' languages (webapp/i18n.LANGUAGES), each named in itself, or
    "" (what empty means is the first choice's label)."""

    def __init__(self, label: str, empty: str, **kwargs: Any) -> None:
        # Each name marked as its own language (lang="de"), for screen readers.
        super().__init__(label, choices=[SelectChoice("", empty), *(
            SelectChoice(code, name, render_kw={"lang": code})
            for code, name in LANGUAGE_NAMES.items())], default="", **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data not in ("", *LANGUAGES):
            raise ValidationError(_("Choose one of %(codes)s, or leave it empty.",
                                    codes=", ".join(LANGUAGES)))


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def sorted_timezones() -> list[str]:
    return sorted(timezone_names())


class OwnerForm(FlaskForm):
    """Base form: the context of uniqueness checks (see the module docstring)."""

    def __init__(self, *args: Any, restaurant_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.restaurant_id = restaurant_id

    def first_error(self) -> tuple[str, str] | None:
        """(field name, message) of the first field error, for one-line answers."""
        for name, messages in self.errors.items():
            if messages:
                message = messages[0] if isinstance(messages, list) else str(messages)
                return name, message
        return None


# --------------------------------------------------------------------------- validators


def _capitalized(label: object) -> str:
    text = str(label)
    return text[:1].upper() + text[1:]


def _int_field(label: str | EscapedLazyString, low: int, high: int, *, required: bool = True,
               default=None, description: str | EscapedLazyString = "") -> WholeNumberField:
    """An integer field; ``required`` without a default means it must be sent. ``label``
    as it reads inside a sentence ("party size"), lazy: the field's label is it
    capitalised, in the page's language."""
    must_send = required and default is None
    presence = InputRequired(message=_l("Give the %(label)s.", label=label)) if must_send \
        else Optional()
    return WholeNumberField(
        EscapedLazyString(_capitalized, label), default=default, description=description,
        validators=[presence, NumberRange(min=low, max=high, message=_l(
            "The %(label)s must be between %(low)s and %(high)s.", label=label, low=low,
            high=high))])


# Contact and guest fields shared by several forms. Factories, not a mixin: each call
# makes the field where the class body names it, so field order (and with it the page
# and the OpenAPI schema) stays as written.
def _phone_field() -> StringField:
    return StringField(_l("Phone"), filters=[_strip], validators=[
        Optional(), SingleLine(), Length(max=PHONE_MAX),
        Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)])


def _email_field() -> EmailField:
    return EmailField(_l("E-mail"), filters=[_strip], validators=[
        Optional(), SingleLine(), Length(max=254), Email(_l("Give a valid e-mail address."))])


def _guest_name_field() -> StringField:
    return StringField(_l("Guest name"), filters=[_strip], validators=[
        DataRequired(_l("Give the guest's name.")), SingleLine(), Length(max=120)])


def _notes_field() -> TextAreaField:
    return TextAreaField(_l("Notes"), filters=[_strip], validators=[Optional(), Length(max=2000)])


class ValidCountry:
    """A country phone numbers are known for (ISO 3166 alpha-2)."""

    @property
    def json_schema(self) -> dict[str, Any]:
        """For the OpenAPI document: the codes this check accepts (empty: the time
        zone's country); the field upper-cases what it is sent."""
        return {"enum": ["", *sorted(phone_countries())]}

    def __call__(self, form: Any, field: Field) -> None:
        if field.data and field.data not in phone_countries():
            raise ValidationError(_l("Give the country's two-letter code, e.g. DE or FR."))


class ValidTimezone:
    @property
    def json_schema(self) -> dict[str, Any]:
        """For the OpenAPI document (formschema merges a validator's json_schema)."""
        return {"enum": sorted_timezones()}

    def __call__(self, form: Any, field: Field) -> None:
        if field.data not in timezone_names():
            raise ValidationError(_l("Choose a time zone from the list, e.g. Europe/Berlin."))


class RequiredUnlessWalkIn:
    """Date and time of a phone booking; a walk-in starts now and ignores them."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if form.source.data == "walk_in":
            field.errors[:] = []
            raise StopValidation()
        if not field.raw_data or not str(field.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class TableUnlessJoined:
    """A move names its table, unless it names tables to join or a combination instead
    (those win: the page's table select keeps the booking's first table meanwhile)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if form.table_ids.data or form.combination.raw_data and str(
                form.combination.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation()
        if not field.raw_data or not str(field.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class NameUnlessWalkIn:
    """A phone booking needs the guest's name; a walk-in may leave it empty (the
    operation stores a placeholder). A name that is given is checked as any other."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if field.data:
            return
        field.errors[:] = []
        if form.source.data == "walk_in":
            raise StopValidation()
        raise StopValidation(self.message)


class PlausibleDate:
    """Keeps dates where date arithmetic and time zones cannot overflow (year 1, 9999)."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            raise ValidationError(_("Choose a date between %(first)s and %(last)s.",
                                    first=EARLIEST_DATE.year, last=LATEST_DATE.year))


class NotOnlyDigits:
    """Slugs that are all digits would be read as restaurant ids in URLs."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.data and field.data.isdigit():
            raise ValidationError(_l("The address needs at least one letter."))


# --------------------------------------------------------------------------- setup forms


class RestaurantSettingsForm(OwnerForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Give the restaurant's name.")), SingleLine(), Length(max=120)])
    slug = StringField(_l("Web address"), filters=[_strip, lambda s: s.lower() if s else s],
                       description=_l("Guests book at /r/<address>: lower-case letters, digits "
                                   "and dashes."),
                       validators=[DataRequired(_l("Give the web address.")), SingleLine(),
                                   Length(min=2, max=64),
                                   Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits "
                                          "and single dashes, e.g. chez-marie.")),
                                   NotOnlyDigits()])
    timezone = StringField(_l("Time zone"), filters=[_strip], validators=[
        DataRequired(_l("Give the time zone.")), SingleLine(), ValidTimezone()])
    slot_interval_minutes = _int_field(_l("slot interval (minutes)"), 5, 120, default=15)
    default_turn_minutes = _int_field(_l("default turn time (minutes)"), 15, 720, default=120)
    turn_times = TurnTimesField(_l("Turn time by party size"), default=dict,
                                description=_l("Party size:minutes, e.g. “1:90, 3:120, 5:150” — "
                                            "parties of 1-2 stay 90 minutes, 3-4 stay 120, 5 or "
                                            "more 150. Empty: the default for everyone."))
    lead_time_minutes = _int_field(_l("lead time (minutes)"), 0, 60 * 24 * 30, default=60,
                                   description=_l("How long before the start online bookings "
                                               "close."))
    horizon_days = _int_field(_l("booking horizon (days)"), 1, 730, default=60)
    max_online_party = _int_field(_l("largest online party"), 1, MAX_PARTY, default=8)
    reminder_hours = _int_field(_l("reminder (hours before)"), 0, 24 * 14, default=24,
                                description=_l("Guests are e-mailed a reminder with a Confirm "
                                            "link this long before; 0: no reminders."))
    cancel_cutoff_hours = _int_field(
        _l("online changes until (hours before)"), 0, 720, default=0,
        description=_l("Guests may change or cancel online until this long before the "
                       "start; after that their page asks them to call. 0: until the start."))
    hold_minutes = _int_field(
        _l("hold a picked time (minutes)"), 0, 60, default=7,
        description=_l("When a guest picks a time online, their table is kept for them this "
                       "long while they type their details. 0: no holds."))
    waitlist_offer_minutes = _int_field(
        _l("waitlist offer (minutes)"), 1, 60, default=15,
        description=_l("When a table frees up, the next fitting guest on the waitlist is "
                       "e-mailed and the table is kept for them this long."))
    country = StringField(_l("Country"), filters=[_strip, lambda s: s.upper() if s else s],
                          description=_l("Two letters (DE, FR, GB…): phone numbers without + "
                                      "are read as this country's. Empty: the time zone's."),
                          validators=[Optional(), SingleLine(), ValidCountry()])
    phone = _phone_field()
    email = _email_field()
    address = TextAreaField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description for guests"), filters=[_strip],
                                validators=[Optional(), Length(max=4000)])
    embed_origins = TextAreaField(
        _l("Websites that may embed the booking form"),
        description=_l("One per line, only the site: https://www.example.com (no page path). "
                       "At most %(num)s. Empty: embedding is off.", num=MAX_EMBED_ORIGINS),
        validators=[Optional(), Length(max=2000)])
    calendar_feed_contact = BooleanField(_l("Show guests' e-mail and phone in staff calendar feeds"))
    default_language = LanguageField(
        _l("Guest page language"), _l("The guest's browser decides"),
        description=_l("The language your booking page opens in, unless the guest picks "
                    "another on the page. Also that of the e-mails about bookings you take "
                    "yourself (by phone, walk-ins)."))

    def validate_embed_origins(self, field: Field) -> None:
        try:
            field.data = "\n".join(parse_origins(field.data or ""))
        except OriginError as error:
            raise ValidationError(translate_refusal(str(error))) from None

    def details(self) -> RestaurantSettings:
        text = {name: getattr(self, name).data or "" for name in
                ("phone", "email", "address", "description")}
        return RestaurantSettings(
            name=self.name.data, slug=self.slug.data, timezone=self.timezone.data,
            slot_interval_minutes=self.slot_interval_minutes.data,
            default_turn_minutes=self.default_turn_minutes.data,
            turn_times=dict(self.turn_times.data or {}),
            lead_time_minutes=self.lead_time_minutes.data, horizon_days=self.horizon_days.data,
            max_online_party=self.max_online_party.data,
            reminder_hours=self.reminder_hours.data,
            cancel_cutoff_hours=self.cancel_cutoff_hours.data,
            hold_minutes=self.hold_minutes.data,
            waitlist_offer_minutes=self.waitlist_offer_minutes.data,
            country=self.country.data or country_for_zone(self.timezone.data),
            embed_origins=self.embed_origins.data or "",
            calendar_feed_contact=bool(self.calendar_feed_contact.data),
            default_language=self.default_language.data or "", **text)

    def validate_slug(self, field: Field) -> None:
        from ..booking.slugs import previous_owner_of
        from ..extensions import db

        query = select(Restaurant.id).where(Restaurant.slug == field.data)
        if self.restaurant_id is not None:
            query = query.where(Restaurant.id != self.restaurant_id)
        if db.session.execute(query.limit(1)).first() is not None:
            raise ValidationError(_l("Another restaurant already uses this address."))
        before = previous_owner_of(db.session, field.data)
        if before is not None and before != self.restaurant_id:
            # Its guests' e-mailed links still lead there (booking/slugs.py).
            raise ValidationError(_l("Another restaurant used this address before."))


class TableForm(OwnerForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Give the table a name.")), SingleLine(), Length(max=60)])
    seats = _int_field(_l("number of seats"), 1, 100)
    min_party = _int_field(_l("smallest party"), 1, 100, default=1)
    max_party = _int_field(_l("largest party"), 1, 100, required=False,
                           description=_l("Empty: the number of seats."))
    area = StringField(_l("Area"), filters=[_strip], validators=[Optional(), SingleLine(),
                                                             Length(max=60)],
                       description=_l("E.g. terrace, window, bar."))
    position = _int_field(_l("position"), 0, 10_000, default=0,
                          description=_l("Lower numbers are offered first among equal fits."))
    active = BooleanField(_l("Bookable"), default=True)

    def __init__(self, *args: Any, table_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table_id = table_id

    def validate_min_party(self, field: Field) -> None:
        if field.data is not None and self.seats.data is not None and field.data > self.seats.data:
            raise ValidationError(_l("The smallest party cannot be larger than the number of seats."))

    def validate_max_party(self, field: Field) -> None:
        if field.data is None:
            return
        if self.min_party.data is not None and field.data < self.min_party.data:
            raise ValidationError(_l("The largest party cannot be smaller than the smallest party."))

    def details(self) -> TableDetails:
        """The table's details (``active`` is not one: it has its own operations)."""
        return TableDetails(name=self.name.data, seats=self.seats.data,
                            min_party=self.min_party.data or 1, max_party=self.max_party.data,
                            area=self.area.data or "", position=self.position.data or 0)

    def validate_name(self, field: Field) -> None:
        if self.restaurant_id is None:
            return
        from ..extensions import db

        query = select(DiningTable.id).where(DiningTable.restaurant_id == self.restaurant_id,
                                             DiningTable.name == field.data)
        if self.table_id is not None:
            query = query.where(DiningTable.id != self.table_id)
        if db.session.execute(query.limit(1)).first() is not None:
            raise ValidationError(_l("Another table already has this name."))


def _notify_field() -> BooleanField:
    # Ticked on the page; an API body that leaves it out means true (the API passes
    # the default as the present value), ``false`` opts this one action out.
    return BooleanField(_l("E-mail the guest"), default=True,
                        false_values=(False, "false", "False", "", "0", "no", "off"),
                        description=_l("Send the guest the confirmation, change or "
                                    "cancellation e-mail, when they gave an address."))


def _override_field(label: str, description: str) -> BooleanField:
    # An owner's explicit "do it anyway" after a refusal: off unless sent (the page's
    # choice buttons send it; an API body sends true).
    return BooleanField(label, default=False,
                        false_values=(False, "false", "False", "", "0", "no", "off"),
                        description=description)


def _same_guest_field() -> BooleanField:
    return _override_field(_l("Book anyway"), _l("The same phone number or e-mail address may "
                           "hold another booking at an overlapping time (a concierge, a "
                           "company). Recorded in the booking's history."))


def _over_pace_field() -> BooleanField:
    return _override_field(_l("Book over the pace"), "More covers may start in the time's "
                           "pace slot (or its service) than its pace allows (refused "
                           "otherwise with `pace_exceeded`). Recorded in the history.")


class DeactivateTableForm(OwnerForm):
    """What to do with a table's future bookings when it stops being bookable."""

    bookings = SelectField(_l("Its future bookings"), choices=choices([
        ("move", _l("Move them to other free tables")),
        ("cancel", _l("Cancel them")),
        ("keep", _l("Keep the table bookable")),
    ]), validators=[InputRequired(_l("Choose what happens to the bookings."))])
    notify_guest = _notify_field()


class OpeningHoursForm(OwnerForm):
    weekday = SelectField(_l("Day"), coerce=int, choices=choices(enumerate(WEEKDAYS)),
                          validators=[InputRequired(_l("Choose a day."))])
    name = StringField(_l("Service"), filters=[_strip], validators=[Optional(), SingleLine(),
                                                                Length(max=40)],
                       description=_l("E.g. Lunch, Dinner."))
    opens = TimeField(_l("Opens"), format=TIME_FORMATS,
                      validators=[InputRequired(_l("Give the opening time."))])
    closes = TimeField(_l("Closes"), format=TIME_FORMATS,
                       description=_l("At or before the opening time: the service runs past "
                                   "midnight."),
                       validators=[InputRequired(_l("Give the closing time."))])
    last_seating = TimeField(_l("Last seating"), format=TIME_FORMATS, validators=[Optional()],
                             description=_l("Empty: closing time minus the turn time."))
    pace_covers = _int_field(_l("pace (covers per slot)"), 1, 10000, required=False,
                             description=_l("The most guests who may start in one slot "
                                            "interval; online guests are not offered a full "
                                            "slot. Empty: no pace."))
    max_covers = _int_field(_l("covers per service"), 1, 100000, required=False,
                            description=_l("The most guests for the whole service. "
                                           "Empty: no limit."))

    def details(self) -> WeeklyService:
        return WeeklyService(self.weekday.data, ServiceTimes(
            self.name.data or "", self.opens.data, self.closes.data, self.last_seating.data,
            self.pace_covers.data, self.max_covers.data))

    def validate_closes(self, field: Field) -> None:
        if field.data is not None and field.data == self.opens.data:
            raise ValidationError(_l("Opening and closing times cannot be the same."))

    def validate_last_seating(self, field: Field) -> None:
        if field.data is None or self.opens.data is None or self.closes.data is None:
            return
        if not within_service(self.opens.data, self.closes.data, field.data):
            raise ValidationError(_l("The last seating must be between opening and closing."))


class SpecialDayForm(OwnerForm):
    start_date = DateField(_l("From"), validators=[InputRequired(_l("Give the first day.")),
                                                  PlausibleDate()])
    end_date = DateField(_l("Until"), validators=[Optional(), PlausibleDate()],
                         description=_l("Empty: just the first day."))
    closed = BooleanField(_l("Closed"))
    reason = StringField(_l("Reason"), filters=[_strip], validators=[Optional(), SingleLine(),
                                                                 Length(max=200)],
                         description=_l("E.g. Christmas, private event."))
    services = ServicesField(_l("Hours on these days"), default=list,
                             description=_l("When open: one service a line, e.g. “Dinner "
                                            "18:00-23:30”, “Brunch 10:00-14:00 last 13:00” or "
                                            "“Gala 19:00-23:00 pace 20 max 120” (at most 20 "
                                            "covers starting per time slot, 120 for the "
                                            "service)."))

    def validate_end_date(self, field: Field) -> None:
        if field.data is None:
            return
        if self.start_date.data is not None and field.data < self.start_date.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if self.start_date.data is not None and (field.data - self.start_date.data).days > 366:
            raise ValidationError(_l("A special period can last at most a year."))

    def validate_services(self, field: Field) -> None:
        if not self.closed.data and not field.data:
            raise ValidationError(_l("Give the hours for these days, or tick Closed."))

    def details(self) -> SpecialDayDetails:
        closed = bool(self.closed.data)
        return SpecialDayDetails(
            start_date=self.start_date.data,
            end_date=self.end_date.data or self.start_date.data, closed=closed,
            reason=self.reason.data or "",
            services=() if closed else tuple(ServiceTimes(s.name, s.opens, s.closes,
                                                          s.last_seating, s.pace_covers,
                                                          s.max_covers)
                                             for s in self.services.data))


# --------------------------------------------------------------------------- reservations


JOIN_MESSAGE = _l("Choose 2 or 3 tables to join.")


class JoinedTablesField(SelectMultipleField):
    """Tables to join for one party, by id: a JSON array in the API, ticked boxes on the
    page, or one value of ids with spaces between (what the day grid's drag sends to keep a
    joined booking on its tables). Empty: none (``table`` says where). Which ids are this
    restaurant's, and whether they take the party, is the booking rules' question."""

    json_shapes = ("array",)
    json_schema = {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                   "maxItems": 3, "uniqueItems": True}

    def process_formdata(self, valuelist: list[Any]) -> None:
        words = [w for value in valuelist for w in str(value).replace(",", " ").split()]
        try:
            self.data = [int(w) for w in words]
        except ValueError:
            self.data = []
            raise ValueError(JOIN_MESSAGE) from None

    def pre_validate(self, form: Any) -> None:
        ids = self.data or []
        if ids and not (2 <= len(set(ids)) == len(ids) <= 3):
            raise StopValidation(str(JOIN_MESSAGE))

    def joined(self) -> tuple[int, ...] | None:
        return tuple(self.data) if self.data else None


def _joined_tables_field() -> JoinedTablesField:
    return JoinedTablesField(
        _l("Join tables"), coerce=int, choices=[], validate_choice=False,
        description=_l("2 or 3 tables joined for the party, instead of one table."))


def _combination_field() -> WholeNumberField:
    return WholeNumberField(
        _l("Table combination"), validators=[Optional()],
        description=_l("A table combination's id: its tables joined for the party, instead "
                       "of one table."))


class OwnerReservationForm(OwnerForm):
    """A booking taken by phone, or a walk-in (which starts now, seated)."""

    source = SelectField(_l("Booked by"),
                         choices=choices([("phone", _l("Phone")), ("walk_in", _l("Walk-in"))]),
                         default="phone", validators=[InputRequired(_l("Choose phone or walk-in."))])
    date = DateField(_l("Date"), validators=[RequiredUnlessWalkIn(_l("Give the date.")), PlausibleDate()])
    time = WallTimeField(_l("Time"), format=TIME_FORMATS,
                         validators=[RequiredUnlessWalkIn(_l("Give the time."))])
    party_size = _int_field(_l("party size"), 1, MAX_PARTY, default=2)
    table = WholeNumberField(_l("Table"), validators=[Optional()],
                         description=_l("Empty: the best free table."))
    table_ids = _joined_tables_field()
    combination = _combination_field()
    name = StringField(_l("Guest name"), filters=[_strip], validators=[
        NameUnlessWalkIn(_l("Give the guest's name.")), SingleLine(), Length(max=120)])
    email = _email_field()
    phone = _phone_field()
    notes = _notes_field()
    duration_minutes = _int_field(_l("length of stay (minutes)"), 5, MAX_STAY_MINUTES, required=False,
                                  description=_l("Empty: the turn time for the party size."))
    notify_guest = _notify_field()
    # The API's (the dashboard's own bookings take the restaurant's default language).
    language = LanguageField(
        _l("Guest's language"), _l("The restaurant's"),
        description=_l("The language of the guest's e-mails about this booking. Empty: the "
                    "restaurant's guest page language if it has one, else English."))
    allow_past_closing = _override_field(
        _l("Keep it past closing"), "A phone booking whose stay would end after closing is "
        "kept as it is (refused otherwise with `stay_past_closing`). Recorded in the history.")
    shorten_to_closing = _override_field(
        _l("End it at closing"), "A phone booking whose stay would end after closing is "
        "shortened to end at closing.")
    allow_same_guest = _same_guest_field()
    allow_over_pace = _over_pace_field()


class EditReservationForm(OwnerForm):
    """Guest details and party size of an existing reservation."""

    party_size = _int_field(_l("party size"), 1, MAX_PARTY)
    name = _guest_name_field()
    email = _email_field()
    phone = _phone_field()
    notes = _notes_field()
    version = WholeNumberField(_l("Version"), widget=HiddenInput(), validators=[
        InputRequired(_l("The form is missing the reservation's version; reload the page."))])
    notify_guest = _notify_field()
    allow_same_guest = _same_guest_field()
    allow_over_pace = _over_pace_field()


class MoveReservationForm(OwnerForm):
    date = DateField(_l("Date"), validators=[InputRequired(_l("Give the date.")), PlausibleDate()])
    time = WallTimeField(_l("Time"), format=TIME_FORMATS,
                         validators=[InputRequired(_l("Give the time."))])
    table = WholeNumberField(_l("Table"), validators=[TableUnlessJoined(_l("Choose a table."))])
    table_ids = _joined_tables_field()
    combination = _combination_field()
    party_size = _int_field(_l("party size"), 1, MAX_PARTY)
    duration_minutes = _int_field(_l("length of stay (minutes)"), 5, MAX_STAY_MINUTES, required=False)
    version = WholeNumberField(_l("Version"), widget=HiddenInput(), validators=[
        InputRequired(_l("The form is missing the reservation's version; reload the page."))])
    notify_guest = _notify_field()
    allow_same_guest = _same_guest_field()
    allow_over_pace = _over_pace_field()


# Statuses an owner may set by hand; "booked" (or "seated") on a no-show or a cancelled
# reservation takes it back.
OWNER_STATUSES = list(STATUSES)


class StatusForm(OwnerForm):
    status = SelectField(_l("Status"),
                         choices=choices((s, s.replace("_", " ")) for s in OWNER_STATUSES),
                         validators=[InputRequired(_l("Choose a status."))])
    version = WholeNumberField(_l("Version"), widget=HiddenInput(), validators=[
        InputRequired(_l("The form is missing the reservation's version; reload the page."))])
    notify_guest = _notify_field()
    allow_off_day = _override_field(
        _l("Anyway, on another day"), "Seat, complete, mark no-show (or take a no-show back) "
        "although today is not the booking's service day (refused otherwise with "
        "`not_on_service_day`). Owners only; recorded in the history.")
    allow_same_guest = _same_guest_field()
    allow_over_pace = _over_pace_field()


class StatusPageForm(StatusForm):
    """The dashboard's status buttons: Cancel and No-show post once to ask, and again
    with ``confirm`` to do it (a confirm step that needs no JavaScript)."""

    confirm = BooleanField(_l("Confirm"), default=False)


# --------------------------------------------------------------------------- the rest


class TokenForm(OwnerForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Give the token a name, e.g. the integration it is for.")), SingleLine(),
        Length(max=120)])
    # models.TOKEN_SCOPES, each with what it allows (webapp/api/auth.py enforces them).
    # Only "read" is ticked at first: a token should hold no more than its integration needs.
    scopes = SelectMultipleField(_l("What the token may do"), default=["read"], choices=choices([
        ("read", _l("Read: reservations, the day's grid, tables, hours, settings")),
        ("bookings", _l("Bookings: book, walk in, change, move, seat, cancel reservations")),
        ("setup", _l("Set-up: change settings, tables, opening hours, special days")),
    ]), validators=[DataRequired(_l("Choose at least one thing the token may do."))])


class ConfirmForm(OwnerForm):
    """An empty form for buttons that only need the CSRF token (delete, revoke)."""


class ReservationListForm(FlaskForm):
    """The filters of the reservation list and its CSV export (GET, no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), PlausibleDate()])
    end = DateField(_l("Until"), validators=[Optional(), PlausibleDate()])
    status = SelectField(_l("Status"), choices=choices([("", _l("Any"))] + [(s, s.replace("_", " "))
                                                           for s in STATUSES]),
                         validators=[Optional()], default="")
    q = StringField(_l("Guest"), filters=[_strip], validators=[Optional(), SingleLine(),
                                                          Length(max=120)],
                    description=_l("Name, e-mail or phone."))

    def validate_end(self, field: Field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if field.data and self.start.data and (field.data - self.start.data).days > 366:
            raise ValidationError(_l("Choose at most a year."))
