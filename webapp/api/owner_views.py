"""Owner endpoints (``Authorization: Bearer <token>``): settings, tables, hours, special
days, the day's time slots and the reservations. Another restaurant's objects are 404.

The set-up endpoints bind the page's form and call the same operation as the page
(``webapp.booking.operations.setup``), which writes and commits."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import func, or_, select

from ..booking import service
from ..booking import slots as slotlib
from ..booking.availability import day_grid, load_schedule
from ..booking.operations import setup as ops
from ..booking_policy import current_write_policy
from ..extensions import db
from ..models import (
    DiningTable,
    OpeningHours,
    Reservation,
    Restaurant,
    SpecialDay,
    owned_by,
    upcoming_stays_of_table,
)
from ..owner.forms import (
    EditReservationForm,
    MoveReservationForm,
    OpeningHoursForm,
    RestaurantSettingsForm,
    SpecialDayForm,
    StatusForm,
    TableForm,
)
from . import representations as rep
from .auth import actor, owner_restaurant
from .blueprint import bp
from .bodies import as_form_values, bind, bind_query, form_defaults
from .common import json_response, mail_writer, send_queued, service_date, start_from_wall_time
from .errors import ApiError, not_found
from .idempotency import idempotent
from .operations import documented
from .queries import DayQuery, ReservationQuery

OWNER_RESERVATION = ("Reservation", "The reservation.")


# --------------------------------------------------------------------------- settings


@bp.get("/restaurants/<slug>/settings")
@documented(summary="The restaurant's settings", tag="Owner: setup", auth="owner",
            responses={200: ("Settings", "The settings.")})
def settings(slug: str):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.restaurant_settings(restaurant))


@bp.patch("/restaurants/<slug>/settings")
@documented(summary="Change the restaurant's settings", tag="Owner: setup", auth="owner",
            body=lambda: RestaurantSettingsForm, partial=True,
            description="Send only what changes. Changing the slug moves every URL of the "
                        "restaurant, this API's included.",
            responses={200: ("Settings", "The settings after the change.")})
def change_settings(slug: str):
    restaurant, _ = owner_restaurant(slug)
    current = rep.restaurant_settings(restaurant)
    current["turn_times"] = current["turn_times"] or None
    form = bind(RestaurantSettingsForm, current=as_form_values(current),
                restaurant_id=restaurant.id)
    ops.change_settings(db.session, restaurant, form.details())
    return json_response(rep.restaurant_settings(restaurant))


# --------------------------------------------------------------------------- tables


def _owned(restaurant: Restaurant, model: type, object_id: int, what: str) -> Any:
    row = owned_by(db.session, model, object_id, restaurant.id)
    if row is None:
        raise not_found(f"This restaurant has no such {what}.")
    return row


def _table(restaurant: Restaurant, table_id: int) -> DiningTable:
    return _owned(restaurant, DiningTable, table_id, "table")


@bp.get("/restaurants/<slug>/tables")
@documented(summary="The tables (active and not)", tag="Owner: setup", auth="owner",
            responses={200: ("TableList", "The tables in the owner's order.")})
def tables(slug: str):
    restaurant, _ = owner_restaurant(slug)
    rows = db.session.scalars(select(DiningTable).where(DiningTable.restaurant_id == restaurant.id)
                              .order_by(DiningTable.position, DiningTable.id))
    return json_response({"tables": [rep.table(t) for t in rows]})


@bp.post("/restaurants/<slug>/tables")
@documented(summary="Add a table", tag="Owner: setup", auth="owner", body=lambda: TableForm,
            body_defaults=True, idempotent=True,
            description="`active: false` adds the table without offering it to guests yet.",
            responses={201: ("Table", "The new table (its address in `Location`).")},
            links={name: {"slug": "$request.path.slug", "table_id": "$response.body#/id"}
                   for name in ("table", "change_table", "deactivate_table")})
@idempotent
def create_table(slug: str):
    restaurant, _ = owner_restaurant(slug)
    kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
    form = bind(TableForm, current=form_defaults(TableForm, **kwargs), **kwargs)
    table = ops.add_table(db.session, restaurant, form.details(), active=form.active.data)
    return json_response(rep.table(table), 201, location=url_for(
        "api.table", slug=restaurant.slug, table_id=table.id, _external=True))


@bp.get("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="One table", tag="Owner: setup", auth="owner",
            responses={200: ("Table", "The table.")})
def table(slug: str, table_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.table(_table(restaurant, table_id)))


@bp.patch("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="Change a table", tag="Owner: setup", auth="owner", body=lambda: TableForm,
            partial=True, responses={200: ("Table", "The table after the change.")})
def change_table(slug: str, table_id: int):
    restaurant, _ = owner_restaurant(slug)
    table = _table(restaurant, table_id)
    form = bind(TableForm, current=as_form_values(rep.table(table)), restaurant_id=restaurant.id,
                table_id=table.id)
    if table.active and not form.active.data:
        _refuse_deactivation_with_bookings(table)  # before anything changes
    ops.change_table(db.session, restaurant, table, form.details())
    if form.active.data:
        ops.activate_table(db.session, restaurant, table)
    else:
        _deactivate(table)
    return json_response(rep.table(table))


def _refuse_deactivation_with_bookings(table: DiningTable) -> None:
    upcoming = upcoming_stays_of_table(db.session, table.id, Reservation.id)
    if upcoming:
        raise ApiError(409, f"Table {table.name} still has {len(upcoming)} upcoming "
                       "reservation(s); move or cancel them first.", code="table_in_use",
                       reservations=upcoming)


@bp.delete("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="Deactivate a table", tag="Owner: setup", auth="owner",
            description="The table stays in the history of past reservations but is no longer "
                        "bookable. Refused (409) while it has upcoming reservations.",
            responses={200: ("Table", "The deactivated table."),
                       409: ("Problem", "The table still has upcoming reservations.")})
def deactivate_table(slug: str, table_id: int):
    restaurant, _ = owner_restaurant(slug)
    table = _table(restaurant, table_id)
    _deactivate(table)
    return json_response(rep.table(table))


def _deactivate(table: DiningTable) -> None:
    if table.active:
        _refuse_deactivation_with_bookings(table)
        table.active = False
        db.session.commit()


# --------------------------------------------------------------------------- hours


@bp.get("/restaurants/<slug>/opening-hours")
@documented(summary="The weekly opening hours", tag="Owner: setup", auth="owner",
            responses={200: ("OpeningHoursList", "One entry per service and weekday.")})
def opening_hours(slug: str):
    restaurant, _ = owner_restaurant(slug)
    rows = db.session.scalars(select(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
                              .order_by(OpeningHours.weekday, OpeningHours.opens))
    return json_response({"opening_hours": [rep.opening_hours(h) for h in rows]})


def _opening_hours(restaurant: Restaurant, hours_id: int) -> OpeningHours:
    return _owned(restaurant, OpeningHours, hours_id, "opening hours")


def _hours_link(restaurant: Restaurant, row: OpeningHours) -> str:
    return url_for("api.one_opening_hours", slug=restaurant.slug, hours_id=row.id,
                   _external=True)


@bp.post("/restaurants/<slug>/opening-hours")
@documented(summary="Add a service on a weekday", tag="Owner: setup", auth="owner",
            body=lambda: OpeningHoursForm, idempotent=True,
            responses={201: ("OpeningHours", "The new service (its address in `Location`).")},
            links={name: {"slug": "$request.path.slug", "hours_id": "$response.body#/id"}
                   for name in ("one_opening_hours", "change_opening_hours",
                                "delete_opening_hours")})
@idempotent
def create_opening_hours(slug: str):
    restaurant, _ = owner_restaurant(slug)
    form = bind(OpeningHoursForm, restaurant_id=restaurant.id)
    row = ops.add_opening_hours(db.session, restaurant, form.details())
    return json_response(rep.opening_hours(row), 201, location=_hours_link(restaurant, row))


@bp.get("/restaurants/<slug>/opening-hours/<int:hours_id>")
@documented(summary="One service on a weekday", tag="Owner: setup", auth="owner",
            responses={200: ("OpeningHours", "The service.")})
def one_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.opening_hours(_opening_hours(restaurant, hours_id)))


@bp.patch("/restaurants/<slug>/opening-hours/<int:hours_id>")
@documented(summary="Change a service", tag="Owner: setup", auth="owner",
            body=lambda: OpeningHoursForm, partial=True,
            description="Send only what changes (`last_seating: null` clears it). The service "
                        "keeps its id; existing bookings stay as they are.",
            responses={200: ("OpeningHours", "The service after the change.")})
def change_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _opening_hours(restaurant, hours_id)
    current = as_form_values({"weekday": row.weekday, "name": row.name, "opens": row.opens,
                              "closes": row.closes, "last_seating": row.last_seating})
    form = bind(OpeningHoursForm, current=current, restaurant_id=restaurant.id)
    ops.change_opening_hours(db.session, restaurant, row, form.details())
    return json_response(rep.opening_hours(row))


@bp.delete("/restaurants/<slug>/opening-hours/<int:hours_id>")
@documented(summary="Remove a service", tag="Owner: setup", auth="owner",
            description="Existing bookings in the service stay as they are.",
            responses={204: (None, "Removed.")})
def delete_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_opening_hours(db.session, restaurant, _opening_hours(restaurant, hours_id))
    return "", 204


# --------------------------------------------------------------------------- special days


@bp.get("/restaurants/<slug>/special-days")
@documented(summary="Closures and days with their own hours", tag="Owner: setup", auth="owner",
            responses={200: ("SpecialDayList", "Every special day, earliest first.")})
def special_days(slug: str):
    restaurant, _ = owner_restaurant(slug)
    rows = db.session.scalars(select(SpecialDay).where(SpecialDay.restaurant_id == restaurant.id)
                              .order_by(SpecialDay.start_date, SpecialDay.id))
    return json_response({"special_days": [rep.special_day(s) for s in rows]})


def _special_day(restaurant: Restaurant, special_day_id: int) -> SpecialDay:
    return _owned(restaurant, SpecialDay, special_day_id, "special day")


@bp.post("/restaurants/<slug>/special-days")
@documented(summary="Add a closure or special hours", tag="Owner: setup", auth="owner",
            body=lambda: SpecialDayForm, idempotent=True,
            responses={201: ("SpecialDay", "The new special day (its address in `Location`).")},
            links={name: {"slug": "$request.path.slug", "special_day_id": "$response.body#/id"}
                   for name in ("special_day", "change_special_day", "delete_special_day")})
@idempotent
def create_special_day(slug: str):
    restaurant, _ = owner_restaurant(slug)
    form = bind(SpecialDayForm, restaurant_id=restaurant.id)
    row = ops.add_special_day(db.session, restaurant, form.details())
    return json_response(rep.special_day(row), 201, location=url_for(
        "api.special_day", slug=restaurant.slug, special_day_id=row.id, _external=True))


@bp.get("/restaurants/<slug>/special-days/<int:special_day_id>")
@documented(summary="One special day", tag="Owner: setup", auth="owner",
            responses={200: ("SpecialDay", "The special day.")})
def special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.special_day(_special_day(restaurant, special_day_id)))


@bp.patch("/restaurants/<slug>/special-days/<int:special_day_id>")
@documented(summary="Change a special day", tag="Owner: setup", auth="owner",
            body=lambda: SpecialDayForm, partial=True,
            description="Send only what changes; `services` replaces all of the day's services. "
                        "The special day keeps its id; existing bookings stay as they are.",
            responses={200: ("SpecialDay", "The special day after the change.")})
def change_special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _special_day(restaurant, special_day_id)
    current: dict[str, Any] = as_form_values({"start_date": row.start_date,
                                              "end_date": row.end_date, "closed": row.closed,
                                              "reason": row.reason})
    current["services"] = [{"name": s.name, "opens": rep.hhmm(s.opens),
                            "closes": rep.hhmm(s.closes), "last_seating": rep.hhmm(s.last_seating)}
                           for s in row.services]
    form = bind(SpecialDayForm, current=current, restaurant_id=restaurant.id)
    ops.change_special_day(db.session, restaurant, row, form.details())
    return json_response(rep.special_day(row))


@bp.delete("/restaurants/<slug>/special-days/<int:special_day_id>")
@documented(summary="Remove a special day", tag="Owner: setup", auth="owner",
            description="Bookings already made on those days stay as they are.",
            responses={204: (None, "Removed.")})
def delete_special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_special_day(db.session, restaurant, _special_day(restaurant, special_day_id))
    return "", 204


# --------------------------------------------------------------------------- the day


@bp.get("/restaurants/<slug>/timeslots")
@documented(summary="Every slot × table of a day, with its state", tag="Owner: reservations",
            auth="owner", query=lambda: DayQuery,
            responses={200: ("Timeslots", "The day grid.")})
def timeslots(slug: str):
    restaurant, _ = owner_restaurant(slug)
    day = bind_query(DayQuery).date.data
    schedule = load_schedule(db.session, restaurant)
    grid = day_grid(db.session, restaurant, day, schedule)
    status = {r.id: r.status for r in grid.reservations}
    zone = schedule.zone
    slots = []
    for slot in grid.slots:
        cells = []
        for table in grid.tables:
            held_by = grid.cell(table.id, slot.starts_at).reservation_id
            cells.append({"table_id": table.id, "state": status[held_by] if held_by else "free",
                          "reservation_id": held_by})
        slots.append({"time": slot.starts_at.astimezone(zone).strftime("%H:%M"),
                      "starts_at": rep.utc_iso(slot.starts_at),
                      "local_start": rep.local_iso(slot.starts_at, zone),
                      "service": slot.service, "tables": cells})
    return json_response({
        "restaurant": restaurant.slug, "date": day.isoformat(), "timezone": restaurant.timezone,
        "interval_minutes": restaurant.slot_interval_minutes,
        "tables": [rep.table(t) for t in grid.tables], "slots": slots,
        "reservations": [rep.reservation(r, restaurant, owner=True) for r in grid.reservations],
    })


# --------------------------------------------------------------------------- reservations


def _reservation(restaurant: Restaurant, reservation_id: int) -> Reservation:
    return _owned(restaurant, Reservation, reservation_id, "reservation")


def _day_bounds(restaurant: Restaurant, first: dt.date, last: dt.date) -> tuple[dt.datetime, ...]:
    zone = ZoneInfo(restaurant.timezone)
    return (slotlib.to_utc(first, dt.time(0), zone),
            slotlib.to_utc(last + dt.timedelta(days=1), dt.time(0), zone))


@bp.get("/restaurants/<slug>/reservations")
@documented(summary="Reservations, filtered", tag="Owner: reservations", auth="owner",
            query=lambda: ReservationQuery,
            description="By local date range (start/end, or one date), status, and guest name, "
                        "e-mail or phone (q); earliest first.",
            responses={200: ("ReservationList", "The matching reservations.")})
def reservations(slug: str):
    restaurant, _ = owner_restaurant(slug)
    form = bind_query(ReservationQuery)
    query = select(Reservation).where(Reservation.restaurant_id == restaurant.id)
    first, last = (form.date.data, form.date.data) if form.date.data else \
        (form.start.data, form.end.data)
    if first or last:
        low, high = _day_bounds(restaurant, first or dt.date.min + dt.timedelta(days=1),
                                last or dt.date.max - dt.timedelta(days=1))
        if first:
            query = query.where(Reservation.starts_at >= low)
        if last:
            query = query.where(Reservation.starts_at < high)
    if form.status.data:
        query = query.where(Reservation.status == form.status.data)
    if form.q.data:
        pattern = f"%{form.q.data.lower()}%"
        query = query.where(or_(func.lower(Reservation.guest_name).like(pattern),
                                Reservation.guest_email.like(pattern),
                                Reservation.guest_phone.like(pattern)))
    limit = form.limit.data or 200
    rows = list(db.session.scalars(query.order_by(Reservation.starts_at, Reservation.id)
                                   .limit(limit + 1)))
    return json_response({"reservations": [rep.reservation(r, restaurant, owner=True)
                                           for r in rows[:limit]],
                          "truncated": len(rows) > limit})


@bp.get("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="One reservation", tag="Owner: reservations", auth="owner",
            responses={200: OWNER_RESERVATION})
def owner_reservation(slug: str, reservation_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.reservation(_reservation(restaurant, reservation_id), restaurant,
                                         owner=True))


def _edit_values(row: Reservation) -> dict[str, Any]:
    return as_form_values({"party_size": row.party_size, "name": row.guest_name,
                           "email": row.guest_email, "phone": row.guest_phone,
                           "notes": row.notes, "version": row.version})


@bp.patch("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="Edit guest details or party size", tag="Owner: reservations",
            auth="owner", body=lambda: EditReservationForm, partial=True,
            description="Send only what changes; send `version` to refuse the edit (409) when "
                        "somebody changed the reservation since you read it.",
            responses={200: OWNER_RESERVATION})
def edit_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    form = bind(EditReservationForm, current=_edit_values(row), restaurant_id=restaurant.id)
    writer = mail_writer(restaurant)
    changed = service.change(
        db.session, restaurant, row.id, party_size=form.party_size.data,
        guest=service.GuestDetails(form.name.data, form.email.data or "", form.phone.data or "",
                                   form.notes.data or ""),
        expected_version=form.version.data, actor=actor(token),
        policy=current_write_policy(), after_write=writer)
    send_queued(writer)
    return json_response(rep.reservation(changed, restaurant, owner=True))


@bp.post("/restaurants/<slug>/reservations/<int:reservation_id>/move")
@documented(summary="Move to another time or table", tag="Owner: reservations", auth="owner",
            body=lambda: MoveReservationForm, partial=True, idempotent=True,
            description="Send only what changes (date, time, table, party size, length of "
                        "stay). Owners may move off the slot grid; the table must be free.",
            responses={200: OWNER_RESERVATION})
@idempotent
def move_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    schedule = load_schedule(db.session, restaurant)
    local_start = row.starts_at.astimezone(schedule.zone)
    current = as_form_values({"date": service_date(schedule, row), "time": local_start.time(),
                              "table": row.table_id, "party_size": row.party_size,
                              "version": row.version})
    form = bind(MoveReservationForm, current=current, restaurant_id=restaurant.id)
    starts_at = start_from_wall_time(schedule, form.date.data, form.time.data,
                                     form.party_size.data)
    writer = mail_writer(restaurant)
    moved = service.change(
        db.session, restaurant, row.id, starts_at=starts_at, party_size=form.party_size.data,
        table_id=form.table.data, duration_minutes=form.duration_minutes.data,
        expected_version=form.version.data, actor=actor(token),
        policy=current_write_policy(), after_write=writer)
    send_queued(writer)
    return json_response(rep.reservation(moved, restaurant, owner=True))


@bp.post("/restaurants/<slug>/reservations/<int:reservation_id>/status")
@documented(summary="Seat, complete, mark no-show or cancel", tag="Owner: reservations",
            auth="owner", body=lambda: StatusForm, idempotent=True, optional=("version",),
            description="booked → seated → completed, booked → no_show, booked/seated → "
                        "cancelled; other moves are 409.",
            responses={200: OWNER_RESERVATION})
@idempotent
def set_reservation_status(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    form = bind(StatusForm, current={"version": str(row.version)}, restaurant_id=restaurant.id)
    writer = mail_writer(restaurant)
    updated = service.set_status(db.session, restaurant, row.id, form.status.data,
                                 expected_version=form.version.data, actor=actor(token),
                                 policy=current_write_policy(), after_write=writer)
    send_queued(writer)
    return json_response(rep.reservation(updated, restaurant, owner=True))


@bp.delete("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="Cancel a reservation", tag="Owner: reservations", auth="owner",
            description="Same as setting the status to cancelled; the reservation stays in the "
                        "history.",
            responses={200: ("Reservation", "The cancelled reservation.")})
def cancel_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    writer = mail_writer(restaurant)
    cancelled = service.cancel(db.session, restaurant, row.id, actor=actor(token),
                               policy=current_write_policy(), after_write=writer)
    send_queued(writer)
    return json_response(rep.reservation(cancelled, restaurant, owner=True))
