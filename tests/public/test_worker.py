"""``flask --app webapp worker``: two of them at once, as real processes, against a real
SMTP server on loopback — every due e-mail goes out exactly once — and SIGTERM ends a
worker cleanly after its pass."""

from __future__ import annotations

import datetime as dt
import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from webapp.models import OutboxEmail

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


def _start_worker(app, smtp_server) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "BOOKING_ENV": "development", "MAIL_SERVER": smtp_server.host,
                "MAIL_PORT": str(smtp_server.port), "MAIL_USE_TLS": "0",
                "PYTHONUNBUFFERED": "1"})
    return subprocess.Popen([str(FLASK), "--app", "webapp", "worker", "--interval", "0.2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_two_workers_send_every_due_email_exactly_once_and_stop_on_sigterm(app, session,
                                                                            smtp_server):
    # The worker processes read the real clock (the tests' fixed one is theirs alone):
    # these are due by it.
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    rows = [OutboxEmail(kind="confirmation", to_address=f"guest{n}@example.com",
                        subject=f"Booking {n}", body_text=f"Hello {n}", status="pending",
                        next_attempt_at=now) for n in range(40)]
    session.add_all(rows)
    session.commit()
    workers = [_start_worker(app, smtp_server) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(smtp_server.messages) < 40:
            time.sleep(0.1)
        time.sleep(1)  # a duplicate, if any, would arrive in the next passes
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    subjects = sorted(email.message_from_bytes(m)["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(f"Booking {n}" for n in range(40)), outputs
    session.expire_all()
    assert {row.status for row in session.query(OutboxEmail)} == {"sent"}
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output
        assert "SIGTERM, stopping after this pass" in output and "worker: stopped" in output
