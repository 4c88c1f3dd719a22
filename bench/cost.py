"""The cost of one booking through the API, in-process, repeatable on a shared machine.

    .venv/bin/python -m bench.cost --server postgresql+psycopg://booking@127.0.0.1:55440 \\
        --name cost_db --requests 200 [--count] [--profile out.prof]

Makes a fresh database ``--name`` on the running PostgreSQL ``--server``, migrates it,
loads the benchmark's restaurant (bench/stack.py), books ``--warm`` times to fill the
caches and then ``--requests`` times, and prints the process CPU ms per booking;
``--count`` also prints the SQL statements and commits of one more booking. Background
e-mail delivery is off (COST_DELIVER=1 turns it on): the figure is the request's own.

CPU ms drift with whatever else the machine runs; instruction counts do not. Under
valgrind, run it twice with two ``--requests`` values and divide the difference by the
difference in bookings: start-up and migrations cancel out::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg.10 \\
        .venv/bin/python -m bench.cost --server ... --name c10 --requests 10
    (the same with --requests 110 and cg.110; the "totals:" lines of the two files)

To compare two trees, run this file from each tree's root (it only needs bench/stack.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost")
    parser.add_argument("--server", required=True, help="a PostgreSQL URL without database")
    parser.add_argument("--name", required=True, help="the database to (re)create")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--profile", default="", help="write a cProfile (CPU time) here")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())  # the tree it is run from, also as a copied file
    import psycopg

    from bench.stack import app_env, booking_body, booking_path, load_restaurant, migrate

    admin = args.server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.name}"')
        conn.execute(f'CREATE DATABASE "{args.name}"')
    url = f"{args.server}/{args.name}"
    migrate(url)
    restaurant = load_restaurant(url)
    os.environ.update({k: v for k, v in app_env(url).items() if k != "PYTHONUNBUFFERED"})
    from webapp import create_app

    app = create_app({"LOG_FORMAT": "text",
                      "MAIL_SEND_AFTER_COMMIT": os.environ.get("COST_DELIVER") == "1"})
    client = app.test_client()
    first = dt.date.today() + dt.timedelta(days=1)

    def book(n: int) -> None:
        day = first + dt.timedelta(days=n // 18)
        body = booking_body(day, f"{10 + 2 * (n // 3 % 6):02d}:00", (2, 4, 6)[n % 3],
                            f"profile{n}@bench.example.com")
        response = client.post(booking_path(restaurant.slug), json=body)
        assert response.status_code == 201, response.get_data(as_text=True)[:300]

    for n in range(args.warm):
        book(n)
    numbers = range(args.warm, args.warm + args.requests)
    if args.profile:
        import cProfile

        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: [book(n) for n in numbers])
        profile.dump_stats(args.profile)
    else:
        started = time.process_time()
        for n in numbers:
            book(n)
        print(f"cpu_ms_per_booking {(time.process_time() - started) / args.requests * 1000:.3f}")
    if args.count:
        _count(app, lambda: book(args.warm + args.requests))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)')
    return 0


def _count(app, book) -> None:
    from sqlalchemy import event

    from webapp.extensions import db

    seen: list[str] = []
    commits: list[object] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(" ".join(statement.split())))
    event.listen(engine, "commit", commits.append)
    book()
    print(f"statements_per_booking {len(seen)} commits {len(commits)}")
    for statement in seen:
        print("   ", statement[:110])


if __name__ == "__main__":
    raise SystemExit(main())
