"""The probes: /healthz (the process answers) and /readyz (database reachable and migrated)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from tests.conftest import build_app
from webapp.extensions import db


def readyz(app: Flask):
    try:
        return app.test_client().get("/readyz")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.mark.slow  # builds a database with flask db upgrade
def test_readyz_follows_the_migration_state(migrated_database_url: str):
    app = build_app(migrated_database_url)
    response = readyz(app)
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready"}

    # As if a newer release had not been migrated yet (what `flask db stamp base` does).
    engine = create_engine(migrated_database_url)
    with engine.begin() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        conn.execute(text("DELETE FROM alembic_version"))
    try:
        response = readyz(app)
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert "flask --app webapp db upgrade" in response.json["reason"]
    finally:  # the database is shared with other tests
        with engine.begin() as conn:
            for version in versions:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                             {"v": version})
        engine.dispose()
    assert readyz(app).status_code == 200


def test_readyz_refuses_before_migrating(fresh_database_url: str):
    response = readyz(build_app(fresh_database_url))
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_readyz_refuses_an_unreachable_database():
    # Nothing listens on port 1: the connection is refused at once.
    response = readyz(build_app("postgresql+psycopg://booking@127.0.0.1:1/nothing"))
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.headers["Content-Type"].startswith("application/json")
