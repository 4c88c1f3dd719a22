"""The backup and restore procedure of docs/operations.md, run as written: pg_dump in
the custom format, a fresh database, pg_restore, flask db upgrade, gunicorn. Every
booking comes back intact and the restored restaurant's guest page serves."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from bench.stack import http, migrate, pg_bin

from .conftest import book, day_ahead

pytestmark = pytest.mark.postgres_only

ROWS = ("SELECT id, table_id, starts_at, ends_at, party_size, guest_name, guest_email, "
        "guest_phone, status, source, manage_token_hash FROM reservations "
        "WHERE restaurant_id = %s ORDER BY id")


def _rows(libpq_url: str, restaurant_id: int) -> list[tuple]:
    with psycopg.connect(libpq_url) as conn:
        return conn.execute(ROWS, (restaurant_id,)).fetchall()


def test_dump_restore_upgrade_serves_every_booking(cluster, serve, tmp_path: Path):
    restaurant = cluster.restaurant(tables=2)
    server = serve(workers=1)
    for number in range(6):
        status, _, body = book(server, restaurant, day_ahead(3 + number), "19:00",
                               f"guest{number}@example.com")
        assert status == 201, body
    before = _rows(cluster.postgres.libpq_url, restaurant.restaurant_id)
    assert len(before) == 6

    dump = tmp_path / "booking.dump"
    source = cluster.postgres.libpq_url
    subprocess.run([pg_bin("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", source],
                   check=True, capture_output=True)
    restored_db = f"restored_{restaurant.restaurant_id}"
    server_url = source.rsplit("/", 1)[0]
    subprocess.run([pg_bin("createdb"), f"--maintenance-db={server_url}/postgres", restored_db],
                   check=True, capture_output=True)
    subprocess.run([pg_bin("pg_restore"), "--no-owner", "--exit-on-error",
                    f"--dbname={server_url}/{restored_db}", str(dump)],
                   check=True, capture_output=True)
    restored_url = cluster.url.rsplit("/", 1)[0] + "/" + restored_db
    migrate(restored_url)  # a no-op at the same release; brings an older dump up to date

    assert _rows(f"{server_url}/{restored_db}", restaurant.restaurant_id) == before
    restored = serve(workers=1, database_url=restored_url)
    status, _, body = http("GET", f"{restored.base_url}/r/{restaurant.slug}")
    assert status == 200 and b"Bench Bistro" in body
    # The restored database takes bookings, and its constraint still guards the tables.
    status, _, body = book(restored, restaurant, day_ahead(3), "19:00", "new@example.com")
    assert status == 201, body  # the second table is free at that time
    status, _, _ = book(restored, restaurant, day_ahead(3), "19:00", "third@example.com")
    assert status == 409
