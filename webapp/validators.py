"""Field validators shared by every form (pages, API bodies, the OpenAPI document).

``SingleLine`` refuses control characters in one-line fields: names, e-mail addresses,
phone numbers, slugs, subjects. A line break in a restaurant's name went into the
Subject header of its guests' e-mails (``Rival\\r\\nBcc: x@evil.example``): the e-mail
could not be built and the outbox jammed. Tabs, other C0/C1 controls, DEL, the Unicode
line and paragraph separators and the bidirectional overrides (which make a name read
backwards in a list) have no place in one line of text either. Multi-line fields
(notes, address, description) keep their line breaks.
"""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import Regexp, ValidationError

# Both a Python and a JSON Schema (ECMA 262) pattern: formschema documents it as such.
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
SINGLE_LINE_MESSAGE = "Use one line of plain text: no line breaks, tabs or other control characters."


class SingleLine(Regexp):
    """No control characters anywhere in the value (a ``Regexp``, so the OpenAPI
    document carries the pattern). Matches the whole value: ``$`` alone would let a
    final line break through."""

    def __init__(self, message: str = SINGLE_LINE_MESSAGE) -> None:
        super().__init__(SINGLE_LINE_PATTERN, message=message)

    def __call__(self, form: Any, field: Field, message: str | None = None) -> Any:
        value = field.data
        if isinstance(value, str) and self.regex.fullmatch(value) is None:
            raise ValidationError(self.message)
        return None
