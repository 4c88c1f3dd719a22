"""Helpers the API views share: local times into instants, responses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify

from ..booking import slots as slotlib
from ..booking.slots import Schedule
from ..models import Reservation
from .errors import invalid


def json_response(body: Any, status: int = 200, location: str | None = None):
    response = jsonify(body)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


def start_from_wall_time(schedule: Schedule, day: dt.date, wall: dt.time, party_size: int,
                         offset: dt.timedelta | None = None) -> dt.datetime:
    """The instant meant by ``wall`` on the service date ``day``; ``offset`` (from
    "02:30+01:00") picks one of the two occurrences of a repeated wall time."""
    if offset is None:
        return slotlib.resolve_local_start(schedule, day, wall, party_size)
    instant = slotlib.start_at_offset(schedule, day, wall, party_size, offset)
    if instant is not None:
        return instant
    raise invalid({"time": ["That UTC offset does not occur at this time on this date."]})


def service_date(schedule: Schedule, reservation: Reservation) -> dt.date:
    """The date a guest picked for this reservation (a stay after midnight belongs to the
    evening its service opened)."""
    return slotlib.service_date_of(schedule, reservation.starts_at)


def wall_time_text(schedule: Schedule, instant: dt.datetime) -> str:
    return slotlib.wall_time_text(instant, schedule.zone)

