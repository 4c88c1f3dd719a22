"""Run the real ``flask`` command line against a database of the test's choosing.

Migrations and the readiness probe must be tested on databases that only the
migrations built (not the shared test schema, which the fixtures make with
``create_all``), and through the command an operator types. The subprocess also
keeps Alembic's logging set-up (``fileConfig`` in migrations/env.py) out of the
test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings an operator could have exported; a test states the ones it wants.
OPERATOR_VARIABLES = ("DATABASE_URL", "SECRET_KEY", "BOOKING_ENV", "FLASK_APP", "FLASK_DEBUG")


def clean_env(**variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in OPERATOR_VARIABLES}
    env.update(variables)
    return env


def run_flask(*args: str, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess:
    """``python -m flask --app webapp ARGS`` in the project root with the given environment."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args],
                          cwd=ROOT, env=clean_env(**variables), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def flask_db(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """``flask db ARGS`` on that database; fails the test with the command's output."""
    result = run_flask("db", *args, DATABASE_URL=database_url, BOOKING_ENV="testing")
    assert result.returncode == 0, f"flask db {' '.join(args)} failed:\n{result.stderr}"
    return result
