"""Signing helpers of the inbound webhook tests: headers as each sender makes them."""

import base64
import hashlib
import hmac
import time

STANDARD_KEY = b"0123456789abcdef0123456789abcdef"
STANDARD_SECRET = "whsec_" + base64.b64encode(STANDARD_KEY).decode()


def hexmac(key, content):
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def b64mac(key, content):
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(scheme, secret, body, timestamp=None, event_id="evt-1", header="X-Signature"):
    """Headers a sender of `scheme` would send, computed from its formula."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    if scheme == "generic":
        return {header: "sha256=" + hexmac(secret.encode(), body)}
    if scheme == "stripe":
        signed = f"{timestamp}.".encode() + body
        return {"Stripe-Signature": f"t={timestamp},v1={hexmac(secret.encode(), signed)}"}
    if scheme == "shopify":
        return {
            "X-Shopify-Hmac-Sha256": b64mac(secret.encode(), body),
            "X-Shopify-Webhook-Id": event_id,
            "X-Shopify-Topic": "orders/create",
        }
    if scheme == "github":
        return {
            "X-Hub-Signature-256": "sha256=" + hexmac(secret.encode(), body),
            "X-GitHub-Delivery": event_id,
            "X-GitHub-Event": "push",
        }
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + b64mac(key, signed),
    }


def source_row_updates(cr):
    """Row updates of webhook_source in this transaction so far, including
    those of savepoints rolled back since: what a request wrote, even when
    the test's shared transaction undid it with the request."""
    cr.execute(
        "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'webhook_source'::regclass"
    )
    return cr.fetchone()[0]
