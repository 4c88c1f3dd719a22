"""Switching the benchmark restaurant's capacity rules on and off (issue 19): pacing,
table combinations and live holds, straight in SQL; shared by the load phases
(bench/run.py) and the in-process profile (bench/profile.py). No locust import here:
the profile must not load gevent's monkey-patching."""

from __future__ import annotations

import datetime as dt
import subprocess

from .stack import pg_bin


def pg_scalar(libpq_url: str, sql: str) -> str:
    out = subprocess.run([pg_bin("psql"), libpq_url, "-qAtc", sql], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


# A kitchen's pace for the paced phase: more covers per 15 minutes than the load sends
# to a slot (parties of 2, 4 and 6, twice: 24), so no booking is refused, but every one
# takes its slot's pace key and re-counts the slot under it (booking/pacing.py); the
# three parties a slot gets at once queue on that key. No service-wide cap
# (max_covers): its one key per service serializes every booking of a service, by
# design, and this load books one day at a time.
BENCH_PACE = 40


# The capacity phase (issue 19): pacing as above, every two neighbouring tables joinable
# for 7 or 8 when they seat 8 (T03+T04, T05+T06, ...), one party of 6 in two sent as a
# party of 8 (so a sixth of the bookings sits at joined tables: a part row each), and a
# live hold on one six-seater at every booked time of every day of the phase (the busy
# read skips it, every re-check's UNION reads the holds; expiring in an hour, so none
# lapses during the run).
CAPACITY_HOURS = (10, 12, 14, 16, 18, 20)


def _eights(number: int, party: int) -> int:
    return 8 if party == 6 and number % 2 else party


def capacity_on(libpq_url: str, restaurant_id: int, first_day: dt.date, days: int) -> None:
    """Pacing, combinations and a live hold at every booked time of ``days`` days from
    ``first_day`` (see above); ``capacity_off`` takes them off."""
    rid = int(restaurant_id)
    pg_scalar(libpq_url, PACE_SQL.format(rid=rid, pace=BENCH_PACE))
    pg_scalar(libpq_url, f"""
        WITH t AS (SELECT id, seats, row_number() OVER (ORDER BY position, id) AS n
                   FROM dining_tables WHERE restaurant_id = {rid}),
             pairs AS (SELECT a.id AS a, b.id AS b, a.seats + b.seats AS seats, a.n
                       FROM t a JOIN t b ON b.n = a.n + 1 AND a.n % 2 = 1
                       WHERE a.seats + b.seats >= 8),
             made AS (INSERT INTO table_combinations (restaurant_id, name, min_party, max_party,
                                                      position, created_at)
                      SELECT {rid}, 'bench ' || n, 7, seats, n, now() FROM pairs
                      RETURNING id, name)
        INSERT INTO combination_tables (combination_id, table_id, restaurant_id)
        SELECT made.id, x.table_id, {rid} FROM made
        JOIN pairs ON made.name = 'bench ' || pairs.n
        CROSS JOIN LATERAL (VALUES (pairs.a), (pairs.b)) AS x(table_id)""")
    hours = ",".join(str(h) for h in CAPACITY_HOURS)
    pg_scalar(libpq_url, f"""
        INSERT INTO holds (restaurant_id, table_id, starts_at, ends_at, party_size, expires_at,
                           token_hash, holder_hash, created_at)
        SELECT {rid}, (SELECT id FROM dining_tables WHERE restaurant_id = {rid} AND seats = 6
                       ORDER BY position DESC LIMIT 1),
               s, s + interval '2 hours', 6, now() + interval '1 hour',
               md5(s::text) || md5(s::text), md5('bench') || md5('bench'), now()
        FROM generate_series(0, {int(days) - 1}) AS d,
             unnest('{{{hours}}}'::int[]) AS h,
             LATERAL (SELECT (('{first_day.isoformat()}'::date + d + make_interval(hours => h))
                              AT TIME ZONE 'Europe/Berlin') AS s) AS x""")


def capacity_off(libpq_url: str, restaurant_id: int) -> None:
    rid = int(restaurant_id)
    pg_scalar(libpq_url, PACE_SQL.format(rid=rid, pace="NULL"))
    pg_scalar(libpq_url, f"DELETE FROM holds WHERE restaurant_id = {rid}")
    pg_scalar(libpq_url, f"DELETE FROM table_combinations WHERE restaurant_id = {rid}")


PACE_SQL = "UPDATE opening_hours SET pace_covers = {pace} WHERE restaurant_id = {rid}"


