"""Owner endpoints (``Authorization: Bearer <token>``): settings, tables, hours, special
days, the day's time slots and the reservations. Another restaurant's objects are 404.

The set-up endpoints bind the page's form and call the same operation as the page
(``webapp.booking.operations.setup``), which writes and commits."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from .. import writes
from ..booking import service
from ..booking.availability import day_grid, load_schedule
from ..booking.operations import deactivation
from ..booking.operations import reservations as reservation_ops
from ..booking.operations import setup as ops
from ..extensions import db
from ..models import (
    ApiToken,
    DiningTable,
    OpeningHours,
    Reservation,
    Restaurant,
    SpecialDay,
    owned_by,
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
from ..owner.inputs import filters_of, guest_of, move_of
from . import representations as rep
from .auth import actor, owner_restaurant
from .blueprint import bp
from .bodies import as_form_values, bind, bind_query, form_defaults, request_data
from .common import json_response
from .errors import ApiError, not_found
from .idempotency import idempotent
from .operations import documented
from .queries import DayQuery, DeactivationQuery, NotifyQuery, ReservationQuery

OWNER_RESERVATION = ("Reservation", "The reservation.")


# --------------------------------------------------------------------------- settings


@bp.get("/restaurants/<slug>/settings")
@documented(summary="The restaurant's settings", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("Settings", "The settings.")})
def settings(slug: str):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.restaurant_settings(restaurant))


@bp.patch("/restaurants/<slug>/settings")
@documented(summary="Change the restaurant's settings", tag="Owner: setup", auth="owner", scope="setup",
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
@documented(summary="The tables (active and not)", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("TableList", "The tables in the owner's order.")})
def tables(slug: str):
    restaurant, _ = owner_restaurant(slug)
    rows = db.session.scalars(select(DiningTable).where(DiningTable.restaurant_id == restaurant.id)
                              .order_by(DiningTable.position, DiningTable.id))
    return json_response({"tables": [rep.table(t) for t in rows]})


@bp.post("/restaurants/<slug>/tables")
@documented(summary="Add a table", tag="Owner: setup", auth="owner", scope="setup", body=lambda: TableForm,
            body_defaults=True, idempotent=True,
            description="`active: false` adds the table without offering it to guests yet.",
            responses={201: ("Table", "The new table (its address in `Location`).")},
            links={name: {"slug": "$request.path.slug", "table_id": "$response.body#/id"}
                   for name in ("table", "change_table", "deactivate_table", "remove_table")})
@idempotent
def create_table(slug: str):
    restaurant, _ = owner_restaurant(slug)
    kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
    form = bind(TableForm, current=form_defaults(TableForm, **kwargs), **kwargs)
    table = ops.add_table(db.session, restaurant, form.details(), active=form.active.data)
    return json_response(rep.table(table), 201, location=url_for(
        "api.table", slug=restaurant.slug, table_id=table.id, _external=True))


@bp.get("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="One table", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("Table", "The table.")})
def table(slug: str, table_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.table(_table(restaurant, table_id)))


@bp.patch("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="Change a table", tag="Owner: setup", auth="owner", scope="setup", body=lambda: TableForm,
            partial=True, responses={200: ("Table", "The table after the change.")})
def change_table(slug: str, table_id: int):
    restaurant, token = owner_restaurant(slug)
    table = _table(restaurant, table_id)
    form = bind(TableForm, current=as_form_values(rep.table(table)), restaurant_id=restaurant.id,
                table_id=table.id)
    if table.active and not form.active.data:
        # First, so that a refusal (409, bookings not yet over) changes nothing.
        table = _deactivate(restaurant, token, table.id, "refuse", notify_guest=True)
    ops.change_table(db.session, restaurant, table, form.details())
    if form.active.data:
        ops.activate_table(db.session, restaurant, table)
    return json_response(rep.table(table))


@bp.delete("/restaurants/<slug>/tables/<int:table_id>")
@documented(summary="Remove a table that never held a reservation", tag="Owner: setup",
            auth="owner", scope="setup",
            description="For a table added by mistake: it is gone (its GET answers 404). A "
                        "table with reservations in its history stays (409 "
                        "`table_has_history`): deactivate it instead "
                        "(`POST …/tables/{table_id}/deactivate`).",
            responses={204: (None, "Removed."),
                       409: ("Problem", "The table has reservations in its history.")})
def remove_table(slug: str, table_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_table(db.session, restaurant, _table(restaurant, table_id))
    return "", 204


@bp.post("/restaurants/<slug>/tables/<int:table_id>/deactivate")
@documented(summary="Deactivate a table", tag="Owner: setup", auth="owner", scope="setup",
            query=lambda: DeactivationQuery,
            description="The table stays in the history of past reservations but is no longer "
                        "bookable. `future_bookings` says what happens to its reservations "
                        "not yet over: `refuse` (the default: 409 while it has any), `move` "
                        "them to other free tables, or `cancel` them (each guest with an "
                        "e-mail address is told, unless `notify_guest=false`). A booking "
                        "that no other table can take keeps the table bookable (409, the "
                        "booking's id in `reservations`). Safe against bookings made at the "
                        "same moment: none ends up on the inactive table.",
            responses={200: ("Table", "The deactivated table."),
                       409: ("Problem", "The table still has upcoming reservations.")})
def deactivate_table(slug: str, table_id: int):
    restaurant, token = owner_restaurant(slug)
    table = _table(restaurant, table_id)
    query = bind_query(DeactivationQuery)
    table = _deactivate(restaurant, token, table.id, query.future_bookings.data or "refuse",
                        notify_guest=query.notify_guest.data != "false")
    return json_response(rep.table(table))


def _deactivate(restaurant: Restaurant, token: ApiToken, table_id: int, choice: str, *,
                notify_guest: bool) -> DiningTable:
    context = writes.context(restaurant, actor(token))
    try:
        result = deactivation.deactivate_table(db.session, restaurant, context, table_id,
                                               choice=choice, notify_guest=notify_guest)
    except deactivation.TableInUse as error:
        raise ApiError(409, error.message, code=error.code,
                       reservations=error.reservation_ids) from error
    if not result.done:
        kept = "; ".join(f"#{r.id}: {why}" for r, why in result.kept)
        raise ApiError(409, f"Table {result.table.name} stays bookable: {kept}.",
                       code="table_in_use", reservations=[r.id for r, _ in result.kept])
    return result.table


# --------------------------------------------------------------------------- hours


@bp.get("/restaurants/<slug>/opening-hours")
@documented(summary="The weekly opening hours", tag="Owner: setup", auth="owner", scope="read",
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
@documented(summary="Add a service on a weekday", tag="Owner: setup", auth="owner", scope="setup",
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
@documented(summary="One service on a weekday", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("OpeningHours", "The service.")})
def one_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.opening_hours(_opening_hours(restaurant, hours_id)))


@bp.patch("/restaurants/<slug>/opening-hours/<int:hours_id>")
@documented(summary="Change a service", tag="Owner: setup", auth="owner", scope="setup",
            body=lambda: OpeningHoursForm, partial=True,
            description="Send only what changes (`last_seating: null` clears it). The service "
                        "keeps its id; existing bookings stay as they are.",
            responses={200: ("OpeningHours", "The service after the change.")})
def change_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _opening_hours(restaurant, hours_id)
    # What GET answers is what the PATCH changes (as for tables).
    form = bind(OpeningHoursForm, current=as_form_values(rep.opening_hours(row)),
                restaurant_id=restaurant.id)
    ops.change_opening_hours(db.session, restaurant, row, form.details())
    return json_response(rep.opening_hours(row))


@bp.delete("/restaurants/<slug>/opening-hours/<int:hours_id>")
@documented(summary="Remove a service", tag="Owner: setup", auth="owner", scope="setup",
            description="Existing bookings in the service stay as they are.",
            responses={204: (None, "Removed.")})
def delete_opening_hours(slug: str, hours_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_opening_hours(db.session, restaurant, _opening_hours(restaurant, hours_id))
    return "", 204


# --------------------------------------------------------------------------- special days


@bp.get("/restaurants/<slug>/special-days")
@documented(summary="Closures and days with their own hours", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("SpecialDayList", "Every special day, earliest first.")})
def special_days(slug: str):
    restaurant, _ = owner_restaurant(slug)
    rows = db.session.scalars(select(SpecialDay).where(SpecialDay.restaurant_id == restaurant.id)
                              .order_by(SpecialDay.start_date, SpecialDay.id))
    return json_response({"special_days": [rep.special_day(s) for s in rows]})


def _special_day(restaurant: Restaurant, special_day_id: int) -> SpecialDay:
    return _owned(restaurant, SpecialDay, special_day_id, "special day")


@bp.post("/restaurants/<slug>/special-days")
@documented(summary="Add a closure or special hours", tag="Owner: setup", auth="owner", scope="setup",
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
@documented(summary="One special day", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("SpecialDay", "The special day.")})
def special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.special_day(_special_day(restaurant, special_day_id)))


@bp.patch("/restaurants/<slug>/special-days/<int:special_day_id>")
@documented(summary="Change a special day", tag="Owner: setup", auth="owner", scope="setup",
            body=lambda: SpecialDayForm, partial=True,
            description="Send only what changes; `services` replaces all of the day's services. "
                        "The special day keeps its id; existing bookings stay as they are.",
            responses={200: ("SpecialDay", "The special day after the change.")})
def change_special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _special_day(restaurant, special_day_id)
    form = bind(SpecialDayForm, current=as_form_values(rep.special_day(row)),
                restaurant_id=restaurant.id)
    ops.change_special_day(db.session, restaurant, row, form.details())
    return json_response(rep.special_day(row))


@bp.delete("/restaurants/<slug>/special-days/<int:special_day_id>")
@documented(summary="Remove a special day", tag="Owner: setup", auth="owner", scope="setup",
            description="Bookings already made on those days stay as they are.",
            responses={204: (None, "Removed.")})
def delete_special_day(slug: str, special_day_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_special_day(db.session, restaurant, _special_day(restaurant, special_day_id))
    return "", 204


# --------------------------------------------------------------------------- the day


@bp.get("/restaurants/<slug>/timeslots")
@documented(summary="Every slot × table of a day, with its state", tag="Owner: reservations",
            auth="owner", scope="read", query=lambda: DayQuery,
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
        "reservations": rep.reservations(grid.reservations, restaurant, owner=True,
                                         schedule=schedule),
    })


# --------------------------------------------------------------------------- reservations


def _reservation(restaurant: Restaurant, reservation_id: int) -> Reservation:
    return _owned(restaurant, Reservation, reservation_id, "reservation")


@bp.get("/restaurants/<slug>/reservations")
@documented(summary="Reservations, filtered", tag="Owner: reservations", auth="owner", scope="read",
            query=lambda: ReservationQuery,
            description="By service date (one `date`, or the range `start`..`end`: a stay "
                        "after midnight in a service that opened the evening before belongs "
                        "to that evening), status, and guest (`q`: part of the name or "
                        "e-mail, or digits of the phone, spaces and signs ignored); earliest "
                        "first. The same search as the dashboard's list.",
            responses={200: ("ReservationList", "The matching reservations.")})
def reservations(slug: str):
    restaurant, _ = owner_restaurant(slug)
    form = bind_query(ReservationQuery)
    found = reservation_ops.search(db.session, restaurant, filters_of(form),
                                   limit=form.limit.data or 200)
    return json_response({
        "reservations": rep.reservations(found.rows, restaurant, owner=True,
                                         schedule=found.schedule),
        "truncated": found.truncated})


@bp.get("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="One reservation", tag="Owner: reservations", auth="owner", scope="read",
            responses={200: OWNER_RESERVATION})
def owner_reservation(slug: str, reservation_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(rep.reservation(_reservation(restaurant, reservation_id), restaurant,
                                         owner=True))


def _edit_values(row: Reservation) -> dict[str, Any]:
    return as_form_values({"party_size": row.party_size, "name": row.guest_name,
                           "email": row.guest_email, "phone": row.guest_phone,
                           "notes": row.notes, "version": row.version, "notify_guest": True})


@bp.patch("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="Edit guest details or party size", tag="Owner: reservations",
            auth="owner", scope="bookings", body=lambda: EditReservationForm, partial=True,
            description="Send only what changes; send `version` to refuse the edit (409) when "
                        "somebody changed the reservation since you read it.",
            responses={200: OWNER_RESERVATION})
def edit_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    form = bind(EditReservationForm, current=_edit_values(row), restaurant_id=restaurant.id)
    changed = reservation_ops.edit(
        db.session, restaurant, writes.context(restaurant, actor(token)), row.id,
        party_size=form.party_size.data, guest=guest_of(form),
        expected_version=form.version.data, notify_guest=form.notify_guest.data,
        allow_same_guest=bool(form.allow_same_guest.data),
        allow_over_pace=bool(form.allow_over_pace.data))
    return json_response(rep.reservation(changed.reservation, restaurant, owner=True))


@bp.post("/restaurants/<slug>/reservations/<int:reservation_id>/move")
@documented(summary="Move to another time or table", tag="Owner: reservations", auth="owner",
            scope="bookings", body=lambda: MoveReservationForm, partial=True, idempotent=True,
            description="Send only what changes (date, time, table, party size, length of "
                        "stay). Owners may move off the slot grid; the table must be free.",
            responses={200: OWNER_RESERVATION})
@idempotent
def move_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    schedule = reservation_ops.schedule_of(db.session, restaurant)
    # What GET answers, so that sending back what was read moves nothing: a booking on
    # joined tables keeps them unless the body says where (a table, tables, a combination).
    held = service.tables_of(db.session, row)
    current = as_form_values({"date": reservation_ops.service_date(schedule, row),
                              "time": reservation_ops.wall_time(schedule, row),
                              "table": row.table_id, "party_size": row.party_size,
                              "version": row.version, "notify_guest": True})
    sent = request_data(MoveReservationForm)
    if len(held) > 1 and not {"table", "table_ids", "combination"} & set(sent):
        current["table_ids"] = [str(t) for t in held]
    form = bind(MoveReservationForm, current=current, restaurant_id=restaurant.id)
    moved = reservation_ops.move(
        db.session, restaurant, writes.context(restaurant, actor(token)), row.id,
        move_of(form), expected_version=form.version.data,
        notify_guest=form.notify_guest.data, allow_same_guest=bool(form.allow_same_guest.data),
        allow_over_pace=bool(form.allow_over_pace.data))
    return json_response(rep.reservation(moved.reservation, restaurant, owner=True))


@bp.post("/restaurants/<slug>/reservations/<int:reservation_id>/status")
@documented(summary="Seat, complete, mark no-show or cancel", tag="Owner: reservations",
            auth="owner", scope="bookings", body=lambda: StatusForm, idempotent=True, optional=("version",),
            description="booked → seated → completed, booked → no_show, booked/seated → "
                        "cancelled; other moves are 409. Seat, complete and no-show only on "
                        "the booking's service day (409 `not_on_service_day`), unless "
                        "`allow_off_day: true` (recorded in the history). `booked` (or "
                        "`seated`) on a no-show takes it back (on the day), on a cancelled "
                        "reservation re-books it while its time is not over and its table "
                        "is still free (409 `slot_taken`, naming the booking in the way; "
                        "the guest is e-mailed the booking again unless "
                        "`notify_guest: false`).",
            responses={200: OWNER_RESERVATION})
@idempotent
def set_reservation_status(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    form = bind(StatusForm, current={"version": str(row.version), "notify_guest": True},
                restaurant_id=restaurant.id)
    updated = reservation_ops.set_status(
        db.session, restaurant, writes.context(restaurant, actor(token)), row.id,
        form.status.data, expected_version=form.version.data,
        notify_guest=form.notify_guest.data, allow_off_day=bool(form.allow_off_day.data),
        may_override=True, allow_same_guest=bool(form.allow_same_guest.data),
        allow_over_pace=bool(form.allow_over_pace.data))
    return json_response(rep.reservation(updated.reservation, restaurant, owner=True))


@bp.delete("/restaurants/<slug>/reservations/<int:reservation_id>")
@documented(summary="Cancel a reservation", tag="Owner: reservations", auth="owner", scope="bookings",
            query=lambda: NotifyQuery,
            description="Same as setting the status to cancelled; the reservation stays in the "
                        "history. A guest with an e-mail address gets the cancellation "
                        "unless `notify_guest=false`.",
            responses={200: ("Reservation", "The cancelled reservation.")})
def cancel_reservation(slug: str, reservation_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    notify = bind_query(NotifyQuery).notify_guest.data != "false"
    cancelled = reservation_ops.cancel(
        db.session, restaurant, writes.context(restaurant, actor(token)), row.id,
        notify_guest=notify)
    return json_response(rep.reservation(cancelled.reservation, restaurant, owner=True))


@bp.get("/restaurants/<slug>/reservations/<int:reservation_id>/history")
@documented(summary="A reservation's history", tag="Owner: reservations", auth="owner", scope="read",
            description="Every change, oldest first: when, by whom (`owner:<e-mail>`, "
                        "`api:<token prefix>` or `guest`), the action (created, changed, a "
                        "status) and what changed ({field: [before, after]}).",
            responses={200: ("ReservationHistory", "The reservation's history.")})
def reservation_history(slug: str, reservation_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _reservation(restaurant, reservation_id)
    events = reservation_ops.history(db.session, restaurant, row.id)
    return json_response({"reservation_id": row.id, "events": [
        {"at": rep.utc_iso(e.at), "actor": e.actor, "action": e.action,
         "changes": e.changes or {}} for e in events]})
