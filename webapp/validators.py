"""Field validators shared by every form (pages, API bodies, the OpenAPI document).

``SingleLine`` refuses control characters in one-line fields: names, e-mail addresses,
phone numbers, slugs, subjects. A line break in a restaurant's name went into the
Subject header of its guests' e-mails (``Rival\\r\\nBcc: x@evil.example``): the e-mail
could not be built and the outbox jammed. Tabs, other C0/C1 controls, DEL, the Unicode
line and paragraph separators and the bidirectional overrides (which make a name read
backwards in a list) have no place in one line of text either. Multi-line fields
(notes, address, description) keep their line breaks.

``Length`` and ``Optional`` are WTForms' own with one difference. Both look at the value as sent as well
as at the value the filters made of it: the fields are stripped, and a tab or a line
break at either end (or a 41st character that is a space) was silently dropped where
the OpenAPI document, which describes the value sent, says it is refused.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from wtforms import Field
from wtforms import validators as wtf
from wtforms.validators import Regexp, ValidationError

# Both a Python and a JSON Schema (ECMA 262) pattern: formschema documents it as such.
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
SINGLE_LINE_RE = re.compile(SINGLE_LINE_PATTERN)
SINGLE_LINE_MESSAGE = "Use one line of plain text: no line breaks, tabs or other control characters."


class SingleLine(Regexp):
    """No control characters anywhere in the value (a ``Regexp``, so the OpenAPI
    document carries the pattern). Matches the whole value: ``$`` alone would let a
    final line break through."""

    def __init__(self, message: str = SINGLE_LINE_MESSAGE) -> None:
        super().__init__(SINGLE_LINE_PATTERN, message=message)

    def __call__(self, form: Any, field: Field, message: str | None = None) -> Any:
        for value in (field.data, as_sent(field)):
            if isinstance(value, str) and self.regex.fullmatch(value) is None:
                raise ValidationError(self.message)
        return None


class Length(wtf.Length):
    """WTForms' ``Length``, with the maximum applied to the value as sent as well.

    Text fields are stripped before they are validated, so 41 characters ending in a
    space passed a 40-character limit and were stored as 40. The OpenAPI document's
    ``maxLength`` (formschema) speaks of the value sent, so that is what is checked too;
    the minimum stays on the stripped value (spaces alone are not a name).
    """

    def __call__(self, form: Any, field: Field) -> None:
        super().__call__(form, field)
        sent = as_sent(field)
        if sent is not None and self.max != -1 and len(sent) > self.max:
            # WTForms' own message for a value that long.
            super().__call__(form, SimpleNamespace(data=sent, gettext=field.gettext,
                                                   ngettext=field.ngettext))


class Optional(wtf.Optional):
    """WTForms' ``Optional``, except that in a one-line field a value of nothing but
    tabs, line breaks and other control characters is not "empty": WTForms' own stops
    the checks there (the value strips to nothing) and the field was taken as blank;
    this one lets ``SingleLine`` refuse it."""

    def __call__(self, form: Any, field: Field) -> None:
        sent = as_sent(field)
        if sent and _is_single_line(field) and SINGLE_LINE_RE.fullmatch(sent) is None:
            return
        super().__call__(form, field)


def _is_single_line(field: Field) -> bool:
    return any(isinstance(validator, SingleLine) for validator in field.validators)


def as_sent(field: Field) -> str | None:
    """The field's text as the request sent it, before the filters (strip) ran."""
    raw = getattr(field, "raw_data", None)
    return raw[0] if raw and isinstance(raw[0], str) else None
