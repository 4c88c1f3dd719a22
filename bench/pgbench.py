"""The booking transaction run by pgbench directly: what the database alone can do.

The script is the transaction that ``webapp.booking.service.book`` sends, statement
for statement (see webapp/booking/service.py and locks.py): the guest's advisory lock
(which sets the lock timeout in the same statement), the guest-overlap check, the
(table, bucket) locks of a two-hour stay (8 fifteen-minute buckets, one round trip), the
overlap re-check (both checks bounded below by the longest stay, as
models.overlapping_stays does, and both reading the live holds too, as the app's UNION
ALL does since holds exist), the INSERT of the reservation and of its history row,
COMMIT. Times are drawn from a range far from the HTTP benchmark's days, so the two
never collide.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

from webapp.models import OVERLAP_LOOKBACK

from .stack import pg_bin

# 2040-01-01 as a 15-minute bucket number; each client stays far from the others' rows.
# The slots are drawn from two billion buckets (the advisory lock's key is an int4): a
# draw that lands on a stay already booked inserts nothing, and when that is a
# connection's first transaction its history INSERT's currval() fails the run; with 40
# million buckets that happened once the paired runs had booked some 100,000 rows.
_BASE_BUCKET = 2461536

SCRIPT = """\
\\set t random({first_table}, {last_table})
\\set slot random(0, 2000000000)
\\set g random(1, 9000000000000000000)
\\set b0 {base_bucket} + :slot
BEGIN;
SELECT count(pg_advisory_xact_lock(k)) FROM unnest(ARRAY[:g]::bigint[]) AS k \
WHERE set_config('lock_timeout', '3000ms', true) <> '';
SELECT id FROM reservations WHERE restaurant_id = {restaurant_id} AND status IN ('booked', 'seated') \
AND {stay_overlaps} \
AND guest_email = 'g' || :g || '@bench.example.com' \
UNION ALL SELECT -id FROM holds WHERE restaurant_id = {restaurant_id} AND {hold_overlaps} LIMIT 1;
SELECT count(pg_advisory_xact_lock(:t, b::int)) FROM generate_series(:b0, :b0 + 7) AS b;
SELECT id FROM reservations WHERE table_id = :t AND status IN ('booked', 'seated') \
AND {stay_overlaps} \
UNION ALL SELECT -id FROM holds WHERE table_id = :t AND {hold_overlaps} LIMIT 1;
INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, party_size, guest_name, \
guest_email, guest_phone, notes, status, source, manage_token_hash, created_at, updated_at, version) \
SELECT {restaurant_id}, :t, to_timestamp(:b0::bigint * 900), to_timestamp((:b0 + 8)::bigint * 900), \
2, 'Bench Guest', \
'g' || :g || '@bench.example.com', '', '', 'booked', 'api', md5(random()::text || :g), now(), now(), 1 \
WHERE NOT EXISTS (SELECT 1 FROM reservations WHERE table_id = :t AND status IN ('booked', 'seated') \
AND {stay_overlaps});
INSERT INTO reservation_events (reservation_id, at, actor, action, changes) \
SELECT currval('reservations_id_seq'), now(), 'guest', 'created', '{{"source": "api"}}'::json;
COMMIT;
"""


# models.overlapping_stays for the stay [b0, b0 + 8 buckets), as the app's queries say it.
STAY_OVERLAPS = ("starts_at < to_timestamp((:b0 + 8)::bigint * 900) "
                 "AND ends_at > to_timestamp(:b0::bigint * 900) "
                 "AND starts_at > to_timestamp(:b0::bigint * 900) - interval '{lookback_minutes} minutes'")


# service._HOLD_OVERLAPS: a live hold of someone else overlapping the stay (booking/holds.py).
HOLD_OVERLAPS = ("expires_at > now() AND holder_hash <> '' "
                 "AND starts_at < to_timestamp((:b0 + 8)::bigint * 900) "
                 "AND ends_at > to_timestamp(:b0::bigint * 900) "
                 "AND starts_at > to_timestamp(:b0::bigint * 900) - interval '{lookback_minutes} minutes'")


def run_pgbench(libpq_url: str, *, restaurant_id: int, table_ids: list[int], clients: int = 16,
                seconds: int = 10) -> dict:
    """Run the booking transaction for ``seconds`` with ``clients`` connections; returns tps
    and latency figures as pgbench reports them."""
    lookback = OVERLAP_LOOKBACK // dt.timedelta(minutes=1)
    script = SCRIPT.format(first_table=min(table_ids), last_table=max(table_ids),
                           base_bucket=_BASE_BUCKET, restaurant_id=restaurant_id,
                           stay_overlaps=STAY_OVERLAPS.format(lookback_minutes=lookback),
                           hold_overlaps=HOLD_OVERLAPS.format(lookback_minutes=lookback))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
        path = Path(handle.name)
    path.chmod(0o644)
    try:
        out = subprocess.run(
            [pg_bin("pgbench"), "-n", "-r", "-c", str(clients), "-j", "2", "-T", str(seconds),
             "-f", str(path), libpq_url],
            capture_output=True, text=True)
    finally:
        path.unlink()
    if out.returncode:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    text = out.stdout
    tps = float(re.search(r"tps = ([\d.]+)", text).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", text).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", text)
    return {"tps": round(tps, 1), "latency_avg_ms": latency, "clients": clients,
            "seconds": seconds, "failed": int(failed.group(1)) if failed else 0,
            "report": text}
