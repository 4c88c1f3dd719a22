"""The probes: /healthz (the process answers) and /readyz (database reachable and migrated)."""

from __future__ import annotations

from flask import Flask

from tests.conftest import build_app
from tests.fresh_db import flask_db


def readyz(app: Flask):
    try:
        return app.test_client().get("/readyz")
    finally:
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(fresh_database_url: str):
    flask_db(fresh_database_url, "upgrade")
    response = readyz(build_app(fresh_database_url))
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready"}


def test_readyz_refuses_before_migrating(fresh_database_url: str):
    response = readyz(build_app(fresh_database_url))
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_readyz_refuses_a_database_behind_the_migrations(fresh_database_url: str):
    flask_db(fresh_database_url, "upgrade")
    flask_db(fresh_database_url, "stamp", "base")  # as if a newer release had not been migrated yet
    response = readyz(build_app(fresh_database_url))
    assert response.status_code == 503
    assert "flask --app webapp db upgrade" in response.json["reason"]


def test_readyz_refuses_an_unreachable_database():
    # Nothing listens on port 1; the connect timeout does not come into play (refused at once).
    app = build_app("postgresql+psycopg://booking@127.0.0.1:1/nothing")
    response = readyz(app)
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.headers["Content-Type"].startswith("application/json")
