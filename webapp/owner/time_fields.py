"""The owner's time input: a wall-clock time, optionally with the UTC offset the API
itself gives for a time that happens twice."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from wtforms import TimeField

# "19:30", "19:30:00", or "02:30+01:00" (what the API offers on the night the clocks go back).
# The offset is at most 18 hours (Python's and ISO 8601's bound), its minutes below 60.
_WITH_OFFSET = re.compile(r"^(?P<wall>\d{2}:\d{2}(?::\d{2})?)"
                          r"(?P<offset>[+-](?:(?:0\d|1[0-7]):[0-5]\d|18:00))$")


class WallTimeField(TimeField):
    """A local wall time HH:MM. The API may add the UTC offset ("02:30+01:00") to pick
    one of the two 02:30s of the night the clocks go back; ``utc_offset`` holds it (None
    without one). The page's ``<input type=time>`` never sends one."""

    json_schema = {
        "type": "string", "examples": ["19:30", "02:30+01:00"],
        # The offset as the server reads it: at most 18 hours (Python's and ISO 8601's bound).
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"
                   r"([+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))?$",
        "description": "Local wall time HH:MM on the service date; add the UTC offset "
                       "(02:30+01:00), as the availability answers do, to pick one of the "
                       "two 02:30s of the night the clocks go back."}

    utc_offset: dt.timedelta | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.utc_offset = None
        if valuelist and isinstance(valuelist[0], str):
            match = _WITH_OFFSET.match(valuelist[0].strip())
            if match:
                sign = -1 if match["offset"][0] == "-" else 1
                hours, minutes = match["offset"][1:].split(":")
                self.utc_offset = sign * dt.timedelta(hours=int(hours), minutes=int(minutes))
                valuelist = [match["wall"]]
        super().process_formdata(valuelist)
