"""The transactional outbox: guest e-mails are rows written in the booking's own
transaction, delivered afterwards.

* ``MailWriter(...)`` is the ``after_write`` callback the booking service runs
  inside its transaction: a rolled-back booking leaves no e-mail behind.
* ``deliver_due(...)`` sends what is due, in batches. A batch is *claimed* by one
  conditional UPDATE that pushes ``next_attempt_at`` into the future (a lease) for
  all its rows, and committed before the SMTP conversation, so two deliverers (the
  post-request thread, ``flask deliver-mail --loop``) never send one row twice at the
  same time and no database lock is held while talking to the mail server. The
  outcomes of the batch are then written in one transaction: a batch costs two
  transactions however many e-mails it holds. A process that dies mid-send leaves
  its rows to be retried when the lease runs out: delivery is at least once.
* A failed attempt records ``last_error`` and waits ``backoff(attempts)``; after
  ``MAIL_MAX_ATTEMPTS`` attempts the row is ``failed`` for a person to look at. A
  message that cannot be built or is refused as malformed (a header with a line
  break: ``ValueError``) will never go out: it is ``failed`` at once, with its error,
  and the rest of the pass goes on.
* A slow server is not a failed one: SMTP waits ``SMTP_TIMEOUT_SECONDS`` for each
  reply (RFC 5321 §4.5.3.2 asks clients to wait minutes for the final OK), and the
  lease outlasts the pass's send budget plus a whole conversation at that pace, so
  no other deliverer sends a row again while its first send is still going on. Each
  e-mail keeps one ``Message-ID`` over all its attempts (``message_id``), so a copy
  sent twice after a lost final OK is recognisably the same e-mail.
* Without ``MAIL_SERVER`` the e-mail is written to the log and counted as sent.
* The manage link is the guest's password: once an e-mail is sent, the link in the
  stored copy is redacted.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import queue as queue_mod
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask_babel import force_locale
from sqlalchemy import Executable, bindparam, insert, select, union_all, update
from sqlalchemy.orm import Session

from ..booking import tail
from ..booking.service import hash_token, new_manage_token
from ..booking.setup import cached_setup, restaurant_setup
from ..i18n import language
from ..models import OutboxEmail, Reservation, Restaurant
from .devmail import keep_clear_copy
from .messages import ACTION_KINDS, REMINDER, compose, html_body, redact_calendar
from .reminders import claimed_reminders_written, plan_reminder

log = logging.getLogger("webapp.mail")

DEFAULT_MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
# Seconds smtplib waits for each reply. The old 10 s cut off a server that took 12 s
# before its final OK: the e-mail had been accepted, was counted as failed, and went out
# again on every retry (three copies).
SMTP_TIMEOUT_SECONDS = 60
# One SMTP conversation: connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the
# message and its final OK, QUIT; each may wait SMTP_TIMEOUT_SECONDS.
SMTP_CONVERSATION_STEPS = 11
# A pass stops starting new sends this long after its claim; the rows it did not get
# to are handed back (a slow mail server, a long batch).
SEND_BUDGET_SECONDS = 120
# How long a claimed row is left alone while it is being sent: longer than the last
# send a pass may start can take, so no other deliverer takes a row still being sent.
LEASE_SECONDS = SEND_BUDGET_SECONDS + SMTP_CONVERSATION_STEPS * SMTP_TIMEOUT_SECONDS + 60
# A guest's manage link, and the one-time account links (/a/verify/…, /a/reset/…,
# /a/invite/…: webapp/booking/operations/links.py): their tokens are redacted once sent.
_MANAGE_LINK = re.compile(r"(/r/[^/\s]+/[bw]/|/a/[a-z]+/)[A-Za-z0-9_\-]+")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failures: 30 s, 1 min, 2 min, ... 6 h."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


# --------------------------------------------------------------------------- writing


@dataclass
class MailWriter:
    """The ``after_write`` callback that queues the guest's e-mail in the booking
    transaction. ``link_for(token)`` turns a manage token into an absolute URL.

    On "created" the writer needs the clear manage token for the e-mail: it takes the
    one :func:`~webapp.booking.service.book` hands over (the ``manage_token`` argument,
    the same as ``BookingResult.manage_token``), or, called without one, issues one
    itself (replacing the hash the service stored, in the same transaction).
    ``manage_token`` then holds the token that works."""

    link_for: Callable[[str], str]
    manage_token: str | None = None
    # Host part of the calendar UID; must stay the same for every e-mail about one
    # reservation (page or API, any request host) so calendars update one event.
    host: str | None = None
    queued_ids: list[int] = field(default_factory=list)
    # False: the owner chose not to e-mail the guest about this write; the reminder is
    # still planned, moved or dropped with the booking.
    tell_guest: bool = True

    def __call__(self, session: Session, reservation: Reservation, action: str, *,
                 manage_token: str | None = None) -> None:
        # In the booking's language, whoever writes (the owner's English dashboard, the
        # API, a guest's page in another language): booking/languages.py.
        if reservation.language == language():
            self._write(session, reservation, action, manage_token)
        else:
            with force_locale(reservation.language):
                self._write(session, reservation, action, manage_token)

    def _write(self, session: Session, reservation: Reservation, action: str,
               manage_token: str | None) -> None:
        restaurant = session.get_one(Restaurant, reservation.restaurant_id)  # already loaded
        rows = []
        reminder = plan_reminder(session, restaurant, reservation, action)
        if reminder is not None:
            rows.append(reminder)
        kind = ACTION_KINDS.get(action)
        if kind is not None and reservation.guest_email and self.tell_guest:
            if action == "created":
                if (manage_token is not None
                        and hash_token(manage_token) == reservation.manage_token_hash):
                    # The service handed us the clear token it stored the hash of (it
                    # exists nowhere else): use it rather than issue another (one UPDATE
                    # less).
                    self.manage_token = manage_token
                else:
                    self.manage_token, token_hash = new_manage_token()
                    reservation.manage_token_hash = token_hash
            elif (self.manage_token is not None
                  and hash_token(self.manage_token) != reservation.manage_token_hash):
                self.manage_token = None  # never mail a link that does not open this booking
            url = self.link_for(self.manage_token) if self.manage_token else None
            rows.append(email_row(session, restaurant, reservation, kind, url,
                                  self.host or calendar_host()))
        if rows:
            # The reminder and the e-mail in one INSERT: a booking's outbox rows cost one
            # statement, not one each; in a new booking on PostgreSQL it goes with the
            # COMMIT (booking/tail.py), and the ids to send arrive after it.
            insert_rows_with_commit(session, rows, self.queued_ids)


def calendar_host() -> str:
    """PUBLIC_BASE_URL's host when configured (and an app is active), else a fixed name."""
    from flask import current_app, has_app_context

    base = current_app.config.get("PUBLIC_BASE_URL", "") if has_app_context() else ""
    return urlsplit(base).hostname or "booking-manager"


_outbox = OutboxEmail.__table__
# Every column an outbox row of ours sets, in the order of the multi-row INSERT's VALUES.
_ROW_COLUMNS = ("reservation_id", "kind", "to_address", "subject", "body_text", "ics", "status",
                "attempts", "next_attempt_at", "last_error", "created_at")


@functools.cache
def _insert_statement(rows: int) -> Executable:
    """The INSERT of ``rows`` outbox rows, RETURNING their ids and kinds; built once per
    number of rows (one or two on a booking), as building a statement costs about as much
    as running it. The parameters of row ``i`` are ``<column>_<i>``; the rows are written
    (and numbered) in that order."""
    if rows == 1:
        statement = insert(_outbox)
    else:
        # INSERT ... SELECT ... UNION ALL SELECT ...: SQLAlchemy caches its compiled form
        # (a multi-row VALUES is compiled again at every execution).
        statement = insert(_outbox).from_select(_ROW_COLUMNS, union_all(*(
            select(*(bindparam(f"{name}_{i}", type_=_outbox.c[name].type)
                     for name in _ROW_COLUMNS))
            for i in range(rows))))
    return statement.returning(_outbox.c.id, _outbox.c.kind)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT ``rows`` (each with every column of ``_ROW_COLUMNS``) in one statement, in the
    caller's transaction (not committed); the ids of the rows that are e-mails to send
    after the commit (a planned reminder waits for its time instead). Plain Core: an ORM
    object would cost a unit-of-work flush on every booking."""
    params = rows[0] if len(rows) == 1 else {
        f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in _ROW_COLUMNS}
    return _to_send(session.connection().execute(_insert_statement(len(rows)), params))


def _to_send(inserted: Iterable[Sequence[Any]]) -> list[int]:
    """The ids among the inserted (id, kind) rows that are e-mails to send after the
    commit (a planned reminder waits for its time instead)."""
    return [row_id for row_id, kind in inserted if kind != REMINDER]


def insert_rows_with_commit(session: Session, rows: list[dict[str, Any]],
                            queued_ids: list[int]) -> None:
    """As :func:`insert_rows`, kept for the commit of the write transaction under way where
    there is one on PostgreSQL (booking/tail.py): ``queued_ids`` gets the ids of the
    e-mails to send once it committed (at once where the INSERT runs at once)."""
    def queue_sent(returned: list[tuple[Any, ...]]) -> None:
        queued_ids.extend(_to_send(returned))

    ordered = [{name: row[name] for name in _ROW_COLUMNS} for row in rows]
    if not tail.defer_insert(session, _outbox.name, ordered, returning=("id", "kind"),
                             on_rows=queue_sent):
        queued_ids.extend(insert_rows(session, rows))


def email_row(session: Session, restaurant: Restaurant, reservation: Reservation, kind: str,
              manage_url: str | None, host: str = "booking-manager") -> dict[str, Any]:
    """The outbox row of the ``kind`` e-mail about ``reservation``, for :func:`insert_rows`."""
    # The service date needs the schedule: the copy the booking itself just used (no
    # query on the booking's hot path), else the set-up cache's checked lookup.
    setup = cached_setup(restaurant) or restaurant_setup(session, restaurant)
    message = compose(restaurant, reservation, kind, manage_url, host, setup.schedule)
    now = utcnow()
    return {"reservation_id": reservation.id, "kind": kind, "to_address": message.to_address,
            "subject": message.subject, "body_text": message.body_text, "ics": message.ics,
            "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": "",
            "created_at": now}


def queue(session: Session, restaurant: Restaurant, reservation: Reservation, kind: str,
          manage_url: str | None, host: str = "booking-manager") -> int:
    """Add one e-mail to the outbox in the caller's transaction (not committed); its id."""
    return insert_rows(session, [email_row(session, restaurant, reservation, kind, manage_url,
                                           host)])[0]


def queue_account_mail(session: Session, kind: str, to_address: str, subject: str,
                       body_text: str) -> int:
    """Add an e-mail about an account (address verification, password reset, staff
    invitation) to the outbox in the caller's transaction; its id. Its link's token is
    redacted from the stored copy once sent, as a guest's manage link is."""
    # Through the session, not its connection: counted as a write of the transaction
    # (database.writes_in_transaction), as these are not made inside a booking's write.
    now = utcnow()
    return session.execute(_insert_statement(1), {
        "reservation_id": None, "kind": kind, "to_address": to_address, "subject": subject,
        "body_text": body_text, "ics": None, "status": "pending", "attempts": 0,
        "next_attempt_at": now, "last_error": "", "created_at": now,
    }).one().id


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class MailSettings:
    server: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    use_tls: bool = True
    use_ssl: bool = False
    sender: str = "bookings@localhost"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    # Only in development does the log get the clear manage link (see _log_unsent).
    development: bool = False
    # Where the development mailbox keeps clear copies ("" in production: none).
    dev_mailbox: str = ""
    # The log's format (LOG_FORMAT): an unsent e-mail is one record in JSON, a line per
    # line of its text in the text format (see _log_unsent).
    log_format: str = "text"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(server=config.get("MAIL_SERVER", ""), port=int(config.get("MAIL_PORT", 587)),
                   username=config.get("MAIL_USERNAME", ""),
                   password=config.get("MAIL_PASSWORD", ""),
                   use_tls=bool(config.get("MAIL_USE_TLS", True)),
                   use_ssl=bool(config.get("MAIL_USE_SSL", False)),
                   sender=config.get("MAIL_DEFAULT_SENDER", "bookings@localhost"),
                   max_attempts=int(config.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
                   development=config.get("ENVIRONMENT") == "development",
                   dev_mailbox=("" if config.get("ENVIRONMENT") == "production"
                                else str(config.get("DEV_MAILBOX_DIR") or "")),
                   log_format=str(config.get("LOG_FORMAT", "text")))


def build_message(row: OutboxEmail | Claimed, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = message_id(row, sender.rpartition("@")[2] or "localhost")
    message.set_content(row.body_text)
    message.add_alternative(html_body(row.body_text), subtype="html")
    if row.ics:
        method = "CANCEL" if row.kind == "cancellation" else "PUBLISH"
        # UTF-8 said in its Content-Type: a calendar app would read "für" (or the address's
        # "ß") as ASCII otherwise.
        message.add_attachment(row.ics.encode(), maintype="text", subtype="calendar",
                               filename="booking.ics",
                               params={"method": method, "charset": "utf-8"})
    return message


def message_id(row: OutboxEmail | Claimed, domain: str) -> str:
    """The same on every attempt at one outbox row (a new one per attempt made a copy
    sent again after a lost final OK look like another e-mail), and unique: the row's
    id with a digest of what it says, so rows of a reset database differ."""
    text = getattr(row, "stored_text", None) or row.body_text
    digest = hashlib.sha256(f"{row.id}\n{row.to_address}\n{row.subject}\n{text}"
                            .encode()).hexdigest()[:20]
    return f"<booking-{row.id}.{digest}@{domain}>"


def send_smtp(message: EmailMessage, settings: MailSettings) -> None:
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.server, settings.port,
                                                timeout=SMTP_TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        if settings.use_tls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(message)


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, read into memory so no transaction stays open while sending."""

    id: int
    kind: str
    to_address: str
    subject: str
    body_text: str
    ics: str | None
    attempts: int
    reservation_id: int | None = None
    # The text as stored, when the e-mail was written at send time (a reminder): its
    # Message-ID stays the same over attempts although each carries a new token.
    stored_text: str | None = None


_CLAIMED_COLUMNS = (OutboxEmail.id, OutboxEmail.kind, OutboxEmail.to_address, OutboxEmail.subject,
                    OutboxEmail.body_text, OutboxEmail.ics, OutboxEmail.attempts,
                    OutboxEmail.reservation_id)


def _claim(session: Session, now: dt.datetime, lease_until: dt.datetime, *,
           ids: list[int] | None, limit: int, base_url: str = "") -> list[Claimed]:
    """Take up to ``limit`` due rows (only among ``ids`` when given) for this deliverer:
    one conditional UPDATE returning what is to be sent, committed at once, before
    talking to the mail server.

    The rows are picked by a sub-select: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` passes
    over rows another deliverer is claiming this instant instead of queueing behind its
    lock (so two claims never wait for or deadlock on each other); SQLite has no row
    locks and runs one writer at a time, and SQLAlchemy leaves the clause out there.
    The outer conditions repeat the due test on the row as it is when updated."""
    due = (OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
    chosen = select(OutboxEmail.id).where(*due)
    if ids is not None:
        chosen = chosen.where(OutboxEmail.id.in_(ids))
    chosen = (chosen.order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
              .with_for_update(skip_locked=True))
    rows = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(chosen), *due)
        .values(next_attempt_at=lease_until, attempts=OutboxEmail.attempts + 1)
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    ).all()
    claimed = sorted((Claimed(*row) for row in rows), key=lambda row: row.id)
    # Reminders are written now, in the claim's transaction: their token's hash is
    # committed before the e-mail leaves (reminders.py).
    claimed = claimed_reminders_written(session, claimed, base_url)
    session.commit()
    return claimed


def _redact(text: str) -> str:
    return _MANAGE_LINK.sub(r"\1[redacted]", text)


def redact_manage_links(text: str) -> str:
    """``text`` with every manage link's token replaced by "[redacted]", as the outbox
    stores a sent e-mail."""
    return _redact(text)


@dataclass
class _Outcomes:
    """What one pass did with the rows it claimed, written back in one transaction."""

    lease_until: dt.datetime
    sent: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # retry later, or failed for good
    released: list[int] = field(default_factory=list)  # claimed but not tried in this pass


_by_id = _outbox.c.id == bindparam("row_id")
# Core UPDATEs run with a list of parameter sets: one executemany each, however many rows.
_MARK_SENT = (update(_outbox).where(_by_id)
              .values(status="sent", last_error="", sent_at=bindparam("sent_time"),
                      body_text=bindparam("redacted_body"), ics=bindparam("redacted_ics")))
_MARK_FAILED_ATTEMPT = (update(_outbox).where(_by_id)
                        .values(status=bindparam("new_status"), last_error=bindparam("error"),
                                next_attempt_at=bindparam("retry_at")))


def _record(session: Session, outcomes: _Outcomes, now: dt.datetime) -> None:
    """Write the outcomes of a pass in one short transaction (a write from the start)."""
    if outcomes.sent:
        session.execute(_MARK_SENT, outcomes.sent)
    if outcomes.failures:
        session.execute(_MARK_FAILED_ATTEMPT, outcomes.failures)
    if outcomes.released:
        # Due again at once, the attempt not counted. Only while the lease is still this
        # pass's: a row whose lease ran out may belong to another deliverer by now.
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(outcomes.released), OutboxEmail.status == "pending",
                   OutboxEmail.next_attempt_at == outcomes.lease_until)
            .values(next_attempt_at=now, attempts=OutboxEmail.attempts - 1)
            .execution_options(synchronize_session=False))
    if outcomes.sent or outcomes.failures or outcomes.released:
        session.commit()


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def deliver_due(session: Session, config: Mapping[str, Any], *, now: dt.datetime | None = None,
                ids: Iterable[int] | None = None, limit: int = 50,
                send: Callable[[EmailMessage, MailSettings], None] = send_smtp) -> DeliveryReport:
    """One delivery pass over up to ``limit`` due e-mails, oldest first (or over ``ids``
    that are due, in batches of ``limit``: the claim checks that, so they are not read
    first).

    Each batch costs two short transactions however many e-mails it holds: one UPDATE
    claims them all, and after sending one transaction records every outcome."""
    settings = MailSettings.from_config(config)
    now = now or utcnow()
    limit = max(limit, 1)
    report = DeliveryReport()
    if ids is None:
        batches: list[list[int] | None] = [None]
    else:
        wanted = sorted(set(ids))
        batches = [wanted[start:start + limit] for start in range(0, len(wanted), limit)]
    for batch in batches:
        outcomes = _Outcomes(lease_until=now + dt.timedelta(seconds=LEASE_SECONDS))
        claimed = _claim(session, now, outcomes.lease_until, ids=batch, limit=limit,
                         base_url=str(config.get("PUBLIC_BASE_URL") or ""))
        if not claimed:
            continue
        try:
            _send_claimed(claimed, settings, send, outcomes, report)
        finally:
            _record(session, outcomes, now)
    return report


def _send_claimed(claimed: list[Claimed], settings: MailSettings,
                  send: Callable[[EmailMessage, MailSettings], None],
                  outcomes: _Outcomes, report: DeliveryReport) -> None:
    started = time.monotonic()
    tried = 0
    try:
        for row in claimed:
            if time.monotonic() - started > SEND_BUDGET_SECONDS:
                log.warning("e-mail pass out of time after %s of %s e-mails; the rest is due again",
                            tried, len(claimed))
                break
            tried += 1
            _send_one(row, settings, send, outcomes, report)
    finally:
        # Also when something unexpected escapes a send: the rows before it are
        # recorded (not sent again), the one that raised keeps its lease (retried when
        # it ends, as after a crash), the ones after it are handed back.
        outcomes.released.extend(row.id for row in claimed[tried:])


def _give_up(row: Claimed, error: str, outcomes: _Outcomes, report: DeliveryReport) -> None:
    """Mark ``row`` failed for good, for a person to look at."""
    error = error[:2000]
    outcomes.failures.append({"row_id": row.id, "new_status": "failed", "error": error,
                              "retry_at": outcomes.lease_until})
    report.failed += 1
    log.error("e-mail %s failed for good after %s attempts: %s", row.id, row.attempts, error)


def _log_unsent(row: Claimed, settings: MailSettings) -> None:
    """Without a mail server the e-mail goes to the log at INFO: in the JSON format as one
    record with its text in the ``body`` field (JSON keeps the line breaks, and e-mails
    that two workers log at once cannot interleave), in the text format a line per line
    of its text (that format escapes line breaks). The body holds the guest's private
    manage link: in clear only in development, redacted wherever logs are kept
    (production, tests); the clear text stays at DEBUG."""
    text = row.body_text if settings.development else _redact(row.body_text)
    one_record = settings.log_format == "json"
    log.info("e-mail not sent (MAIL_SERVER is not set): to=%s subject=%s",
             row.to_address, row.subject,
             extra={"email_id": row.id, "body": text} if one_record else None)
    if not one_record:
        for line in text.rstrip("\n").split("\n"):
            log.info("e-mail %s | %s", row.id, line)
    if not settings.development:
        log.debug("e-mail body:\n%s", row.body_text)


def _send_one(row: Claimed, settings: MailSettings,
              send: Callable[[EmailMessage, MailSettings], None],
              outcomes: _Outcomes, report: DeliveryReport) -> None:
    try:
        if settings.server:
            try:
                message = build_message(row, settings.sender)
            except Exception as error:  # whatever it is, no retry can help
                _give_up(row, f"cannot build the message: {type(error).__name__}: {error}",
                         outcomes, report)
                return
            send(message, settings)
        else:
            _log_unsent(row, settings)
    except ValueError as error:  # refused as malformed (smtplib, email): never sendable
        _give_up(row, f"malformed message: {type(error).__name__}: {error}", outcomes, report)
    except (OSError, smtplib.SMTPException) as error:
        last_error = f"{type(error).__name__}: {error}"[:2000]
        if row.attempts >= settings.max_attempts:
            _give_up(row, last_error, outcomes, report)
        else:
            retry_at = utcnow() + backoff(row.attempts)
            outcomes.failures.append({"row_id": row.id, "new_status": "pending",
                                      "error": last_error, "retry_at": retry_at})
            report.retrying += 1
            log.warning("e-mail %s attempt %s failed, retry at %s: %s", row.id,
                        row.attempts, retry_at.isoformat(), last_error)
    else:
        keep_clear_copy(settings.dev_mailbox, row.id, row.body_text)
        outcomes.sent.append({"row_id": row.id, "sent_time": utcnow(),
                              "redacted_body": _redact(row.body_text),
                              "redacted_ics": redact_calendar(row.ics, _redact) if row.ics else row.ics})
        report.sent += 1


# --------------------------------------------------------------------------- after the request


# After the first job the worker waits this long before its pass, so the e-mails of the
# requests that follow share it: a pass costs two transactions however many e-mails it
# carries. With gunicorn's workers each taking a share of the traffic, a worker at 60
# bookings/s gathers ~1 e-mail in 20 ms but ~15 in 250 ms (bench/: the delivery thread's
# share of a worker's CPU fell from ~15 % to ~X %). Guests do not notice a quarter of a
# second on an e-mail.
GATHER_SECONDS = 0.25


class _DeliveryWorker:
    """One long-lived daemon thread per process that sends what requests just committed
    (a thread per request would cost a thread start each). Requests hand it ids through
    a queue; whatever is queued a moment after it wakes up goes out in one pass per app."""

    def __init__(self) -> None:
        self.jobs: queue_mod.Queue[tuple[Any, list[int]]] = queue_mod.Queue()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="mail-delivery", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            jobs = [self.jobs.get()]
            if GATHER_SECONDS > 0:
                # Under load the requests that follow in the next moment join this pass:
                # a pass costs two transactions however many e-mails it carries.
                time.sleep(GATHER_SECONDS)
            while True:
                try:
                    jobs.append(self.jobs.get_nowait())
                except queue_mod.Empty:
                    break
            try:
                by_app: dict[int, tuple[Any, list[int]]] = {}
                for app, ids in jobs:
                    by_app.setdefault(id(app), (app, []))[1].extend(ids)
                for app, ids in by_app.values():
                    _deliver_in_background(app, ids)
            finally:
                for _ in jobs:
                    self.jobs.task_done()

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.jobs.all_tasks_done:
            while self.jobs.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.jobs.all_tasks_done.wait(left)


def _deliver_in_background(app: Any, ids: list[int]) -> None:
    from ..extensions import db

    with app.app_context():
        try:
            deliver_due(db.session(), app.config, ids=ids)
        except Exception:  # never let a mail problem surface anywhere but the log
            log.exception("background e-mail delivery failed")
        finally:
            db.session.remove()


_worker: _DeliveryWorker | None = None
_worker_lock = threading.Lock()


def _delivery_worker() -> _DeliveryWorker:
    """This process's worker, started on first use (after gunicorn's fork: threads do
    not survive a fork, so a worker inherited from the master is replaced)."""
    global _worker
    with _worker_lock:
        if _worker is None or _worker.pid != os.getpid():
            _worker = _DeliveryWorker()
        return _worker


def deliver_soon(app: Any, ids: list[int]) -> bool:
    """Send the e-mails a request just committed from the background delivery thread, so
    the guest's page does not wait for the mail server. Anything not delivered there
    (server down, process stopped) stays due for ``flask deliver-mail``. True when
    handed over."""
    # Off by default under TESTING: a thread writing after the test has moved on would
    # race the next test's clean-up. The tests of this path switch it on.
    if not ids or not app.config.get("MAIL_SEND_AFTER_COMMIT", not app.config.get("TESTING")):
        return False
    _delivery_worker().jobs.put((app, list(ids)))
    return True


def wait_for_background(timeout: float = 10) -> None:
    """Wait until the e-mails handed to the background thread so far are dealt with
    (tests and graceful shutdown)."""
    worker = _worker
    if worker is not None and worker.pid == os.getpid():
        worker.wait(timeout)
