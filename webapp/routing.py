"""URL converters the app registers before its blueprints add their rules."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

# The largest id our id columns hold: they are INTEGER, 32 bit signed on PostgreSQL
# (SQLite's hold 64 bits, but no id there will ever pass this).
MAX_ID = 2**31 - 1
# What a larger number in a URL becomes: no row has a negative id.
NO_SUCH_ID = -1


class IdConverter(IntegerConverter):
    """``<int:…>`` that never hands the database a number its id columns cannot hold
    (PostgreSQL: "integer out of range"; beyond 64 bits SQLite's driver raises
    OverflowError: both a 500): a number beyond ``MAX_ID`` is nobody's id, so the view gets
    ``NO_SUCH_ID`` and answers its own 404. (Refusing the match instead would turn into a
    405 wherever another method's rule has the same path.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else NO_SUCH_ID


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
