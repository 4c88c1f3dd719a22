"""The code style gate: ruff over the whole project, with the settings in pyproject.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fresh_db import ROOT


def ruff() -> str:
    beside_python = Path(sys.executable).with_name("ruff")
    found = str(beside_python) if beside_python.exists() else shutil.which("ruff")
    assert found, "ruff is not installed (it is in the test extras: pip install -e '.[test]')"
    return found


def test_ruff_check_passes():
    result = subprocess.run([ruff(), "check", "--no-cache", "."], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr


# The doors of the owner operations and the guest's booking: views read input, call an
# operation (webapp/booking) and render; the transaction belongs to the operation.
VIEW_PACKAGES = ("webapp/owner", "webapp/api", "webapp/public")
TRANSACTION_CALLS = re.compile(r"\bsession\.(commit|rollback|expire_all|refresh|begin|"
                               r"begin_nested)\(")


def test_no_view_runs_a_transaction_itself():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for package in VIEW_PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if TRANSACTION_CALLS.search(line)]
    assert not found, "views must leave the transaction to webapp/booking:\n" + "\n".join(found)
