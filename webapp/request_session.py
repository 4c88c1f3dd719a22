"""The request's database session, where the request machinery (not a view) must end its
transaction: the API's before-request hook, the token check and the Idempotency-Key
store. Views never do this (the booking service and the owner operations own the write
transaction, ``webapp/writes.py``); these are the places that sit around every view.

Ending the transaction is a rollback: whatever it holds then is a read, and what it
wrote was committed by the service or operation that wrote it.
"""

from __future__ import annotations

from .extensions import db


def start_fresh() -> None:
    """Start a request on a fresh transaction. A session left open by whatever ran before
    in this app context (the test client shares one) would read an old SQLite snapshot
    and could not write."""
    db.session.rollback()


def release_for_own_connection() -> None:
    """End the request's transaction before writing on a connection of one's own (the
    token's last use, an Idempotency-Key's claim and record). Left open, it would hold,
    on SQLite, the write lock of a request that means to write
    (``database.WRITE_INTENT``), which the other connection would wait for in vain, or a
    snapshot older than that write, which a later write of the request could not
    upgrade from."""
    db.session.rollback()
