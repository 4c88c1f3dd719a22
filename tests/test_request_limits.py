"""Bounded requests (webapp/input_guard.py): a size limit answered by 413, no body parsed
where none belongs, and JSON nested too deeply refused with a 400 and one log line."""

from __future__ import annotations

import json
import logging

import pytest

from tests.factories import future_day, make_restaurant
from webapp.settings import DEFAULT_MAX_CONTENT_LENGTH, ConfigError, load_settings

DEEP = "[" * 600 + "]" * 600


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, slug="limits")


def test_the_default_limit_is_small_and_configurable(tmp_path):
    assert DEFAULT_MAX_CONTENT_LENGTH <= 256 * 1024
    settings = load_settings({"BOOKING_ENV": "testing", "MAX_CONTENT_LENGTH": "2048"}, str(tmp_path))
    assert settings["MAX_CONTENT_LENGTH"] == 2048
    default = load_settings({"BOOKING_ENV": "testing"}, str(tmp_path))
    assert default["MAX_CONTENT_LENGTH"] == DEFAULT_MAX_CONTENT_LENGTH
    for bad in ("0", "-5", "64k"):
        with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH"):
            load_settings({"BOOKING_ENV": "testing", "MAX_CONTENT_LENGTH": bad}, str(tmp_path))


@pytest.mark.parametrize("path", ["/healthz", "/r/limits", "/api/v1/restaurants/limits"])
def test_a_body_over_the_limit_is_413_unread_on_any_route(client, restaurant, app, path):
    body = b"[" + b"0," * DEFAULT_MAX_CONTENT_LENGTH + b"0]"
    for method in ("GET", "POST"):
        response = client.open(path, method=method, data=body, content_type="application/json")
        assert response.status_code == 413, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert response.mimetype == "application/problem+json"
            assert response.json["status"] == 413
        else:
            assert response.mimetype == "text/html"


def test_a_multipart_upload_over_the_limit_is_413(client, restaurant):
    import io

    response = client.post("/r/limits/book", data={
        "csrf_token": client.csrf_token, "file": (io.BytesIO(b"x" * 200_000), "big.bin")},
        content_type="multipart/form-data")
    assert response.status_code == 413


def test_api_413_is_problem_json(client, restaurant):
    body = {"date": future_day().isoformat(), "time": "19:00", "party_size": 2,
            "name": "Ada", "email": "ada@example.com", "notes": "n" * 100_000}
    response = client.post("/api/v1/restaurants/limits/reservations", json=body)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert "larger than" in response.json["detail"]


def test_the_limit_follows_the_setting(make_app, session):
    small = make_app(MAX_CONTENT_LENGTH=1000)
    client = small.test_client()
    assert client.post("/login", data={"email": "x" * 1200}).status_code == 413
    assert client.post("/login", data={"email": "x" * 200}).status_code != 413


@pytest.mark.parametrize("body", [DEEP, '{"a": "\\u0000"}', "{not json"],
                         ids=["deep", "nul", "malformed"])
def test_routes_that_take_no_body_do_not_parse_it(client, restaurant, body):
    # A GET carries no body worth reading: whatever it holds, the answer is the page's.
    for path in ("/healthz", "/r/limits", "/api/v1/restaurants/limits"):
        response = client.open(path, method="GET", data=body, content_type="application/json")
        assert response.status_code == 200, (path, response.status_code)


@pytest.mark.parametrize("depth", [40, 600, 20_000])
@pytest.mark.parametrize("path", ["/r/limits/book", "/api/v1/restaurants/limits/reservations",
                                  "/login", "/owner/limits/settings",
                                  "/api/v1/restaurants/limits/settings"])
def test_deep_nesting_is_400_with_one_log_line(client, restaurant, caplog, path, depth):
    body = "[" * depth + "]" * depth
    with caplog.at_level(logging.INFO):
        # With the CSRF token a page's script would send: the body is what is refused.
        response = client.post(path, data=body, content_type="application/json",
                               headers={"X-CSRFToken": client.csrf_token})
    assert response.status_code == 400, response.status_code
    if path.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert "nested too deeply" in response.json["detail"]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    refusals = [r for r in caplog.records if r.name == "webapp.input"]
    assert len(refusals) == 1 and "nested too deeply" in refusals[0].getMessage()
    assert len(caplog.text) < 2000


def test_nesting_within_the_limit_still_reaches_the_view(client, restaurant):
    body = {"date": future_day().isoformat(), "time": "19:00", "party_size": 2, "name": "Ada",
            "email": "ada@example.com", "notes": json.loads("[" * 20 + '"x"' + "]" * 20)}
    response = client.post("/api/v1/restaurants/limits/reservations", json=body)
    assert 400 <= response.status_code < 500  # the view's own field message, not the guard's
    assert "nested too deeply" not in response.get_data(as_text=True)
