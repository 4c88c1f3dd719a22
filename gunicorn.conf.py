"""gunicorn settings for Booking Manager: ``gunicorn -c gunicorn.conf.py``.

Everything here can be set from the environment (see docs/operations.md):

    BIND                 address to listen on               127.0.0.1:8000
    WEB_CONCURRENCY      worker processes                   CPUs (at least 2, at most 12)
    GUNICORN_TIMEOUT     seconds before a silent worker is killed and replaced    30
    GUNICORN_GRACEFUL_TIMEOUT  seconds a worker gets to finish on restart/stop  20
    GUNICORN_MAX_REQUESTS  recycle a worker after this many requests (0 = never)  5000
    GUNICORN_ACCESS_LOG  "-" for gunicorn's own access log on stdout; off by default
                         because the app writes one structured line per request
                         (manage tokens redacted, control characters escaped, like it)
    PROMETHEUS_MULTIPROC_DIR  where workers share metrics; a fresh temp dir by default
"""

import atexit
import gc
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers: each request is a short, mostly CPU-bound database transaction. One per
# CPU (at least two, so one slow request never stalls the site) measured best on a 2-core
# host that also runs PostgreSQL: bench/ gave 10-12 % more bookings/s than CPUs + 1 in
# four paired runs (5 workers had doubled the fragment's server time), since a worker
# waiting for the database leaves its core to PostgreSQL. Raise WEB_CONCURRENCY when
# the database has its own machine.
workers = int(os.environ.get("WEB_CONCURRENCY", min(max(multiprocessing.cpu_count(), 2), 12)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Graceful restart (SIGHUP) and stop (SIGTERM): workers finish their request first.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycling workers now and then bounds the damage of any slow leak; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in RAM: a slow disk must not get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Load the app once in the master: a configuration error stops it with one clear line
# instead of every worker crashing in a loop, and workers fork with the code already loaded.
# create_app disposes its database pool before the fork.
preload_app = True
wsgi_app = "webapp.wsgi:app"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Guests' manage tokens redacted and control characters escaped, as in the app's log.
logger_class = "webapp.gunicorn_logging.SafeAccessLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Forwarded headers are the app's business (PROXY_FIX_HOPS); gunicorn keeps its default
# of trusting X-Forwarded-Proto from 127.0.0.1 only.

# Prometheus: each worker writes its metrics to files in one directory; /metrics adds
# them up. It must be set before the app (and prometheus_client) is imported, i.e. here.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    # In RAM like the heartbeat files: every request updates these memory-mapped files,
    # and on a disk each update is a dirty page for the kernel to write back.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="booking-metrics-",
                                                              dir=worker_tmp_dir)
    _master_pid = os.getpid()

    @atexit.register
    def _remove_metrics_dir():
        # Also when the master stops early (a configuration error); never from a worker.
        if os.getpid() == _master_pid:
            shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
else:
    # Figures of a previous run would be added to ours: start empty.
    _dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(_dir, exist_ok=True)
    for _name in os.listdir(_dir):
        if _name.endswith(".db"):
            os.unlink(os.path.join(_dir, _name))


def on_starting(server):
    """Refuse per-process rate-limit counters with several workers in production (see
    webapp/ratelimit_store.py): the number of workers is final here, -w included."""
    from webapp.ratelimit_store import per_process_problem

    problem = per_process_problem(os.environ, server.cfg.workers)
    if problem:
        raise SystemExit(f"booking-manager: configuration error: {problem}")


def when_ready(server):
    # The app is loaded (preload_app): drop its start-up garbage before pre_fork freezes.
    gc.collect()


def pre_fork(server, worker):
    """Move everything the master loaded (Flask, SQLAlchemy, the app) out of the garbage
    collector's sight before the fork: a worker's full collections then scan only its own
    objects (one took 57 ms over the preloaded ones, 5 ms without them, stalling every
    request queued behind it), and pages shared with the master stay shared instead of
    being copied when the collector touches their reference counts."""
    gc.freeze()


def child_exit(server, worker):
    """A worker is gone (recycled, killed): fold its live gauges away."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

