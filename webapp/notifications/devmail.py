"""Clear copies of sent e-mails for the development mailbox (``/dev/mail``), never in
production.

Once an e-mail is sent the outbox keeps it with the guest's manage token redacted (the
link is the guest's password). A developer still needs to click that link locally, so
outside production the deliverer also writes the clear text to ``DEV_MAILBOX_DIR``
(``instance/dev-mail`` in development, unset in production and in tests unless a test
sets it): a file per outbox row, read back only while its redacted text is still the
row's (a reset database reuses ids).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("webapp.mail")


def _path(directory: str, row_id: int) -> Path:
    return Path(directory) / f"{int(row_id)}.json"


def keep_clear_copy(directory: str, row_id: int, body_text: str) -> None:
    """Write the clear text of outbox row ``row_id``; a failure only costs the copy."""
    if not directory:
        return
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        path = _path(directory, row_id)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"body_text": body_text}), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        log.warning("development mailbox: cannot keep e-mail %s: %s", row_id, error)


def clear_copy(directory: str, row_id: int, stored_text: str,
               redact: Callable[[str], str]) -> str | None:
    """The clear text kept for ``row_id`` when it is the one ``stored_text`` was redacted
    from, else None."""
    if not directory:
        return None
    try:
        kept = json.loads(_path(directory, row_id).read_text(encoding="utf-8"))["body_text"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return kept if isinstance(kept, str) and redact(kept) == stored_text else None
