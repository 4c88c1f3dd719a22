"""Probes for an orchestrator: /healthz (the process answers) and /readyz
(the database answers and its schema is at the migrations' head)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def migration_heads() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        db.session.rollback()
    except Exception as exc:  # any database failure means "not ready"
        db.session.rollback()
        current_app.logger.warning("readyz: database not ready: %s", str(exc).splitlines()[0])
        return jsonify(status="unavailable", reason="database unreachable or not migrated"), 503
    heads = current_app.extensions.get("migration_heads")
    if heads is None:  # read the migration scripts once, not on every probe
        heads = current_app.extensions["migration_heads"] = migration_heads()
    if set(rows) != heads:
        return jsonify(status="unavailable", reason="database schema is not at the latest "
                       "migration; run `flask --app webapp db upgrade`",
                       database=sorted(rows), expected=sorted(heads)), 503
    return jsonify(status="ready", **_replica_report())


def _replica_report() -> dict:
    """With a replica configured: its lag and whether reads go to it. A lagging or
    unreachable replica does not make the app unready: reads fall back to the primary."""
    from .replica import BIND_KEY, replica_lag

    engine = db.engines.get(BIND_KEY)
    if engine is None:
        return {}
    lag = replica_lag(engine, fresh=True)
    bound = float(current_app.config.get("REPLICA_MAX_LAG_SECONDS", 5))
    return {"replica": {"reachable": lag is not None,
                        "lag_seconds": None if lag is None else round(lag, 3),
                        "max_lag_seconds": bound,
                        "reads_from_replica": lag is not None and lag <= bound}}
