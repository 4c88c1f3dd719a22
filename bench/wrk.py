"""The throughput phase's load: wrk (a C load generator, Debian package ``wrk``) with our
script bench/book.lua.

Why wrk here and locust elsewhere: on a 2-core machine the load generator shares the
cores with gunicorn and PostgreSQL. locust, in Python, spent ~0.7 ms of CPU per booking,
about a tenth of a booking's whole cost; wrk spends ~0.1 ms. pgbench, the yardstick, is
C too. The other phases (warm-up, reads) run far from saturation and keep locust.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .load import booking_specs
from .stack import ROOT, guest_phone

SCRIPT = ROOT / "bench" / "book.lua"


def wrk_binary() -> str:
    """wrk's path; installed from Debian when missing and we may (root with apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("the benchmark needs wrk: apt-get install wrk")
    return found


def write_bodies(path: Path, first_day: dt.date, days: int, per_slot: int, passes: int,
                 party_of: Callable[[int, int], int] | None = None,
                 across_days: bool = False) -> int:
    """The bookings to send, one JSON document per line: locust's sequence of distinct
    slots, then the same days again ``passes - 1`` times with more guests. A later pass
    meets each day's earlier bookings committed long before, so its guests skip the taken
    tables without waiting on their locks: still no two requests race for a table."""
    count = 0
    with path.open("w") as out:
        for _ in range(passes):
            for body in booking_specs(first_day, days, per_slot, across_days=across_days):
                # A guest of their own each time (e-mail and phone), or pass 2 would be
                # pass 1's guests booking twice.
                body["email"] = f"w{count}-" + body["email"]
                if party_of is not None:  # (request number, party) -> the party it sends
                    body["party_size"] = party_of(count, body["party_size"])
                body["phone"] = guest_phone(body["email"])
                out.write(json.dumps(body, separators=(",", ":")) + "\n")
                count += 1
    return count


def run_booking_load(*, base_url: str, booking_path: str, work_dir: Path, connections: int,
                     seconds: int, first_day: dt.date, days: int, per_slot: int = 3,
                     passes: int = 2, party_of: Callable[[int, int], int] | None = None,
                     across_days: bool = False) -> dict:
    """Closed loop: ``connections`` clients, each sending its next booking as soon as the
    last one was answered, for ``seconds``. Same result shape as bench/load.py's."""
    bodies = work_dir / "bookings.jsonl"
    sent_at_most = write_bodies(bodies, first_day, days, per_slot, passes, party_of,
                                across_days)
    # One thread (event loop) is plenty at these rates and leaves the cores to the server.
    command = [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "-s", str(SCRIPT), base_url, "--", booking_path, str(bodies)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("bench-result ")), None)
    if out.returncode or line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("bench-result "))
    elapsed = raw["duration_us"] / 1e6
    statuses = {str(k): v for k, v in raw["statuses"].items()}
    transport = sum(raw["errors"].values())
    return {
        "tool": "wrk", "scenario": "book", "users": connections, "seconds": round(elapsed, 2),
        "requests": raw["requests"], "statuses": statuses,
        "ok_per_second": round(statuses.get("201", 0) / elapsed, 1),
        "requests_per_second": round(raw["requests"] / elapsed, 1),
        "errors_5xx": sum(count for status, count in statuses.items() if int(status) >= 500),
        "transport_errors": transport,
        "latency_ms": {k: raw["latency_ms"][k] for k in ("p50", "p95", "p99")},
        "server_ms": raw["server_ms"],
        # More than this many bookings would have run out of distinct slots (see 200s).
        "distinct_bookings_available": sent_at_most,
    }
