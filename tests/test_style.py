"""The code style gate: ruff over the whole project, with the settings in pyproject.toml."""

from __future__ import annotations

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
