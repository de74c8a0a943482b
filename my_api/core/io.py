"""The wire format of /api/v1: request bodies in, JSON answers out.

Owns reading the request body (bounded, read once: see `request_body`),
decoding it as a JSON object, parsing a timestamp sent by a client, and
rendering ORM values (`to_json_value`) and answers (`json_response`).

Imports my_api.core.context and my_api.core.errors only (its refusals are
ApiErrors), and the parameter table my_api.settings: never the request
log, the idempotency machinery or the endpoint decorator.
"""

import datetime
import gzip
import hashlib
import json

from werkzeug.http import parse_accept_header

from odoo.http import Response, request

from ..lib import reads, timestamps
from ..lib.body import BodyTooLarge, loads, read_limited
from ..settings import setting
from .context import JSON_HEADERS, ensure_context
from .errors import ApiError, validation_error

# what an answer of /api/v1 varies with besides its URL and credential
VARY = "Accept-Encoding, Accept-Language"
COMPRESS_MIN_BYTES = 1024
COMPRESS_LEVEL = 5  # nearly level 9's size for JSON, at a third of its time


def to_json_value(value):
    """Render ORM values in the API's wire format (UTC timestamps with Z)."""
    if isinstance(value, datetime.datetime):
        return timestamps.format_timestamp(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _json_default(value):
    rendered = to_json_value(value)
    if rendered is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return rendered


def json_response(payload, status=200, headers=None, body=None):
    """The JSON answer of `payload` (`body`: the payload already serialized)."""
    ctx = ensure_context()
    all_headers = [*JSON_HEADERS, ("X-Request-Id", ctx.request_id)]
    all_headers.extend(ctx.headers.items())
    all_headers.extend((headers or {}).items())
    if body is None:
        body = json.dumps(payload, default=_json_default, separators=(",", ":"))
    return Response(body, status=status, headers=all_headers)


def json_read_response(payload, etag=None):
    """The answer of a read (a detail, a list page) whose representation
    has the validator `etag` (None: a digest of the body, serialized once
    for both): the JSON `payload` with that ETag, or a 304 without a body
    when the request's If-None-Match already holds it (RFC 9110 13.1.2:
    weak comparison, `*` for any; a malformed value is ignored). The 304
    carries the headers the 200 would (ETag, X-Request-Id, rate limits),
    as RFC 9110 15.4.5 asks."""
    body = None
    if etag is None:
        body = json.dumps(payload, default=_json_default, separators=(",", ":"))
        etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    httprequest = request.httprequest
    if_none_match = httprequest.headers.get("If-None-Match")
    if httprequest.method in ("GET", "HEAD") and reads.none_match(if_none_match, etag):
        ctx = ensure_context()
        headers = [("Cache-Control", "no-store"), ("X-Request-Id", ctx.request_id)]
        headers.extend(ctx.headers.items())
        headers.extend([("ETag", etag), ("Vary", VARY)])
        return Response(status=304, headers=headers)
    return json_response(payload, headers={"ETag": etag}, body=body)


def compress_response(response):
    """`response`, gzip-compressed when the client accepts gzip and its
    body is over COMPRESS_MIN_BYTES. Done last, once the Idempotency-Key
    answer is stored uncompressed (a replay is compressed for the client
    that replays it). The ETag of a compressed answer is made weak, as
    nginx does: the bytes differ from the identity answer's, the
    representation does not, and If-None-Match compares weakly anyway."""
    if response.status_code in (204, 304) or response.direct_passthrough:
        return response
    if not response.mimetype or not response.mimetype.endswith("json"):
        return response
    response.headers["Vary"] = VARY
    if "Content-Encoding" in response.headers:
        return response
    # werkzeug's reading of the header (q-values, *: gzip;q=0 refuses it)
    accepted = parse_accept_header(request.httprequest.headers.get("Accept-Encoding"))["gzip"]
    if not accepted:
        return response
    data = response.get_data()
    if len(data) <= COMPRESS_MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=COMPRESS_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        response.headers["ETag"] = f"W/{etag}"
    return response


def parse_datetime(value, name):
    """A timestamp with its UTC offset as a naive UTC datetime, or a 400
    naming `name` (the rules: lib/timestamps.py)."""
    try:
        return timestamps.parse_timestamp(value)
    except timestamps.TimestampError as exc:
        raise validation_error(name, exc.issue, f"{name} {exc}") from None


def max_body_bytes():
    """The largest /api/v1 request body accepted (system parameter)."""
    return setting(request.env, "max_body_bytes")


def _werkzeug_request():
    """The werkzeug Request behind Odoo's HTTPRequest. The proxy exposes a
    fixed list of attributes that lacks `stream`; its `get_data` is the
    werkzeug request's own bound method, which leads to it."""
    return request.httprequest.get_data.__self__


def keep_form_unparsed():
    """Keep Odoo from parsing this request's body as a form before the route
    reads it.

    Odoo's dispatcher of `type="http"` routes reads `form` and `files` (for
    its request.params) before calling the route; for a form content type
    (urlencoded, multipart) werkzeug then reads the body, and one sent
    chunked to its end, whatever its size (werkzeug 2.2 bounds form parsing
    by Content-Length only). /api/v1 takes no form parameters: empty ones
    are set in place of the parsed form, so that the stream is left whole
    to `request_body`, which reads it within its limit and verifies or
    parses the raw bytes the client sent. Call before the dispatch (the
    ir.http `_pre_dispatch` of an /api/v1 route).
    """
    wrapped = _werkzeug_request()
    if "form" not in wrapped.__dict__:  # werkzeug's own mark of a parsed form
        wrapped.__dict__["form"] = wrapped.parameter_storage_class()
        wrapped.__dict__["files"] = wrapped.parameter_storage_class()


def request_body(limit):
    """The raw request body, or 413 when it has more than `limit` bytes.

    A body announced larger than the limit is refused before reading; a
    chunked one (no Content-Length) is read in chunks and refused as soon as
    it passes the limit (see lib/body.py), never buffered whole first. The
    bytes are then cached as werkzeug's get_data(cache=True) caches them, so
    that everyone after us (the route, the Idempotency-Key fingerprint, a
    retry of the request after a serialization failure) reads the same body
    and nobody reads the stream again.
    """
    httprequest = request.httprequest
    length = httprequest.content_length
    if length is not None and length > limit:
        raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
    wrapped = _werkzeug_request()
    if getattr(wrapped, "_cached_data", None) is None:
        try:
            wrapped._cached_data = read_limited(wrapped.stream, limit)
        except BodyTooLarge as exc:
            raise ApiError(413, str(exc), "payload_too_large") from None
        except OSError:  # werkzeug's reading of a broken chunked encoding
            raise ApiError(
                400, "the request body could not be read (invalid chunked encoding)", "bad_request"
            ) from None
    raw = httprequest.get_data(cache=True)
    if len(raw) > limit:  # read earlier under a larger limit
        raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
    return raw


def read_json_body(required=True):
    """Return the request body decoded as a JSON object, or raise 400/413/415."""
    httprequest = request.httprequest
    raw = request_body(max_body_bytes())
    if not raw.strip():
        if required:
            raise ApiError(400, "request body is required (a JSON object)", "bad_request")
        return {}
    mimetype = httprequest.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(
            415,
            "send the body as JSON with Content-Type: application/json",
            "unsupported_media_type",
        )
    try:
        body = loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}", "bad_request") from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object", "bad_request")
    return body
