"""Verification of inbound webhooks, one verifier per sender's scheme.

Every verifier works on the raw body bytes exactly as received (never on a
re-serialised JSON document), compares in constant time
(`hmac.compare_digest`), accepts any of several secrets (two during a
rotation) and raises `VerificationError` when the request must be refused.

| scheme     | header(s)                                   | signed content        | encoding |
|------------|---------------------------------------------|-----------------------|----------|
| `generic`  | configurable, `sha256=<hex>`                | raw body              | hex      |
| `stripe`   | `Stripe-Signature: t=<ts>,v1=<hex>[,v1=..]` | `"{t}." + body`       | hex      |
| `shopify`  | `X-Shopify-Hmac-Sha256`                     | raw body              | base64   |
| `github`   | `X-Hub-Signature-256: sha256=<hex>`         | raw body              | hex      |
| `standard` | `webhook-id`, `webhook-timestamp`,          | `"{id}.{ts}." + body` | base64   |
|            | `webhook-signature: v1,<b64>[ v1,<b64>..]`  |                       |          |

All of them are HMAC-SHA256. The key is the secret string's UTF-8 bytes,
except for Standard Webhooks, whose `whsec_<base64>` secrets are decoded
first (as its reference libraries do), by the same `signing.secret_key`
that keys our own outbound signatures. Stripe's `whsec_...` secrets are
used as they are, not decoded (stripe-python does the same).

Generic, Shopify and GitHub sign the body alone: nothing signed tells a
replay of a captured delivery under a new id header from a new delivery,
so intake remembers the digest of each body of these schemes for the
source's replay window (BODY_ONLY_SCHEMES). Stripe and Standard Webhooks
sign a timestamp (and Standard Webhooks the id) with the body: the
tolerance and the event id stop their replays.

This module also finds an event's id and type (a header, else a dotted path
into the JSON body) and redacts signature and credential headers before
they are stored. It imports nothing from Odoo.
"""

import base64
import binascii
import hashlib
import hmac
import re
import time

from .signing import secret_key

SCHEMES = ("generic", "stripe", "shopify", "github", "standard")
DEFAULT_TOLERANCE = 300  # seconds, Stripe's and Standard Webhooks' default
REDACTED = "[redacted]"

# Where each scheme puts its signature, and its event id and type by default.
SCHEME_DEFAULTS = {
    "generic": {
        "signature_header": "X-Signature",
        "id_header": "",
        "id_path": "id",
        "type_header": "",
        "type_path": "type",
    },
    "stripe": {
        "signature_header": "Stripe-Signature",
        "id_header": "",
        "id_path": "id",
        "type_header": "",
        "type_path": "type",
    },
    "shopify": {
        "signature_header": "X-Shopify-Hmac-Sha256",
        "id_header": "X-Shopify-Webhook-Id",
        "id_path": "",
        "type_header": "X-Shopify-Topic",
        "type_path": "",
    },
    "github": {
        "signature_header": "X-Hub-Signature-256",
        "id_header": "X-GitHub-Delivery",
        "id_path": "",
        "type_header": "X-GitHub-Event",
        "type_path": "",
    },
    "standard": {
        "signature_header": "webhook-signature",
        "id_header": "webhook-id",
        "id_path": "",
        "type_header": "",
        "type_path": "type",
    },
}

# Headers never stored in clear, whatever the scheme: signatures, and the
# static credentials some senders send instead (GitLab's X-Gitlab-Token, an
# API key, HTTP authentication, cookies).
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "proxy-authorization",
        "set-cookie",
        "stripe-signature",
        "webhook-signature",
        "x-api-key",
        "x-gitlab-token",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-shopify-hmac-sha256",
    }
)
# Any other header whose name contains one of these (case-insensitive) is
# taken for a credential too: a custom `X-Acme-Auth`, `X-Client-Secret` or
# `X-Access-Token` is redacted without being listed. Over-redacting a
# harmless header costs a line of debugging; storing a credential leaks it
# to everyone who can read the event log.
SENSITIVE_WORDS = (
    "auth",
    "cookie",
    "credential",
    "hmac",
    "key",
    "passw",
    "secret",
    "session",
    "signature",
    "token",
)

# Schemes whose signature covers the body only: a captured delivery re-sent
# with a new id header still verifies, so only the body tells it apart.
BODY_ONLY_SCHEMES = frozenset({"generic", "shopify", "github"})

_HEX_RE = re.compile(r"^[0-9a-fA-F]{64}$")


class VerificationError(Exception):
    """The request is not authentic (or not fresh): answer 401.

    `reason` is a stable short code (`missing_signature`, `bad_signature`,
    `malformed_signature`, `stale_timestamp`); the message says what to fix
    and never includes a secret or an expected signature.
    """

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _hmac(key, content):
    return hmac.new(key, content, hashlib.sha256)


def _header(headers, name):
    """Case-insensitive lookup in a plain dict (or any mapping of str)."""
    if hasattr(headers, "getlist"):  # werkzeug Headers: already case-insensitive
        return headers.get(name)
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _require(value, name):
    if value is None or not value.strip():
        raise VerificationError("missing_signature", f"the {name} header is missing")
    return value.strip()


def _match_any(candidates, expected_list):
    """Constant-time comparison of every candidate against every expected MAC.

    Every pair is compared (no early exit) so that timing tells nothing
    about which secret or which position matched.
    """
    matched = False
    for candidate in candidates:
        for expected in expected_list:
            if len(candidate) == len(expected) and hmac.compare_digest(candidate, expected):
                matched = True
    return matched


def _check_timestamp(timestamp, tolerance, now):
    if tolerance and abs(now - timestamp) > tolerance:
        direction = "old" if timestamp < now else "far in the future"
        raise VerificationError(
            "stale_timestamp",
            f"the signature timestamp is too {direction} (tolerance {int(tolerance)} s)",
        )


def _hex_values(value):
    """The hex digests of a `sha256=<hex>` header (several separated by
    spaces or commas during a rotation; a bare hex digest is accepted)."""
    digests = []
    for item in re.split(r"[\s,]+", value):
        if not item:
            continue
        algo, sep, digest = item.partition("=")
        if not sep:
            algo, digest = "sha256", algo
        if algo.lower() != "sha256" or not _HEX_RE.match(digest):
            continue
        digests.append(digest.lower().encode())
    if not digests:
        raise VerificationError(
            "malformed_signature", "the signature header must read sha256=<hex HMAC-SHA256>"
        )
    return digests


def verify_hex_body(secrets, body, value, header_name):
    """`sha256=<hex HMAC-SHA256(secret, raw body)>` (generic and GitHub)."""
    value = _require(value, header_name)
    candidates = _hex_values(value)
    expected = [_hmac(secret.encode(), body).hexdigest().encode() for secret in secrets]
    if not _match_any(candidates, expected):
        raise VerificationError("bad_signature", "the signature does not match the body")


def verify_generic(secrets, body, headers, header_name, tolerance=None, now=None):
    del tolerance, now  # no timestamp in this scheme
    verify_hex_body(secrets, body, _header(headers, header_name), header_name)


def verify_github(secrets, body, headers, header_name=None, tolerance=None, now=None):
    del tolerance, now  # GitHub signs no timestamp: intake dedupes replays on the body
    name = header_name or "X-Hub-Signature-256"
    verify_hex_body(secrets, body, _header(headers, name), name)


def verify_shopify(secrets, body, headers, header_name=None, tolerance=None, now=None):
    """`X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, raw body)>`."""
    del tolerance, now
    name = header_name or "X-Shopify-Hmac-Sha256"
    value = _require(_header(headers, name), name)
    try:
        candidate = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(
            "malformed_signature", f"the {name} header must be base64"
        ) from None
    expected = [_hmac(secret.encode(), body).digest() for secret in secrets]
    if not _match_any([candidate], expected):
        raise VerificationError("bad_signature", "the signature does not match the body")


def parse_stripe_header(value):
    """`t=<ts>,v1=<hex>,v1=<hex>,v0=...` -> (timestamp, [v1 hex, ...])."""
    timestamp = None
    signatures = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(val)
            except ValueError:
                timestamp = None
        elif key == "v1" and _HEX_RE.match(val):
            signatures.append(val.lower().encode())
    if timestamp is None or not signatures:
        raise VerificationError(
            "malformed_signature",
            "the Stripe-Signature header must read t=<unix time>,v1=<hex signature>",
        )
    return timestamp, signatures


def verify_stripe(secrets, body, headers, header_name=None, tolerance=DEFAULT_TOLERANCE, now=None):
    """`Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`."""
    name = header_name or "Stripe-Signature"
    timestamp, candidates = parse_stripe_header(_require(_header(headers, name), name))
    signed = f"{timestamp}.".encode() + body
    expected = [_hmac(secret.encode(), signed).hexdigest().encode() for secret in secrets]
    if not _match_any(candidates, expected):
        raise VerificationError("bad_signature", "the signature does not match the body")
    _check_timestamp(timestamp, tolerance, now)


def verify_standard(
    secrets, body, headers, header_name=None, tolerance=DEFAULT_TOLERANCE, now=None
):
    """Standard Webhooks: `webhook-signature: v1,<base64 HMAC(key, "{id}.{ts}.{body}")>`."""
    del header_name  # the spec fixes the header names
    msg_id = _require(_header(headers, "webhook-id"), "webhook-id")
    raw_timestamp = _require(_header(headers, "webhook-timestamp"), "webhook-timestamp")
    value = _require(_header(headers, "webhook-signature"), "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise VerificationError(
            "malformed_signature", "webhook-timestamp must be an integer of unix seconds"
        ) from None
    candidates = []
    for item in value.split():
        version, sep, encoded = item.partition(",")
        if version != "v1" or not sep:
            continue
        try:
            candidates.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not candidates:
        raise VerificationError(
            "malformed_signature", "webhook-signature must read v1,<base64 signature>"
        )
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = [_hmac(secret_key(secret), signed).digest() for secret in secrets]
    if not _match_any(candidates, expected):
        raise VerificationError("bad_signature", "the signature does not match the body")
    _check_timestamp(timestamp, tolerance, now)


VERIFIERS = {
    "generic": verify_generic,
    "stripe": verify_stripe,
    "shopify": verify_shopify,
    "github": verify_github,
    "standard": verify_standard,
}


def verify(scheme, secrets, body, headers, header_name=None, tolerance=DEFAULT_TOLERANCE, now=None):
    """Check a request of `scheme`; raise VerificationError if it is refused.

    `secrets`: the source's secrets (empty values are ignored); `body`: the raw
    bytes; `headers`: the request headers (werkzeug Headers or a dict);
    `header_name`: the signature header (required by `generic`, optional
    elsewhere); `tolerance`: seconds of clock skew accepted where the scheme
    signs a timestamp (0 disables the check); `now`: unix time.
    """
    secrets = [secret for secret in secrets if secret]
    if not secrets:
        raise VerificationError("bad_signature", "this source has no secret configured")
    if scheme == "generic" and not header_name:
        raise VerificationError("bad_signature", "this source has no signature header configured")
    if now is None:
        now = time.time()
    VERIFIERS[scheme](secrets, body, headers, header_name, tolerance=tolerance, now=now)


def signature_headers(scheme, header_name=None):
    """Lower-cased names of the headers that carry a signature."""
    names = set(SENSITIVE_HEADERS)
    names.add((header_name or SCHEME_DEFAULTS[scheme]["signature_header"]).lower())
    return names


def is_sensitive_header(name, hidden=SENSITIVE_HEADERS):
    """Whether the header `name` may carry a credential (see SENSITIVE_WORDS)."""
    name = name.lower()
    return name in hidden or any(word in name for word in SENSITIVE_WORDS)


def redact_headers(headers, scheme, header_name=None, limit=4096):
    """A dict of the request headers fit for storage: the values of
    signature, credential, cookie and authorization headers replaced by
    `[redacted]`, each other value cut at `limit` characters."""
    hidden = signature_headers(scheme, header_name)
    kept = {}
    for key, value in headers.items():
        kept[key] = REDACTED if is_sensitive_header(key, hidden) else str(value)[:limit]
    return kept


def body_digest(body):
    """The SHA-256 (hex) of the raw body: what recognises a replayed body."""
    return hashlib.sha256(body).hexdigest()


def json_path(document, path):
    """The value at a dotted path (`data.object.id`, list items by index),
    or None when any step is missing."""
    if not path:
        return None
    value = document
    for step in path.split("."):
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
        if value is None:
            return None
    return value


def _scalar(value, limit):
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:limit] or None


def event_identity(body, document, headers, id_header="", id_path="", type_header="", type_path=""):
    """(event id, event type) of a delivery.

    The id comes from `id_header`, else `id_path` in the JSON document, else
    it is the SHA-256 (hex) of the raw body, so that a byte-identical retry
    is recognised as a duplicate even when the sender names no event id.
    """
    event_id = _scalar(_header(headers, id_header), 255) if id_header else None
    if event_id is None and id_path:
        event_id = _scalar(json_path(document, id_path), 255)
    if event_id is None:
        event_id = body_digest(body)
    event_type = _scalar(_header(headers, type_header), 255) if type_header else None
    if event_type is None and type_path:
        event_type = _scalar(json_path(document, type_path), 255)
    return event_id, event_type
