"""The owner's day view of a 200-table restaurant with a full day, in-process (issue 21).

    .venv/bin/python -m bench.dayview [--db sqlite|postgres|both] [--requests 30]
        [--server postgresql+psycopg://booking@127.0.0.1:55440] [--name dayview]
        [--profile] [--once]

Builds the app against a throwaway database (a temporary SQLite file, and/or a fresh
database ``--name`` on the running PostgreSQL ``--server``, dropped at the end), loads a
restaurant open 10:00-23:00 with ``--tables`` tables (bench/stack.py) booked at 12:00 and
19:00 on every table, logs an owner in through the real login form with Flask's test
client and GETs ``/owner/<slug>/day/<date>`` and its ``/grid`` fragment ``--requests``
times each. Prints the Server-Timing p50/p95, the process CPU ms per request (what a
loaded machine distorts least: other processes' time is not counted) and the HTML size.
``--profile`` adds a pyinstrument profile of one render of each (bench/results/
profile-dayview-*.txt), and a split of one render into its SQL, layout.build and the
template, and of the template's parts written in Python (webapp/owner/layout.py: the
tables' rows, the arrivals, the covers row). ``--once`` renders once after the warm-up
and stops (for valgrind: run it with ``--once`` and with ``--requests`` > 0 and
subtract, as bench/cost.py says).

Paired before/after: run it from two trees in one session, e.g. ``git archive <commit> |
tar -x -C /tmp/before`` then ``cd /tmp/before && /work/main/.venv/bin/python -m
bench.dayview`` and the same from the checkout; the app is imported from the tree it is
run from.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

OWNER_EMAIL = "dayview-owner@bench.example.com"
OWNER_PASSWORD = "dayview-bench-password-1"
_DUR = re.compile(r"dur=([\d.]+)")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _fill(database_url: str, restaurant_id: int, day: dt.date, zone: str) -> int:
    """Every table at 12:00 and 19:00 for two hours (the growth benchmark's full day)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import create_engine, insert, select

    from webapp.models import DiningTable, Reservation

    engine = create_engine(database_url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        tables = conn.scalars(select(DiningTable.id).where(
            DiningTable.restaurant_id == restaurant_id)).all()
        rows = []
        for hour in (12, 19):
            starts = dt.datetime.combine(day, dt.time(hour), ZoneInfo(zone)).astimezone(dt.UTC)
            for table_id in tables:
                rows.append({"restaurant_id": restaurant_id, "table_id": table_id,
                             "starts_at": starts, "ends_at": starts + dt.timedelta(hours=2),
                             "party_size": 2, "guest_name": f"Evening Guest {table_id}",
                             "guest_email": f"e{table_id}-{hour}@bench.example.com",
                             "guest_phone": "", "notes": "", "status": "booked",
                             "source": "phone", "created_at": now, "updated_at": now,
                             "version": 1})
        conn.execute(insert(Reservation), rows)
    engine.dispose()
    return len(rows)


def _login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "no CSRF token on /login"
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": OWNER_EMAIL,
                                         "password": OWNER_PASSWORD})
    assert answer.status_code in (302, 303), answer.status_code


def _times(client, url: str, count: int) -> dict:
    server, cpu, size = [], [], 0
    for _ in range(count):
        started = time.process_time()
        response = client.get(url)
        cpu.append((time.process_time() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        server.append(float(_DUR.search(response.headers["Server-Timing"]).group(1)))
        size = len(response.get_data())
    server.sort()
    return {"server_p50_ms": round(statistics.median(server), 1),
            "server_p95_ms": round(server[int(0.95 * (len(server) - 1))], 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1),
            "html_kb": round(size / 1024, 1), "requests": count}


def _split(app, client, slug: str, day: dt.date) -> dict:
    """One render taken apart: SQL statements and their time, layout.build, the template."""
    from flask import render_template
    from sqlalchemy import event, select

    from webapp.extensions import db
    from webapp.models import Restaurant
    from webapp.owner import layout

    with app.app_context():
        engine = db.engine
    statements: list[float] = []
    started_at: list[float] = []

    def before(*_args):
        started_at.append(time.perf_counter())

    def after(*_args):
        statements.append(time.perf_counter() - started_at.pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    client.get(f"/owner/{slug}/day/{day}/grid")
    request_statements = len(statements)
    statements.clear()
    with app.test_request_context(f"/owner/{slug}/day/{day}/grid"):
        from webapp.owner.access import Access

        restaurant = db.session.scalar(select(Restaurant).where(Restaurant.slug == slug))
        assert restaurant is not None
        statements.clear()
        t0 = time.perf_counter()
        built = layout.build(db.session, restaurant, day)
        t1 = time.perf_counter()
        sql_ms = sum(statements) * 1000
        build_statements = len(statements)
        html = render_template("partials/owner_grid.html", access=Access(restaurant, "owner"),
                               restaurant=restaurant, layout=built, day=day, poll_seconds=30,
                               view="auto")
        t2 = time.perf_counter()
        # The template's Python-written parts on their own, each from a layout of its own
        # (a layout keeps what its bookings' markup shares once written); the best of 3.
        parts = {}
        ref = Access(restaurant, "owner").ref
        for name, write in (("rows_ms", lambda fresh: list(fresh.rows_html(ref))),
                            ("arrivals_ms", lambda fresh: list(fresh.arrivals_html(ref, ""))),
                            ("slots_ms", lambda fresh: fresh.slots_html())):
            runs = []
            for _ in range(3):
                fresh = layout.build(db.session, restaurant, day)
                started = time.perf_counter()
                write(fresh)
                runs.append(time.perf_counter() - started)
            parts[name] = round(min(runs) * 1000, 1)
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    return {"statements_per_grid_request": request_statements,
            "build_statements": build_statements,
            "build_sql_ms": round(sql_ms, 1),
            "build_python_ms": round((t1 - t0) * 1000 - sql_ms, 1),
            "template_ms": round((t2 - t1) * 1000, 1), **parts,
            "html_kb": round(len(html) / 1024, 1)}


def _profile(client, url: str, name: str) -> None:
    from pyinstrument import Profiler

    from bench.stack import ROOT

    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(3):
            client.get(url)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"profile-dayview-{name}.txt").write_text(text)
    print(f"   profile of 3 renders: bench/results/profile-dayview-{name}.txt")


def run(database_url: str, args) -> dict:
    from bench.stack import app_env, load_restaurant, migrate

    migrate(database_url)
    restaurant = load_restaurant(database_url, slug="big", tables=args.tables,
                                 seats=(2, 4, 4, 6))
    day = dt.date.today() + dt.timedelta(days=30)
    booked = _fill(database_url, restaurant.restaurant_id, day, restaurant.timezone)
    os.environ.update({k: v for k, v in app_env(database_url).items()
                       if k != "PYTHONUNBUFFERED"})
    from webapp import create_app
    from webapp.auth.passwords import ensure_owner
    from webapp.extensions import db
    from webapp.models import Restaurant

    app = create_app({"LOG_FORMAT": "text"})
    with app.app_context():
        ensure_owner(db.session, OWNER_EMAIL, OWNER_PASSWORD,
                     db.session.get(Restaurant, restaurant.restaurant_id))
        db.session.commit()
    client = app.test_client()
    _login(client)
    page = f"/owner/{restaurant.slug}/day/{day}"
    fragment = page + "/grid"
    for _ in range(3):  # warm: templates compiled, caches and pools filled
        client.get(page)
        client.get(fragment)
    import gc

    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does after loading the app
    if args.once:
        client.get(page)
        return {}
    if args.dump:
        Path(args.dump).write_bytes(client.get(page).get_data())
    figures = {"tables": args.tables, "bookings": booked,
               "day_view": _times(client, page, args.requests),
               "grid_fragment": _times(client, fragment, args.requests)}
    if args.profile:
        figures["split"] = _split(app, client, restaurant.slug, day)
        kind = database_url.split(":")[0].split("+")[0]
        _profile(client, page, kind)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dayview",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--server", default="postgresql+psycopg://booking@127.0.0.1:55440")
    parser.add_argument("--name", default="dayview", help="the PostgreSQL database to use")
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--dump", default="", help="write the day view's HTML here")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())  # the tree it is run from (paired runs of two trees)
    if args.db == "both":  # one process per database: the app reads its URL once
        import subprocess

        for kind in ("sqlite", "postgres"):
            subprocess.run([sys.executable, "-m", "bench.dayview", "--db", kind,
                            *[a for a in (argv or sys.argv[1:]) if a not in ("both",)
                              and a != "--db"]], check=True)
        return 0
    print(f"== {args.db}, tree {os.getcwd()}, load {os.getloadavg()[0]:.1f} ==", flush=True)
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="booking-dayview-") as directory:
            figures = run(f"sqlite:///{Path(directory) / 'dayview.sqlite3'}", args)
    else:
        import psycopg

        admin = args.server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.name}"')
        try:
            figures = run(f"{args.server}/{args.name}", args)
        finally:
            from webapp.extensions import db

            # No app context outside a run: nothing open.
            with contextlib.suppress(Exception):
                db.engine.dispose()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)')
    for key, value in figures.items():
        print(f"   {key}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
