"""What an /api/v1 route answers when something goes wrong.

Owns `ApiError`, the only way an /api/v1 route reports a problem: a
werkzeug HTTPException, so Odoo's dispatcher renders it (our JSON envelope,
lib/errors.py) and rolls the transaction back whatever stage raised it
(authentication, parsing, business code). Also owns the mapping of the
exceptions of business code (ORM, PostgreSQL constraints) to ApiErrors, and
the 409 of a constraint violation, which must not quote another row's values.

Imports only my_api.core.context (the request id of the answer): never the
request log, the idempotency machinery or the endpoint decorator, which all
raise ApiErrors.
"""

import json
import re

import psycopg2
import werkzeug.exceptions
from psycopg2 import errorcodes
from werkzeug.http import HTTP_STATUS_CODES

from odoo.exceptions import (
    AccessDenied,
    AccessError,
    ConcurrencyError,
    MissingError,
    UserError,
    ValidationError,
)
from odoo.http import Response, request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lib.errors import DEFAULT_CODES, error_document
from .context import JSON_HEADERS, current_context, new_request_id

KEY_COLUMNS_RE = re.compile(r"^Key \((.+?)\)=\(")
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
# what Odoo runs a request again for (odoo.service.model.retrying)
RETRIED_EXCEPTIONS = (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError)


class ApiError(werkzeug.exceptions.HTTPException):
    """An error answered with the /api/v1 envelope and a real HTTP status.

    `status` is the HTTP status; `code` the envelope's error code
    (`validation_error`, `conflict`...), the status's default one
    (lib/errors.py) when none is given. werkzeug calls the status `code`,
    and Odoo's dispatcher reads that attribute only to tell an error
    (not None) from a response returned through abort() (None): `code` is
    never None here, so Odoo treats an ApiError as the error it is, and
    everything werkzeug would derive from the status (the response, `name`,
    str()) is built from `status` instead.
    """

    def __init__(self, status, message, code=None, details=None, headers=None):
        super().__init__(description=message)
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.message = message
        self.details = details
        self.extra_headers = dict(headers or {})

    @property
    def name(self):
        return HTTP_STATUS_CODES.get(self.status, "Unknown Error")

    def __str__(self):
        return f"{self.status} {self.name}: {self.description}"

    def __repr__(self):
        return f"<{type(self).__name__} '{self.status}: {self.name}'>"

    def get_response(self, environ=None, scope=None):
        ctx = current_context()
        request_id = ctx.request_id if ctx else new_request_id()
        body = error_document(self.status, self.message, self.code, self.details, request_id)
        headers = [*JSON_HEADERS, ("X-Request-Id", request_id)]
        if ctx:
            headers.extend(ctx.headers.items())
        headers.extend(self.extra_headers.items())
        return Response(json.dumps(body), status=self.status, headers=headers)


def validation_error(field, issue, message):
    """The 400 of one invalid input: `field` names it (a body key, a query
    parameter), `issue` says what is wrong in a word the client can act on
    (`invalid_type`, `invalid_value`, `not_found`...), `message` in a sentence."""
    return ApiError(400, message, "validation_error", [{"field": field, "issue": issue}])


INTEGRITY_ISSUES = {
    errorcodes.UNIQUE_VIOLATION: "duplicate",
    errorcodes.FOREIGN_KEY_VIOLATION: "invalid_reference",
    errorcodes.NOT_NULL_VIOLATION: "required",
    errorcodes.CHECK_VIOLATION: "invalid",
}


def _integrity_error(exc, env=None):
    """The 409 of a constraint violation, without PostgreSQL's DETAIL line.

    The DETAIL quotes key values (`Key (email)=(someone@else.example)
    already exists`): those of another row, which the caller may not read.
    The answer names the constraint, says what kind of violation it is, adds
    the model's own message for the constraint when it declares one, and
    the fields when they are known: the column of a missing value, or the
    column names of the DETAIL's key (its values are dropped). Nothing is
    logged. Reads no database: the transaction is aborted at this point.
    """
    diag = exc.diag
    constraint = diag.constraint_name
    issue = INTEGRITY_ISSUES[exc.pgcode]
    columns = [diag.column_name] if diag.column_name else []
    detail = diag.message_detail or ""
    referenced = exc.pgcode == errorcodes.FOREIGN_KEY_VIOLATION and "still referenced" in detail
    if not columns and not referenced and (match := KEY_COLUMNS_RE.match(detail)):
        columns = [name.strip() for name in match.group(1).split(",")]
        columns = [name for name in columns if IDENTIFIER_RE.match(name)]
    fields_text = ", ".join(columns)
    if referenced:
        message = "the record is still used by other records"
    elif exc.pgcode == errorcodes.UNIQUE_VIOLATION:
        message = f"a record with the same {fields_text or 'values'} already exists"
    elif exc.pgcode == errorcodes.FOREIGN_KEY_VIOLATION:
        message = f"{fields_text or 'a field'} refers to a record that does not exist"
    elif exc.pgcode == errorcodes.NOT_NULL_VIOLATION:
        message = f"{fields_text or 'a field'} is required"
    else:
        message = "the values break a rule of the data"
    declared = _declared_constraint_message(env, diag.table_name, constraint)
    if declared:
        message = f"{message}: {declared}"
    if constraint:
        message = f"{message} (constraint {constraint})"
    details = [] if referenced else [{"field": name, "issue": issue} for name in columns]
    return ApiError(409, message, "conflict", details)


def _declared_constraint_message(env, table, constraint):
    """The message a model declares for one of its constraints (a static
    text only: a callable one may format the values in the way)."""
    if env is None:
        try:
            env = request.env
        except RuntimeError:  # outside of a request
            return None
    if not table or not constraint:
        return None
    for model_class in env.registry.values():
        if model_class._table == table and not model_class._abstract:
            definition = model_class._table_objects.get(constraint)
            message = getattr(definition, "message", None)
            return message if isinstance(message, str) else None
    return None


def translate_exception(exc, env=None):
    """Map an exception raised by business code to an ApiError (or None).
    `env` is only needed outside of a request (to name a constraint)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AccessDenied):
        return ApiError(401, "authentication required", "unauthorized")
    if isinstance(exc, AccessError):
        return ApiError(403, str(exc.args[0]) if exc.args else "access denied", "forbidden")
    if isinstance(exc, MissingError):
        return ApiError(404, "the record does not exist or was deleted", "not_found")
    if isinstance(exc, ValidationError):
        return ApiError(400, str(exc.args[0]) if exc.args else "invalid data", "validation_error")
    if isinstance(exc, UserError):
        return ApiError(409, str(exc.args[0]) if exc.args else "conflict", "conflict")
    if isinstance(exc, psycopg2.IntegrityError) and exc.pgcode in (
        errorcodes.UNIQUE_VIOLATION,
        errorcodes.FOREIGN_KEY_VIOLATION,
        errorcodes.NOT_NULL_VIOLATION,
        errorcodes.CHECK_VIOLATION,
    ):
        return _integrity_error(exc, env)
    if isinstance(exc, werkzeug.exceptions.HTTPException) and exc.code:
        return ApiError(exc.code, exc.description or exc.name)
    return None
