"""Setup pages (owners only): restaurant settings, tables, opening hours, special days.

The views read the form and call the set-up operations
(``webapp.booking.operations.setup``, shared with the API), which write and commit.
Reservations are only ever touched through the booking service: deactivating a
table with future bookings moves or cancels each of them there, or keeps the
table bookable — never silently drops one.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from .. import writes
from ..booking import slots as slotlib
from ..booking.availability import bookable_times, load_schedule
from ..booking.embed import snippets as embed_snippets
from ..booking.embed import stored_origins
from ..booking.operations import deactivation
from ..booking.operations import reservations as reservation_ops
from ..booking.operations import setup as ops
from ..booking.rules import MAX_PARTY
from ..extensions import db
from ..i18n import clock_time, day_short
from ..input_limits import EARLIEST_DATE, LATEST_DATE
from ..models import (
    DiningTable,
    OpeningHours,
    Reservation,
    SpecialDay,
)
from .access import Access, owned_or_404, owner_required, table_or_404
from .common import actor, form_status, today, zone
from .forms import (
    WEEKDAYS,
    ConfirmForm,
    DeactivateTableForm,
    OpeningHoursForm,
    RestaurantSettingsForm,
    ServiceSpec,
    SpecialDayForm,
    TableForm,
    sorted_timezones,
)
from .labels import translate_refusal
from .views import bp


def _see_other(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _show_refusal(form, refusal: ops.SetupRefused) -> None:
    """The operation's refusal next to its field, as the form's own messages are."""
    field = getattr(form, refusal.field or "", None)
    if field is not None:
        field.errors = list(field.errors) + [translate_refusal(refusal.message)]


# --------------------------------------------------------------------------- settings


@bp.route("/<ref>/settings", methods=["GET", "POST"])
@owner_required
def settings(access: Access):
    restaurant = access.restaurant
    if request.method == "GET":
        form = RestaurantSettingsForm(formdata=None, obj=restaurant)
        form.turn_times.data = dict(restaurant.turn_times or {})
        status = 200
    else:
        form = RestaurantSettingsForm(restaurant_id=restaurant.id)
        if form.validate():
            try:
                ops.change_settings(db.session, restaurant, form.details())
            except ops.SetupRefused as refusal:
                _show_refusal(form, refusal)
            else:
                flash(_('Settings saved.'), "success")
                return _see_other("owner.settings", ref=restaurant.slug)
        status = form_status(form)
    return render_template("owner/settings.html", access=access, restaurant=restaurant,
                           form=form, timezones=sorted_timezones(),
                           embed=embed_snippets(current_app.config["PUBLIC_BASE_URL"],
                                                restaurant.slug, restaurant.name),
                           embedding_on=bool(stored_origins(restaurant.embed_origins))), status


# --------------------------------------------------------------------------- tables


def _all_tables(access: Access) -> list[DiningTable]:
    return list(db.session.scalars(
        select(DiningTable).where(DiningTable.restaurant_id == access.restaurant.id)
        .order_by(DiningTable.active.desc(), DiningTable.position, DiningTable.id)))


def _deciding_bookings(table: DiningTable) -> list[Reservation]:
    """The bookings the deactivation page asks about (none: it only asks to confirm)."""
    return deactivation.bookings_not_over(db.session, table.id)


@bp.route("/<ref>/tables", methods=["GET", "POST"])
@owner_required
def tables(access: Access):
    status = 200
    if request.method == "POST":
        form = TableForm(restaurant_id=access.restaurant.id)
        if form.validate():
            try:
                table = ops.add_table(db.session, access.restaurant, form.details(),
                                      active=form.active.data)
            except ops.SetupRefused as refusal:
                _show_refusal(form, refusal)
            else:
                flash(_("Table %(name)s added.", name=table.name) if table.active
                      else _("Table %(name)s added, not bookable yet.", name=table.name), "success")
                return _see_other("owner.tables", ref=access.ref)
        status = form_status(form)
    else:
        rows = _all_tables(access)
        form = TableForm(formdata=None, position=(max((t.position for t in rows), default=-1) + 1))
    return render_template("owner/tables.html", access=access, restaurant=access.restaurant,
                           tables=_all_tables(access), form=form,
                           confirm=ConfirmForm(formdata=None)), status


@bp.route("/<ref>/tables/<int:table_id>", methods=["GET", "POST"])
@owner_required
def edit_table(access: Access, table_id: int):
    table = table_or_404(access, table_id)
    status = 200
    if request.method == "POST":
        form = TableForm(restaurant_id=access.restaurant.id, table_id=table.id)
        if form.validate():
            wants_inactive = table.active and not form.active.data
            try:
                ops.change_table(db.session, access.restaurant, table, form.details())
            except ops.SetupRefused as refusal:
                _show_refusal(form, refusal)
            else:
                if wants_inactive:
                    return _deactivate_or_ask(access, table)
                if form.active.data:
                    ops.activate_table(db.session, access.restaurant, table)
                flash(_('Table %(name)s saved.', name=table.name), "success")
                return _see_other("owner.tables", ref=access.ref)
        status = form_status(form)
    else:
        form = TableForm(formdata=None, obj=table)
    return render_template("owner/table_edit.html", access=access, restaurant=access.restaurant,
                           table=table, form=form), status


def _deactivation_context(access: Access):
    return writes.context(access.restaurant, actor())


def _deactivate_or_ask(access: Access, table: DiningTable):
    """No bookings not yet over: the table goes at once; else the owner is asked."""
    try:
        deactivation.deactivate_table(db.session, access.restaurant,
                                      _deactivation_context(access), table.id, choice="refuse")
    except deactivation.TableInUse:
        flash(_('Table %(name)s has future bookings: choose what happens to them.', name=table.name), "info")
        return _see_other("owner.deactivate_table", ref=access.ref, table_id=table.id)
    flash(_('Table %(name)s is no longer bookable.', name=table.name), "success")
    return _see_other("owner.tables", ref=access.ref)


@bp.route("/<ref>/tables/<int:table_id>/deactivate", methods=["GET", "POST"])
@owner_required
def deactivate_table(access: Access, table_id: int):
    """Stop offering a table. Its future bookings are moved, or cancelled, or the
    table stays bookable — the owner chooses; a booking that cannot be moved keeps
    the table active and is named in the answer (``operations.deactivation``)."""
    table = table_or_404(access, table_id)
    # The page showed no bookings: confirmed as it is; one booked meanwhile makes the
    # operation refuse, and the page then asks about it.
    if request.method == "POST" and request.form.get("action") == "deactivate" \
            and ConfirmForm().validate():
        return _deactivate_or_ask(access, table)
    form = DeactivateTableForm() if request.method == "POST" else DeactivateTableForm(formdata=None)
    status = 200
    if request.method == "POST":
        if not form.validate():
            status = form_status(form)
        elif form.bookings.data == "keep":
            flash(_('Table %(name)s stays bookable.', name=table.name), "info")
            return _see_other("owner.tables", ref=access.ref)
        else:
            return _deactivate_with(access, table, form.bookings.data,
                                    bool(form.notify_guest.data))
    schedule = reservation_ops.schedule_of(db.session, access.restaurant)
    return render_template("owner/table_deactivate.html", access=access,
                           restaurant=access.restaurant, table=table,
                           bookings=_deciding_bookings(table), form=form,
                           service_date=lambda r: reservation_ops.service_date(schedule, r)
                           ), status


def _deactivate_with(access: Access, table: DiningTable, choice: str, notify_guest: bool):
    table_name, table_id = table.name, table.id
    tz = zone(access.restaurant)
    schedule = reservation_ops.schedule_of(db.session, access.restaurant)

    def label(reservation: Reservation) -> str:
        day = reservation_ops.service_date(schedule, reservation)
        start = reservation.starts_at.astimezone(tz)
        return f"{reservation.guest_name} ({day_short(day)} {clock_time(start)})"

    result = deactivation.deactivate_table(db.session, access.restaurant,
                                           _deactivation_context(access), table_id,
                                           choice=choice, notify_guest=notify_guest)
    moved = "; ".join(f"{label(r)} → {name}" for r, name in result.moved)
    if result.done:
        done = moved if choice == "move" else "; ".join(label(r) for r in result.cancelled)
        message = _("Table %(name)s is no longer bookable.", name=table_name)
        if done:
            message += " " + (_("Moved: %(done)s.", done=done) if choice == "move"
                              else _("Cancelled: %(done)s.", done=done))
        flash(message, "success")
        return _see_other("owner.tables", ref=access.ref)
    kept = "; ".join(f"{label(r)}: {why}" for r, why in result.kept)
    message = _("Table %(name)s stays bookable, still booked for %(kept)s.", name=table_name,
                kept=kept)
    flash(message + (" " + _("Moved: %(done)s.", done=moved) if moved else ""), "error")
    return _see_other("owner.deactivate_table", ref=access.ref, table_id=table_id)


@bp.post("/<ref>/tables/<int:table_id>/activate")
@owner_required
def activate_table(access: Access, table_id: int):
    table = table_or_404(access, table_id)
    if ConfirmForm().validate():
        ops.activate_table(db.session, access.restaurant, table)
        flash(_('Table %(name)s is bookable again.', name=table.name), "success")
    return _see_other("owner.tables", ref=access.ref)


# --------------------------------------------------------------------------- opening hours


def _preview(access: Access):
    """Bookable times of a chosen date, as a guest would see them online now."""
    restaurant = access.restaurant
    try:
        day = dt.date.fromisoformat(request.args.get("preview", ""))
    except ValueError:
        day = today(restaurant)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        day = today(restaurant)
    party = request.args.get("party", "2")
    party_size = int(party) if party.isdigit() and 1 <= int(party) <= MAX_PARTY else 2
    session = db.session()  # the request's own session (the booking code takes a Session)
    schedule = load_schedule(session, restaurant)
    times = bookable_times(session, restaurant, day, party_size, online=True, schedule=schedule)
    groups = slotlib.group_by_service(t.slot for t in times)
    rule = slotlib.special_day_for(schedule, day)
    return {"preview_day": day, "preview_party": party_size, "preview_groups": groups,
            "preview_rule": rule, "max_party": MAX_PARTY}


@bp.route("/<ref>/hours", methods=["GET", "POST"])
@owner_required
def hours(access: Access):
    status = 200
    if request.method == "POST":
        form = OpeningHoursForm()
        if form.validate():
            ops.add_opening_hours(db.session, access.restaurant, form.details())
            flash(_("Added %(service)s on %(day)s.", service=form.name.data or _("a service"),
                    day=WEEKDAYS[form.weekday.data]),
                  "success")
            return _see_other("owner.hours", ref=access.ref)
        status = form_status(form)
    else:
        form = OpeningHoursForm(formdata=None)
    rows = db.session.scalars(select(OpeningHours).where(
        OpeningHours.restaurant_id == access.restaurant.id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)).all()
    week = [(str(name), [r for r in rows if r.weekday == i]) for i, name in enumerate(WEEKDAYS)]
    return render_template("owner/hours.html", access=access, restaurant=access.restaurant,
                           week=week, form=form, confirm=ConfirmForm(formdata=None),
                           **_preview(access)), status


@bp.route("/<ref>/hours/<int:hours_id>", methods=["GET", "POST"])
@owner_required
def edit_hours(access: Access, hours_id: int):
    row = owned_or_404(access, OpeningHours, hours_id)
    status = 200
    if request.method == "POST":
        form = OpeningHoursForm()
        if form.validate():
            ops.change_opening_hours(db.session, access.restaurant, row, form.details())
            flash(_('Opening hours saved.'), "success")
            return _see_other("owner.hours", ref=access.ref)
        status = form_status(form)
    else:
        form = OpeningHoursForm(formdata=None, obj=row)
    return render_template("owner/hours_edit.html", access=access, restaurant=access.restaurant,
                           row=row, form=form), status


@bp.post("/<ref>/hours/<int:hours_id>/delete")
@owner_required
def delete_hours(access: Access, hours_id: int):
    row = owned_or_404(access, OpeningHours, hours_id)
    if ConfirmForm().validate():
        ops.remove_opening_hours(db.session, access.restaurant, row)
        flash(_('Service removed. Existing bookings stay as they are.'), "success")
    return _see_other("owner.hours", ref=access.ref)


# --------------------------------------------------------------------------- special days


@bp.route("/<ref>/special-days", methods=["GET", "POST"])
@owner_required
def special_days(access: Access):
    status = 200
    if request.method == "POST":
        form = SpecialDayForm()
        if form.validate():
            details = form.details()
            ops.add_special_day(db.session, access.restaurant, details)
            flash(_("Special day saved.") + _bookings_note(access, details), "success")
            return _see_other("owner.special_days", ref=access.ref)
        status = form_status(form)
    else:
        form = SpecialDayForm(formdata=None, start_date=today(access.restaurant))
    rows = db.session.scalars(select(SpecialDay).where(
        SpecialDay.restaurant_id == access.restaurant.id)
        .order_by(SpecialDay.start_date.desc())).all()
    return render_template("owner/special_days.html", access=access, restaurant=access.restaurant,
                           rows=rows, form=form, confirm=ConfirmForm(formdata=None),
                           today=today(access.restaurant)), status


def _bookings_note(access: Access, special: ops.SpecialDayDetails) -> str:
    """Closing does not cancel anything by itself: say how many bookings to look at."""
    count = ops.bookings_during(db.session, access.restaurant, special.start_date,
                                special.end_date)
    if not count:
        return ""
    return " " + ngettext("%(num)d existing booking on these days stays as it is: see the "
                          "reservation list.",
                          "%(num)d existing bookings on these days stay as they are: see the "
                          "reservation list.", count)


@bp.route("/<ref>/special-days/<int:special_id>", methods=["GET", "POST"])
@owner_required
def edit_special_day(access: Access, special_id: int):
    row = owned_or_404(access, SpecialDay, special_id)
    status = 200
    if request.method == "POST":
        form = SpecialDayForm()
        if form.validate():
            details = form.details()
            ops.change_special_day(db.session, access.restaurant, row, details)
            flash(_("Special day saved.") + _bookings_note(access, details), "success")
            return _see_other("owner.special_days", ref=access.ref)
        status = form_status(form)
    else:
        form = SpecialDayForm(formdata=None, data={
            "start_date": row.start_date, "end_date": row.end_date, "closed": row.closed,
            "reason": row.reason,
            "services": [ServiceSpec(s.name, s.opens, s.closes, s.last_seating,
                                     s.pace_covers, s.max_covers) for s in row.services]})
    return render_template("owner/special_day_edit.html", access=access,
                           restaurant=access.restaurant, row=row, form=form), status


@bp.post("/<ref>/special-days/<int:special_id>/delete")
@owner_required
def delete_special_day(access: Access, special_id: int):
    row = owned_or_404(access, SpecialDay, special_id)
    if ConfirmForm().validate():
        ops.remove_special_day(db.session, access.restaurant, row)
        flash(_('Special day removed.'), "success")
    return _see_other("owner.special_days", ref=access.ref)
