"""The OAuth2 protocol, by oauthlib, on Odoo's models.

oauthlib does the protocol: it parses requests, runs the grant flows in
the order the RFCs give, and builds the responses and error documents
(codes, statuses, headers). It never touches storage or HTTP: everything
it needs to know or store goes through `OdooRequestValidator`, which maps
each question onto `oauth.client`, `oauth.authorization.code`,
`oauth.token` and `oauth.grant`. The controller hands it (uri, method,
body, headers) and renders the (headers, body, status) it returns, which
fits Odoo's request cycle: no framework integration, no thread-locals.

The server is built per request (cheap: a handful of objects) around an
environment in which the OAuth tables are read and written as superuser:
the callers are not Odoo users (a client authenticates with its own
credentials), and the consent step has already proved who the user is.
"""

import logging
from types import SimpleNamespace

from oauthlib.oauth2 import (
    AuthorizationCodeGrant,
    AuthorizationEndpoint,
    BearerToken,
    ClientCredentialsGrant,
    IntrospectEndpoint,
    MetadataEndpoint,
    RefreshTokenGrant,
    RequestValidator,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749 import errors

from ..lib import oauth2 as lib

_logger = logging.getLogger(__name__)
# oauthlib's debug messages quote tokens, codes and client credentials:
# whatever the log level of the server, they are never emitted.
logging.getLogger("oauthlib").setLevel(logging.INFO)


class S256AuthorizationCodeGrant(AuthorizationCodeGrant):
    """Authorization code grant that accepts only the S256 PKCE method
    (a missing method means "plain" in RFC 7636, and is refused too), and
    whose check also refuses verifiers outside RFC 7636's 43-128 characters
    of [A-Za-z0-9-._~]."""

    _code_challenge_methods = {"S256": lib.check_s256}


class RotatingRefreshTokenGrant(RefreshTokenGrant):
    """Refresh token grant that consumes the refresh token, atomically, as
    the last step of validation (`consume_refresh_token`): a request that
    fails (a scope too wide...) consumes nothing, and of two requests racing
    with one token only one gets new tokens; the other answers
    invalid_grant without ending the family, which the winner now holds."""

    def validate_token_request(self, request):
        super().validate_token_request(request)
        if not self.request_validator.consume_refresh_token(request):
            raise errors.InvalidGrantError(request=request)


class OdooRequestValidator(RequestValidator):
    """oauthlib's questions, answered from the database.

    `require_authentication`: every caller must authenticate as a
    confidential client (the introspection endpoint, RFC 7662 section 2.1).
    """

    def __init__(self, env, issuer, require_authentication=False):
        super().__init__()
        self.env = env
        self.issuer = issuer
        self.require_authentication = require_authentication

    # ------------------------------------------------------------ clients
    def _client(self, identifier):
        return self.env["oauth.client"]._oauth_find(identifier)

    @staticmethod
    def _attach(request, client):
        # oauthlib reads request.client.client_id; the record rides along
        request.client = SimpleNamespace(client_id=client.identifier, record=client)
        request.client_id = client.identifier

    @staticmethod
    def _record(request):
        client = getattr(request, "client", None)
        return getattr(client, "record", None)

    def client_authentication_required(self, request, *args, **kwargs):
        if self.require_authentication:
            return True
        if lib.parse_basic_auth(request.headers.get("Authorization")) or request.client_secret:
            return True
        client = self._client(request.client_id)
        return not client or client.client_type == "confidential"

    def authenticate_client(self, request, *args, **kwargs):
        basic = lib.parse_basic_auth(request.headers.get("Authorization"))
        if basic:
            identifier, secret = basic
            if request.client_id and request.client_id != identifier:
                return False
        else:
            identifier, secret = request.client_id, request.client_secret
        client = self._client(identifier)
        if not client or not client._oauth_check_secret(secret):
            return False
        self._attach(request, client)
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        client = self._client(client_id)
        if not client or client.client_type != "public" or self.require_authentication:
            return False
        self._attach(request, client)
        return True

    def validate_client_id(self, client_id, request, *args, **kwargs):
        client = self._client(client_id)
        if not client:
            return False
        self._attach(request, client)
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        record = client.record
        if grant_type == "client_credentials" and not record.user_id.active:
            return False
        return grant_type in record._oauth_grant_types()

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code" and client.record.allow_authorization_code

    # ------------------------------------------------------------- scopes
    def get_default_scopes(self, client_id, request, *args, **kwargs):
        record = self._record(request) or self._client(client_id)
        return record._oauth_scopes() if record else []

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = set(client.record._oauth_scopes())
        return bool(scopes) and set(scopes) <= allowed

    # ------------------------------------------------------ redirect URIs
    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        record = self._record(request) or self._client(client_id)
        return bool(record) and redirect_uri in record._oauth_redirect_uris()

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        record = self._record(request) or self._client(client_id)
        uris = record._oauth_redirect_uris() if record else []
        return uris[0] if len(uris) == 1 else None

    def is_pkce_required(self, client_id, request):
        record = self._record(request) or self._client(client_id)
        return not record or record.client_type == "public"

    # -------------------------------------------------- authorization code
    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        self.env["oauth.authorization.code"]._oauth_create(
            code["code"],
            client=self._record(request),
            user=self.env["res.users"].browse(request.user_id),
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            challenge=request.code_challenge,
            method=request.code_challenge_method,
        )

    def _code(self, code, request):
        found = getattr(request, "oauth_code", None)
        if found is None:
            found = self.env["oauth.authorization.code"]._oauth_find(code)
            request.oauth_code = found
        return found

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        found = self._code(code, request)
        if not found or not found._oauth_redeem(client.record):
            return False
        request.user = found.user_id
        request.scopes = lib.parse_scopes(found.scope)
        return True

    def get_code_challenge(self, code, request):
        found = self._code(code, request)
        return found.code_challenge or None

    def get_code_challenge_method(self, code, request):
        found = self._code(code, request)
        return found.code_challenge_method or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        found = self._code(code, request)
        return bool(found) and found.redirect_uri == redirect_uri

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Nothing to do: validate_code already consumed the code."""

    # ------------------------------------------------------ refresh tokens
    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        token = self.env["oauth.token"]._oauth_find(refresh_token, "refresh_token")
        if not token or token.client_id != client.record:
            return False
        if token.refresh_used_at and not token.revoked:
            # a rotated refresh token came back: it leaked, end the whole grant
            _logger.warning(
                "OAuth2 refresh token reuse for client %s, user %s: revoking token family %s",
                client.client_id,
                token.user_id.id,
                token.family,
            )
            token._oauth_revoke_families()
            return False
        if not token._oauth_refresh_active():
            return False
        scopes = token._oauth_refresh_scopes()
        if not scopes:
            return False  # nothing left that the client may have: sign in again
        request.user = token.user_id
        request.oauth_parent = token
        request.oauth_refresh_scopes = scopes
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        """The token's scopes as they still stand (`_oauth_refresh_scopes`):
        a refresh keeps no scope the client or the consent lost since."""
        return request.oauth_refresh_scopes

    def consume_refresh_token(self, request):
        """Whether this request consumed its refresh token (False: a
        concurrent request did). Not an oauthlib hook: RotatingRefreshTokenGrant
        calls it."""
        return request.oauth_parent._oauth_consume_refresh()

    def rotate_refresh_token(self, request):
        return True

    # ------------------------------------------------------------- tokens
    def save_bearer_token(self, token, request, *args, **kwargs):
        client = self._record(request)
        parent = getattr(request, "oauth_parent", None)
        if request.grant_type == "client_credentials":
            user = client.user_id
        else:
            user = request.user
        self.env["oauth.token"]._oauth_issue(
            token,
            client,
            user,
            request.grant_type,
            parent=parent,
            code=getattr(request, "oauth_code", None),
        )

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        found = self.env["oauth.token"]._oauth_find(token, token_type_hint)
        if not found:
            found = self.env["oauth.token"]._oauth_find(token)
        if not found or found.client_id != self._record(request):
            return  # RFC 7009: unknown tokens answer 200 too
        if found.refresh_token_hash == lib.hash_secret(token):
            found._oauth_revoke_families()  # a refresh token ends the whole grant
        else:
            found._oauth_revoke()

    def introspect_token(self, token, token_type_hint, request, *args, **kwargs):
        found = self.env["oauth.token"]._oauth_find(token)
        if not found or found.client_id != self._record(request):
            return None  # a client sees only its own tokens
        kind = (
            "refresh_token"
            if found.refresh_token_hash == lib.hash_secret(token)
            else "access_token"
        )
        active = (
            found._oauth_refresh_active()
            if kind == "refresh_token"
            else (found._oauth_access_active())
        )
        return found._oauth_claims(kind, self.issuer) if active else None


def _drop_refresh_token(token, token_handler, request):
    """Token modifier: client-credentials and clients without the refresh
    grant get no refresh token (RFC 6749 section 4.4.3)."""
    client = getattr(request.client, "record", None)
    if client is not None and not client.allow_refresh_token:
        token.pop("refresh_token", None)
    return token


class OdooOAuth2Server(AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint):
    """The endpoints this server offers: authorization code (+ PKCE), client
    credentials and refresh token grants; revocation; introspection and
    metadata are built apart (`introspection_endpoint`, `metadata`)."""

    def __init__(self, validator):
        self.validator = validator
        bearer = BearerToken(
            validator,
            token_generator=lambda _request: lib.new_secret(lib.ACCESS_TOKEN_PREFIX),
            expires_in=lambda request: request.client.record.access_token_lifetime,
            refresh_token_generator=lambda _request: lib.new_secret(lib.REFRESH_TOKEN_PREFIX),
        )
        self.auth_grant = S256AuthorizationCodeGrant(validator)
        self.auth_grant.register_token_modifier(_drop_refresh_token)
        self.refresh_grant = RotatingRefreshTokenGrant(validator, issue_new_refresh_tokens=True)
        self.credentials_grant = ClientCredentialsGrant(validator)
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": self.auth_grant},
            default_token_type=bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": self.auth_grant,
                "client_credentials": self.credentials_grant,
                "refresh_token": self.refresh_grant,
            },
            default_token_type=bearer,
        )
        RevocationEndpoint.__init__(self, validator, supported_token_types=None)


def build_server(env, issuer):
    return OdooOAuth2Server(OdooRequestValidator(env, issuer))


def build_introspection(env, issuer):
    return IntrospectEndpoint(OdooRequestValidator(env, issuer, require_authentication=True))


def build_metadata(env, issuer, scopes):
    """RFC 8414 metadata of this server. oauthlib derives the grant types,
    response types and PKCE methods from the endpoints themselves, and checks
    the document when served over https (it refuses a plain-http issuer, as
    the RFC does, so on a loopback test server the checks are skipped)."""
    server = build_server(env, issuer)
    claims = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "scopes_supported": list(scopes),
        "response_modes_supported": ["query"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "service_documentation": f"{issuer}/api/v1/docs",
    }
    introspection = build_introspection(env, issuer)
    return MetadataEndpoint(
        [server, introspection], claims, raise_errors=issuer.startswith("https://")
    )
