"""The benchmark: one command, its own PostgreSQL and gunicorn, figures and PASS/MISS.

    .venv/bin/python -m bench            # about two minutes on 2 cores
    .venv/bin/python -m bench --quick    # shorter phases, for a smoke run

Phases, all against ``gunicorn -c gunicorn.conf.py`` on loopback:
  warm-up     2,000 requests; worker RSS is sampled here
  throughput  64 clients each booking a different free slot, closed loop (wrk, bench/wrk.py)
  contention  400 clients at once for 4 slots with 3 free tables each (12 table-slots)
  reads       the restaurant page and the availability fragment for the busy day
  top-up      reads until 20,000 requests were served; worker RSS sampled again
  pgbench     the same booking transaction straight against PostgreSQL
Results are printed and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from .capacity import BENCH_PACE, PACE_SQL, _eights, capacity_off, capacity_on, pg_scalar
from .pgbench import run_pgbench
from .stack import ROOT, booking_body, booking_path, http, pg_bin, rss_kib, stack
from .wrk import run_booking_load, wrk_binary

RESULTS = ROOT / "bench" / "results"
CONTENTION_TIMES = ("12:00", "14:00", "16:00", "18:00")
CONTENTION_FREE_TABLES = 3
CONTENTION_CLIENTS = 400
MEMORY_REQUESTS = 20000


def run_load(config: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.load", json.dumps(config)], cwd=ROOT,
                         capture_output=True, text=True, check=False,
                         timeout=(config.get("seconds") or 0) + 300)
    if out.returncode:
        raise RuntimeError(f"load generator failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def served_requests(base_url: str) -> int:
    """All requests the workers answered, from /metrics (multiprocess totals)."""
    _, _, body = http("GET", base_url + "/metrics")
    return int(sum(float(m.group(1)) for m in
                   re.finditer(r'^http_requests_total\{[^}]*\} ([\d.e+]+)$', body.decode(), re.M)))


def metric_total(base_url: str, name: str) -> float:
    _, _, body = http("GET", base_url + "/metrics")
    return sum(float(m.group(1)) for m in
               re.finditer(rf"^{name}(?:\{{[^}}]*\}})? ([\d.e+]+)$", body.decode(), re.M))


def workers_rss(server) -> dict[int, int]:
    return {pid: rss_kib(pid) for pid in server.worker_pids()}





def prefill_contention_day(libpq_url: str, restaurant, day: dt.date) -> int:
    """Book all but the last few tables at the contention times, straight in SQL."""
    zone = ZoneInfo(restaurant.timezone)
    taken = restaurant.table_ids[:-CONTENTION_FREE_TABLES]
    rows = []
    for wall in CONTENTION_TIMES:
        starts = dt.datetime.combine(day, dt.time.fromisoformat(wall), tzinfo=zone).astimezone(dt.UTC)
        ends = starts + dt.timedelta(hours=2)
        for table_id in taken:
            rows.append(f"({restaurant.restaurant_id}, {table_id}, '{starts.isoformat()}', "
                        f"'{ends.isoformat()}', 2, 'Prefill', 'prefill{table_id}-{wall}@bench.example.com', "
                        f"'', '', 'booked', 'phone', now(), now(), 1)")
    pg_scalar(libpq_url, "INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, "
              "party_size, guest_name, guest_email, guest_phone, notes, status, source, created_at, "
              "updated_at, version) VALUES " + ", ".join(rows))
    return len(rows)


def contention(base_url: str, slug: str, day: dt.date) -> dict:
    """Everyone at once (a barrier), each with its own connection."""
    barrier = threading.Barrier(CONTENTION_CLIENTS)
    outcomes: list[tuple[int, float]] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        wall_time = CONTENTION_TIMES[n % len(CONTENTION_TIMES)]
        body = booking_body(day, wall_time, 2, f"racer{n}@bench.example.com")
        barrier.wait()
        started = time.perf_counter()
        try:
            status, _, _ = http("POST", base_url + booking_path(slug), body, timeout=60)
        except OSError:
            status = 0
        with lock:
            outcomes.append((status, time.perf_counter() - started))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONTENTION_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for status, _ in outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    conflicts = sorted(seconds for status, seconds in outcomes if status == 409)

    def pct(values, q):
        return round(values[min(len(values) - 1, int(q * (len(values) - 1)))] * 1000, 1) if values else None

    return {"clients": CONTENTION_CLIENTS, "seconds": round(elapsed, 2), "statuses": statuses,
            "free_table_slots": len(CONTENTION_TIMES) * CONTENTION_FREE_TABLES,
            "conflict_latency_ms": {"p50": pct(conflicts, .5), "p99": pct(conflicts, .99)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or
                        min(max(os.cpu_count(), 2), 12),
                        help="gunicorn workers (default as gunicorn.conf.py: CPUs, at least 2)")
    parser.add_argument("--throughput-only", action="store_true",
                        help="only pgbench and the booking phases (plain, pacing, pacing + "
                             "combinations + holds, the same with joined tables), interleaved "
                             "(ABCDDCBA) x 2 in slices so a machine whose load drifts skews them "
                             "alike")
    args = parser.parse_args(argv)
    seconds = 6 if args.quick else 20
    read_seconds = 4 if args.quick else 10
    wrk_binary()  # before anything starts: installs it, or says how
    base_dir = Path(tempfile.mkdtemp(prefix="booking-bench-"))
    base_dir.chmod(0o755)  # the throwaway cluster runs as the postgres user when we are root
    results: dict = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
                    "postgres": _pg_version(), "kernel": platform.release()},
        "workers": args.workers,
        # Other work on the machine skews every figure: look here first when they look odd.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    first_day = dt.date.today() + dt.timedelta(days=1)
    print(f"bench: workers={args.workers} dir={base_dir}", flush=True)
    # No worker recycling here: the memory target is about the app, not gunicorn's safety net.
    environment = {"GUNICORN_MAX_REQUESTS": "0"}
    try:
        run_phases(results, base_dir, args, environment, first_day, seconds, read_seconds)
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.throughput_only:
        _report_interleaved(results)
        return 0
    results["targets"] = targets(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    return 0


def run_phases(results: dict, base_dir: Path, args, environment: dict, first_day: dt.date,
               seconds: int, read_seconds: int) -> None:
    with stack(base_dir, workers=args.workers, env=environment) as (pg, server, restaurant):
        base = server.base_url
        book = {"base_url": base, "booking_path": booking_path(restaurant.slug), "per_slot": 3}
        busy_day = first_day + dt.timedelta(days=700)
        read_paths = _read_paths(base, restaurant.slug, busy_day)
        results["read_paths"] = read_paths
        # The database alone first: the same booking transaction, straight from pgbench.
        pgbench = run_pgbench(pg.libpq_url, restaurant_id=restaurant.restaurant_id,
                              table_ids=restaurant.table_ids, clients=16, seconds=read_seconds)
        print(pgbench.pop("report"), flush=True)
        results["pgbench"] = pgbench
        deadlocks_before = int(pg_scalar(pg.libpq_url, "SELECT deadlocks FROM pg_stat_database "
                                         "WHERE datname = current_database()"))

        # Warm-up: 2,000 requests (bookings and reads), then the first memory sample.
        run_load({**book, "scenario": "book", "users": 16, "max_requests": 500,
                  "first_day": first_day.isoformat(), "days": 40})
        run_load({"scenario": "read", "base_url": base, "users": 16,
                  "max_requests": max(0, 2000 - served_requests(base)),
                  "read_paths": list(read_paths.values())})
        rss_warm = workers_rss(server)
        results["rss_after_requests"] = {"requests": served_requests(base), "kib": rss_warm}
        print(f"warm-up: {results['rss_after_requests']}", flush=True)

        if args.throughput_only:
            _interleaved_phases(results, pg, restaurant, base, book["booking_path"], base_dir,
                                first_day, seconds)
            return
        # Plain, then with pacing switched on, then with pacing, combinations and holds
        # (issue 19), each on its own share of the days the horizon leaves before the
        # contention day (each share holds 36 distinct bookings a day: 7,200 or more, more
        # than a 20-second phase sends at 300 a second). All three send the day varying
        # fastest (load.booking_specs): the requests in flight at once share no slot, so
        # the paced phases measure what the pace keys and re-counts cost, not two sync
        # workers queueing on one slot's key (the contention phase measures a hot slot).
        throughput = run_booking_load(base_url=base, booking_path=book["booking_path"],
                                      work_dir=base_dir, connections=64, seconds=seconds,
                                      first_day=first_day + dt.timedelta(days=41), days=200,
                                      across_days=True)
        results["throughput"] = throughput
        print(f"throughput: {_short(throughput)}", flush=True)
        results["throughput_paced"] = paced = paced_booking_load(
            pg.libpq_url, restaurant.restaurant_id, base_url=base,
            booking_path=book["booking_path"], work_dir=base_dir, connections=64,
            seconds=seconds, first_day=first_day + dt.timedelta(days=241), days=220,
            across_days=True)
        print(f"throughput with pacing: {_short(paced)}", flush=True)
        # Pacing, combinations and holds on (issue 19), on days after the paced phase's.
        results["throughput_capacity"] = capacity = capacity_booking_load(
            pg.libpq_url, restaurant.restaurant_id, first_day + dt.timedelta(days=461), 229,
            base_url=base, booking_path=book["booking_path"], work_dir=base_dir,
            connections=64, seconds=seconds, across_days=True)
        print(f"throughput with pacing, combinations and holds: {_short(capacity)}", flush=True)

        results["contention_prefilled"] = prefill_contention_day(pg.libpq_url, restaurant, busy_day)
        conflicts_before = metric_total(base, "booking_conflicts_total")
        results["contention"] = result = contention(base, restaurant.slug, busy_day)
        result["booked_in_database"] = int(pg_scalar(
            pg.libpq_url, "SELECT count(*) FROM reservations WHERE guest_email LIKE 'racer%'"))
        result["conflicts_counted_by_metrics"] = (metric_total(base, "booking_conflicts_total")
                                                  - conflicts_before)
        print(f"contention: {result}", flush=True)

        reads = {}
        for name, path in read_paths.items():
            reads[name] = run_load({"scenario": "read", "base_url": base, "users": 32,
                                    "seconds": read_seconds, "read_paths": [path]})
            print(f"reads {name}: {_short(reads[name])}", flush=True)
        results["reads"] = reads

        remaining = MEMORY_REQUESTS - served_requests(base)
        if remaining > 0:  # capped in time: on a busy machine the target then shows as a MISS
            run_load({"scenario": "read", "base_url": base, "users": 32, "max_requests": remaining,
                      "seconds": 60 if args.quick else 300, "read_paths": list(read_paths.values())})
        rss_end = workers_rss(server)
        results["rss_after_more_requests"] = {"requests": served_requests(base), "kib": rss_end}
        print(f"after: {results['rss_after_more_requests']}", flush=True)

        results["deadlocks"] = int(pg_scalar(pg.libpq_url, "SELECT deadlocks FROM pg_stat_database "
                                             "WHERE datname = current_database()")) - deadlocks_before
        results["lock_timeouts"] = metric_total(base, "booking_lock_timeouts_total")


def paced_booking_load(libpq_url: str, restaurant_id: int, **load) -> dict:
    """The throughput phase again with every service paced; the pace is taken off
    afterwards (the contention phase counts on tables alone)."""
    rid = int(restaurant_id)
    pg_scalar(libpq_url, PACE_SQL.format(rid=rid, pace=BENCH_PACE))  # workers reload the set-up
    try:
        return run_booking_load(**load)
    finally:
        pg_scalar(libpq_url, PACE_SQL.format(rid=rid, pace="NULL"))


def capacity_booking_load(libpq_url: str, restaurant_id: int, first_day: dt.date, days: int,
                          party_of=_eights, **load) -> dict:
    """The throughput phase with pacing, combinations and holds all on, on days of its
    own; everything is taken off afterwards. ``party_of``: by default one party of 6 in
    two is sent as 8 (seated at joined tables); None sends the plain phase's parties."""
    rid = int(restaurant_id)
    capacity_on(libpq_url, rid, first_day, days)
    try:
        result = run_booking_load(first_day=first_day, days=days, party_of=party_of, **load)
        result["joined_bookings"] = int(pg_scalar(libpq_url, (
            f"SELECT count(DISTINCT part_of) FROM reservations WHERE restaurant_id = {rid} "
            "AND part_of IS NOT NULL")))
        result["live_holds"] = int(pg_scalar(libpq_url, (
            f"SELECT count(*) FROM holds WHERE restaurant_id = {rid} AND expires_at > now()")))
        return result
    finally:
        capacity_off(libpq_url, rid)


def _interleaved_phases(results: dict, pg, restaurant, base: str, booking_path_: str,
                        base_dir: Path, first_day: dt.date, seconds: int) -> None:
    """The booking phases in the order A B C D D C B A, twice, each slice a quarter as
    long as a phase and on days of its own, so a drift in the machine's other load weighs
    on all alike; each phase's figure is the sum of its four slices.

    A plain; B pacing on; C pacing, combinations and holds on with A's bookings (the
    features switched on, the same guests); D the same with one party of 6 in two sent as
    8 (a sixth of the bookings at joined tables: two table rows each, so more work per
    booking by nature, the capacity phase of the full run)."""
    rid = restaurant.restaurant_id
    rounds = 2  # A B C D D C B A twice: a drift that is not linear cancels better
    half = max(3, seconds // (2 * rounds))
    # Three passes over 40 days: 2,160 bookings a slice, more than 5 s send at 400/s
    # (when wrk runs out it asks /healthz, which shows as 200s in the statuses); 16
    # slices of 42 days fit in the restaurant's two-year horizon.
    load = {"base_url": base, "booking_path": booking_path_, "work_dir": base_dir,
            "connections": 64, "seconds": half, "across_days": True, "passes": 3}
    order = ("throughput", "throughput_paced", "throughput_capacity", "throughput_joined")
    halves: dict[str, list[dict]] = {name: [] for name in order}
    for number, name in enumerate((*order, *reversed(order)) * rounds):
        first, days = first_day + dt.timedelta(days=1 + 42 * number), 40
        if name == "throughput":
            result = run_booking_load(first_day=first, days=days, **load)
        elif name == "throughput_paced":
            result = paced_booking_load(pg.libpq_url, rid, first_day=first, days=days, **load)
        else:
            result = capacity_booking_load(
                pg.libpq_url, rid, first, days,
                party_of=_eights if name == "throughput_joined" else None, **load)
        print(f"{name} (slice {len(halves[name]) + 1}): {_short(result)}", flush=True)
        halves[name].append(result)
    for name, parts in halves.items():
        requests = sum(r["requests"] for r in parts)
        span = sum(r["seconds"] for r in parts)
        results[name] = {"halves": parts, "requests": requests, "seconds": round(span, 2),
                         "ok_per_second": round(sum(r["statuses"].get("201", 0)
                                                    for r in parts) / span, 1),
                         "statuses": [r["statuses"] for r in parts],
                         "server_ms_p99": [r["server_ms"]["p99"] for r in parts]}


def _report_interleaved(results: dict) -> None:
    plain = results["throughput"]["ok_per_second"]
    tps = results["pgbench"]["tps"]
    print("\n== booking phases, interleaved (A B C D D C B A) x 2 ==")
    print(f"pgbench: {tps} tps")
    for name, label in (("throughput", "A plain"), ("throughput_paced", "B pacing"),
                        ("throughput_capacity", "C pacing + combinations + holds"),
                        ("throughput_joined", "D as C, a sixth at joined tables")):
        phase = results[name]
        print(f"{label}: {phase['ok_per_second']} bookings/s = "
              f"{phase['ok_per_second'] / plain:.0%} of plain, "
              f"{phase['ok_per_second'] / tps:.0%} of pgbench; server p99 of the slices "
              f"{phase['server_ms_p99']} ms; statuses {phase['statuses']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "interleaved.json").write_text(json.dumps(results, indent=2) + "\n")


def _read_paths(base: str, slug: str, day: dt.date) -> dict[str, dict]:
    """The public page, its htmx availability fragment (same URL, HX-Request header) and
    the API's availability, for one day; those that answer 200."""
    query = f"date={day.isoformat()}&party_size=2"
    candidates = {
        "page": {"path": f"/r/{slug}?{query}", "headers": {}},
        "fragment": {"path": f"/r/{slug}?{query}", "headers": {"HX-Request": "true"}},
        "api_availability": {"path": f"/api/v1/restaurants/{slug}/availability?{query}", "headers": {}},
    }
    found = {}
    for name, read in candidates.items():
        status, _, body = http("GET", base + read["path"], headers=read["headers"])
        if status == 200 and (name != "fragment" or b"<html" not in body[:500].lower()):
            found[name] = read
    if not found:
        raise RuntimeError("no availability page or endpoint answers 200; see bench/run.py _read_paths")
    return found


def targets(results: dict) -> list[dict]:
    throughput = results["throughput"]
    pgbench_tps = results["pgbench"]["tps"]
    share = throughput["ok_per_second"] / pgbench_tps if pgbench_tps else 0
    fragment = results["reads"].get("fragment") or results["reads"].get("api_availability") \
        or next(iter(results["reads"].values()))
    warm, end = results["rss_after_requests"]["kib"], results["rss_after_more_requests"]["kib"]
    growth = max(((end[pid] - warm[pid]) / warm[pid] for pid in warm if pid in end), default=float("nan"))
    contention = results["contention"]
    expected = contention["free_table_slots"]
    paced = results["throughput_paced"]
    paced_share = paced["ok_per_second"] / throughput["ok_per_second"] \
        if throughput["ok_per_second"] else 0
    capacity = results["throughput_capacity"]
    capacity_share = capacity["ok_per_second"] / throughput["ok_per_second"] \
        if throughput["ok_per_second"] else 0
    return [
        _target("booking throughput >= 20% of pgbench", share >= 0.20,
                f"{throughput['ok_per_second']} bookings/s = {share:.0%} of {pgbench_tps} tps"),
        _target("booking p99 <= 150 ms at 64 clients", throughput["latency_ms"]["p99"] <= 150,
                f"p99 {throughput['latency_ms']['p99']} ms"),
        _target("bookings with pacing on within 10% of the plain phase",
                paced_share >= 0.90 and paced["errors_5xx"] == 0
                and paced["statuses"].get("201", 0) == paced["requests"],
                f"{paced['ok_per_second']} bookings/s = {paced_share:.0%} of "
                f"{throughput['ok_per_second']}; statuses {paced['statuses']}"),
        _target("bookings with pacing, combinations and holds on within 10% of the plain phase",
                capacity_share >= 0.90 and capacity["errors_5xx"] == 0
                and capacity["statuses"].get("201", 0) == capacity["requests"]
                and capacity["joined_bookings"] > 0,
                f"{capacity['ok_per_second']} bookings/s = {capacity_share:.0%} of "
                f"{throughput['ok_per_second']}; {capacity['joined_bookings']} on joined tables, "
                f"{capacity['live_holds']} live holds; statuses {capacity['statuses']}"),
        _target("availability fragment p50 <= 15 ms server time", fragment["server_ms"]["p50"] <= 15,
                f"p50 {fragment['server_ms']['p50']} ms (app), {fragment['latency_ms']['p50']} ms (client)"),
        _target("worker RSS flat (20,000 vs 2,000 requests, within 10%)",
                growth <= 0.10 and results["rss_after_more_requests"]["requests"] >= MEMORY_REQUESTS,
                f"largest growth {growth:+.1%} after {results['rss_after_more_requests']['requests']} "
                "requests"),
        _target("contention: exactly the free table-slots booked, the rest 409, no 5xx",
                contention["statuses"].get("201", 0) == expected == contention["booked_in_database"]
                and contention["statuses"].get("409", 0) == contention["clients"] - expected,
                f"{contention['statuses']} for {expected} free table-slots"),
        _target("no 5xx, no deadlocks", results["deadlocks"] == 0 and throughput["errors_5xx"] == 0
                and all(r["errors_5xx"] == 0 for r in results["reads"].values()),
                f"deadlocks {results['deadlocks']}, 5xx {throughput['errors_5xx']}"),
    ]


def _target(name: str, ok: bool, figure: str) -> dict:
    return {"target": name, "result": "PASS" if ok else "MISS", "figure": figure}


def _short(result: dict) -> str:
    return (f"{result['requests']} requests in {result['seconds']}s, ok/s {result['ok_per_second']}, "
            f"statuses {result['statuses']}, client {result['latency_ms']}, server {result['server_ms']}")


def report(results: dict) -> None:
    print("\n== Booking Manager benchmark ==")
    machine = results["machine"]
    print(f"machine: {machine['cpus']} CPUs ({machine['cpu']}), Python {machine['python']}, "
          f"{machine['postgres']}, gunicorn workers: {results['workers']}")
    print(f"load average (1/5/15 min) at start {results['load_average_at_start']}, "
          f"at end {results['load_average_at_end']}")
    t = results["throughput"]
    print(f"throughput: {t['ok_per_second']} bookings/s, p50/p95/p99 {t['latency_ms']['p50']}/"
          f"{t['latency_ms']['p95']}/{t['latency_ms']['p99']} ms (server p50/p99 "
          f"{t['server_ms']['p50']}/{t['server_ms']['p99']} ms), 5xx {t['errors_5xx']}, "
          f"transport errors {t['transport_errors']}")
    p = results["throughput_paced"]
    print(f"with pacing: {p['ok_per_second']} bookings/s, p50/p95/p99 {p['latency_ms']['p50']}/"
          f"{p['latency_ms']['p95']}/{p['latency_ms']['p99']} ms client, server {p['server_ms']}")
    print(f"pgbench:    {results['pgbench']['tps']} tps ({results['pgbench']['clients']} clients)")
    c = results["contention"]
    print(f"contention: {c['statuses']} in {c['seconds']} s; 409 p50/p99 {c['conflict_latency_ms']['p50']}/"
          f"{c['conflict_latency_ms']['p99']} ms; deadlocks {results['deadlocks']}")
    for name, r in results["reads"].items():
        print(f"reads {name}: {r['requests_per_second']} req/s, client p50/p99 {r['latency_ms']['p50']}/"
              f"{r['latency_ms']['p99']} ms, server p50/p99 {r['server_ms']['p50']}/"
              f"{r['server_ms']['p99']} ms")
    print(f"worker RSS KiB: {results['rss_after_requests']} -> {results['rss_after_more_requests']}")
    for target in results["targets"]:
        print(f"  {target['result']:4}  {target['target']}: {target['figure']}")
    print(f"written to {RESULTS / 'latest.json'}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _pg_version() -> str:

    out = subprocess.run([pg_bin("postgres"), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
