from conftest import load_lib

errors = load_lib("my_api", "errors")


def test_envelope_shape():
    doc = errors.error_document(
        400,
        "partner_id is required",
        "validation_error",
        [{"field": "partner_id", "issue": "required"}],
        "req-1",
    )
    assert doc == {
        "error": {
            "code": "validation_error",
            "message": "partner_id is required",
            "details": [{"field": "partner_id", "issue": "required"}],
            "request_id": "req-1",
        }
    }


def test_default_codes_follow_the_status():
    assert errors.error_document(429, "slow down")["error"]["code"] == "rate_limited"
    assert errors.error_document(404, "gone")["error"] == {"code": "not_found", "message": "gone"}
