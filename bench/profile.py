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

        def book(n: int):
            day = first + dt.timedelta(days=n // 18)
            body = booking_body(day, f"{10 + 2 * (n // 3 % 6):02d}:00", (2, 4, 6)[n % 3],
                                f"profile{n}@bench.example.com")
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
