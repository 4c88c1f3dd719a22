"""Drive load with locust (headless, through its Python API) and print the figures as JSON.

Run in its own process by bench/run.py, because locust patches the standard library
with gevent on import::

    python -m bench.load '{"scenario": "book", "base_url": ..., "users": 64, "seconds": 20, ...}'

Scenarios:
  book  every request books a different free (day, time) through the API: bookings/s
  read  the public availability page / fragment (or the API's) for one busy day
Latency is measured around each request here (client time, loopback); the app's own
time comes from its Server-Timing header.
"""

from __future__ import annotations

# locust must come first: it monkey-patches sockets and threads with gevent.
from locust import FastHttpUser, constant, events, task  # isort: skip
from locust.env import Environment  # isort: skip

import datetime as dt
import itertools
import json
import re
import sys
import time

import gevent

from .stack import booking_body

_SERVER_TIMING = re.compile(r"dur=([\d.]+)")


class Recorder:
    def __init__(self, max_requests: int | None) -> None:
        self.latencies: list[float] = []
        self.server_ms: list[float] = []
        self.statuses: dict[str, int] = {}
        self.max_requests = max_requests
        self.started = time.perf_counter()
        self.finished: float | None = None

    def record(self, status: int, seconds: float, server_timing: str | None) -> None:
        self.latencies.append(seconds)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if server_timing and (match := _SERVER_TIMING.search(server_timing)):
            self.server_ms.append(float(match.group(1)))

    @property
    def done(self) -> bool:
        return self.max_requests is not None and len(self.latencies) >= self.max_requests


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def booking_specs(first_day: dt.date, days: int, per_slot: int, *, across_days: bool = False):
    """Distinct free slots: two-hour stays that never overlap on a day (10:00 ... 20:00),
    ``per_slot`` guests each, so each booking finds a free table at once or nearly.

    In day order (the default) a slot's guests come one after another, so the requests in
    flight at once share their slot: with pacing on they queue on its pace key, the worst
    case. ``across_days`` sends the same bookings with the day varying fastest (each
    slot's first guest on every day, then its second...), so requests in flight at once
    share no key, as bookings spread over a restaurant's days and slots do."""
    serial = itertools.count()
    hours = (10, 12, 14, 16, 18, 20)
    if across_days:
        order = ((offset, hour, k) for hour in hours for k in range(per_slot)
                 for offset in range(days))
    else:
        order = ((offset, hour, k) for offset in range(days) for hour in hours
                 for k in range(per_slot))
    for offset, hour, k in order:
        n = next(serial)
        day = first_day + dt.timedelta(days=offset)
        # Parties of 2, 4 and 6 land on different kinds of table: no two of these
        # requests compete for a table.
        yield booking_body(day, f"{hour:02d}:00", (2, 4, 6)[k % 3], f"guest{n}@bench.example.com")


def main(config: dict) -> dict:
    recorder = Recorder(config.get("max_requests"))
    scenario = config["scenario"]
    specs = booking_specs(dt.date.fromisoformat(config.get("first_day", "2000-01-01")),
                          config.get("days", 0), config.get("per_slot", 1))
    read_paths = config.get("read_paths", [])
    booking_path = config.get("booking_path", "")

    class BenchUser(FastHttpUser):
        host = config["base_url"]
        wait_time = constant(0)

        def _request(self, method: str, path: str, **kwargs) -> None:
            started = time.perf_counter()
            with self.client.request(method, path, catch_response=True, **kwargs) as response:
                seconds = time.perf_counter() - started
                recorder.record(response.status_code, seconds, response.headers.get("Server-Timing"))
                if response.status_code in (200, 201, 409):
                    response.success()

        @task
        def work(self) -> None:
            if recorder.done or finished["specs"]:
                gevent.sleep(0.1)  # the watcher below stops the run
                return
            if scenario == "book":
                try:
                    body = next(specs)
                except StopIteration:
                    finished["specs"] = True
                    return
                self._request("POST", booking_path, json=body, name="book")
            else:
                read = read_paths[next(read_cycle)]
                self._request("GET", read["path"], headers=read["headers"], name="read")

    read_cycle = itertools.cycle(range(max(1, len(read_paths))))
    finished = {"specs": False}
    env = Environment(user_classes=[BenchUser], events=events)
    runner = env.create_local_runner()

    def watcher() -> None:
        # Users must not stop the runner themselves (it would kill the greenlet doing it).
        deadline = time.perf_counter() + (config.get("seconds") or 3600)
        while not (recorder.done or finished["specs"] or time.perf_counter() > deadline):
            gevent.sleep(0.05)
        runner.quit()

    runner.start(config["users"], spawn_rate=config["users"])
    gevent.spawn(watcher)
    runner.greenlet.join()
    elapsed = time.perf_counter() - recorder.started
    ok = recorder.statuses.get("201" if scenario == "book" else "200", 0)
    errors = sum(count for status, count in recorder.statuses.items() if int(status) >= 500)
    return {
        "scenario": scenario, "users": config["users"], "seconds": round(elapsed, 2),
        "requests": len(recorder.latencies), "statuses": recorder.statuses,
        "ok_per_second": round(ok / elapsed, 1),
        "requests_per_second": round(len(recorder.latencies) / elapsed, 1),
        "errors_5xx": errors,
        # Status 0: the connection failed or was cut, no HTTP answer at all.
        "transport_errors": recorder.statuses.get("0", 0),
        "latency_ms": {name: round(percentile(recorder.latencies, q) * 1000, 2)
                       for name, q in (("p50", .5), ("p95", .95), ("p99", .99))},
        "server_ms": {name: round(percentile(recorder.server_ms, q), 2)
                      for name, q in (("p50", .5), ("p95", .95), ("p99", .99))},
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
