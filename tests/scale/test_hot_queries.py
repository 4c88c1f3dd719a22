"""Every statement of the hot paths, as PostgreSQL would run it: an index bounds it, and
it names its restaurant or table, so it stays cheap with years of history and many
restaurants and would stay on one shard if the install were split by restaurant
(docs/operations.md, "Beyond one database").

The statements are captured from real requests (a guest's page and free times, the
API's availability, a booking, the owner's day view and its live grid), then each is
EXPLAINed with sequential scans disabled: a plan that still scans a big table
sequentially has no index to use, whatever the table's size.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, text

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.extensions import db

pytestmark = pytest.mark.postgres_only

# Tables that grow with history: never read without an index.
BIG_TABLES = {"reservations", "reservation_events", "outbox_emails", "idempotency_keys"}
# Tables split by restaurant: each statement on them names a restaurant or a table (the
# shard key, or a key that leads to it in the same statement).
SHARDED = {"restaurants", "dining_tables", "opening_hours", "special_days",
           "special_day_services", "reservations", "reservation_events", "api_tokens",
           "memberships", "previous_slugs", "holds", "table_combinations",
           "combination_tables"}
SHARD_KEYS = re.compile(r"\b(restaurant_id|table_id|restaurants\.id|restaurants\.slug|"
                        r"dining_tables\.id|reservations\.id|special_day_id|reservation_id)\b")
# Not split by restaurant (people, logins, the outbox's delivery claim, bookkeeping):
# reference or per-node tables, listed in docs/operations.md.
UNSHARDED = {"users", "login_sessions", "alembic_version", "account_links", "outbox_emails",
             "idempotency_keys"}
# Set-returning functions that appear after FROM/JOIN.
FUNCTIONS = {"unnest", "generate_series", "json_each", "jsonb_each"}
TABLE_NAME = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?([a-z_]+)\"?", re.IGNORECASE)


def _explainable(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE",
                                                  "WITH"))


def _seq_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(plan.get("Relation Name", "?"))
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


@pytest.fixture
def captured(app):
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def test_hot_paths_use_indexes_and_name_their_restaurant(app, client, session, captured):
    restaurant = make_restaurant(session, slug="hot", tables=[(f"T{n}", 4) for n in range(1, 9)])
    other = make_restaurant(session, slug="cold", tables=[("C1", 4)])
    make_owner(session, restaurant, "hot-owner@example.com")
    day = future_day(9)
    for hour in (12, 18, 20):
        for place in (restaurant, other):
            service.book(session, place, starts_at=local(place, day, hour), party_size=2,
                         guest=GuestDetails(f"Guest {hour}", f"g{hour}{place.slug}@example.com"),
                         source="online")
    client.login("hot-owner@example.com", DEFAULT_PASSWORD)
    captured.clear()

    paths = [
        ("GET", f"/r/hot?date={day.isoformat()}&party_size=2", None),
        ("GET", f"/api/v1/restaurants/hot/availability?date={day.isoformat()}&party_size=2", None),
        ("POST", "/api/v1/restaurants/hot/reservations",
         {"date": day.isoformat(), "time": "19:00", "party_size": 2, "name": "Hot Guest",
          "email": "hot@example.com", "phone": "+49 30 9999999"}),
        ("GET", f"/owner/hot/day/{day.isoformat()}", None),
        ("GET", f"/owner/hot/day/{day.isoformat()}/grid", None),
    ]
    for method, path, body in paths:
        response = client.open(path, method=method, json=body)
        assert response.status_code in (200, 201), (path, response.status_code)

    problems: list[str] = []
    seen_tables: set[str] = set()
    with db.engine.connect() as conn:
        for statement, parameters in captured:
            if not _explainable(statement):
                continue
            tables = {name.lower() for name in TABLE_NAME.findall(statement)} - FUNCTIONS
            seen_tables |= tables
            if tables & SHARDED and not SHARD_KEYS.search(statement):
                problems.append(f"names no restaurant or table: {statement[:200]}")
            with conn.begin():
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                            parameters).scalar_one()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            for relation in _seq_scans(plan[0]["Plan"]):
                if relation in BIG_TABLES:
                    problems.append(f"sequential scan of {relation}: {statement[:200]}")
    assert not problems, "\n".join(problems)
    # The capture saw the paths' real work (a vacuous pass would prove nothing).
    assert {"reservations", "dining_tables", "restaurants"} <= seen_tables, seen_tables
    assert not (seen_tables - SHARDED - UNSHARDED), seen_tables - SHARDED - UNSHARDED


def test_the_check_sees_a_query_no_index_serves(app, session):
    """The EXPLAIN check above can fail: a filter on a column without an index still
    plans a sequential scan of reservations with sequential scans disabled."""
    make_restaurant(session, slug="plain")
    with db.engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = conn.execute(text("EXPLAIN (FORMAT JSON) SELECT id FROM reservations "
                                 "WHERE guest_name = 'Ada'")).scalar_one()
    assert "reservations" in _seq_scans(plan[0]["Plan"])
    assert not SHARD_KEYS.search("SELECT id FROM reservations WHERE guest_name = 'Ada'")
