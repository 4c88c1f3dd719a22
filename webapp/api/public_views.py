"""Public endpoints: a restaurant, its free times, and booking a table."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .. import clock, writes
from ..booking import service
from ..booking.availability import bookable_times
from ..booking.held_tables import HeldTable
from ..booking.operations import reservations as reservation_ops
from ..booking.setup import restaurant_setup
from ..booking.slots import group_by_service
from ..extensions import db, limiter
from ..models import OpeningHours, SpecialDay
from ..owner.forms import OwnerReservationForm
from ..owner.inputs import new_booking
from ..public.forms import AvailabilityForm, HeldBookingForm
from ..replica import replica_reads
from . import representations as rep
from .auth import REALM, actor, has_valid_token, owner_of, restaurant_by_slug
from .blueprint import bp
from .bodies import bind, bind_query, form_defaults, request_data
from .common import json_response, start_from_wall_time, wall_time_text
from .errors import ApiError
from .idempotency import idempotent
from .operations import documented

RESERVATION = ("Reservation", "The reservation, with its manage token and links.")


def public_write_limit() -> str:
    return current_app.config["PUBLIC_WRITE_RATE_LIMIT"]


@bp.get("/restaurants/<slug>")
@documented(summary="A restaurant: name, time zone, hours, contact", tag="Public",
            responses={200: ("Restaurant", "The restaurant.")})
def restaurant(slug: str):
    restaurant = restaurant_by_slug(slug)
    hours = list(db.session.scalars(
        select(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)))
    today = clock.now().astimezone(ZoneInfo(restaurant.timezone)).date()
    specials = list(db.session.scalars(
        select(SpecialDay).where(SpecialDay.restaurant_id == restaurant.id,
                                 SpecialDay.end_date >= today)
        .order_by(SpecialDay.start_date)))
    return json_response(rep.restaurant_public(restaurant, hours, specials))


@bp.get("/restaurants/<slug>/availability")
@documented(summary="Bookable times on a date for a party, by service", tag="Public",
            auth="optional", scope="read", query=lambda: AvailabilityForm,
            description="Start times a guest can book online (lead time, horizon and the "
                        "largest online party apply). With the restaurant's API token: every "
                        "start time of the services and the free tables at each.",
            responses={200: ("Availability", "Free start times, grouped by service.")})
@replica_reads
def availability(slug: str):
    restaurant = restaurant_by_slug(slug)
    token = owner_of(restaurant)
    form = bind_query(AvailabilityForm)
    setup = restaurant_setup(db.session, restaurant)
    schedule = setup.schedule
    times = bookable_times(db.session, restaurant, form.date.data, form.party_size.data,
                           online=token is None, schedule=schedule)
    names = {t.id: t.name for t in setup.tables} if token else {}
    by_slot = {t.slot: t for t in times}
    services = []
    for name, slots in group_by_service(by_slot):
        entries = []
        for slot in slots:
            entry: dict[str, Any] = {"time": wall_time_text(schedule, slot.starts_at),
                     "starts_at": rep.utc_iso(slot.starts_at),
                     "local_start": rep.local_iso(slot.starts_at, schedule.zone)}
            if token is not None:
                entry["tables"] = [{"id": tid, "name": names.get(tid, "")}
                                   for tid in by_slot[slot].free_table_ids]
            entries.append(entry)
        services.append({"name": name, "times": entries})
    return json_response({"restaurant": restaurant.slug, "timezone": restaurant.timezone,
                          "date": form.date.data.isoformat(),
                          "party_size": form.party_size.data, "services": services})


def _is_field(form_class: type, name: str) -> bool:
    return hasattr(getattr(form_class, name, None), "field_class")


def _refuse_owner_fields_without_token() -> None:
    """The document offers the owner's form (phone booking, walk-in) as the body for
    callers with the restaurant's API token: an anonymous body using its fields lacks
    that token (401, as the document says), it is no misspelt guest booking (422)."""
    # Read with the owner's form's shapes: its list fields (``table_ids``) are no shape
    # error here but an owner's field.
    owner_only = sorted(name for name in request_data(OwnerReservationForm)
                        if _is_field(OwnerReservationForm, name)
                        and not _is_field(HeldBookingForm, name))
    if owner_only:
        raise ApiError(401, f"{', '.join(owner_only)}: the owner's booking fields need the "
                            "restaurant's API token.", code="unauthorized",
                       headers={"WWW-Authenticate": REALM})


@bp.post("/restaurants/<slug>/reservations")
@limiter.limit(public_write_limit, exempt_when=has_valid_token)
@documented(summary="Book a table", tag="Public", auth="optional", scope="bookings",
            body=lambda: HeldBookingForm,
            alternative_body=lambda: OwnerReservationForm, body_defaults=True,
            rate_limited=True, idempotent=True,
            description="A guest's booking (the online rules apply) or, with the restaurant's "
                        "API token, a phone booking or walk-in (OwnerReservationForm: any time "
                        "within the hours, a chosen table, a walk-in starts now). Answers with "
                        "the reservation and the guest's private manage token, shown only "
                        "this once. A guest's booking may name its `hold` (POST …/holds): "
                        "the held tables are booked first and the hold ends.",
            responses={201: RESERVATION},
            links={**{name: {"token": "$response.body#/manage_token"} for name in (
                "guest_reservation", "change_guest_reservation", "cancel_guest_reservation")},
                **{name: {"slug": "$request.path.slug", "reservation_id": "$response.body#/id"}
                   for name in ("owner_reservation", "edit_reservation", "move_reservation",
                                "set_reservation_status", "cancel_reservation")}})
@idempotent
def create_reservation(slug: str):
    restaurant = restaurant_by_slug(slug)
    token = owner_of(restaurant)
    setup = restaurant_setup(db.session, restaurant)
    schedule = setup.schedule  # read now: after the commit it would cost a query
    if token is None:
        _refuse_owner_fields_without_token()
        form = bind(HeldBookingForm)
        wall = form.time.wall_time
        assert wall is not None  # bind() validated the form: the time is HH:MM
        starts_at = start_from_wall_time(schedule, form.date.data, wall,
                                         form.party_size.data, form.time.utc_offset)
        write = writes.start(restaurant, "guest")
        result = service.book(
            db.session, restaurant, starts_at=starts_at, party_size=form.party_size.data,
            guest=service.GuestDetails(form.name.data, form.email.data, form.phone.data,
                                       form.notes.data or ""),
            source="api", actor="guest", policy=write.policy, after_write=write.after_write,
            schedule=schedule, tables=setup.tables, hold=form.hold.data or None)
        write.committed()
        manage_token = write.manage_token or result.manage_token
        reservation, table_name = result.reservation, result.table_name
        # The tables the write placed it on, named from the set-up it used: no read of a
        # joined booking's parts for the answer.
        names = {t.id: t.name for t in setup.tables}
        held = ([HeldTable(i, names[i]) for i in result.table_ids]
                if result.table_ids and all(i in names for i in result.table_ids) else None)
    else:
        # The owner's phone booking or walk-in: the dashboard's operation.
        kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
        form = bind(OwnerReservationForm, current=form_defaults(OwnerReservationForm, **kwargs),
                    **kwargs)
        booked = reservation_ops.book(db.session, restaurant,
                                      writes.context(restaurant, actor(token)), new_booking(form))
        manage_token, reservation, table_name = (booked.manage_token, booked.reservation,
                                                 booked.table_name)
        held = None
    body = rep.reservation(reservation, restaurant, owner=token is not None,
                           manage_token=manage_token, table_name=table_name, schedule=schedule,
                           tables=held)
    location = body["links"].get("self")
    return json_response(body, 201, location)
