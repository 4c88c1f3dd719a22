"""Reservations from the dashboard: phone and walk-in bookings, edit, move, status,
the history, search, the list and its CSV export.

Every use case is an operation of ``webapp.booking.operations.reservations``, shared
with the API: these views read the form, call it and render.
htmx requests aimed at the day view's panel get the panel back (and an
``HX-Trigger`` so the grid refreshes at once); plain form posts get a redirect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock, writes
from ..booking import held_tables
from ..booking.errors import BookingError, NotOnServiceDay, PaceExceeded, StayPastClosing
from ..booking.operations import reservations as ops
from ..booking.rules import REINSTATEMENTS
from ..booking.service import TRANSITIONS
from ..booking.setup import restaurant_setup
from ..extensions import db
from ..i18n import clock_time, day_month, day_short
from ..i18n import lazy_gettext as _l
from ..models import DiningTable, Reservation
from .access import Access, member_required, reservation_or_404
from .common import (
    actor,
    apply_booking_error,
    describe_changes,
    explain,
    form_status,
    refusal_text,
    today,
    wants_panel,
    zone,
)
from .forms import (
    EditReservationForm,
    MoveReservationForm,
    OwnerReservationForm,
    ReservationListForm,
    StatusPageForm,
)
from .inputs import filters_of, guest_of, move_of, new_booking
from .views import bp

GRID_CHANGED = "bm-grid-changed"
LIST_LIMIT = 500


def _tables(access: Access, active_only: bool = True) -> list[DiningTable]:
    query = select(DiningTable).where(DiningTable.restaurant_id == access.restaurant.id)
    if active_only:
        query = query.where(DiningTable.active.is_(True))
    return list(db.session.scalars(query.order_by(DiningTable.position, DiningTable.id)))


def _combinations(access: Access):
    """The combinations the owner may pick (those whose tables are all active)."""
    return restaurant_setup(db.session, access.restaurant).combinations


def _context(access: Access):
    return writes.context(access.restaurant, actor())


# --------------------------------------------------------------------------- new booking


def _render_new(access: Access, form: OwnerReservationForm, status: int = 200,
                error: str | None = None, refusal: BookingError | None = None):
    """``refusal``: a refusal the owner may override; the form offers the choices
    (end the stay at closing or keep it past closing; book the same guest anyway)."""
    template = "partials/owner_new_reservation.html" if wants_panel() \
        else "owner/new_reservation.html"
    past_closing = refusal if isinstance(refusal, StayPastClosing) else None
    same_guest = refusal is not None and refusal.code == "guest_overlap"
    over_pace = isinstance(refusal, PaceExceeded) and refusal.may_override
    return render_template(template, access=access, restaurant=access.restaurant, form=form,
                           tables=_tables(access), combinations=_combinations(access),
                           error=error, past_closing=past_closing,
                           same_guest=same_guest, over_pace=over_pace), status


@bp.get("/<ref>/reservations/new")
@member_required
def new_reservation(access: Access):
    form = OwnerReservationForm(formdata=None)
    args = request.args
    form.source.data = "walk_in" if args.get("source") == "walk_in" else "phone"
    try:
        form.date.data = dt.date.fromisoformat(args.get("date", ""))
    except ValueError:
        form.date.data = today(access.restaurant)
    try:
        form.time.data = dt.time.fromisoformat(args["time"]) if args.get("time") else None
    except ValueError:
        form.time.data = None
    form.table.data = int(args["table"]) if args.get("table", "").isdigit() else None
    return _render_new(access, form)


@bp.post("/<ref>/reservations/new")
@member_required
def create_reservation(access: Access):
    restaurant = access.restaurant
    form = OwnerReservationForm()
    if not form.validate():
        return _render_new(access, form, form_status(form))
    try:
        booked = ops.book(db.session, restaurant, _context(access), new_booking(form))
    except BookingError as error:
        apply_booking_error(form, error)
        return _render_new(access, form, error.http_status, explain(error, restaurant),
                           refusal=error)
    reservation = booked.reservation
    walk_in = reservation.source == "walk_in"
    message = (_("Walk-in seated: %(name)s, %(party)s at %(table)s.", name=reservation.guest_name,
                 party=reservation.party_size, table=booked.table_name) if walk_in
               else _("Booked: %(name)s, %(party)s at %(table)s.", name=reservation.guest_name,
                      party=reservation.party_size, table=booked.table_name))
    return _after_write(access, reservation, message, status=201)


# --------------------------------------------------------------------------- one reservation


def _forms_for(reservation: Reservation, access: Access,
               held: list[held_tables.HeldTable]) -> dict:
    """The edit, move and status forms filled from the stored reservation; the date is
    the service date (00:30 in Monday's late service shows Monday)."""
    schedule = ops.schedule_of(db.session, access.restaurant)
    local = reservation.starts_at.astimezone(zone(access.restaurant))
    length = int((reservation.ends_at - reservation.starts_at).total_seconds() // 60)
    return {
        "edit_form": EditReservationForm(formdata=None, data={
            "party_size": reservation.party_size, "name": reservation.guest_name,
            "email": reservation.guest_email, "phone": reservation.guest_phone,
            "notes": reservation.notes, "version": reservation.version}),
        "move_form": MoveReservationForm(formdata=None, data={
            "date": ops.service_date(schedule, reservation),
            "time": local.time().replace(second=0, microsecond=0),
            "table": reservation.table_id, "party_size": reservation.party_size,
            # A joined booking's tables, ticked: a move keeps them unless unticked.
            "table_ids": [t.id for t in held] if len(held) > 1 else [],
            "duration_minutes": length, "version": reservation.version}),
    }


def _render_reservation(access: Access, reservation: Reservation, status: int = 200,
                        error: str | None = None, message: str | None = None,
                        ask: dict | None = None, **forms):
    """``ask``: a question before the write (confirm a cancellation or no-show, override
    the service day or the same-guest rule): its text and the fields to post again."""
    all_tables = _tables(access, active_only=False)
    names = {t.id: t.name for t in all_tables}
    history = [(event, describe_changes(event.changes or {}, names, access.restaurant))
               for event in reservation.events]
    held = held_tables.tables_of(db.session, reservation, names.get(reservation.table_id))
    context = _forms_for(reservation, access, held)
    context.update(forms)
    template = "partials/owner_reservation_panel.html" if wants_panel() \
        else "owner/reservation.html"
    schedule = ops.schedule_of(db.session, access.restaurant)
    service_day = ops.service_date(schedule, reservation)
    now = clock.now()
    on_the_day = service_day in ops.current_days(schedule, now)
    # A no-show can be taken back on its day (an owner: any day); a cancellation while
    # its time is not over (the write re-checks the table).
    reinstate = reservation.status in REINSTATEMENTS and reservation.ends_at > now and (
        reservation.status == "cancelled" or on_the_day or access.is_owner)
    return render_template(
        template, access=access, restaurant=access.restaurant, reservation=reservation,
        tables=[t for t in all_tables if t.active], combinations=_combinations(access),
        history=history, error=error,
        message=message, transitions=sorted(TRANSITIONS.get(reservation.status, ())),
        reinstate=reinstate, on_the_day=on_the_day, ask=ask,
        held=held, table_names=held_tables.joined_name(held),
        day=service_day.isoformat(), service_day=service_day, **context), status


@bp.get("/<ref>/reservations/<int:reservation_id>")
@member_required
def reservation_detail(access: Access, reservation_id: int):
    return _render_reservation(access, reservation_or_404(access, reservation_id))


def _after_write(access: Access, reservation: Reservation, message: str, status: int = 200):
    if wants_panel():
        response = make_response(_render_reservation(access, reservation, message=message))
        response.status_code = status
        response.headers["HX-Trigger"] = GRID_CHANGED
        return response
    flash(message, "success")
    return redirect(url_for("owner.reservation_detail", ref=access.ref,
                            reservation_id=reservation.id), code=303)


def _refused(access: Access, reservation_id: int, error: BookingError, **forms):
    # The operation rolled back: the reservation is read again as it now stands.
    reservation = reservation_or_404(access, reservation_id)
    return _render_reservation(access, reservation, error.http_status,
                               explain(error, access.restaurant), **forms)


@bp.post("/<ref>/reservations/<int:reservation_id>/edit")
@member_required
def edit_reservation(access: Access, reservation_id: int):
    reservation = reservation_or_404(access, reservation_id)
    form = EditReservationForm()
    if not form.validate():
        return _render_reservation(access, reservation, form_status(form), edit_form=form)
    try:
        changed = ops.edit(db.session, access.restaurant, _context(access), reservation_id,
                           party_size=form.party_size.data, guest=guest_of(form),
                           expected_version=form.version.data,
                           notify_guest=bool(form.notify_guest.data),
                           allow_same_guest=bool(form.allow_same_guest.data),
                           allow_over_pace=bool(form.allow_over_pace.data)).reservation
    except BookingError as error:
        apply_booking_error(form, error)
        return _refused(access, reservation_id, error, edit_form=form,
                        ask=_override_ask(error, "edit"))
    return _after_write(access, changed, _("Saved the changes for %(name)s.",
                                                 name=changed.guest_name))


@bp.post("/<ref>/reservations/<int:reservation_id>/move")
@member_required
def move_reservation(access: Access, reservation_id: int):
    reservation = reservation_or_404(access, reservation_id)
    form = MoveReservationForm()
    if not form.validate():
        return _render_reservation(access, reservation, form_status(form), move_form=form)
    try:
        changed = ops.move(db.session, access.restaurant, _context(access), reservation_id,
                           move_of(form), expected_version=form.version.data,
                           notify_guest=bool(form.notify_guest.data),
                           allow_same_guest=bool(form.allow_same_guest.data),
                           allow_over_pace=bool(form.allow_over_pace.data)).reservation
    except BookingError as error:
        apply_booking_error(form, error)
        return _refused(access, reservation_id, error, move_form=form,
                        ask=_override_ask(error, "move"))
    local = changed.starts_at.astimezone(zone(access.restaurant))
    return _after_write(access, changed, _(
        "Moved %(name)s to %(table)s at %(time)s on %(day)s.", name=changed.guest_name,
        table=held_tables.joined_name(held_tables.tables_of(db.session, changed)),
        time=clock_time(local), day=day_short(local.date())))


# The refusals an owner may override by sending the same form again with the field:
# (field, the edit form's button, the move form's button).
OVERRIDES = {
    "guest_overlap": ("allow_same_guest", _l("Save anyway"), _l("Move anyway")),
    "pace_exceeded": ("allow_over_pace", _l("Save over the pace"), _l("Move over the pace")),
}


def _override_ask(error: BookingError, form: str) -> dict | None:
    """The "anyway" choice after a refused edit or move: the guest's phone or e-mail holds
    another overlapping booking, or the time is over its pace (the form posts again with
    the override; those given before stay given)."""
    if error.code not in OVERRIDES or not getattr(error, "may_override", True):
        return None
    name, edit_yes, move_yes = OVERRIDES[error.code]
    return {"kind": "override", "form": form, "field": name, "text": refusal_text(error),
            "yes": str(edit_yes if form == "edit" else move_yes)}


# Asked before they are done: nothing is written until the second post says confirm.
CONFIRMED_STATUSES = {"cancelled": _l("Yes, cancel booking"), "no_show": _l("Yes, mark as no-show")}
ANYWAY = {"seated": _l("Seat anyway"), "completed": _l("Complete anyway"),
          "no_show": _l("Mark as no-show anyway"), "booked": _l("Take the no-show back anyway")}
STATUS_DONE = {"seated": _l("Seated: %(name)s."), "completed": _l("Completed: %(name)s."),
               "no_show": _l("Marked as no-show: %(name)s."),
               "cancelled": _l("Cancelled: %(name)s."), "booked": _l("Booked again: %(name)s.")}


def _status_ask(reservation: Reservation, form: StatusPageForm, text: str, yes: str,
                **fields: str) -> dict:
    values = {"status": form.status.data, "version": str(form.version.data), "confirm": "y"}
    if form.notify_guest.data:
        values["notify_guest"] = "y"
    # The overrides already given stay given (the next refusal may be another one).
    values.update({name: "y" for name in ("allow_off_day", "allow_same_guest", "allow_over_pace")
                   if getattr(form, name).data})
    values.update(fields)
    return {"kind": "status", "text": text, "yes": yes, "fields": values}


@bp.post("/<ref>/reservations/<int:reservation_id>/status")
@member_required
def set_status(access: Access, reservation_id: int):
    reservation = reservation_or_404(access, reservation_id)
    form = StatusPageForm()
    if not form.validate():
        error = "; ".join(m for messages in form.errors.values() for m in messages)
        return _render_reservation(access, reservation, form_status(form), error=error)
    status, before = form.status.data, reservation.status
    # Ask only about a move the rules allow (else the refusal says why at once).
    if status in CONFIRMED_STATUSES and not form.confirm.data and \
            status in TRANSITIONS.get(reservation.status, ()):
        schedule = ops.schedule_of(db.session, access.restaurant)
        local = reservation.starts_at.astimezone(zone(access.restaurant))
        facts = {"name": reservation.guest_name, "time": clock_time(local),
                 "day": day_month(ops.service_date(schedule, reservation))}
        text = (_("Cancel %(name)s's booking for %(day)s, %(time)s?", **facts)
                if status == "cancelled"
                else _("Mark %(name)s's booking for %(day)s, %(time)s as no-show?", **facts))
        if status == "cancelled" and reservation.guest_email:
            text += " " + (_("The guest is e-mailed the cancellation.") if form.notify_guest.data
                           else _("The guest is not e-mailed."))
        return _render_reservation(access, reservation, ask=_status_ask(
            reservation, form, text, str(CONFIRMED_STATUSES[status])))
    try:
        changed = ops.set_status(db.session, access.restaurant, _context(access),
                                 reservation_id, status,
                                 expected_version=form.version.data,
                                 notify_guest=bool(form.notify_guest.data),
                                 allow_off_day=bool(form.allow_off_day.data),
                                 may_override=access.is_owner,
                                 allow_same_guest=bool(form.allow_same_guest.data),
                                 allow_over_pace=bool(form.allow_over_pace.data)).reservation
    except NotOnServiceDay as error:
        reservation = reservation_or_404(access, reservation_id)
        if not error.may_override:
            return _refused(access, reservation_id, error)
        return _render_reservation(access, reservation, error.http_status, ask=_status_ask(
            reservation, form, explain(error, access.restaurant),
            str(ANYWAY.get(status, _("Do it anyway"))),
            allow_off_day="y"))
    except BookingError as error:
        ask = None
        if error.code == "guest_overlap":
            ask = _status_ask(reservation, form, explain(error, access.restaurant),
                              _("Book again anyway"),
                              allow_same_guest="y")
        elif isinstance(error, PaceExceeded) and error.may_override:
            ask = _status_ask(reservation, form, explain(error, access.restaurant),
                              _("Book again over the pace"), allow_over_pace="y")
        return _refused(access, reservation_id, error, ask=ask)
    done = STATUS_DONE.get(changed.status)
    message = str(done) % {"name": changed.guest_name} if done else changed.guest_name
    if status in REINSTATEMENTS.get(before, ()):
        message = (_("Booked again: %(name)s.", name=changed.guest_name) if status == "booked"
                   else _("Seated again: %(name)s.", name=changed.guest_name))
    return _after_write(access, changed, message)


# --------------------------------------------------------------------------- list, search, CSV


def _list_form(access: Access) -> ReservationListForm:
    form = ReservationListForm(formdata=request.args)
    if not request.args.get("start") and not request.args.get("q"):
        form.start.data = today(access.restaurant)
    return form


@bp.get("/<ref>/reservations")
@member_required
def reservation_list(access: Access):
    form = _list_form(access)
    status = 200
    found = None
    if form.validate():
        found = ops.search(db.session, access.restaurant, filters_of(form), limit=LIST_LIMIT)
    else:
        status = 422
    return render_template("owner/reservations.html", access=access,
                           restaurant=access.restaurant, form=form,
                           rows=found.rows if found else [],
                           joined=_joined_names(found.rows) if found else {},
                           service_date=found.service_date if found else None,
                           truncated=found.truncated if found else False), status


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An international phone number ("+49 30 1234", stored as "+49301234"): a plus, then digits
# and spaces only. No operator, cell reference or function can hide in it, so it is data.
PHONE_NUMBER = re.compile(r"\+\d[\d ]*")


def csv_safe(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: prefix a quote,
    except on a phone number ("+1+1" is still a formula)."""
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_STARTS) or PHONE_NUMBER.fullmatch(text):
        return text
    return "'" + text


def _joined_names(rows: list[Reservation]) -> dict[int, str]:
    """"Napoli + Milano" for each joined booking of a list (one query for their parts)."""
    parts = held_tables.parts_of(db.session, (r.id for r in rows))
    return {r.id: held_tables.joined_name(held_tables.held(r, None, parts[r.id]))
            for r in rows if r.id in parts}


@bp.get("/<ref>/reservations.csv")
@member_required
def reservation_csv(access: Access):
    form = _list_form(access)
    if not form.validate():
        message = "; ".join(m for messages in form.errors.values() for m in messages)
        return Response(message, status=422, mimetype="text/plain")
    tz = zone(access.restaurant)
    names = {t.id: t.name for t in _tables(access, active_only=False)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "date", "time", "end", "party_size", "table", "status", "source",
                     "name", "email", "phone", "notes", "created_at"])
    found = ops.search(db.session, access.restaurant, filters_of(form))
    joined = _joined_names(found.rows)
    for r in found.rows:
        start, end = r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)
        writer.writerow([r.id, found.service_date(r).isoformat(), f"{start:%H:%M}",
                         f"{end:%H:%M}",
                         r.party_size] + [csv_safe(v) for v in (
                             joined.get(r.id) or names.get(r.table_id, ""), r.status, r.source, r.guest_name,
                             r.guest_email, r.guest_phone, r.notes)]
                        + [r.created_at.astimezone(tz).isoformat(timespec="minutes")])
    filename = f"reservations-{access.restaurant.slug}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
