"""Paired before/after: two trees' gunicorns against one PostgreSQL, booking in turns.

    /tmp/benchvenv/bin/python -m bench.paired --before /tmp/before [--rounds 4] [--seconds 5]

``--before`` is another checkout of the project (e.g. ``git archive <commit> | tar -x -C
/tmp/before``; its front-end assets are not needed). This tree is "after". One throwaway
cluster, migrated and loaded by this tree (the two trees must share the schema), one
gunicorn per tree (2 workers each, as gunicorn.conf.py sets on 2 cores), then rounds of
pgbench, before, after, after, before, pgbench, ... in slices of ``--seconds``: a drift of
the machine's other load weighs on both trees alike, and each tree's share of pgbench
is taken against the pgbench slices of the same rounds. Each slice books on days of its
own (the plain phase of ``python -m bench``: distinct slots, the day varying fastest).
Only one server is under load at a time; the idle one costs nothing.

Prints each slice, then per tree: bookings/s, share of pgbench, the server-side p50 and
p99 of its slices (Server-Timing), and the after/before ratio of each round's pair.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from .pgbench import run_pgbench
from .stack import ROOT, Gunicorn, Postgres, booking_path, free_port, load_restaurant, migrate
from .wrk import run_booking_load, wrk_binary

RESULTS = ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired")
    parser.add_argument("--before", required=True, type=Path, help="the other tree's root")
    parser.add_argument("--rounds", type=int, default=4, help="at most 4 (the horizon's days)")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    before_root = args.before.resolve()
    if not (before_root / "webapp" / "__init__.py").exists():
        parser.error(f"{before_root} is not a checkout of the project")
    wrk_binary()
    directory = Path(tempfile.mkdtemp(prefix="booking-paired-"))
    directory.chmod(0o755)
    postgres = Postgres(directory / "pg", free_port())
    servers: dict[str, Gunicorn] = {}
    try:
        url = postgres.start()
        migrate(url)
        restaurant = load_restaurant(url)
        env = {"GUNICORN_MAX_REQUESTS": "0"}
        for name, root in (("before", before_root), ("after", ROOT)):
            servers[name] = Gunicorn(url, workers=args.workers, env=env, root=root,
                                     log_path=directory / f"gunicorn-{name}.log").start()
        slices: dict[str, list[dict]] = {"pgbench": [], "before": [], "after": []}
        first_day = dt.date.today() + dt.timedelta(days=1)
        number = 0
        for round_ in range(args.rounds):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            pg = run_pgbench(postgres.libpq_url, restaurant_id=restaurant.restaurant_id,
                             table_ids=restaurant.table_ids, clients=16, seconds=args.seconds)
            pg.pop("report")
            slices["pgbench"].append(pg)
            print(f"round {round_ + 1} pgbench: {pg['tps']} tps", flush=True)
            for name in order:
                # 80 days a slice, three passes: 4,320 distinct bookings, more than a
                # 5-second slice sends (when wrk runs out it asks /healthz: 200s).
                result = run_booking_load(
                    base_url=servers[name].base_url, booking_path=booking_path(restaurant.slug),
                    work_dir=directory, connections=64, seconds=args.seconds,
                    first_day=first_day + dt.timedelta(days=1 + 82 * number), days=80,
                    passes=3, across_days=True)
                number += 1
                slices[name].append(result)
                print(f"round {round_ + 1} {name}: {result['ok_per_second']} bookings/s, "
                      f"server p50 {result['server_ms']['p50']} p99 {result['server_ms']['p99']}"
                      f" ms, statuses {result['statuses']}", flush=True)
        report(slices)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "paired.json").write_text(json.dumps(slices, indent=2) + "\n")
    finally:
        for server in servers.values():
            server.stop()
        postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def report(slices: dict[str, list[dict]]) -> None:
    tps = statistics.fmean(s["tps"] for s in slices["pgbench"])
    print(f"\n== paired: pgbench {tps:.1f} tps (mean of {len(slices['pgbench'])} slices) ==")
    rates = {}
    for name in ("before", "after"):
        parts = slices[name]
        rate = sum(p["statuses"].get("201", 0) for p in parts) / sum(p["seconds"] for p in parts)
        rates[name] = rate
        print(f"{name}: {rate:.1f} bookings/s = {rate / tps:.1%} of pgbench; server p50 "
              f"{[p['server_ms']['p50'] for p in parts]} p99 "
              f"{[p['server_ms']['p99'] for p in parts]} ms")
    pairs = [a["ok_per_second"] / b["ok_per_second"]
             for a, b in zip(slices["after"], slices["before"], strict=True)]
    print(f"after / before: {rates['after'] / rates['before']:.2f} overall; per round "
          f"{[round(p, 2) for p in pairs]}")


if __name__ == "__main__":
    raise SystemExit(main())
