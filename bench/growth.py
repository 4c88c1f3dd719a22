"""``python -m bench.growth``: does the cost stay flat as the data grows?

One throwaway PostgreSQL and gunicorn (bench/stack.py), measured at three sizes in one
run, so the ratios are taken on the same machine minutes apart:

  size 0   the empty database: the bench restaurant (50 tables) and a 200-table one
  size 1   + 100 restaurants, 100,000 past and 10,000 future reservations
  size 2   + 1,000 restaurants in all, 1,000,000 past and 100,000 future reservations
           (the bench restaurant gets three years of its own history too)

Seeding is set-based (``INSERT … SELECT … generate_series``, then ANALYZE): about a
minute, not an hour. At each size: booking throughput (wrk, closed loop, 64
clients), the availability fragment's and the owner's day view's server time (the
app's Server-Timing header, sequential requests), and the day view of the 200-table
restaurant. Targets: every figure at size 2 within 10 % of size 0, the 200-table day
view at server p50 <= 30 ms. Results in bench/results/growth.json.

    .venv/bin/python -m bench.growth            # about 6 minutes on 2 cores
    .venv/bin/python -m bench.growth --quick    # smaller sizes and shorter phases
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from .run import RESULTS, pg_scalar
from .stack import ROOT, VENV_BIN, app_env, load_restaurant, stack
from .wrk import run_booking_load, wrk_binary

OWNER_EMAIL = "growth-owner@bench.example.com"
OWNER_PASSWORD = "growth-bench-password-1"
_DUR = re.compile(r"dur=([\d.]+)")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

SIZES = {  # name: (restaurants, past, future) added in all by then
    "size 0": (0, 0, 0),
    "size 1": (100, 100_000, 10_000),
    "size 2": (1000, 1_000_000, 100_000),
}
TABLES_PER_SEEDED = 10


def _owner_session(base_url: str) -> urllib.request.OpenerDirector:
    """A logged-in owner (cookies kept), through the real login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base_url + "/login", timeout=30).read().decode()
    token = _CSRF.search(page)
    assert token, "no CSRF token on /login"
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "email": OWNER_EMAIL,
                                   "password": OWNER_PASSWORD}).encode()
    opener.open(urllib.request.Request(base_url + "/login", data=body), timeout=30).read()
    return opener


def _server_ms(opener, url: str, count: int, headers: dict | None = None) -> dict:
    """Sequential GETs; the app's own time from Server-Timing (p50, p95), and the status."""
    times = []
    for _ in range(count):
        request = urllib.request.Request(url, headers=headers or {})
        with opener.open(request, timeout=30) as response:
            response.read()
            if response.status != 200 or "/login" in response.geturl():
                raise RuntimeError(f"{url} answered {response.status} at {response.geturl()}")
            match = _DUR.search(response.headers.get("Server-Timing", ""))
            times.append(float(match.group(1)))
    times.sort()
    return {"p50": round(statistics.median(times), 2),
            "p95": round(times[int(0.95 * (len(times) - 1))], 2), "requests": count}


def _seed(libpq: str, restaurants: int, past: int, future: int, first_id: int) -> float:
    """Add ``restaurants`` seeded restaurants (10 tables each) and spread ``past`` and
    ``future`` reservations over their tables: one a day per table at 19:00 (past ones
    completed, one in 20 cancelled, one in 25 a no-show), so none overlap. Returns seconds."""
    started = time.perf_counter()
    tables = restaurants * TABLES_PER_SEEDED
    past_days = -(-past // tables)
    future_days = -(-future // tables)
    sql = f"""
    BEGIN;
    INSERT INTO restaurants (name, slug, timezone, slot_interval_minutes, default_turn_minutes,
        turn_times, lead_time_minutes, horizon_days, max_online_party, phone, email, address,
        description, country, created_at, published_at, onboarded_at)
    SELECT 'Seeded ' || n, 'seeded-' || n, 'Europe/Berlin', 15, 120, '{{}}', 0, 730, 8,
        '', '', '', '', 'DE', now(), now(), now()
    FROM generate_series({first_id}, {first_id + restaurants - 1}) n;
    CREATE TEMP TABLE new_tables ON COMMIT DROP AS
    WITH made AS (
        INSERT INTO dining_tables (restaurant_id, name, seats, min_party, area, position,
                                   active, created_at)
        SELECT r.id, 'T' || t, 4, 1, '', t, true, now()
        FROM restaurants r, generate_series(1, {TABLES_PER_SEEDED}) t
        WHERE r.slug LIKE 'seeded-%' AND substring(r.slug from 8)::int
              BETWEEN {first_id} AND {first_id + restaurants - 1}
        RETURNING id, restaurant_id)
    SELECT * FROM made;
    INSERT INTO opening_hours (restaurant_id, weekday, name, opens, closes)
    SELECT r.id, w, 'Dinner', '18:00', '23:00'
    FROM (SELECT DISTINCT restaurant_id AS id FROM new_tables) r, generate_series(0, 6) w;
    INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, party_size,
        guest_name, guest_email, guest_phone, notes, status, source, created_at, updated_at,
        version)
    SELECT t.restaurant_id, t.id, s.starts, s.starts + interval '2 hours', 2 + (d % 4),
        'Seeded Guest', 'g' || t.id || '-' || d || '@seed.example.com', '', '',
        CASE WHEN d % 20 = 0 THEN 'cancelled' WHEN d % 25 = 0 THEN 'no_show'
             ELSE 'completed' END,
        (ARRAY['online', 'phone', 'walk_in', 'api'])[1 + d % 4],
        s.starts - interval '3 days', s.starts, 1
    FROM new_tables t, generate_series(1, {past_days}) d,
         LATERAL (SELECT ((current_date - d) + time '19:00')
                         AT TIME ZONE 'Europe/Berlin' AS starts) s;
    INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, party_size,
        guest_name, guest_email, guest_phone, notes, status, source, created_at, updated_at,
        version)
    SELECT t.restaurant_id, t.id, s.starts, s.starts + interval '2 hours', 2,
        'Seeded Guest', 'f' || t.id || '-' || d || '@seed.example.com', '', '', 'booked',
        'online', now(), now(), 1
    FROM new_tables t, generate_series(1, {future_days}) d,
         LATERAL (SELECT ((current_date + d) + time '19:00')
                         AT TIME ZONE 'Europe/Berlin' AS starts) s;
    COMMIT;
    ANALYZE;
    """
    subprocess.run(["psql", libpq, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True,
                   check=True, capture_output=True)
    return time.perf_counter() - started


def _own_history(libpq: str, restaurant_id: int, years: int = 3) -> None:
    """The bench restaurant's own past: every table twice a day for ``years``."""
    sql = f"""
    INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, party_size,
        guest_name, guest_email, guest_phone, notes, status, source, created_at, updated_at,
        version)
    SELECT t.restaurant_id, t.id, s.starts, s.starts + interval '2 hours', 2,
        'Past Guest', 'p' || t.id || '-' || d || '-' || h || '@seed.example.com', '', '',
        'completed', 'online', s.starts - interval '2 days', s.starts, 1
    FROM dining_tables t, generate_series(1, {365 * years}) d, unnest(ARRAY[12, 19]) h,
         LATERAL (SELECT ((current_date - d) + make_time(h, 0, 0))
                         AT TIME ZONE 'Europe/Berlin' AS starts) s
    WHERE t.restaurant_id = {restaurant_id};
    ANALYZE reservations;
    """
    subprocess.run(["psql", libpq, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True,
                   check=True, capture_output=True)


def _fill_day(libpq: str, restaurant_id: int, day: dt.date) -> None:
    """A full evening on the measured day: every table at 12:00 and 19:00."""
    sql = f"""
    INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, party_size,
        guest_name, guest_email, guest_phone, notes, status, source, created_at, updated_at,
        version)
    SELECT t.restaurant_id, t.id, s.starts, s.starts + interval '2 hours', 2,
        'Evening Guest', 'e' || t.id || '-' || h || '@seed.example.com', '', '', 'booked',
        'phone', now(), now(), 1
    FROM dining_tables t, unnest(ARRAY[12, 19]) h,
         LATERAL (SELECT (date '{day.isoformat()}' + make_time(h, 0, 0))
                         AT TIME ZONE 'Europe/Berlin' AS starts) s
    WHERE t.restaurant_id = {restaurant_id};
    """
    subprocess.run(["psql", libpq, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True,
                   check=True, capture_output=True)


def _make_owner(url: str, *slugs: str) -> None:
    for slug in slugs:
        subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", "create-owner", "--email",
                        OWNER_EMAIL, "--password", OWNER_PASSWORD, "--restaurant", slug],
                       cwd=ROOT, env=app_env(url), check=True, capture_output=True)


def measure(base: str, owner, restaurant_slug: str, big_slug: str, day: dt.date,
            first_day: dt.date, seconds: int, samples: int, work_dir: Path) -> dict:
    query = f"date={day.isoformat()}&party_size=2"
    plain = urllib.request.build_opener()
    figures = {
        "fragment_server_ms": _server_ms(plain, f"{base}/r/{restaurant_slug}?{query}", samples,
                                         {"HX-Request": "true"}),
        "api_availability_server_ms": _server_ms(
            plain, f"{base}/api/v1/restaurants/{restaurant_slug}/availability?{query}", samples),
        "day_view_server_ms": _server_ms(owner, f"{base}/owner/{restaurant_slug}/day/{day}",
                                         samples),
        "day_view_200_tables_server_ms": _server_ms(owner, f"{base}/owner/{big_slug}/day/{day}",
                                                    samples),
    }
    throughput = run_booking_load(base_url=base,
                                  booking_path=f"/api/v1/restaurants/{restaurant_slug}/reservations",
                                  work_dir=work_dir, connections=64, seconds=seconds,
                                  first_day=first_day, days=150)
    figures["bookings_per_second"] = throughput["ok_per_second"]
    figures["booking_server_ms"] = throughput["server_ms"]
    figures["booking_5xx"] = throughput["errors_5xx"]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, short phases")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    seconds, samples = (4, 40) if args.quick else (10, 150)
    wrk_binary()
    base_dir = Path(tempfile.mkdtemp(prefix="booking-growth-"))
    base_dir.chmod(0o755)
    results: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                     "sizes": {}}
    today = dt.date.today()
    day = today + dt.timedelta(days=30)  # the measured day: read, never booked by wrk
    try:
        with stack(base_dir, workers=2, env={"GUNICORN_MAX_REQUESTS": "0"}) as (pg, server,
                                                                               restaurant):
            big = load_restaurant(pg.url, slug="big", tables=200, seats=(2, 4, 4, 6))
            _make_owner(pg.url, restaurant.slug, big.slug)
            _fill_day(pg.libpq_url, big.restaurant_id, day)
            _fill_day(pg.libpq_url, restaurant.restaurant_id, day)
            owner = _owner_session(server.base_url)
            added = (0, 0, 0)
            for number, (name, target) in enumerate(SIZES.items()):
                wanted = tuple(value // scale for value in target)
                more = tuple(w - a for w, a in zip(wanted, added, strict=True))
                seeded_seconds = 0.0
                if more[0]:
                    seeded_seconds = _seed(pg.libpq_url, *more, first_id=added[0] + 1)
                    if name == "size 2":
                        _own_history(pg.libpq_url, restaurant.restaurant_id,
                                     years=3 if not args.quick else 1)
                added = wanted
                counts = {
                    "restaurants": int(pg_scalar(pg.libpq_url, "SELECT count(*) FROM restaurants")),
                    "reservations": int(pg_scalar(pg.libpq_url,
                                                  "SELECT count(*) FROM reservations")),
                    "seeding_seconds": round(seeded_seconds, 1),
                }
                print(f"{name}: {counts}", flush=True)
                figures = measure(server.base_url, owner, restaurant.slug, big.slug, day,
                                  first_day=today + dt.timedelta(days=60 + 160 * number),
                                  seconds=seconds, samples=samples, work_dir=base_dir)
                results["sizes"][name] = {**counts, **figures}
                print(f"{name}: {figures}", flush=True)
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = targets(results["sizes"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    return 0


def targets(sizes: dict) -> list[dict]:
    first, last = sizes["size 0"], sizes["size 2"]

    def within(label: str, before: float, after: float, higher_is_better: bool = False) -> dict:
        change = (after - before) / before if before else 0.0
        ok = change >= -0.10 if higher_is_better else change <= 0.10
        return {"target": f"{label} within 10 % of the empty database",
                "result": "PASS" if ok else "MISS",
                "figure": f"{before} -> {after} ({change:+.0%})"}

    return [
        within("booking throughput", first["bookings_per_second"], last["bookings_per_second"],
               higher_is_better=True),
        within("availability fragment server p50 ms", first["fragment_server_ms"]["p50"],
               last["fragment_server_ms"]["p50"]),
        within("owner's day view server p50 ms", first["day_view_server_ms"]["p50"],
               last["day_view_server_ms"]["p50"]),
        {"target": "day view of a 200-table restaurant at server p50 <= 30 ms",
         "result": "PASS" if last["day_view_200_tables_server_ms"]["p50"] <= 30 else "MISS",
         "figure": f"p50 {last['day_view_200_tables_server_ms']['p50']} ms at size 2"},
        {"target": "no 5xx", "result": "PASS" if all(s["booking_5xx"] == 0 for s in sizes.values())
         else "MISS", "figure": str([s["booking_5xx"] for s in sizes.values()])},
    ]


def report(results: dict) -> None:
    print("\n== Booking Manager: cost as the data grows ==")
    print(f"load average at start {results['load_average_at_start']}, "
          f"at end {results['load_average_at_end']}")
    header = ("size", "restaurants", "reservations", "bookings/s", "booking p50",
              "fragment p50", "api avail p50", "day view p50", "200-table day p50")
    print(" | ".join(header))
    for name, s in results["sizes"].items():
        print(" | ".join(str(x) for x in (
            name, s["restaurants"], s["reservations"], s["bookings_per_second"],
            s["booking_server_ms"]["p50"], s["fragment_server_ms"]["p50"],
            s["api_availability_server_ms"]["p50"], s["day_view_server_ms"]["p50"],
            s["day_view_200_tables_server_ms"]["p50"])))
    print("(server times in ms, from the app's Server-Timing header)")
    for target in results["targets"]:
        print(f"  {target['result']:4}  {target['target']}: {target['figure']}")
    print(f"written to {RESULTS / 'growth.json'}")


if __name__ == "__main__":
    raise SystemExit(main())
