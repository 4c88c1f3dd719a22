"""Query-string forms of the owner's read endpoints (no CSRF: GET only)."""

from __future__ import annotations

from wtforms import Form, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..owner.forms import ReservationListForm
from ..public.forms import ISODateField

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
