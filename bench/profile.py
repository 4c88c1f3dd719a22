"""Profile the hot paths in-process with pyinstrument: a booking through the API, the
availability fragment and the whole restaurant page, on a throwaway PostgreSQL with the
benchmark's restaurant.

    .venv/bin/python -m bench.profile [--requests 200]

Writes bench/results/profile-booking.txt, profile-fragment.txt and profile-page.txt
(and prints their heads), and each path's process CPU per request measured outside the
profiler (other processes' time is not counted: the figure a loaded machine distorts
least; compare trees in one session, as bench/dayview.py says).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .stack import ROOT, Postgres, app_env, booking_body, booking_path, free_port, load_restaurant, migrate

RESULTS = ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--capacity", action="store_true",
                        help="then the same bookings again with pacing, combinations and "
                             "holds on (bench/run.py's capacity phase): CPU per booking of "
                             "both, in one process, and a profile of the second")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    directory = Path(tempfile.mkdtemp(prefix="booking-profile-"))
    directory.chmod(0o755)
    postgres = Postgres(directory / "pg", free_port())
    try:
        url = postgres.start()
        migrate(url)
        restaurant = load_restaurant(url)
        os.environ.update({k: v for k, v in app_env(url).items() if k not in ("PYTHONUNBUFFERED",)})
        from webapp import create_app

        app = create_app({"LOG_FORMAT": "text"})
        client = app.test_client()
        first = dt.date.today() + dt.timedelta(days=1)

        def book(n: int, offset: int = 0, party_of=lambda n, party: party):
            day = first + dt.timedelta(days=offset + n // 18)
            body = booking_body(day, f"{10 + 2 * (n // 3 % 6):02d}:00",
                                party_of(n, (2, 4, 6)[n % 3]), f"profile{n}@bench.example.com")
            response = client.post(booking_path(restaurant.slug), json=body)
            assert response.status_code == 201, response.get_data(as_text=True)[:300]

        for n in range(20):  # warm caches and pools outside the profile
            book(n)
        _cpu("booking", lambda n: book(20 + n), args.requests)
        profiler = Profiler(interval=0.0005)
        with profiler:
            for n in range(20 + args.requests, 20 + 2 * args.requests):
                book(n)
        _write("booking", profiler)
        if args.capacity:
            _capacity(postgres, restaurant, first, book, args.requests)

        busy = f"/r/{restaurant.slug}?date={first.isoformat()}&party_size=2"
        for name, headers in (("fragment", {"HX-Request": "true"}), ("page", {})):
            def get(_n: int, headers: dict[str, str] = headers) -> None:
                assert client.get(busy, headers=headers).status_code == 200

            for n in range(20):
                get(n)
            _cpu(name, get, args.requests)
            profiler = Profiler(interval=0.0005)
            with profiler:
                for n in range(args.requests):
                    get(n)
            _write(name, profiler)
    finally:
        postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def _capacity(postgres, restaurant, first: dt.date, book, requests: int) -> None:
    """Plain and capacity bookings interleaved in rounds on days of their own (a loaded
    machine skews both alike), then a profile of the capacity bookings."""
    from pyinstrument import Profiler

    from .capacity import _eights, capacity_off, capacity_on

    days = (4 * requests) // 18 + 2
    plain_at, capacity_at = 100, 100 + days + 1
    capacity_on(postgres.libpq_url, restaurant.restaurant_id, first + dt.timedelta(
        days=capacity_at), days)
    try:
        time.sleep(1.5)  # the set-up cache notices the new stamp (booking/setup.py)
        totals = {"plain": 0.0, "capacity": 0.0}
        count = 0
        for round_ in range(4):
            for name, offset, party_of in (("plain", plain_at, None),
                                           ("capacity", capacity_at, _eights)):
                started = time.process_time()
                for n in range(round_ * requests // 4, (round_ + 1) * requests // 4):
                    if party_of is None:
                        book(n, offset)
                    else:
                        book(n, offset, party_of)
                totals[name] += time.process_time() - started
            count += requests // 4
        for name, total in totals.items():
            print(f"booking ({name}): {total * 1000 / count:.2f} ms CPU per request "
                  f"({count} requests, interleaved)")
        print(f"capacity / plain CPU: {totals['capacity'] / totals['plain']:.2f}")
        profiler = Profiler(interval=0.0005)
        with profiler:
            for n in range(requests, 2 * requests):
                book(n, capacity_at, _eights)
        _write("booking-capacity", profiler)
    finally:
        capacity_off(postgres.libpq_url, restaurant.restaurant_id)


def _cpu(name: str, request: Callable[[int], None], count: int) -> None:
    started = time.process_time()
    for n in range(count):
        request(n)
    print(f"{name}: {(time.process_time() - started) * 1000 / count:.2f} ms CPU per request "
          f"({count} requests, this process: the app and PostgreSQL's client side)")


def _write(name: str, profiler) -> None:
    RESULTS.mkdir(exist_ok=True)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (RESULTS / f"profile-{name}.txt").write_text(text)
    print(f"== {name} ==")
    print("\n".join(text.splitlines()[:60]))


if __name__ == "__main__":
    raise SystemExit(main())
