"""Authentication of /api/v1 routes (`auth="api_v1"`).

Order of precedence: an `Authorization: Bearer <token>` header wins; without
it the Odoo session cookie is used. Bearer tokens are resolved by
`_api_authenticate_bearer`, which other addons extend (my_oauth_provider adds
OAuth2 access tokens there): return a `Credential` or defer to super().

Odoo API keys are hashed with PBKDF2, which costs milliseconds per check. A
successful verification is remembered by this worker process for
`my_api.apikey_cache_ttl` seconds (default 30): a key revoked or expired in
another worker keeps working here for at most that long; a key revoked in
this worker stops at once.

Rate limits (see `_api_count_request`): an authenticated request counts
against its user and, when its API key has a rule of its own, against the
key. A request that fails to authenticate counts against its client address
(`_api_count_unauthenticated`), is never written to the request log (anyone
can send made-up keys: each line would be a row written for them), and
past `my_api.rate_limit_anonymous` a minute it is answered 429; while its
address is over that limit, keys this worker has not verified yet are
refused before their PBKDF2 check, so guessing keys cannot burn CPU either.
"""

import datetime
import hashlib
import ipaddress
import logging
import threading
import time

import werkzeug.exceptions

from odoo import api, models, tools
from odoo.http import request

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

from ..core import (
    API_PREFIX,
    ApiError,
    Credential,
    answer_failure,
    current_context,
    ensure_context,
    keep_form_unparsed,
    log_request,
    side_execute,
)
from ..lib import reads, timestamps
from ..lib.companies import HEADER as COMPANY_HEADER
from ..lib.companies import CompanyHeaderError, parse_company_ids
from ..lib.networks import NetworkError, address_allowed, format_networks, parse_networks
from ..lib.ratelimit import Usage, address_bucket, reset_after, tightest, window_start
from ..settings import setting

ANONYMOUS_RATE_WINDOW = 60  # seconds of the my_api.rate_limit_anonymous budget
KEY_USAGE_INTERVAL = 60  # seconds between two "last used" writes of a key
# API key scopes accepted by /api/v1: unscoped keys, Odoo's "rpc" keys, and
# keys minted for the REST API.
API_KEY_SCOPES = ("rpc", "api")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")  # what a read-only key may send

_logger = logging.getLogger(__name__)

_apikey_cache = {}  # (dbname, sha256(key)) -> (Credential, cached_at)
_apikey_cache_lock = threading.Lock()
_key_usage_written = {}  # (dbname, key id) -> monotonic time of our last write


def clear_apikey_cache(key_ids=None):
    """Forget cached API keys (all of them, or those with these ids)."""
    with _apikey_cache_lock:
        if key_ids is None:
            _apikey_cache.clear()
            return
        wanted = set(key_ids)
        for cache_key, (credential, _cached_at) in list(_apikey_cache.items()):
            if credential.key_id in wanted:
                del _apikey_cache[cache_key]


def unauthorized(message, error="invalid_token", code="unauthorized"):
    """The 401 of a refused credential, with its `WWW-Authenticate: Bearer`
    challenge (RFC 6750): `error` is the challenge's error code, None for a
    request that sent no credential at all; `code` the envelope's."""
    header = 'Bearer realm="api"'
    if error:
        header += f', error="{error}", error_description="{message}"'
    return ApiError(401, message, code, headers={"WWW-Authenticate": header})


def _rate_limited(usage, who):
    return ApiError(
        429,
        f"rate limit of {usage.limit} requests per {usage.window} s ({who}) exceeded; "
        f"retry in {usage.reset} s",
        "rate_limited",
        headers={"Retry-After": str(usage.reset)},
    )


def _address_limited(usage):
    """The 429 of a client address over its limit of unauthenticated requests."""
    error = _rate_limited(usage, "requests that did not authenticate, per client address")
    error.address_limited = True
    return error


def _window_datetime(start):
    """A window start (Unix seconds) as the naive UTC datetime stored."""
    return datetime.datetime.fromtimestamp(start, datetime.timezone.utc).replace(tzinfo=None)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_api_v1(cls):
        try:
            cls._api_authenticate()
        except ApiError as exc:
            if exc.status == 401 or getattr(exc, "address_limited", False):
                raise request.env["ir.http"]._api_count_unauthenticated(exc) from None
            log_request(exc.status, exc.code)
            raise

    @classmethod
    def _api_authenticate(cls):
        ctx = ensure_context()
        header = request.httprequest.headers.get("Authorization")
        if header:
            scheme, _sep, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise unauthorized("use Authorization: Bearer <token>", "invalid_request")
            credential = request.env["ir.http"]._api_authenticate_bearer(token)
            if credential is None:
                raise unauthorized("the token is invalid, expired or revoked")
            request.update_env(user=credential.uid)
            request.session.can_save = False  # stateless: never write a session
        elif request.env.uid and request.env.uid not in cls._get_public_users():
            # the session cookie was already validated by _authenticate_explicit
            credential = Credential(uid=request.env.uid, method="session")
            cls._api_check_session_csrf()
        else:
            raise unauthorized(
                "authentication required: send a session cookie or a Bearer token", None
            )
        if "share" in credential.extra:
            share = credential.extra["share"]
        else:  # groups are cached per user: no read of the whole res.users row
            share = not request.env.user._is_internal()
        ctx.credential = credential
        if share:
            raise ApiError(403, "the REST API is open to internal users only", "forbidden")
        request.env["ir.http"]._api_check_key_restrictions(credential)
        request.env["ir.http"]._api_count_request(credential, ctx)
        request.update_context(**request.env["ir.http"]._api_request_context())

    @api.model
    def _api_request_context(self):
        """The context keys of an authenticated request: its companies
        (`allowed_company_ids`, as the web client's company switcher sets
        them, the first one current) and its timezone (`tz`).

        Companies: those of `X-Odoo-Company`, each one the user's (403
        naming the others); without the header the user's current company
        only, as the web client opens, never silently all of them (Odoo's
        default when the context names none). Record rules read the
        selection as `company_ids`, defaults as `env.company`.

        Timezone: `X-Odoo-Timezone` (400 unless Odoo and Python both know
        it), else the user's, else UTC. It is the timezone in which a date
        alone means a whole day, and `_read_group` puts dates in buckets.
        """
        headers = request.httprequest.headers
        user = self.env.user
        current_company_id, user_tz, user_lang = self._api_user_defaults(user.id)
        raw = headers.get(COMPANY_HEADER)
        if raw is None:
            company_ids = [current_company_id]
        else:
            try:
                company_ids = parse_company_ids(raw)
            except CompanyHeaderError as exc:
                raise ApiError(
                    400,
                    str(exc),
                    "bad_request",
                    [{"field": COMPANY_HEADER, "issue": "invalid_format"}],
                ) from None
            allowed = set(user._get_company_ids())
            refused = [company_id for company_id in company_ids if company_id not in allowed]
            if refused:
                raise ApiError(
                    403,
                    f"{COMPANY_HEADER}: you may not work in company "
                    f"{', '.join(map(str, refused))}; yours are "
                    f"{', '.join(map(str, sorted(allowed)))}",
                    "forbidden",
                    [{"field": COMPANY_HEADER, "issue": "forbidden_company"}],
                )
        raw = headers.get(timestamps.TIMEZONE_HEADER)
        if raw is None:
            tz = user_tz if timestamps.is_timezone(user_tz) else "UTC"
        else:
            try:
                tz = timestamps.parse_timezone(raw)
            except timestamps.TimestampError as exc:
                raise ApiError(
                    400,
                    f"{timestamps.TIMEZONE_HEADER} {exc}",
                    "bad_request",
                    [{"field": timestamps.TIMEZONE_HEADER, "issue": exc.issue}],
                ) from None
        lang = self._api_request_language(user_lang)
        ctx = current_context()
        if ctx is not None:
            ctx.headers["Content-Language"] = reads.language_tag(lang)
        return {"allowed_company_ids": company_ids, "tz": tz, "lang": lang}

    @api.model
    def _api_request_language(self, user_lang):
        """The language of the request's names and labels: the `lang=`
        query parameter, else the Accept-Language header (quality values
        honoured), each among the installed languages; else the user's
        (else English). A language that is not installed, or a value that
        is no language at all, is passed over, never refused: a client's
        preference is no error."""
        installed = [code for code, _name in self.env["res.lang"].get_installed()]
        httprequest = request.httprequest
        preferences = (httprequest.args.get("lang"), httprequest.headers.get("Accept-Language"))
        for preference in preferences:
            if preference and (code := reads.pick_language(preference[:1024], installed)):
                return code
        if user_lang in installed:
            return user_lang
        return "en_US" if "en_US" in installed or not installed else installed[0]

    @api.model
    @tools.ormcache("uid")
    def _api_user_defaults(self, uid):
        """(current company id, timezone, language) of user `uid`, cached as Odoo
        caches a session's context (`context_get`): writing either on the
        user clears every cache. Reading them from the record would fetch
        the whole res.users and res.partner rows on every request."""
        # sudo: the user's own two settings, whoever asks
        row = (
            self.env["res.users"]
            .sudo()
            .browse(uid)
            .read(["company_id", "tz", "lang"], load=False)[0]
        )
        return row["company_id"], row["tz"], row["lang"]

    @api.model
    @tools.ormcache("uid", "key_id")
    def _api_rate_policy(self, uid, key_id):
        """(limit, window seconds) for a credential; limit 0 = unlimited."""
        rules = self.env["api.rate.limit"].sudo()  # reading configuration
        rule = key_id and rules.search([("apikey_id", "=", key_id)], limit=1)
        rule = rule or rules.search([("user_id", "=", uid), ("apikey_id", "=", False)], limit=1)
        if rule:
            return rule.limit, rule.window
        return setting(self.env, "rate_limit"), setting(self.env, "rate_limit_window")

    @api.model
    def _api_rate_buckets(self, credential):
        """[(policy name, bucket, limit, window)] a request of `credential`
        counts against: its user's (the user's rule, else the default) and
        its credential's when that has a policy of its own (an API key's
        rule). A credential with the user's policy is not counted apart: the
        user's count, which includes it, always binds first. Unlimited
        policies are left out."""
        user_bucket = f"user:{credential.uid}"
        user_policy = self._api_rate_policy(credential.uid, None)
        buckets = [("user", user_bucket, *user_policy)]
        if credential.bucket != user_bucket:
            own_policy = self._api_rate_policy(credential.uid, credential.key_id)
            if own_policy != user_policy:
                name = "key" if credential.method == "api_key" else "client"
                buckets.append((name, credential.bucket, *own_policy))
        return [bucket for bucket in buckets if bucket[2]]

    @api.model
    def _api_count_request(self, credential, ctx):
        """Count the request against its rate limits (shared by all workers:
        counter rows in PostgreSQL), record when an API key was last used,
        and set the RateLimit-* headers of the answer.

        Every bucket of `_api_rate_buckets` is enforced, so a user who mints
        more keys gets no more requests; the headers describe the bucket
        that binds first. All buckets are counted in one statement, once per
        client request: when Odoo runs the request again after a
        serialization failure, the next tries reuse the first one's counts
        (committed at once, they are not undone with it).
        """
        usages = ctx.once("rate_limit", lambda: self._api_count_hits(credential))
        if not usages:
            return
        usage = tightest(usages)
        ctx.headers.update(usage.headers())
        if usage.exceeded:
            raise _rate_limited(usage, usage.name)

    @api.model
    def _api_count_hits(self, credential):
        """Count a request of `credential` in its buckets and record the use
        of its API key (side statements); return the Usage of each bucket."""
        buckets = self._api_rate_buckets(credential)
        usage_key = (self.env.cr.dbname, credential.key_id)
        now_mono = time.monotonic()
        touch_key = credential.method == "api_key" and (
            now_mono - _key_usage_written.get(usage_key, -KEY_USAGE_INTERVAL) >= KEY_USAGE_INTERVAL
        )
        if not buckets and not touch_key:
            return []
        now = time.time()
        usages = []
        if buckets:
            counter = self.env["api.rate.counter"]
            windows = [
                (bucket, _window_datetime(window_start(now, window)))
                for _name, bucket, _limit, window in buckets
            ]
            if len(windows) == 1:  # the usual case: the plain upsert, a little cheaper
                counts = {
                    windows[0][0]: side_execute(counter._hit_query(*windows[0]), fetch=True)[0]
                }
            else:
                counts = side_execute(counter._hits_query(windows), fetch=True)[0]
            usages = [
                Usage(name, limit, window, counts[bucket], reset_after(now, window))
                for name, bucket, limit, window in buckets
            ]
        if touch_key:
            side_execute(
                self.env["api.key.usage"]._touch_query(
                    credential.key_id, request.httprequest.remote_addr
                )
            )
            _key_usage_written[usage_key] = now_mono
        return usages

    @api.model
    def _api_anonymous_rate_limit(self):
        """Requests a client address may make per minute without
        authenticating (0: no limit)."""
        return setting(self.env, "rate_limit_anonymous")

    @api.model
    def _api_address_window(self):
        """(limit, bucket, window start, seconds to its end) of the client
        address's budget of requests without authentication, or None when
        it is unlimited."""
        limit = self._api_anonymous_rate_limit()
        if not limit:
            return None
        now = time.time()
        return (
            limit,
            address_bucket(request.httprequest.remote_addr),
            _window_datetime(window_start(now, ANONYMOUS_RATE_WINDOW)),
            reset_after(now, ANONYMOUS_RATE_WINDOW),
        )

    @api.model
    def _api_count_unauthenticated(self, refusal):
        """Count a request that did not authenticate against its client
        address; return what to answer: `refusal` (its 401), or a 429 once
        the address is over its limit. Nothing is logged (see the module
        docstring)."""
        address = self._api_address_window()
        if address is None:
            return refusal
        limit, bucket, start, reset = address
        # Nothing this request read is of use any more: end its transaction,
        # so that the count below is its last word (a test cursor would
        # otherwise roll the count back with it).
        self.env.cr.rollback()
        hits = side_execute(self.env["api.rate.counter"]._hit_query(bucket, start), fetch=True)[0]
        usage = Usage("address", limit, ANONYMOUS_RATE_WINDOW, hits, reset)
        ensure_context().headers.update(usage.headers())
        if not usage.exceeded:
            return refusal
        if hits == limit + 1:  # once per window and address, in whichever worker crossed it
            _logger.info(
                "/api/v1: %s is over its limit of %d requests a minute without authentication",
                bucket,
                limit,
            )
        return _address_limited(usage)

    @api.model
    def _api_check_address_limit(self):
        """Before a costly credential check: refuse at once while the client
        address is over its limit of requests that did not authenticate
        (the refusal is then counted as one of them)."""
        address = self._api_address_window()
        if address is None:
            return
        limit, bucket, start, reset = address
        hits = self.env["api.rate.counter"]._count(bucket, start)
        if hits >= limit:
            raise _address_limited(Usage("address", limit, ANONYMOUS_RATE_WINDOW, hits + 1, reset))

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Before Odoo's dispatcher reads an /api/v1 request's body as a
        form, unbounded when it is chunked: the routes read it themselves,
        within their limit (my_api.core.io `keep_form_unparsed`). Inbound
        webhooks, under /api/v1 too, are covered alike."""
        path = request.httprequest.path
        if path == API_PREFIX or path.startswith(f"{API_PREFIX}/"):
            keep_form_unparsed()
        super()._pre_dispatch(rule, args)

    @classmethod
    def _handle_error(cls, exception):
        """An /api/v1 request whose failure escaped api_endpoint (a commit
        that failed, a serialization failure on every try: see
        my_api.core.endpoint.answer_failure) gets the API's JSON answer and its log
        line, not Odoo's HTML error page."""
        if current_context() is not None and not isinstance(
            exception, werkzeug.exceptions.HTTPException
        ):
            return answer_failure(exception)
        return super()._handle_error(exception)

    @classmethod
    def _api_check_session_csrf(cls):
        """Refuse cross-site writes that ride on a browser's session cookie.

        Routes are csrf=False because machines call them; a browser can only
        send `Content-Type: application/json` cross-site after a CORS
        preflight that Odoo never approves, so requiring it on unsafe
        methods (and refusing Sec-Fetch-Site: cross-site) is enough.
        """
        httprequest = request.httprequest
        if httprequest.method in ("GET", "HEAD", "OPTIONS"):
            return
        if httprequest.headers.get("Sec-Fetch-Site") == "cross-site" or (
            httprequest.mimetype != "application/json"
        ):
            raise ApiError(
                403,
                "session-authenticated writes need Content-Type: application/json "
                "and must not come from another site",
                "forbidden",
            )

    @api.model
    def _api_authenticate_bearer(self, token):
        """Return the Credential for a bearer token, or None if unknown.

        Extension point: override, try your own token type, and call super()
        for the others.
        """
        return self._api_authenticate_apikey(token)

    @api.model
    def _api_apikey_cache_ttl(self):
        return setting(self.env, "apikey_cache_ttl")

    @api.model
    def _api_authenticate_apikey(self, token):
        if len(token) < INDEX_SIZE or len(token) > 512:
            return None
        cache_key = (self.env.cr.dbname, hashlib.sha256(token.encode()).hexdigest())
        now = time.monotonic()
        ttl = self._api_apikey_cache_ttl()
        with _apikey_cache_lock:
            cached = _apikey_cache.get(cache_key)
        if cached and now - cached[1] < ttl:
            credential = cached[0]
            if credential.expires_at is None or credential.expires_at > _utcnow():
                return self._api_check_key_expiry(credential)
        self._api_check_address_limit()  # before the PBKDF2 check of an unknown key
        credential = self._api_verify_apikey(token)
        with _apikey_cache_lock:
            if credential is None:
                _apikey_cache.pop(cache_key, None)
            elif ttl:
                _apikey_cache[cache_key] = (credential, now)
        return self._api_check_key_expiry(credential)

    @api.model
    def _api_check_key_expiry(self, credential):
        """Refuse a key without an expiry date while
        my_api.refuse_keys_without_expiry is on; return the credential.

        Checked at every request, for a key this worker has cached too:
        turning the setting on takes effect at once.
        """
        if (
            credential is not None
            and credential.expires_at is None
            and setting(self.env, "refuse_keys_without_expiry")
        ):
            raise unauthorized(
                "this API key has no expiry date and this server accepts only keys that "
                "expire: make one in Preferences > Account Security > New API Key with a "
                "duration, or have an administrator mint one (Settings > Technical > OAuth "
                "> Mint API Key) or rotate this one (Settings > Technical > OAuth > API Keys)",
                code="key_without_expiry",
            )
        return credential

    @api.model
    def _api_verify_apikey(self, token):
        """Check the key against res.users.apikeys (hash + index lookup)."""
        # Same lookup as res.users.apikeys._check_credentials, but we also
        # need the key's id and expiry for caching, /me and last-used.
        self.env.cr.execute(
            """
            SELECT k.id, k.user_id, k.key, k.scope, k.expiration_date, u.share,
                   k.my_api_scopes, k.my_read_only, k.my_allowed_networks
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
             WHERE u.active
               AND k.index = %s
               AND (k.scope IS NULL OR k.scope IN %s)
               AND (k.expiration_date IS NULL OR k.expiration_date >= now() at time zone 'utc')
            """,
            [token[:INDEX_SIZE], API_KEY_SCOPES],
        )
        for row in self.env.cr.fetchall():
            key_id, user_id, hashed, _scope, expiration, share, scopes, read_only, networks = row
            if KEY_CRYPT_CONTEXT.verify(token, hashed):
                # the key's restrictions travel with it, into the key cache too
                return Credential(
                    uid=user_id,
                    method="api_key",
                    key_id=key_id,
                    scopes=frozenset(scopes.split()) if scopes else None,
                    expires_at=expiration,
                    extra={
                        "share": share,
                        "read_only": bool(read_only),
                        "networks": _key_networks(key_id, networks),
                    },
                )
        return None

    @api.model
    def _api_check_key_restrictions(self, credential):
        """Refuse a request its API key may not make: from an address
        outside the key's ranges (403 `address_not_allowed`), or a write
        with a read-only key (403 `read_only_key`). Its scopes are checked
        by the routes, as a token's are (403 `insufficient_scope`).

        Checked on every request, from the cached key too, and before the
        request counts against the key's rate limit: a copy of the key used
        from elsewhere cannot spend its owner's budget.
        """
        if credential.method != "api_key":
            return
        address = request.httprequest.remote_addr
        if not address_allowed(address, credential.extra.get("networks") or ()):
            raise ApiError(
                403,
                f"this API key may not be used from {address}: it is limited to "
                f"{format_networks(credential.extra['networks'])}",
                "address_not_allowed",
            )
        if credential.extra.get("read_only") and request.httprequest.method not in SAFE_METHODS:
            raise ApiError(
                403,
                f"this API key is read-only: {request.httprequest.method} is refused "
                f"(only {', '.join(SAFE_METHODS)})",
                "read_only_key",
            )


def _key_networks(key_id, text):
    """The parsed address ranges of a key; a stored text no longer
    readable (written around the wizard) allows no address at all rather
    than every one."""
    try:
        return parse_networks(text)
    except NetworkError:
        _logger.info("API key #%s: its allowed addresses cannot be read; refusing it", key_id)
        return (ipaddress.ip_network("0.0.0.0/32"),)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
