"""Signatures of outbound webhooks.

Two signatures go with every delivery:

- `X-Odoo-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, keyed with
  the endpoint secret string exactly as shown to the administrator;
- the Standard Webhooks set: `webhook-id`, `webhook-timestamp` and
  `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`
  where key is the base64-decoded part of the `whsec_` secret
  (`secret_key`, which inbound verification uses too).

During a secret rotation both secrets sign, and the signature headers carry
both values (space-separated, as the Standard Webhooks spec says;
`X-Odoo-Signature` likewise lists one `sha256=` value per secret).
"""

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24  # the least key material a secret given by a client may carry


def generate_secret():
    """A new endpoint secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret):
    """Raise ValueError unless `secret` reads `whsec_<base64>` with at least
    MIN_SECRET_BYTES decoded bytes (the form generate_secret makes)."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"the secret must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the secret must be {SECRET_PREFIX} followed by base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the secret must carry at least {MIN_SECRET_BYTES} random bytes "
            f"(base64-decoded), not {len(key)}"
        )


def secret_key(secret):
    """The HMAC key of a Standard Webhooks secret, to sign (outbound) and
    to verify (inbound) alike: one derivation, so that what this side signs
    it also verifies, and each agrees with the spec's reference libraries.

    - `whsec_<base64>`: the decoded base64, padded or not (the libraries
      add the padding a secret may lack, and so does this);
    - base64 without the prefix: decoded too, as the libraries do;
    - anything else (not base64 once the prefix is off): the secret's own
      UTF-8 bytes, prefix included, as the other schemes key their HMAC.
      The libraries cannot verify such a secret reliably (they drop what
      is not base64 and decode the rest, or fail), a sender keying its
      HMAC with the secret as text can.

    The base64 is read strictly: a secret with a stray character is taken
    as text rather than decoded into some other key.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def odoo_signature(secret, body):
    """`sha256=<hex>` over the raw body bytes."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(secret, msg_id, timestamp, body):
    """`v1,<base64>` over `{id}.{timestamp}.{body}`."""
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secrets_, msg_id, timestamp, body):
    """Every signature header of one delivery, signed by each secret."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(
            standard_signature(secret, msg_id, timestamp, body) for secret in secrets_
        ),
        "X-Odoo-Signature": " ".join(odoo_signature(secret, body) for secret in secrets_),
    }
