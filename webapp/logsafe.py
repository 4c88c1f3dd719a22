"""What may go into a log line: guests' secrets redacted, control characters escaped.

Shared by the app's own request log (``observability``) and gunicorn's access log
(``gunicorn_logging``). No Flask here: gunicorn's master imports it for its logger.

* A guest's manage link (page and API) carries its secret token in the path, and a
  page's Referer repeats it: ``redact_secrets`` replaces the token wherever such a path
  appears in a string (a path, a request line, a full URL).
* A request path is the client's text: ``%0D%0A`` decodes to CR LF, which in a text log
  starts a line the client wrote. ``escape_control`` writes control and format
  characters (C0/C1 controls, bidi overrides, line and paragraph separators, NUL) as
  ``\\xNN`` / ``\\uNNNN`` escapes, and a backslash as ``\\\\`` so an escape in the log is
  never ambiguous; ``json_safe`` does the same for a JSON line in JSON's own escapes.
"""

from __future__ import annotations

import re
import unicodedata

REDACTED = "<token>"
# "/b/<token>" (the guest's manage page), "/api/v1/reservations/<token>" (the guest's
# API) and "/calendar/<token>.ics" (a member's calendar feed); an owner's
# "/api/v1/restaurants/<slug>/reservations/42" does not match.
_SECRET_PATH_PART = re.compile(r"(/b/|/api/v1/reservations/|/calendar/)[^/?#\s\"]+")

# Characters that can move the cursor, end a line or reorder what a reader sees.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def redact_secrets(text: str) -> str:
    """``text`` with every secret token in a path (a guest's manage link, a calendar feed)
    replaced by ``<token>``."""
    if "/b/" not in text and "/reservations/" not in text and "/calendar/" not in text:
        return text
    return _SECRET_PATH_PART.sub(r"\1" + REDACTED, text)


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_control(text: str) -> str:
    """``text`` on one line, as a person reads it: control characters escaped."""
    if text.isprintable() and "\\" not in text:  # the common case, in C
        return text
    return "".join("\\\\" if char == "\\" else _escape(char) if _unsafe(char) else char
                   for char in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(line: str) -> str:
    """A line of ``json.dumps(..., ensure_ascii=False)`` output with the characters it
    leaves raw (C1 controls, bidi overrides, U+2028/2029, ...) as ``\\uNNNN``: still
    the same JSON value. Such characters only occur inside JSON strings, where the
    escape is valid."""
    if line.isprintable():
        return line
    return "".join(_json_escape(char) if _unsafe(char) else char for char in line)
