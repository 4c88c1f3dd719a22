"""guests' phone numbers stored before 0005 rewritten in E.164

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Since 0005 every door stores a guest's phone in E.164, read in the restaurant's country
(``booking.phones.parse_phone``), and the same-guest rule and the guest lock compare
those strings. Rows written before kept what the old normalisation made of the input
("0171 5555555" as "01715555555", "+49 (0) 170 / 123 45 67" as "+4901701234567"), so
the same guest booking again was not recognised and owners saw numbers in two shapes.

Each reservations.guest_phone is parsed with ``phonenumbers`` in its restaurant's
country (restaurants.country) and replaced by its E.164 form when the library finds a
valid number. Anything else (no country known for a number without "+", a number that
is not valid, text such as "walk-in") stays exactly as it was: a migration never loses
what an owner wrote down. updated_at and version stay too: the number is the same, only
spelled one way, and an owner's open edit form must not be refused as stale for it.

The parsing is a frozen copy of the rule (not an import of webapp code), so this
migration keeps doing what it did when the application's code moves on.
"""
import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 1000


def e164(raw: str, country: str) -> str | None:
    """``raw`` in E.164 when it is a valid number (read as ``country``'s without a
    "+"), else None."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade():
    bind = op.get_bind()
    select = sa.text(
        "SELECT r.id, r.guest_phone, s.country FROM reservations r "
        "JOIN restaurants s ON s.id = r.restaurant_id "
        "WHERE r.id > :after AND r.guest_phone <> '' ORDER BY r.id LIMIT :batch")
    update = sa.text("UPDATE reservations SET guest_phone = :phone WHERE id = :id")
    after = 0
    while True:  # in batches by id: a large table is never read into memory at once
        rows = bind.execute(select, {"after": after, "batch": BATCH}).all()
        if not rows:
            break
        changes = [{"id": row_id, "phone": new}
                   for row_id, phone, country in rows
                   if (new := e164(phone, country or "")) is not None and new != phone]
        if changes:
            bind.execute(update, changes)
        after = rows[-1][0]


def downgrade():
    # Nothing to undo: the E.164 spelling is the same number, and what 0005's code wrote
    # before this ran cannot be told back from it (both "0171 5555555" and
    # "01715555555" were stored). Code before 0005 reads E.164 numbers as they are.
    pass
