"""Text kept encrypted at rest with a key derived from ``SECRET_KEY`` (standard library only).

Used for the stored first answers of ``Idempotency-Key`` requests, which may carry a
booking's manage token: a copy of the database (a backup, a read replica, a support
dump) must not open anyone's booking.

The construction is the textbook one, from HMAC-SHA256 alone: a random 16-byte nonce,
a keystream of HMAC(k_enc, nonce || counter) blocks (HMAC as a PRF in counter mode)
XORed with the text, then encrypt-then-MAC: HMAC(k_mac, context || nonce || ciphertext)
over the result, checked in constant time before anything is decrypted. ``context``
binds a sealed value to its row (scope and key), so one cannot be swapped for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

PREFIX = "sealed1:"
_NONCE = 16
_TAG = 32
_BLOCK = hashlib.sha256().digest_size


class Unreadable(ValueError):
    """Not sealed with this key (another SECRET_KEY) or altered."""


def derive_key(secret_key: str | bytes, purpose: str) -> bytes:
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, b"booking-manager sealed " + purpose.encode(), hashlib.sha256).digest()


def _subkeys(key: bytes) -> tuple[bytes, bytes]:
    return (hmac.new(key, b"encrypt", hashlib.sha256).digest(),
            hmac.new(key, b"authenticate", hashlib.sha256).digest())


def _xor_keystream(key: bytes, nonce: bytes, data: bytes) -> bytes:
    blocks = (len(data) + _BLOCK - 1) // _BLOCK
    stream = b"".join(hmac.new(key, nonce + n.to_bytes(8, "big"), hashlib.sha256).digest()
                      for n in range(blocks))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def _tag(key: bytes, context: str, nonce: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(key, context.encode() + b"\0" + nonce + ciphertext, hashlib.sha256).digest()


def seal(key: bytes, text: str, *, context: str = "") -> str:
    encrypt_key, mac_key = _subkeys(key)
    nonce = os.urandom(_NONCE)
    ciphertext = _xor_keystream(encrypt_key, nonce, text.encode())
    sealed = nonce + _tag(mac_key, context, nonce, ciphertext) + ciphertext
    return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")


def unseal(key: bytes, stored: str, *, context: str = "") -> str:
    """The clear text of ``seal``'s output. Values stored in clear before sealing
    existed (no prefix) are returned as they are."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):])
    except ValueError:
        raise Unreadable("not a sealed value") from None
    nonce, tag, ciphertext = raw[:_NONCE], raw[_NONCE:_NONCE + _TAG], raw[_NONCE + _TAG:]
    encrypt_key, mac_key = _subkeys(key)
    if len(nonce) != _NONCE or not hmac.compare_digest(tag, _tag(mac_key, context, nonce,
                                                                  ciphertext)):
        raise Unreadable("sealed with another key, or altered")
    return _xor_keystream(encrypt_key, nonce, ciphertext).decode()
