"""The dashboard forms' own field types (also read from the JSON API's bodies by
``webapp.api.bodies``, which passes objects and lists only to fields declaring
``json_shapes``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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
                    raise ValueError(f"“{part}” is not “party size:minutes”, e.g. 3:120.")
                pairs.append((size.strip(), minutes.strip()))
        parsed: dict[str, int] = {}
        for size, minutes in pairs:
            try:
                size_n, minutes_n = int(str(size)), int(str(minutes))
            except ValueError:
                raise ValueError(f"“{size}:{minutes}” is not “party size:minutes”, e.g. "
                                 "3:120.") from None
            if not 1 <= size_n <= MAX_PARTY:
                raise ValueError(f"Party size {size_n} must be between 1 and {MAX_PARTY}.")
            if not 15 <= minutes_n <= 720:
                raise ValueError(f"Turn time {minutes_n} must be between 15 and 720 minutes.")
            if str(size_n) in parsed:
                raise ValueError(f"Party size {size_n} appears twice.")
            parsed[str(size_n)] = minutes_n
        if len(parsed) > 20:
            raise ValueError("Give at most 20 party sizes.")
        self.data = dict(sorted(parsed.items(), key=lambda kv: int(kv[0])))


def format_turn_times(turn_times: dict[str, int]) -> str:
    return ", ".join(f"{size}:{minutes}" for size, minutes in
                     sorted(turn_times.items(), key=lambda kv: int(kv[0])))


SERVICE_LINE = re.compile(
    r"^(?P<name>.*?)\s*(?P<opens>\d{1,2}:\d{2})\s*[-–]\s*(?P<closes>\d{1,2}:\d{2})"
    r"(?:\s*(?:last|last seating)?\s*(?P<last>\d{1,2}:\d{2}))?\s*$", re.IGNORECASE)


class ServiceSpec:
    """One parsed service line: name, opens, closes, optional last seating."""

    def __init__(self, name: str, opens: dt.time, closes: dt.time,
                 last_seating: dt.time | None = None) -> None:
        self.name, self.opens, self.closes, self.last_seating = name, opens, closes, last_seating

    def as_line(self) -> str:
        line = f"{self.name} {self.opens:%H:%M}-{self.closes:%H:%M}".strip()
        return line + (f" last {self.last_seating:%H:%M}" if self.last_seating else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServiceSpec) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ServiceSpec({self.as_line()!r})"


def _parse_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


SERVICE_KEYS = frozenset({"name", "opens", "closes", "last_seating"})


def _service_from_dict(value: dict[str, Any]) -> ServiceSpec:
    unknown = sorted(set(value) - SERVICE_KEYS)
    if unknown:  # a typo ("last_seat") must not pass silently
        raise ValueError(f"A service has only {', '.join(sorted(SERVICE_KEYS))}; "
                         f"not {', '.join(map(repr, unknown))[:80]}.")
    try:
        opens = _parse_time(str(value["opens"])[:5])
        closes = _parse_time(str(value["closes"])[:5])
        last = value.get("last_seating")
        return ServiceSpec(str(value.get("name") or "")[:40], opens, closes,
                           _parse_time(str(last)[:5]) if last else None)
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
                    raise ValueError(f"“{line[:60]}” is not like “Lunch 12:00-15:00”.")
                try:
                    services.append(ServiceSpec(
                        match["name"].strip()[:40], _parse_time(match["opens"]),
                        _parse_time(match["closes"]),
                        _parse_time(match["last"]) if match["last"] else None))
                except ValueError:
                    raise ValueError(f"“{line[:60]}” has a time that does not exist.") from None
        if len(services) > 10:
            raise ValueError("Give at most 10 services a day.")
        for service in services:
            if service.opens == service.closes:
                raise ValueError(f"{service.as_line()}: opening and closing times are the same.")
            if service.last_seating and not within_service(service.opens, service.closes,
                                                           service.last_seating):
                raise ValueError(f"{service.as_line()}: the last seating must be between "
                                 "opening and closing.")
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
            raise ValueError(f"Give the {self.label.text.lower()} as a whole number.") from None
