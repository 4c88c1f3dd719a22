"""Where a booking's CPU goes under load: the plain throughput phase of ``python -m bench``
alone, with the CPU of every process and thread taken from /proc around it.

    .venv/bin/python -m bench.split [--seconds 15] [--rounds 1]

Starts the benchmark's stack (its own PostgreSQL, gunicorn with 2 workers), warms up,
then per round: pgbench's booking transaction (16 clients), and the 64-client wrk load
of the throughput phase. Prints, per round, bookings/s, pgbench tps and their ratio, the
server p50/p99, and the CPU ms per booking of the workers' request threads, of their
other threads (e-mail delivery), of PostgreSQL's backends and of wrk. py-spy is not needed:
the kernel keeps each thread's CPU time (/proc/<pid>/task/<tid>/stat).

To compare two trees, run it from each tree's root, alternately, in one session.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .pgbench import run_pgbench
from .stack import booking_path, stack
from .wrk import run_booking_load

_TICK = os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of ``pid``'s main thread (gunicorn's sync worker serves
    requests there) and of its other threads (the e-mail delivery thread; Python 3.11
    names no OS threads, so they are told apart by id)."""
    out = {"request": 0.0, "threads": 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out["request" if int(task.name) == pid else "threads"] += \
            (int(fields[11]) + int(fields[12])) / _TICK
    return out


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _postgres_pids(data_dir: Path) -> list[int]:
    pid_file = data_dir / "postmaster.pid"
    master = int(pid_file.read_text().split()[0])
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def _snapshot(server, data_dir: Path) -> dict[str, float]:
    workers: dict[str, float] = {}
    for pid in server.worker_pids():
        for key, seconds in _thread_cpu(pid).items():
            workers[key] = workers.get(key, 0.0) + seconds
    workers["postgres"] = sum(_process_cpu(pid) for pid in _postgres_pids(data_dir))
    return workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.split")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=1, choices=(1, 2))  # days for two
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    base_dir = Path(tempfile.mkdtemp(prefix="booking-split-"))
    base_dir.chmod(0o755)
    first_day = dt.date.today() + dt.timedelta(days=1)
    rounds = []
    try:
        with stack(base_dir, workers=args.workers, env={"GUNICORN_MAX_REQUESTS": "0"}) as (
                pg, server, restaurant):
            data_dir = base_dir / "pg" / "data"
            path = booking_path(restaurant.slug)
            run_booking_load(base_url=server.base_url, booking_path=path, work_dir=base_dir,
                             connections=16, seconds=3, first_day=first_day, days=40)
            for number in range(args.rounds):
                bench = run_pgbench(pg.libpq_url, restaurant_id=restaurant.restaurant_id,
                                    table_ids=restaurant.table_ids, clients=16, seconds=10)
                before = _snapshot(server, data_dir)
                started = time.monotonic()
                wrk_cpu = os.times()
                result = run_booking_load(
                    base_url=server.base_url, booking_path=path, work_dir=base_dir,
                    connections=64, seconds=args.seconds,
                    first_day=first_day + dt.timedelta(days=41 + 330 * number), days=325)
                time.sleep(0.5)  # the last delivery passes (they gather for 0.25 s)
                wrk_seconds = os.times().children_user + os.times().children_system \
                    - wrk_cpu.children_user - wrk_cpu.children_system
                after = _snapshot(server, data_dir)
                booked = result["statuses"].get("201", 0)
                per = {k: round((after[k] - before.get(k, 0.0)) * 1000 / booked, 3)
                       for k in after} if booked else {}
                per["wrk"] = round(wrk_seconds * 1000 / booked, 3) \
                    if booked else 0
                rounds.append({
                    "bookings_per_second": result["ok_per_second"], "pgbench_tps": bench["tps"],
                    "share": round(result["ok_per_second"] / bench["tps"], 3),
                    "server_ms": result["server_ms"], "statuses": result["statuses"],
                    "cpu_ms_per_booking": per, "wall_seconds": round(time.monotonic() - started, 1),
                    "load_average": os.getloadavg()[0]})
                print(json.dumps(rounds[-1]), flush=True)
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    raise SystemExit(main())
