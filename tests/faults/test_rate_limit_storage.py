"""Rate limits hold across workers and instances with a shared store (memcached),
and do not with the per-process default -- which is why production needs one."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from bench.stack import booking_path, free_port, http, wait_for

pytestmark = pytest.mark.postgres_only

LIMIT = 5


@pytest.fixture
def memcached() -> Iterator[str]:
    binary = shutil.which("memcached") or "/usr/bin/memcached"
    port = free_port()
    process = subprocess.Popen([binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "nobody",
                                "-m", "16"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, 10, "memcached")
        yield f"memcached://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def hammer(servers, restaurant, attempts: int) -> list[int]:
    """Booking attempts from one client address, spread over every server; the body is
    incomplete (422) -- the limit counts attempts, not successes."""
    return [http("POST", servers[n % len(servers)].base_url + booking_path(restaurant.slug), {})[0]
            for n in range(attempts)]


def limited(**extra: str) -> dict:
    return {"RATELIMIT_ENABLED": "1", "PUBLIC_WRITE_RATE_LIMIT": f"{LIMIT} per minute", **extra}


def test_shared_store_limits_across_instances_and_workers(cluster, serve, memcached):
    restaurant = cluster.restaurant()
    servers = [serve(workers=2, **limited(RATELIMIT_STORAGE_URI=memcached)) for _ in range(2)]
    statuses = hammer(servers, restaurant, 4 * LIMIT)
    assert statuses.count(429) == 3 * LIMIT, statuses
    assert set(statuses[:LIMIT]) == {422}


def test_per_process_store_lets_more_through(cluster, serve):
    restaurant = cluster.restaurant()
    # Production refuses several workers on memory:// unless told it is fine (the control).
    servers = [serve(workers=2, **limited(RATELIMIT_STORAGE_URI="memory://",
                                          RATELIMIT_PER_PROCESS_OK="1")) for _ in range(2)]
    statuses = hammer(servers, restaurant, 4 * LIMIT)
    # Two instances (at least) count separately: well over the limit gets through.
    assert statuses.count(422) > LIMIT, statuses
