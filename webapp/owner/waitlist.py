"""The waitlist page (owners and staff): a date's line in order, each guest moved up or
down, removed or seated from the list, and a guest added who phoned.

Every use case is an operation of ``webapp.booking.operations.waitlist``, shared with
the API: these views read the form, call it and render. The buttons post with htmx
where JavaScript runs (the line is swapped in place, its message with it); without it,
a plain post and a redirect back to the date.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock, writes
from ..booking.errors import BookingError
from ..booking.operations import waitlist as ops
from ..extensions import db
from ..i18n import N_
from ..models import DiningTable, WaitlistEntry
from .access import Access, member_required
from .common import actor, apply_booking_error, explain, form_status, parse_day, today, zone
from .forms import ConfirmForm, OwnerForm
from .views import bp
from .waitlist_forms import MoveEntryForm, SeatEntryForm, WaitlistEntryForm

# The operation's refusals, looked up by their English where the page shows them.
REFUSALS = (N_("No such waitlist entry."), N_("This guest is no longer in line on the waitlist."),
            N_("The waitlist takes parties up to the largest online party; book a larger "
               "party directly."),
            N_("Seat now only on the entry's date; give a time to book it."))


def _day(access: Access) -> dt.date:
    value = request.values.get("date")
    return parse_day(value) if value else today(access.restaurant)


def _tables(access: Access) -> list[DiningTable]:
    return list(db.session.scalars(
        select(DiningTable).where(DiningTable.restaurant_id == access.restaurant.id,
                                  DiningTable.active.is_(True))
        .order_by(DiningTable.position, DiningTable.id)))


def _render(access: Access, day: dt.date, *, status: int = 200,
            add_form: WaitlistEntryForm | None = None, message: str | None = None,
            error: str | None = None, error_entry: int | None = None,
            seat_form: SeatEntryForm | None = None):
    """``seat_form``: a refused seat's form, shown again under its entry; else the seat
    form of the entry the URL names (``?seat=<id>``), if any."""
    entries = ops.line_of(db.session, access.restaurant, day)
    seat_open = error_entry if seat_form is not None else request.args.get("seat", type=int)
    if add_form is None:
        add_form = WaitlistEntryForm(formdata=None, data={"date": day})
    return render_template(
        "owner/waitlist.html", access=access, restaurant=access.restaurant, day=day,
        entries=entries, places=ops.places(entries), in_line=ops.in_line,
        tables=_tables(access), zone=zone(access.restaurant), now=clock.now(),
        add_form=add_form, confirm=ConfirmForm(formdata=None),
        seat_form=seat_form, seat_open=seat_open, message=message, error=error,
        error_entry=error_entry,
        today=today(access.restaurant)), status


def _done(access: Access, day: dt.date, message: str):
    """After a write: htmx gets the page (it swaps the line, the message in it); a plain
    post a redirect back to the date (the message flashed)."""
    address = url_for("owner.waitlist", ref=access.ref, date=day.isoformat())
    if request.headers.get("HX-Request"):
        page, status = _render(access, day, message=message)
        return page, status, {"HX-Push-Url": address}  # the address bar names the date shown
    flash(message, "success")
    return redirect(address, code=303)


def _entry(access: Access, entry_id: int) -> WaitlistEntry:
    try:
        return ops.get(db.session, access.restaurant, entry_id)
    except ops.EntryNotFound:
        abort(404)


def _refused(access: Access, entry: WaitlistEntry, error: BookingError, **kwargs):
    return _render(access, entry.service_date, status=error.http_status,
                   error=explain(error, access.restaurant), error_entry=entry.id, **kwargs)


def _invalid(access: Access, entry: WaitlistEntry, form: OwnerForm, **kwargs):
    text = "; ".join(str(m) for messages in form.errors.values() for m in messages)
    return _render(access, entry.service_date, status=form_status(form), error=text,
                   error_entry=entry.id, **kwargs)


@bp.get("/<ref>/waitlist")
@member_required
def waitlist(access: Access):
    return _render(access, _day(access))


@bp.post("/<ref>/waitlist")
@member_required
def add_to_waitlist(access: Access):
    form = WaitlistEntryForm()
    day = form.date.data if isinstance(form.date.data, dt.date) else today(access.restaurant)
    if not form.validate():
        return _render(access, day, status=form_status(form), add_form=form)
    try:
        entry = ops.add(db.session, access.restaurant, form.details())
    except BookingError as error:
        field = getattr(form, error.field or "", None)
        if field is not None:
            apply_booking_error(form, error)
            if not field.errors:  # a field apply_booking_error does not know
                field.errors = [explain(error, access.restaurant)]
        return _render(access, day, status=error.http_status, add_form=form,
                       error=None if field is not None else explain(error, access.restaurant))
    return _done(access, entry.service_date,
                 _("%(name)s is on the waitlist (party of %(party)s).", name=entry.guest_name,
                   party=entry.party_size))


@bp.post("/<ref>/waitlist/<int:entry_id>/move")
@member_required
def move_waitlist_entry(access: Access, entry_id: int):
    entry = _entry(access, entry_id)
    form = MoveEntryForm()
    if not form.validate():
        return _invalid(access, entry, form)
    try:
        moved = ops.move(db.session, access.restaurant, entry_id, form.steps.data)
    except BookingError as error:
        return _refused(access, entry, error)
    return _done(access, moved.service_date,
                 _("Moved %(name)s up.", name=moved.guest_name) if form.steps.data < 0
                 else _("Moved %(name)s down.", name=moved.guest_name))


@bp.post("/<ref>/waitlist/<int:entry_id>/remove")
@member_required
def remove_waitlist_entry(access: Access, entry_id: int):
    entry = _entry(access, entry_id)
    form = ConfirmForm()
    if not form.validate():
        return _invalid(access, entry, form)
    try:
        removed = ops.remove(db.session, access.restaurant,
                             writes.context(access.restaurant, actor()), entry_id)
    except BookingError as error:
        return _refused(access, entry, error)
    return _done(access, removed.service_date,
                 _("Removed %(name)s from the waitlist.", name=removed.guest_name))


@bp.post("/<ref>/waitlist/<int:entry_id>/seat")
@member_required
def seat_waitlist_entry(access: Access, entry_id: int):
    entry = _entry(access, entry_id)
    form = SeatEntryForm()
    if request.form.get("now"):  # the "Seat now" button: the time field is ignored
        form.time.data = None
        form.time.raw_data = []
    if not form.validate():
        return _invalid(access, entry, form, seat_form=form)
    try:
        seated = ops.seat(db.session, access.restaurant,
                          writes.context(access.restaurant, actor()), entry_id, form.details())
    except BookingError as error:
        return _refused(access, entry, error, seat_form=form)
    booked = seated.booked
    reservation = booked.reservation
    message = (_("Walk-in seated: %(name)s, %(party)s at %(table)s.",
                 name=reservation.guest_name, party=reservation.party_size,
                 table=booked.table_name) if reservation.source == "walk_in"
               else _("Booked: %(name)s, %(party)s at %(table)s.", name=reservation.guest_name,
                      party=reservation.party_size, table=booked.table_name))
    return _done(access, seated.entry.service_date, message)
