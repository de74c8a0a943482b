"""The one JSON error envelope of /api/v1.

`{"error": {"code", "message", "details", "request_id"}}`, with the HTTP
status; clients read it described in readme/USAGE.md ("Errors") and in the
OpenAPI document (lib/openapi.py, schema `Error`).
"""

DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def error_document(status, message, code=None, details=None, request_id=None):
    """Return the error envelope as a dict ready for json.dumps."""
    error = {
        "code": code or DEFAULT_CODES.get(status, "error"),
        "message": message,
    }
    if details:
        error["details"] = list(details)
    if request_id:
        error["request_id"] = request_id
    return {"error": error}
