import base64
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
