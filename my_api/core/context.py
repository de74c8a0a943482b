"""Who is calling and what this /api/v1 request has done so far.

Owns `Credential` (the caller and how it proved it), `ApiContext` (the
state of one client request, stored on `request.api_context`), the request
id, and `once_per_request`, the memory that lets a side statement count
once when Odoo runs the request again after a serialization failure.

The base of the package: it must not import any other module of
my_api.core, which all import it.
"""

import datetime
import re
import time
import uuid
from dataclasses import dataclass, field

from odoo.http import request

API_PREFIX = "/api/v1"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]


@dataclass
class Credential:
    """Who is calling and how they proved it.

    `scopes` is None when the credential is not restricted by scopes
    (session, unscoped API key); otherwise the set of granted scopes.
    """

    uid: int
    method: str  # "session", "api_key", "oauth2"
    key_id: int | None = None
    scopes: frozenset | None = None
    expires_at: datetime.datetime | None = None
    client_id: str | None = None
    extra: dict = field(default_factory=dict)

    def has_scope(self, scope):
        return self.scopes is None or scope in self.scopes

    @property
    def bucket(self):
        """What rate limits and idempotency keys are counted per."""
        if self.method == "api_key":
            return f"key:{self.key_id}"
        if self.method == "oauth2":
            return f"oauth2:{self.client_id}:{self.uid}"
        return f"user:{self.uid}"

    @property
    def label(self):
        """How the request log names the credential (never the secret)."""
        if self.method == "api_key":
            return f"API key #{self.key_id}"
        if self.method == "oauth2":
            return f"OAuth2 client {self.client_id}"
        return "session"


@dataclass
class ApiContext:
    """Per-request state, stored on `request.api_context`.

    One per client request: Odoo keeps `request` when it runs the request
    again after a serialization failure, so the tries of one request share
    it (see my_api.core.endpoint).
    """

    request_id: str
    started: float
    credential: Credential | None = None
    headers: dict = field(default_factory=dict)
    logged: bool = False
    # Idempotency-Key: whether the route may claim one, whether it did, the claim's row
    idempotent: bool = False
    idempotency_checked: bool = False
    claim: int | None = None
    # Names the client request across its tries (X-Request-Id is the client's
    # choice, not unique): the Idempotency-Key claim is made in its name.
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    # results of the side statements already committed for this request (once())
    done: dict = field(default_factory=dict)

    def once(self, name, func):
        """`func()` the first time for this client request, its result on
        the next tries (see once_per_request)."""
        if name not in self.done:
            self.done[name] = func()
        return self.done[name]


def new_request_id():
    return uuid.uuid4().hex


def current_context():
    """The ApiContext of the current request, if it is an /api/v1 request."""
    try:
        return getattr(request, "api_context", None)
    except RuntimeError:  # outside of a request
        return None


def ensure_context():
    ctx = current_context()
    if ctx is None:
        incoming = request.httprequest.headers.get("X-Request-Id", "")
        ctx = ApiContext(
            request_id=incoming if REQUEST_ID_RE.match(incoming) else new_request_id(),
            started=time.monotonic(),
        )
        request.api_context = ctx
    return ctx


def once_per_request(name, func):
    """Run `func` (a side statement: committed on its own, at once) once per
    client request of /api/v1, and give its result again to the next tries
    when Odoo runs the request again after a serialization failure: a
    rate-limit hit must not count the request once per try. An exception
    stores nothing (the statement did not commit: the next try runs it).
    """
    ctx = current_context()
    return func() if ctx is None else ctx.once(name, func)
