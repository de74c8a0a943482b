"""Request plumbing shared by every /api/v1 route, one concern a module.

Read them in this order; each imports only those above it:

- context: Credential, ApiContext (per-request state), the request id,
  once_per_request;
- connections: the private pool of autocommit bookkeeping connections;
- bookkeeping: side statements (side_env, side_execute), read_committed;
- request_log: the request log line, written once per client request;
- errors: ApiError, the exception -> status mapping, integrity errors;
- io: request bodies, JSON answers, timestamps sent by clients;
- idempotency: the Idempotency-Key claim and replay;
- endpoint: the api_endpoint decorator and answer_failure.

This package re-exports the names the rest of my_api imports from it.
Sibling addons import none of them from here: they import from
odoo.addons.my_api.public, the interface that stays.
"""

from .bookkeeping import read_committed, side_execute
from .context import API_PREFIX, Credential, current_context, ensure_context, once_per_request
from .endpoint import answer_failure, api_endpoint
from .errors import ApiError, translate_exception, validation_error
from .idempotency import idempotency_checkpoint
from .io import (
    compress_response,
    json_read_response,
    json_response,
    keep_form_unparsed,
    parse_datetime,
    read_json_body,
    request_body,
    to_json_value,
)
from .request_log import log_request, side_execute_logged
