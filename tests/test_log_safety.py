"""The app's log lines, text and JSON: a client cannot start a line of its own (CR/LF,
NEL, U+2028 or terminal escapes in the path) and guests' manage tokens stay out.
gunicorn's access log: tests/faults/test_access_log.py."""

from __future__ import annotations

import json
import logging

import pytest

from webapp.logsafe import escape_control, json_safe, redact_secrets
from webapp.observability import ACCESS_LOGGER, JsonFormatter, TextFormatter

FORGED = "2026-12-01 19:00:00,000 INFO webapp.request: GET /owner/ 200 1.0ms"
# Percent-encoded as a client sends them; the app's path is the decoded text.
HOSTILE_PATHS = {
    "crlf": "/r/x%0D%0A" + FORGED.replace(" ", "%20"),
    "lf": "/r/x%0A" + FORGED.replace(" ", "%20"),
    "nel": "/r/x%C2%85forged",  # U+0085: a line break to Python and many viewers
    "line-separator": "/r/x%E2%80%A8forged",
    "rtl-override": "/r/x%E2%80%AEdegrof",
    "escape-sequence": "/r/x%1B%5B2J%1B%5D0;title%07",
    "nul": "/r/x%00y",
}


def one_request_record(client, caplog, path: str) -> logging.LogRecord:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get(path)
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    return record


def is_one_safe_line(line: str) -> bool:
    return line.isprintable() and len(line.splitlines()) == 1


@pytest.mark.parametrize("path", HOSTILE_PATHS.values(), ids=HOSTILE_PATHS.keys())
def test_text_log_line_cannot_be_forged(client, caplog, path):
    line = TextFormatter().format(one_request_record(client, caplog, path))
    assert is_one_safe_line(line), repr(line)


@pytest.mark.parametrize("path", HOSTILE_PATHS.values(), ids=HOSTILE_PATHS.keys())
def test_json_log_line_cannot_be_forged_and_keeps_the_path(client, caplog, path):
    record = one_request_record(client, caplog, path)
    line = JsonFormatter().format(record)
    assert is_one_safe_line(line), repr(line)
    assert json.loads(line)["path"] == record.path  # lossless: JSON's own escapes


def test_text_log_shows_what_was_sent_escaped(client, caplog):
    line = TextFormatter().format(one_request_record(client, caplog, HOSTILE_PATHS["crlf"]))
    assert "GET /r/x\\x0d\\x0a2026-12-01 19:00:00,000 INFO webapp.request: GET /owner/" in line


def test_text_log_tracebacks_stay_below_their_record(app, caplog):
    try:
        raise ValueError("bad\r\n" + FORGED)
    except ValueError:
        with caplog.at_level(logging.ERROR, logger="webapp"):
            app.logger.exception("failed on %s", "/r/x\n" + FORGED)
    (record,) = [r for r in caplog.records if r.name == app.logger.name]
    first, *rest = TextFormatter().format(record).split("\n")
    assert first.isprintable() and "failed on /r/x\\x0a2026" in first
    assert rest and all(line.startswith("    ") and line.isprintable() for line in rest)
    # The exception's own line break stays one, but below the record, indented.
    assert "    ValueError: bad" in rest and f"    {FORGED}" in rest


def test_manage_tokens_are_redacted_in_both_formats(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/r/some-place/b/SECRET-TOKEN-1%0D%0Ax")
        client.get("/api/v1/reservations/SECRET-TOKEN-2")
    records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    for formatter in (TextFormatter(), JsonFormatter()):
        lines = "".join(formatter.format(r) for r in records)
        assert "SECRET-TOKEN" not in lines and "/b/<token>" in lines and "ions/<token>" in lines


@pytest.mark.parametrize(("text", "expected"), [
    ("GET /r/demo/b/U2MIabc_-9 HTTP/1.1", "GET /r/demo/b/<token> HTTP/1.1"),
    ("https://book.example/r/demo/b/U2MI/cancel?x=1", "https://book.example/r/demo/b/<token>/cancel?x=1"),
    ("PATCH /api/v1/reservations/abc%2Fdef HTTP/1.1", "PATCH /api/v1/reservations/<token> HTTP/1.1"),
    ("/api/v1/restaurants/demo/reservations/42", "/api/v1/restaurants/demo/reservations/42"),
    ("/owner/demo/reservations/7", "/owner/demo/reservations/7"),
])
def test_redact_secrets(text, expected):
    assert redact_secrets(text) == expected


def test_escape_control_is_unambiguous_and_leaves_text_alone():
    assert escape_control("Zoë 😀 محمد ") == "Zoë 😀 محمد "
    assert escape_control("a\r\nb\x00\x85\u2028\u202e\\x0a") == \
        "a\\x0d\\x0ab\\x00\\x85\\u2028\\u202e\\\\x0a"
    assert json.loads(json_safe(json.dumps("a\x85\u2028\U000e0041b", ensure_ascii=False))) == \
        "a\x85\u2028\U000e0041b"
