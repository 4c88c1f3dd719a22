"""/metrics under real gunicorn in production (BOOKING_ENV=production, no METRICS_TOKEN):
from this host yes, through a proxy for the internet no, with PROXY_FIX_HOPS 0 or 1."""

from __future__ import annotations

import pytest

from bench.stack import http

pytestmark = pytest.mark.postgres_only


def metrics_status(server, **headers: str) -> int:
    return http("GET", server.base_url + "/metrics", headers=headers)[0]


def test_production_metrics_from_loopback_only(cluster, serve):
    server = serve(workers=1, PROXY_FIX_HOPS="0", METRICS_TOKEN="")
    assert metrics_status(server) == 200
    assert metrics_status(server, **{"X-Forwarded-For": "203.0.113.9"}) == 403


def test_production_metrics_behind_one_proxy(cluster, serve):
    server = serve(workers=1, PROXY_FIX_HOPS="1", METRICS_TOKEN="")
    assert metrics_status(server, **{"X-Forwarded-For": "203.0.113.9"}) == 403
    assert metrics_status(server, **{"X-Forwarded-For": "127.0.0.1"}) == 200
    assert metrics_status(server) == 200
