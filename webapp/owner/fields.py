"""The dashboard forms' own field types (also read from the JSON API's bodies by
``webapp.api.bodies``, which passes objects and lists only to fields declaring
``json_shapes``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from wtforms import Field, IntegerField
from wtforms.widgets import TextArea

from ..booking.rules import MAX_PARTY


class TurnTimesField(Field):
    """Turn time by party size: "1:90, 3:120, 5:150" (parties of 1-2 stay 90 minutes,
    3-4 stay 120, 5 and more 150), or a JSON object {"1": 90, "3": 120}.

    ``data`` is the model's shape: {"1": 90, "3": 120}."""

    widget = TextArea()
    json_shapes = frozenset({"object"})  # the API's bodies may send the mapping itself

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0] if isinstance(self.raw_data[0], str) else ""
        return format_turn_times(self.data or {})

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        value = valuelist[0]
        if isinstance(value, dict):
            pairs = list(value.items())
        else:
            pairs = []
            for part in re.split(r"[,;\n]+", str(value)):
                part = part.strip()
                if not part:
                    continue
                size, sep, minutes = part.partition(":")
                if not sep:
                    raise ValueError(_("“%(part)s” is not “party size:minutes”, e.g. 3:120.",
                                       part=part))
                pairs.append((size.strip(), minutes.strip()))
        parsed: dict[str, int] = {}
        for size, minutes in pairs:
            try:
                size_n, minutes_n = int(str(size)), int(str(minutes))
            except ValueError:
                raise ValueError(_("“%(part)s” is not “party size:minutes”, e.g. 3:120.",
                                   part=f"{size}:{minutes}")) from None
            if not 1 <= size_n <= MAX_PARTY:
                raise ValueError(_("Party size %(size)s must be between 1 and %(max)s.",
                                   size=size_n, max=MAX_PARTY))
            if not 15 <= minutes_n <= 720:
                raise ValueError(_("Turn time %(minutes)s must be between 15 and 720 minutes.",
                                   minutes=minutes_n))
            if str(size_n) in parsed:
                raise ValueError(_("Party size %(size)s appears twice.", size=size_n))
            parsed[str(size_n)] = minutes_n
        if len(parsed) > 20:
            raise ValueError(_("Give at most 20 party sizes."))
        self.data = dict(sorted(parsed.items(), key=lambda kv: int(kv[0])))


def format_turn_times(turn_times: dict[str, int]) -> str:
    return ", ".join(f"{size}:{minutes}" for size, minutes in
                     sorted(turn_times.items(), key=lambda kv: int(kv[0])))


SERVICE_LINE = re.compile(
    r"^(?P<name>.*?)\s*(?P<opens>\d{1,2}:\d{2})\s*[-–]\s*(?P<closes>\d{1,2}:\d{2})"
    r"(?:\s*(?:last|last seating)?\s*(?P<last>\d{1,2}:\d{2}))?"
    # The service's pacing (booking/pacing.py): "pace 20" covers per slot interval,
    # "max 120" covers for the whole service.
    r"(?:\s+pace\s+(?P<pace>\d{1,5}))?(?:\s+max\s+(?P<most>\d{1,6}))?\s*$", re.IGNORECASE)


class ServiceSpec:
    """One parsed service line: name, opens, closes, optional last seating."""

    def __init__(self, name: str, opens: dt.time, closes: dt.time,
                 last_seating: dt.time | None = None, pace_covers: int | None = None,
                 max_covers: int | None = None) -> None:
        self.name, self.opens, self.closes, self.last_seating = name, opens, closes, last_seating
        # Pacing (booking/pacing.py): "pace N" and "max N" in a line, or the JSON keys.
        self.pace_covers, self.max_covers = pace_covers, max_covers

    def as_line(self) -> str:
        """The line that reads back as this service (so editing a special day on the
        dashboard keeps what the API set, its pace too)."""
        line = f"{self.name} {self.opens:%H:%M}-{self.closes:%H:%M}".strip()
        line += f" last {self.last_seating:%H:%M}" if self.last_seating else ""
        line += f" pace {self.pace_covers}" if self.pace_covers is not None else ""
        return line + (f" max {self.max_covers}" if self.max_covers is not None else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServiceSpec) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ServiceSpec({self.as_line()!r})"


def _parse_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


SERVICE_KEYS = frozenset({"name", "opens", "closes", "last_seating", "pace_covers",
                          "max_covers"})
_LIMITS = {"pace_covers": 10000, "max_covers": 100000}


def _limit(value: dict[str, Any], key: str) -> int | None:
    raw = value.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= _LIMITS[key]:
        raise ValueError(f"A service's {key} is a whole number from 1 to {_LIMITS[key]}, "
                         "or null.")
    return raw


def _service_from_dict(value: dict[str, Any]) -> ServiceSpec:
    unknown = sorted(set(value) - SERVICE_KEYS)
    if unknown:  # a typo ("last_seat") must not pass silently
        raise ValueError(f"A service has only {', '.join(sorted(SERVICE_KEYS))}; "
                         f"not {', '.join(map(repr, unknown))[:80]}.")
    pace, most = _limit(value, "pace_covers"), _limit(value, "max_covers")
    try:
        opens = _parse_time(str(value["opens"])[:5])
        closes = _parse_time(str(value["closes"])[:5])
        last = value.get("last_seating")
        return ServiceSpec(str(value.get("name") or "")[:40], opens, closes,
                           _parse_time(str(last)[:5]) if last else None, pace, most)
    except (KeyError, ValueError):
        raise ValueError("A service needs opens and closes as HH:MM.") from None


class ServicesField(Field):
    """Services of a special day, one per line: "Lunch 12:00-15:00" or
    "Dinner 18:00-01:00 last 23:30"; in JSON a list of such strings or of
    {"name", "opens", "closes", "last_seating"} objects."""

    widget = TextArea()
    json_shapes = frozenset({"array"})  # a list of lines or of service objects

    def _value(self) -> str:
        if self.raw_data and all(isinstance(v, str) for v in self.raw_data):
            return "\n".join(self.raw_data)
        return "\n".join(s.as_line() for s in self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        services: list[ServiceSpec] = []
        for value in valuelist:
            if isinstance(value, dict):
                services.append(_service_from_dict(value))
                continue
            for line in re.split(r"[\n;]+", str(value)):
                line = line.strip()
                if not line:
                    continue
                match = SERVICE_LINE.match(line)
                if match is None:
                    raise ValueError(_("“%(line)s” is not like “Lunch 12:00-15:00”.",
                                       line=line[:60]))
                try:
                    times = (_parse_time(match["opens"]), _parse_time(match["closes"]),
                             _parse_time(match["last"]) if match["last"] else None)
                except ValueError:
                    raise ValueError(_("“%(line)s” has a time that does not exist.",
                                       line=line[:60])) from None
                try:
                    pace, most = (_limit({key: int(match[group])}, key) if match[group] else None
                                  for key, group in (("pace_covers", "pace"),
                                                     ("max_covers", "most")))
                except ValueError:
                    raise ValueError(_("“%(line)s”: the pace is 1 to 10000 covers, the "
                                       "service's most 1 to 100000.", line=line[:60])) from None
                services.append(ServiceSpec(match["name"].strip()[:40], *times, pace, most))
        if len(services) > 10:
            raise ValueError(_("Give at most 10 services a day."))
        for service in services:
            if service.opens == service.closes:
                raise ValueError(_("%(service)s: opening and closing times are the same.",
                                   service=service.as_line()))
            if service.last_seating and not within_service(service.opens, service.closes,
                                                           service.last_seating):
                raise ValueError(_("%(service)s: the last seating must be between opening and "
                                   "closing.", service=service.as_line()))
        self.data = services


def within_service(opens: dt.time, closes: dt.time, moment: dt.time) -> bool:
    """Is ``moment`` between opening and closing (a service may pass midnight)?"""
    if closes > opens:
        return opens <= moment <= closes
    return moment >= opens or moment <= closes


class WholeNumberField(IntegerField):
    """An integer with a readable message; empty input keeps the field's default."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = self.default
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_("Give the %(label)s as a whole number.",
                               label=str(self.label.text).lower())) from None
