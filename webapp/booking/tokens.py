"""A guest as the engine tells guests apart, and the guest's private manage token.

* One guest, one spelling: e-mail addresses compare lower-cased, phone numbers in
  E.164 (parsed by ``phones.parse_phone`` in the restaurant's country), so
  "+49 (0) 170 / 123 45 67", "0170 1234567" (in Germany) and "+491701234567" are one
  guest for the overlap rule and the guest lock.
* The manage token is the guest's password to their booking: only its SHA-256 is
  stored; the clear token exists once, in the answer to the booking (and the e-mail
  queued in the same transaction).
"""

from __future__ import annotations

import hashlib
import re
import secrets

from .phones import parse_phone

_NOT_A_DIGIT = re.compile(r"\D")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str, country: str = "") -> str:
    """The number in E.164 ("" for none), numbers without + read as ``country``'s;
    raises ``phones.InvalidPhone`` (a field error under "phone") for one that cannot be
    valid."""
    return parse_phone(phone, country)


def phone_digits(phone: str) -> str:
    """Digits (and a leading +) only: for searching, where a part of a number is fine."""
    phone = phone.strip()
    digits = _NOT_A_DIGIT.sub("", phone)
    return ("+" + digits) if phone.startswith("+") and digits else digits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_manage_token() -> tuple[str, str]:
    """A fresh manage token: (clear token for the guest, hash to store)."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)
