"""Opaque, tamper-evident pagination cursors (keyset pagination).

A cursor carries the sort key values of the last row of a page and the id as
a tie-breaker, so the next page is `WHERE (key, id) > (last_key, last_id)`:
an index range scan that costs the same at any depth and does not skip or
repeat rows when other rows are inserted meanwhile. The payload is signed
with a server secret so that a client cannot forge one; the order it was
made for is part of it so that it cannot be replayed under another order.
"""

import base64
import hashlib
import hmac
import json

_SIG_BYTES = 12


class InvalidCursor(ValueError):
    """The cursor is malformed, forged, or made for another listing."""


def _b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text):
    padding = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + padding)


def _sign(secret, payload):
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:_SIG_BYTES]


def encode_cursor(secret, order, values):
    """Return the opaque cursor for `values` (last row's sort keys + id)."""
    payload = json.dumps({"o": order, "v": list(values)}, separators=(",", ":")).encode()
    return _b64encode(_sign(secret, payload) + payload)


def decode_cursor(secret, order, cursor):
    """Return the values encoded by `encode_cursor`, or raise InvalidCursor."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 2048:
        raise InvalidCursor("cursor is malformed")
    try:
        raw = _b64decode(cursor)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("cursor is malformed") from exc
    signature, payload = raw[:_SIG_BYTES], raw[_SIG_BYTES:]
    if len(signature) != _SIG_BYTES or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidCursor("cursor is malformed or was not issued by this server")
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise InvalidCursor("cursor is malformed") from exc
    if data.get("o") != order:
        raise InvalidCursor("cursor was issued for another order; restart without cursor")
    values = data.get("v")
    if not isinstance(values, list) or not values:
        raise InvalidCursor("cursor is malformed")
    return values
