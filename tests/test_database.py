"""The connection pool on PostgreSQL: connections that sat idle are pinged before use
(a server restart or a proxy leaves dead ones behind), busy ones are not."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from webapp import database
from webapp.extensions import db


def _kill_pooled_connection(app) -> int:
    """Return one connection to the pool (then its only one), then end its server
    process from outside."""
    with app.app_context():
        db.engine.dispose()  # whatever earlier tests left in the pool is not ours to judge
        with db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return pid


@pytest.mark.postgres_only
def test_an_idle_connection_that_died_is_replaced_unnoticed(app, monkeypatch):
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # everything counts as idle
    dead = _kill_pooled_connection(app)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != dead


@pytest.mark.postgres_only
def test_a_connection_in_constant_use_is_not_pinged(app, monkeypatch):
    # The control: with no ping the dead connection surfaces as an error, which is what
    # the ping above prevents (and what a request would answer with a 503).
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 3600.0)
    _kill_pooled_connection(app)
    with app.app_context(), db.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("SELECT 1"))
