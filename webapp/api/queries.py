"""Query-string forms of the owner's read endpoints (no CSRF: GET only)."""

from __future__ import annotations

from wtforms import Form, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from ..owner.forms import ReservationListForm, choices
from ..public.forms import ISODateField
from ..validators import Optional

MAX_LIST = 1000


class DayQuery(Form):
    """One service date."""

    date = ISODateField("Date", validators=[InputRequired("Give the date (YYYY-MM-DD).")])


class ReservationQuery(Form):
    """The dashboard's reservation filters (start, end, status, q) plus a single date
    and a page size."""

    date = ISODateField("Date", validators=[Optional()],
                        description="One service date; overrides start and end.")
    limit = IntegerField("Limit", default=200, validators=[
        Optional(), NumberRange(min=1, max=MAX_LIST,
                                message=f"The limit must be between 1 and {MAX_LIST}.")])


# The page's filter fields, shared rather than copied.
for _name in ("start", "end", "status", "q"):
    setattr(ReservationQuery, _name, getattr(ReservationListForm, _name))
ReservationQuery.validate_end = ReservationListForm.validate_end


class DeactivationQuery(Form):
    """What happens to a table's reservations not yet over when it is deactivated."""

    future_bookings = SelectField(
        "Its reservations not yet over", default="refuse", validators=[Optional()],
        choices=choices([("refuse", "refuse while there are any"),
                         ("move", "move to other tables"), ("cancel", "cancel")]))
    notify_guest = SelectField("E-mail the guests moved or cancelled", default="true",
                               validators=[Optional()],
                               choices=choices([("true", "yes"), ("false", "no")]))


class NotifyQuery(Form):
    """Whether the guest is e-mailed about this action."""

    notify_guest = SelectField("E-mail the guest", default="true", validators=[Optional()],
                               choices=choices([("true", "yes"), ("false", "no")]))
