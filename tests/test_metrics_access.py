"""/metrics in production without METRICS_TOKEN answers only from this host: the socket's
peer and the client the trusted proxies saw (PROXY_FIX_HOPS) must both be loopback.
Through real gunicorn: tests/faults/test_metrics_access.py."""

from __future__ import annotations

import pytest


def production(app):
    # Only the view's own check reads ENVIRONMENT per request; the start-up checks of
    # production (SECRET_KEY, PUBLIC_BASE_URL, ...) are not what this is about.
    app.config["ENVIRONMENT"] = "production"
    return app.test_client()


def scrape(client, remote_addr: str, **headers: str):
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote_addr})


@pytest.mark.parametrize("remote_addr", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_production_metrics_answer_loopback(make_app, remote_addr):
    response = scrape(production(make_app()), remote_addr)
    assert response.status_code == 200 and "http_requests_total" in response.get_data(as_text=True)


@pytest.mark.parametrize("remote_addr", ["203.0.113.9", "10.0.0.5", "::ffff:203.0.113.9", ""])
def test_production_metrics_refuse_other_hosts(make_app, remote_addr):
    response = scrape(production(make_app()), remote_addr)
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.get_data(as_text=True)
    assert "http_requests_total" not in response.get_data(as_text=True)


def test_behind_an_undeclared_proxy_nobody_counts_as_local(make_app):
    # PROXY_FIX_HOPS=0 but a proxy on this host forwards the internet: every request's
    # peer is 127.0.0.1, and only the header tells it came from elsewhere.
    client = production(make_app(PROXY_FIX_HOPS=0))
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert scrape(client, "127.0.0.1", Forwarded="for=203.0.113.9").status_code == 403


def test_behind_a_declared_proxy_the_forwarded_client_decides(make_app):
    client = production(make_app(PROXY_FIX_HOPS=1))
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    assert scrape(client, "127.0.0.1").status_code == 200  # a scraper on the host, direct
    # A spoofed header sent straight to an app server that is reachable from outside.
    assert scrape(client, "203.0.113.9", **{"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_a_metrics_token_opens_it_from_anywhere_in_production(make_app):
    client = production(make_app(METRICS_TOKEN="scrape-me-7f3a"))
    assert scrape(client, "203.0.113.9").status_code == 401
    allowed = scrape(client, "203.0.113.9", Authorization="Bearer scrape-me-7f3a")
    assert allowed.status_code == 200


def test_outside_production_metrics_stay_open(make_app):
    assert scrape(make_app().test_client(), "203.0.113.9").status_code == 200
