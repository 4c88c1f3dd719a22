"""What every write needs besides its input: who acts, the lock policy, how the guest
is told, what runs after the commit, and the clock.

The web side builds one :class:`WriteContext` per request (``webapp/writes.py``);
tests and the CLI build their own. Each write of the operations runs the service
with :meth:`WriteContext.after_write`, which

* keeps a deactivated table empty: a moved or changed reservation's table is read under
  a ``FOR KEY SHARE`` row lock once the reservation is written, and the write refused
  when that table is no longer active (see :func:`refuse_inactive_table`; a new booking's
  INSERT reads its table under the same lock itself, ``service._insert_on_bookable_table``);
* queues the guest's e-mail in the same transaction, unless the action opted out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from ...models import DiningTable, Reservation
from ..errors import SlotTaken, TableInactive
from ..service import DEFAULT_POLICY, WritePolicy
from ..webhooks import queue_events as queue_webhook_events

# Actions after which a table may be free for a guest on the waitlist (booking/waitlist.py
# keeps its own copy; this one saves importing it on every write).
FREEING_ACTIONS = frozenset({"cancelled", "no_show", "changed"})

__all__ = ["AnySession", "Notifier", "TableInactive", "Write", "WriteContext", "real_session",
           "refuse_inactive_table"]


class Notifier(Protocol):
    """An ``after_write`` that queues the guest's e-mail (``MailWriter`` is one)."""

    queued_ids: list[int]
    manage_token: str | None
    # False: no e-mail about this write (the reminder still follows the booking).
    tell_guest: bool

    def __call__(self, session: Session, reservation: Reservation, action: str, *,
                 manage_token: str | None = None) -> None: ...


# What the operations accept: a session, or Flask-SQLAlchemy's scoped one.
AnySession = Session | scoped_session[Session]


def real_session(session: AnySession) -> Session:
    """The session itself (the booking service wants the real one, not the proxy)."""
    return session() if isinstance(session, scoped_session) else session


# Actions that put (or keep) a stay on a table; status moves never make a stay active.
# A new booking ("created") is not among them: its INSERT takes its rows from the table's
# row, read under the same FOR KEY SHARE lock and only while the table is active
# (``service._insert_on_bookable_table``), so a booking costs no statement for this.
_PLACING_ACTIONS = frozenset({"changed", "reinstated"})


def refuse_inactive_table(session: Session, reservation: Reservation, action: str, *,
                          any_table: bool) -> None:
    """Inside the write, after the UPDATE of a moved or changed reservation: refuse when
    the reservation's table is inactive.

    The read takes ``FOR KEY SHARE`` on the table's row, which conflicts only with the
    ``FOR UPDATE`` a deactivation takes (``operations.deactivation``) before it reads the
    table's bookings. Either this write holds the row first, and the deactivation waits
    for its commit and then sees (and moves, cancels or refuses over) this booking; or the
    deactivation holds it first, and this read waits for its commit and sees the table
    inactive. No order leaves an active booking on an inactive table. (SQLite runs one
    writer at a time; the clause is left out there.)

    ``any_table``: the service chose the table (auto-assignment), so a refusal is
    :class:`SlotTaken` and the service tries its next candidate; else the owner asked
    for this table and hears why it cannot have it."""
    if action not in _PLACING_ACTIONS or not reservation.active:
        return
    row = session.execute(
        select(DiningTable.active, DiningTable.name)
        .where(DiningTable.id == reservation.table_id)
        .with_for_update(read=True, key_share=True)).first()
    if row is not None and not row.active:
        raise SlotTaken() if any_table else TableInactive(row.name)


@dataclass(frozen=True)
class WriteContext:
    actor: str
    policy: WritePolicy = DEFAULT_POLICY
    # A fresh notifier per write (None: nobody is e-mailed, e.g. the CLI's demo data).
    notifier: Callable[[], Notifier] | None = None
    # Given the outbox ids a committed write queued (the web side hands them to the
    # delivery thread).
    after_commit: Callable[[list[int]], object] = field(default=lambda ids: None)
    now: dt.datetime | None = None

    def start(self, *, notify: bool, any_table: bool = True) -> Write:
        notifier = self.notifier() if self.notifier else None
        if notifier is not None and not notify:
            notifier.tell_guest = False  # the reminder is still moved or dropped
        return Write(self, notifier, any_table)


@dataclass
class Write:
    """One write under way: the service's ``after_write`` and what to do after commit."""

    context: WriteContext
    notifier: Notifier | None
    any_table: bool = True
    # The restaurants a write may have freed a table of (a cancellation, a change, a
    # no-show), and its session: the waitlist is offered it once the write committed.
    freed: set[int] = field(default_factory=set)
    session: Session | None = None

    def after_write(self, session: Session, reservation: Reservation, action: str, *,
                    manage_token: str | None = None) -> None:
        refuse_inactive_table(session, reservation, action, any_table=self.any_table)
        if self.notifier is not None:
            self.notifier(session, reservation, action, manage_token=manage_token)
        # The restaurant's webhooks, in the same transaction (no statement without any).
        queue_webhook_events(session, reservation, action)
        if action in FREEING_ACTIONS:
            self.freed.add(reservation.restaurant_id)
            self.session = session

    def committed(self) -> list[int]:
        """Hand the e-mails this write queued to ``after_commit``; their outbox ids."""
        ids = list(self.notifier.queued_ids) if self.notifier is not None else []
        if self.freed and self.session is not None:
            # The one place after the commit that owner and guest writes, pages and API
            # share: a freed table goes to the waitlist (one indexed query when empty).
            from ..waitlist import offer_after_write

            offers = offer_after_write(self.session, self.freed)
            self.freed = set()
            if offers:
                self.context.after_commit(offers)
        if ids:
            self.context.after_commit(ids)
        return ids

    @property
    def policy(self) -> WritePolicy:
        return self.context.policy

    @property
    def manage_token(self) -> str | None:
        return self.notifier.manage_token if self.notifier is not None else None
