"""Inbound signature verifiers: hand-computed vectors from each sender's
published formula, and headers produced by the senders' own libraries."""

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from conftest import load_lib
from standardwebhooks.webhooks import Webhook
from stripe import WebhookSignature

verify = load_lib("my_webhooks", "verify")
VerificationError = verify.VerificationError

# The seed's payload (README): no event id in it.
SEED = b'{"type":"payment_intent.succeeded","data":{"id":"pi_xxx","amount":24999}}'
NOW = 1_763_000_000
SECRET = "whsec_your_secret"
STANDARD_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def hexmac(key, content):
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def b64mac(key, content):
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def check(scheme, headers, body=SEED, secrets=(SECRET,), header_name=None, now=NOW, tolerance=300):
    verify.verify(
        scheme, list(secrets), body, headers, header_name=header_name, tolerance=tolerance, now=now
    )


def refused(reason, *args, **kwargs):
    with pytest.raises(VerificationError) as info:
        check(*args, **kwargs)
    assert info.value.reason == reason
    assert SECRET not in info.value.message
    return info.value


# ---------------------------------------------------------------- generic


def test_generic_seed_vector():
    # echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "whsec_your_secret" (README)
    digest = "6e28b14871d69e1a8979314e5d19e95d562b95aa281f511ee61844c620dce452"
    check("generic", {"X-Stripe-Signature": f"sha256={digest}"}, header_name="X-Stripe-Signature")
    refused(
        "bad_signature",
        "generic",
        {"X-Stripe-Signature": f"sha256={digest[:-1]}0"},
        header_name="X-Stripe-Signature",
    )


def test_generic_header_name_is_case_insensitive_and_hex_case_free():
    sig = hexmac(SECRET.encode(), SEED).upper()
    check("generic", {"x-stripe-signature": f"sha256={sig}"}, header_name="X-Stripe-Signature")


def test_generic_refuses_tampered_body_wrong_secret_missing_header():
    header = {"X-Sig": "sha256=" + hexmac(SECRET.encode(), SEED)}
    refused("bad_signature", "generic", header, body=SEED + b" ", header_name="X-Sig")
    refused("bad_signature", "generic", header, secrets=("whsec_other",), header_name="X-Sig")
    refused("missing_signature", "generic", {}, header_name="X-Sig")
    refused("malformed_signature", "generic", {"X-Sig": "sha1=abcd"}, header_name="X-Sig")


def test_generic_rotation_accepts_either_secret():
    old, new = "old-secret", "new-secret"
    for secret in (old, new):
        header = {"X-Sig": "sha256=" + hexmac(secret.encode(), SEED)}
        check("generic", header, secrets=(new, old), header_name="X-Sig")
    # a sender signing with both during the overlap (space-separated)
    both = " ".join("sha256=" + hexmac(s.encode(), SEED) for s in (old, new))
    check("generic", {"X-Sig": both}, secrets=(new,), header_name="X-Sig")


def test_reserialised_json_does_not_verify():
    reserialised = json.dumps(json.loads(SEED)).encode()  # adds spaces
    assert reserialised != SEED
    header = {"X-Sig": "sha256=" + hexmac(SECRET.encode(), SEED)}
    refused("bad_signature", "generic", header, body=reserialised, header_name="X-Sig")


def test_no_secret_or_no_header_name_refuses():
    header = {"X-Sig": "sha256=" + hexmac(b"", SEED)}
    refused("bad_signature", "generic", header, secrets=("",), header_name="X-Sig")
    refused("bad_signature", "generic", header)


# ----------------------------------------------------------------- Stripe


def stripe_header(secret, body, timestamp, extra=""):
    signed = f"{timestamp}.".encode() + body
    return {"Stripe-Signature": f"t={timestamp},v1={hexmac(secret.encode(), signed)}{extra}"}


def test_stripe_hand_vector_and_several_v1():
    check("stripe", stripe_header(SECRET, SEED, NOW))
    wrong = hexmac(b"other", f"{NOW}.".encode() + SEED)
    good = hexmac(SECRET.encode(), f"{NOW}.".encode() + SEED)
    check("stripe", {"Stripe-Signature": f"t={NOW},v1={wrong},v1={good},v0=zz"})


def test_stripe_header_made_by_stripe_library():
    header = WebhookSignature.generate_signature_header(SEED.decode(), SECRET, timestamp=NOW)
    check("stripe", {"Stripe-Signature": header})
    # and stripe-python accepts what our vector says is valid
    ours = stripe_header(SECRET, SEED, NOW)["Stripe-Signature"]
    assert WebhookSignature.verify_header(SEED, ours, SECRET, tolerance=None)


def test_stripe_refusals():
    header = stripe_header(SECRET, SEED, NOW)
    refused("bad_signature", "stripe", header, body=SEED.replace(b"24999", b"1"))
    refused("bad_signature", "stripe", header, secrets=("whsec_other",))
    refused("missing_signature", "stripe", {})
    refused("malformed_signature", "stripe", {"Stripe-Signature": "v1=abc"})
    refused("stale_timestamp", "stripe", stripe_header(SECRET, SEED, NOW - 301))
    refused("stale_timestamp", "stripe", stripe_header(SECRET, SEED, NOW + 301))
    check("stripe", stripe_header(SECRET, SEED, NOW - 299))
    check("stripe", stripe_header(SECRET, SEED, NOW - 3600), tolerance=0)


def test_stripe_rotation():
    check("stripe", stripe_header("whsec_old", SEED, NOW), secrets=("whsec_new", "whsec_old"))
    check("stripe", stripe_header("whsec_new", SEED, NOW), secrets=("whsec_new", "whsec_old"))


# ---------------------------------------------------------------- Shopify


def test_shopify_hand_vector_and_refusals():
    header = {"X-Shopify-Hmac-Sha256": b64mac(b"shpss_secret", SEED)}
    check("shopify", header, secrets=("shpss_secret",))
    refused("bad_signature", "shopify", header, secrets=("shpss_other",))
    refused("bad_signature", "shopify", header, body=SEED + b"\n", secrets=("shpss_secret",))
    refused("missing_signature", "shopify", {}, secrets=("shpss_secret",))
    refused(
        "malformed_signature",
        "shopify",
        {"X-Shopify-Hmac-Sha256": "not base64!"},
        secrets=("shpss_secret",),
    )


# ----------------------------------------------------------------- GitHub


def test_github_hand_vector_and_refusals():
    # GitHub's documented example: secret "It's a Secret to Everybody",
    # payload "Hello, World!"
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    body = b"Hello, World!"
    assert hexmac(b"It's a Secret to Everybody", body) == expected
    check(
        "github",
        {"X-Hub-Signature-256": f"sha256={expected}"},
        body=body,
        secrets=("It's a Secret to Everybody",),
    )
    refused("bad_signature", "github", {"X-Hub-Signature-256": f"sha256={expected}"}, body=body)
    refused("missing_signature", "github", {"X-Hub-Signature": "sha1=abc"}, body=body)


# ------------------------------------------------------- Standard Webhooks


def standard_headers(secret_key, msg_id, timestamp, body):
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + b64mac(secret_key, signed),
    }


def test_standard_hand_vector():
    headers = standard_headers(b"0123456789abcdef0123456789abcdef", "msg_1", NOW, SEED)
    check("standard", headers, secrets=(STANDARD_SECRET,))


def test_standard_headers_made_by_standardwebhooks_library():
    hook = Webhook(STANDARD_SECRET)
    timestamp = datetime.datetime.fromtimestamp(NOW, tz=datetime.timezone.utc)
    signature = hook.sign("msg_2", timestamp, SEED.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(NOW), "webhook-signature": signature}
    check("standard", headers, secrets=(STANDARD_SECRET,))
    # several signatures, space-separated: an unknown version and a wrong one are skipped
    headers["webhook-signature"] = f"v2,abc v1,{base64.b64encode(b'x' * 32).decode()} {signature}"
    check("standard", headers, secrets=(STANDARD_SECRET,))


def test_standard_library_accepts_our_vector():
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    headers = standard_headers(b"0123456789abcdef0123456789abcdef", "msg_3", now, SEED)
    assert Webhook(STANDARD_SECRET).verify(SEED, headers) == json.loads(SEED)


def test_standard_refusals():
    key = b"0123456789abcdef0123456789abcdef"
    headers = standard_headers(key, "msg_1", NOW, SEED)
    secrets = (STANDARD_SECRET,)
    refused("bad_signature", "standard", headers, body=SEED[:-1] + b" }", secrets=secrets)
    refused("bad_signature", "standard", {**headers, "webhook-id": "msg_2"}, secrets=secrets)
    other = "whsec_" + base64.b64encode(b"f" * 32).decode()
    refused("bad_signature", "standard", headers, secrets=(other,))
    refused("missing_signature", "standard", {"webhook-id": "msg_1"}, secrets=secrets)
    refused(
        "stale_timestamp", "standard", standard_headers(key, "m", NOW - 301, SEED), secrets=secrets
    )
    refused(
        "stale_timestamp", "standard", standard_headers(key, "m", NOW + 301, SEED), secrets=secrets
    )
    refused(
        "malformed_signature",
        "standard",
        {**headers, "webhook-timestamp": "yesterday"},
        secrets=secrets,
    )


def test_standard_rotation():
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    headers = standard_headers(b"o" * 32, "msg_1", NOW, SEED)
    check("standard", headers, secrets=(STANDARD_SECRET, old))


# ------------------------------------------------------- identity, redaction


def test_event_identity_header_then_path_then_body_hash():
    document = {"id": "evt_1", "type": "charge.succeeded", "data": {"object": {"id": "ch_1"}}}
    assert verify.event_identity(SEED, document, {}, id_path="id", type_path="type") == (
        "evt_1",
        "charge.succeeded",
    )
    assert verify.event_identity(
        SEED,
        document,
        {"X-GitHub-Delivery": "d-1", "X-GitHub-Event": "push"},
        id_header="X-GitHub-Delivery",
        id_path="id",
        type_header="X-GitHub-Event",
    ) == ("d-1", "push")
    assert verify.event_identity(SEED, document, {}, id_path="data.object.id")[0] == "ch_1"
    # the seed has no top-level id: the id is the SHA-256 of the raw body
    seed_doc = json.loads(SEED)
    event_id, event_type = verify.event_identity(SEED, seed_doc, {}, id_path="id", type_path="type")
    assert event_id == hashlib.sha256(SEED).hexdigest()
    assert event_type == "payment_intent.succeeded"


def test_json_path_lists_and_missing_steps():
    document = {"items": [{"id": 7}], "n": None}
    assert verify.json_path(document, "items.0.id") == 7
    assert verify.json_path(document, "items.3.id") is None
    assert verify.json_path(document, "n.x") is None
    assert verify.json_path([1], "a") is None


def test_redaction_hides_signatures_and_credentials():
    headers = {
        "X-Stripe-Signature": "sha256=abc",
        "Stripe-Signature": "t=1,v1=abc",
        "Authorization": "Bearer x",
        "Content-Type": "application/json",
    }
    kept = verify.redact_headers(headers, "generic", "X-Stripe-Signature")
    assert kept["Content-Type"] == "application/json"
    for name in ("X-Stripe-Signature", "Stripe-Signature", "Authorization"):
        assert kept[name] == verify.REDACTED


def test_static_token_headers_redacted():
    """Static credentials (GitLab's token, API keys, HTTP auth, cookies, and
    any header named like one) never reach the event log; other headers do."""
    credentials = {
        "X-Gitlab-Token": "t",
        "X-API-KEY": "k",
        "authorization": "Bearer b",
        "Proxy-Authorization": "Basic p",
        "Cookie": "session_id=s",
        "X-Acme-Auth": "a",
        "X-Client-Secret": "c",
        "X-Refresh-Token": "r",
        "X-Partner-Signature": "sig",
        "X-Shopify-Hmac-Sha256": "h",
        "X-Session-Id": "sid",
        "X-Db-Password": "pw",
    }
    plain = {
        "Content-Type": "application/json",
        "X-GitHub-Delivery": "d-1",
        "X-Shopify-Topic": "orders/create",
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "User-Agent": "GitHub-Hookshot/1",
    }
    kept = verify.redact_headers({**credentials, **plain}, "github")
    for name in credentials:
        assert kept[name] == verify.REDACTED, name
    for name, value in plain.items():
        assert kept[name] == value, name


def test_body_only_schemes_are_those_without_a_signed_timestamp():
    assert verify.BODY_ONLY_SCHEMES == {"generic", "shopify", "github"}
    assert verify.body_digest(b"{}") == hashlib.sha256(b"{}").hexdigest()
