"""PUBLIC_BASE_URL and TRUSTED_HOSTS: production states where guests reach the site;
nothing takes a link's host from a request."""

from __future__ import annotations

import pytest

from tests.fresh_db import run_flask
from tests.test_settings import assert_one_clear_line
from webapp.settings import ConfigError, load_settings

PRODUCTION = {"BOOKING_ENV": "production", "SECRET_KEY": "a-production-secret-key-0123456789",
              "DATABASE_URL": "sqlite:////nonexistent/db.sqlite3"}


def test_production_without_public_base_url_refuses_to_start(tmp_path):
    result = run_flask("routes", timeout=60, **{**PRODUCTION,
                                                "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert_one_clear_line(result, "PUBLIC_BASE_URL is not set", "Host header")


@pytest.mark.parametrize("url", ["book.example.com", "ftp://book.example.com", "https://",
                                 "https://book.example.com/?x=1"])
def test_a_public_base_url_that_is_no_address_is_refused(tmp_path, url):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings({**PRODUCTION, "PUBLIC_BASE_URL": url}, str(tmp_path))


def test_production_trusts_the_public_host_and_loopback_only(tmp_path):
    settings = load_settings({**PRODUCTION, "PUBLIC_BASE_URL": "https://Book.Example.com/"},
                             str(tmp_path))
    assert settings["PUBLIC_BASE_URL"] == "https://Book.Example.com"
    assert settings["TRUSTED_HOSTS"] == ["book.example.com", "localhost", "127.0.0.1"]


@pytest.mark.parametrize(("value", "expected"), [
    ("book.example.com, .book.example.com", ["book.example.com", ".book.example.com"]),
    ("*", None),
])
def test_trusted_hosts_can_be_set(tmp_path, value, expected):
    settings = load_settings({**PRODUCTION, "PUBLIC_BASE_URL": "https://book.example.com",
                              "TRUSTED_HOSTS": value}, str(tmp_path))
    assert settings["TRUSTED_HOSTS"] == expected


@pytest.mark.parametrize(("bind", "base"), [
    (None, "http://127.0.0.1:8000"),
    ("127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("0.0.0.0:8080", "http://127.0.0.1:8080"),
    ("localhost:9000", "http://localhost:9000"),
    ("unix:/run/booking.sock", "http://127.0.0.1:8000"),
])
def test_development_links_go_to_the_address_serve_sh_listens_on(tmp_path, bind, base):
    env = {"BOOKING_ENV": "development", "DATABASE_URL": "sqlite:////nonexistent/db.sqlite3",
           **({"BIND": bind} if bind else {})}
    settings = load_settings(env, str(tmp_path))
    assert settings["PUBLIC_BASE_URL"] == base
    assert settings["TRUSTED_HOSTS"] is None  # any host while developing


def test_development_takes_a_configured_base(tmp_path):
    env = {"BOOKING_ENV": "development", "DATABASE_URL": "sqlite:////nonexistent/db.sqlite3",
           "BIND": "0.0.0.0:8080", "PUBLIC_BASE_URL": "http://192.168.1.20:8080"}
    assert load_settings(env, str(tmp_path))["PUBLIC_BASE_URL"] == "http://192.168.1.20:8080"
