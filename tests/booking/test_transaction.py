"""The write transaction's bookkeeping and the after_write contract, on both backends.

* What a transaction wrote is counted (``database.writes_in_transaction``): ORM
  flushes and DML. The booking service goes on in the caller's transaction only when
  it has written nothing, so that a refused booking's rollback can never take the
  caller's writes with it. Core writes on a session's connection are not counted (that
  would cost every statement SQLAlchemy's event path); the rule that makes it safe,
  asserted here over the whole of webapp/: they are made only where a write
  transaction or a flush is under way.
* ``after_write`` gets the guest's clear manage token on "created" (the one in the
  result), None otherwise; nothing is left on the ORM object.
"""

import ast
from pathlib import Path

from sqlalchemy import select, update

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.database import writes_in_transaction
from webapp.models import Reservation, Restaurant
from webapp.notifications.outbox import MailWriter

GUEST = service.GuestDetails("Ada Lovelace", "ada@example.com")
WEBAPP = Path(__file__).resolve().parents[2] / "webapp"

# Every function that sends a statement with ``session.connection().execute/scalar``,
# and why that is safe: it only reads, or it runs inside the booking service's write
# transaction (which began after checking what the caller had written), or inside a
# flush (which is counted). A new one must be added here, with its reason.
CORE_ON_SESSION_CONNECTION = {
    ("booking/service.py", "_tables_are_free"): "a SELECT",
    ("booking/service.py", "_claim_tables"): "a SELECT (the paced re-check)",
    ("booking/service.py", "tables_of"): "a SELECT",
    ("booking/service.py", "_delete_hold"): "inside write_transaction (book's attempt: the "
                                            "hold it converts)",
    ("booking/service.py", "_insert_parts"): "inside write_transaction (book's attempt, "
                                             "change's _apply_change)",
    ("booking/service.py", "_guest_check_and_busy_tables"): "a SELECT",
    ("booking/service.py", "_insert_reservation"): "inside write_transaction (book's attempt)",
    ("booking/service.py", "_record_history"): "inside write_transaction",
    ("notifications/outbox.py", "insert_rows"): "called by MailWriter, the after_write "
                                                "callback, inside write_transaction",
    ("notifications/reminders.py", "plan_reminder"): "called by MailWriter, inside "
                                                     "write_transaction",
    ("booking/pacing.py", "covers"): "a SELECT",
    ("booking/slugs.py", "_record_slug_changes"): "a before_flush hook: inside a flush",
}


def _rename(restaurant_id: int, name: str):
    return update(Restaurant).where(Restaurant.id == restaurant_id).values(name=name)


def test_every_orm_write_of_the_transaction_is_counted(session):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    restaurant_id = restaurant.id
    session.commit()
    session.execute(select(Restaurant.name))
    assert writes_in_transaction(session) == 0, "reads are not writes"
    session.execute(_rename(restaurant_id, "ORM"))
    assert writes_in_transaction(session) == 1
    session.get(Restaurant, restaurant_id).name = "Flushed"
    session.flush()
    assert writes_in_transaction(session) == 2
    session.commit()
    assert writes_in_transaction(session) == 0, "a new transaction starts from nothing"


def _core_calls_on_session_connection(tree: ast.AST):
    """(enclosing function, line) of every ``<x>.connection(...).<execute|scalar|...>(...)``."""
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"execute", "scalar", "scalars", "exec_driver_sql"}
                    and isinstance(node.func.value, ast.Call)
                    and isinstance(node.func.value.func, ast.Attribute)
                    and node.func.value.func.attr == "connection"):
                yield function.name, node.lineno


def test_core_statements_on_a_session_connection_only_where_a_write_is_under_way():
    """The rule that makes counting Core writes unnecessary (see database.py)."""
    found = set()
    for path in sorted(WEBAPP.rglob("*.py")):
        relative = path.relative_to(WEBAPP).as_posix()
        for function, line in _core_calls_on_session_connection(ast.parse(path.read_text())):
            if relative == "booking/locks.py":
                continue  # driver SQL: SET LOCAL and the advisory-lock SELECTs
            found.add((relative, function))
            assert (relative, function) in CORE_ON_SESSION_CONNECTION, (
                f"webapp/{relative}:{line} ({function}) sends a Core statement on a session's "
                "connection: Core writes are not counted by database.writes_in_transaction; "
                "write through the ORM, or make sure it runs only inside a write transaction "
                "or a flush and add it to CORE_ON_SESSION_CONNECTION with the reason")
    assert found == set(CORE_ON_SESSION_CONNECTION), "the list names what is still there"


def test_after_write_gets_the_manage_token_on_created_only(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    day = future_day()
    calls: list[tuple[str, str | None]] = []

    def after_write(session_, reservation, action, *, manage_token):
        calls.append((action, manage_token))

    booked = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=GUEST, after_write=after_write)
    reservation = booked.reservation
    assert calls == [("created", booked.manage_token)]
    assert not hasattr(reservation, "issued_manage_token"), "nothing stuck on the ORM object"
    service.change(session, restaurant, reservation.id, starts_at=local(restaurant, day, 20),
                   actor="owner", after_write=after_write)
    service.set_status(session, restaurant, reservation.id, "seated", after_write=after_write)
    assert calls[1:] == [("changed", None), ("seated", None)]


def test_the_mail_writer_uses_the_token_of_the_result(session):
    """The e-mail's link is the result's token: the writer issues no second one."""
    restaurant = make_restaurant(session, tables=[("A", 2)])
    mail = MailWriter(link_for=lambda token: f"https://x.test/b/{token}")
    booked = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                          party_size=2, guest=GUEST, after_write=mail)
    assert mail.manage_token == booked.manage_token
    session.expire_all()
    found = service.find_by_token(session, booked.manage_token)
    assert found is not None and found.id == booked.reservation.id
    assert session.scalars(select(Reservation)).one().id == found.id
