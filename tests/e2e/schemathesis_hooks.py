"""Schemathesis hooks of the /api/v1 fuzz run (see schemathesis.toml here).

`schema_valid_request_accepted` stands in for Schemathesis' own
positive_data_acceptance, which fails every 4xx answered to a request that
the document admits. Some refusals no schema can foresee: the record a body
names does not exist, a forged cursor, offset and cursor together, an
If-Match that no longer matches, an Idempotency-Key reused with another
body (the fuzzer draws the same keys again), a rule of the model itself (an
Odoo ValidationError, which names no field). This check accepts exactly
those; any other refusal of a schema-valid request means the document is
looser than the server, and fails.
"""

import json

import schemathesis

# issues of a 400's details that say "the request was well formed, but..."
# ambiguous: a ref: that two records share; reserved: an external id in
# the namespace of an Odoo module; an aggregate's group_by or measures
# naming one term twice (duplicate), or making more groups than an answer
# holds (too_many_groups): no pattern of the document can say any of these
SEMANTIC_ISSUES = frozenset(
    {
        "not_found",
        "invalid_cursor",
        "conflict",
        "already_exists",
        "ambiguous",
        "reserved",
        "duplicate",
        "too_many_groups",
    }
)
# statuses that Schemathesis' own check accepts for schema-valid data, and
# 410: a change feed's cursor or since older than its log (no schema can
# say "within the last 30 days")
ACCEPTED = frozenset({401, 403, 404, 409, 410, 429})


def _explained(error):
    """Whether a 400's error (or a failed batch item) is one of the
    refusals a schema cannot state."""
    if error.get("code") == "batch_failed":
        return all(item["status"] != 400 or _explained(item) for item in error["details"])
    details = error.get("details") or []
    if not details:
        return error.get("code") == "validation_error"  # the model's own rule
    return all(detail.get("issue") in SEMANTIC_ISSUES for detail in details)


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None
    sent = {name.lower() for name in (case.headers or {})}
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"{status} without the error envelope") from None
    if status == 412 and "if-match" in sent:
        return None
    reused = error.get("code") == "idempotency_key_reused"
    if status == 422 and reused and "idempotency-key" in sent:
        return None
    if status == 400 and _explained(error):
        return None
    raise AssertionError(
        f"a request the document admits was refused: {status} {error.get('code')}: "
        f"{error.get('message')} {json.dumps(error.get('details', []))[:500]}"
    )
