import base64
import datetime
import hashlib
import hmac
import time

import pytest
from conftest import load_lib
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

signing = load_lib("my_webhooks", "signing")

BODY = b'{"id":"evt_1","event":"create","model":"sale.order","data":{"id":7}}'


def test_generated_secret_form():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert signing.generate_secret() != secret


def test_check_secret_accepts_generated_and_24_byte_secrets():
    signing.check_secret(signing.generate_secret())
    signing.check_secret("whsec_" + base64.b64encode(b"k" * 24).decode())


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("s3cr3t-but-no-prefix-" + "A" * 40, "must start with whsec_"),
        ("whsec_not base64 at all!!", "followed by base64"),
        ("whsec_" + base64.b64encode(b"k" * 23).decode(), "at least 24"),
        ("whsec_", "at least 24"),
        (None, "must start with whsec_"),
    ],
)
def test_check_secret_refuses(secret, message):
    with pytest.raises(ValueError, match=message):
        signing.check_secret(secret)


def test_odoo_signature_hand_computed_vector():
    expected = hmac.new(b"whsec_your_secret", BODY, hashlib.sha256).hexdigest()
    assert signing.odoo_signature("whsec_your_secret", BODY) == f"sha256={expected}"


def test_standard_signature_hand_computed_vector():
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    signed = b"msg_1.1700000000." + BODY
    expected = base64.b64encode(hmac.new(b"k" * 24, signed, hashlib.sha256).digest()).decode()
    assert signing.standard_signature(secret, "msg_1", 1700000000, BODY) == f"v1,{expected}"


def test_reference_library_verifies_our_headers():
    secret = signing.generate_secret()
    headers = signing.signature_headers([secret], "msg_2", time.time(), BODY)
    assert Webhook(secret).verify(BODY, headers) is not None


def test_rotation_signs_with_both_secrets():
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.signature_headers([old, new], "msg_3", time.time(), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert len(headers["X-Odoo-Signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_standard_webhooks_specification_vector():
    # the example of the Standard Webhooks specification and its libraries
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = signing.standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reference_library_rejects_a_tampered_body_or_stale_timestamp():
    secret = signing.generate_secret()
    headers = signing.signature_headers([secret], "msg_4", time.time(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
    stale = signing.signature_headers([secret], "msg_5", time.time() - 600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


# ------------------------------------------- the HMAC key of a whsec_ secret
verify = load_lib("my_webhooks", "verify")
KEY = bytes(range(32))
STANDARD_FORMS = {
    "padded": "whsec_" + base64.b64encode(KEY).decode(),
    "unpadded": "whsec_" + base64.b64encode(KEY).decode().rstrip("="),
    "24 bytes, no padding needed": "whsec_" + base64.b64encode(KEY[:24]).decode(),
    "no prefix": base64.b64encode(KEY).decode(),
    "no prefix, unpadded": base64.b64encode(KEY).decode().rstrip("="),
    "specification example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


def test_inbound_and_outbound_derive_the_key_with_one_function():
    assert verify.secret_key is signing.secret_key


@pytest.mark.parametrize("secret", STANDARD_FORMS.values(), ids=STANDARD_FORMS)
def test_key_is_what_the_reference_library_decodes(secret):
    assert signing.secret_key(secret) == Webhook(secret)._whsecret


@pytest.mark.parametrize("secret", STANDARD_FORMS.values(), ids=STANDARD_FORMS)
def test_reference_library_verifies_what_we_sign(secret):
    headers = signing.signature_headers([secret], "msg_k1", time.time(), BODY)
    assert Webhook(secret).verify(BODY, headers) is not None


@pytest.mark.parametrize("secret", STANDARD_FORMS.values(), ids=STANDARD_FORMS)
def test_we_verify_what_the_reference_library_signs(secret):
    now = int(time.time())
    stamp = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
    headers = {
        "webhook-id": "msg_k2",
        "webhook-timestamp": str(now),
        "webhook-signature": Webhook(secret).sign("msg_k2", stamp, BODY.decode()),
    }
    verify.verify("standard", [secret], BODY, headers, now=now)


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_your_secret",  # "_" is not base64
        "whsec_not base64!!",
        "whsec_" + base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode(),  # the URL-safe alphabet
        "whsec_" + base64.b64encode(KEY).decode() + " ",  # a stray blank
        "whsec_abcde",  # a length no base64 has
        "my secret",
    ],
)
def test_a_secret_that_is_not_base64_keys_with_its_own_bytes(secret):
    assert signing.secret_key(secret) == secret.encode()
    now = int(time.time())
    headers = signing.signature_headers([secret], "msg_k3", now, BODY)
    verify.verify("standard", [secret], BODY, headers, now=now)
    signed = f"msg_k3.{now}.".encode() + BODY
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    assert headers["webhook-signature"] == "v1," + expected.decode()


def test_key_edge_cases():
    assert signing.secret_key("whsec_") == b""
    assert signing.secret_key("whsec_YQ") == b"a"  # unpadded "YQ==", decoded
    assert signing.secret_key("YWJj") == b"abc"  # base64 without the prefix, decoded
    assert signing.secret_key("whsec_whsec_YWJj") == b"whsec_whsec_YWJj"  # one prefix only
