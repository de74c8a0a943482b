"""The authorization server's entry points, one per route.

Each method takes the parts of an HTTP request (uri, method, body,
headers), lets oauthlib run the protocol on them (services/oauth2_server.py)
and returns what to answer, so the controller only parses and renders.
"""

import json
from urllib.parse import urlencode

from oauthlib.oauth2 import AccessDeniedError, FatalClientError, OAuth2Error
from oauthlib.oauth2.rfc6749 import errors

from odoo import api, models

from ..lib import oauth2 as lib
from ..services import oauth2_server

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client_error_challenge(status, headers, body, request_headers):
    """invalid_client answers 401; a client that authenticated with HTTP
    Basic gets a Basic challenge (RFC 6749 section 5.2), not oauthlib's
    Bearer one."""
    if status == 401 and lib.parse_basic_auth(request_headers.get("Authorization")):
        headers["WWW-Authenticate"] = 'Basic realm="oauth2", error="invalid_client"'
    return status, headers, body


class OauthServer(models.AbstractModel):
    _name = "oauth.server"
    _description = "OAuth2 Authorization Server"

    def _oauth_env(self):
        # sudo: the OAuth tables are the server's own bookkeeping; callers
        # are clients proving themselves with their own credentials (token,
        # revoke, introspect) or a user whose session Odoo already checked
        # (authorize), never someone reading business data.
        return self.sudo().env

    @api.model
    def _oauth_issuer(self):
        """This server's issuer (RFC 8414): web.base.url, which the
        administrator sets to the public https URL. Not the request's URL:
        behind a proxy (proxy_mode) that is built from X-Forwarded-Host and
        X-Forwarded-Proto, which a client can send itself."""
        return (self.get_base_url() or "").rstrip("/")

    # --------------------------------------------------------------- token
    @api.model
    def _oauth_token_response(self, issuer, uri, method, form, headers):
        """POST /oauth2/token: (status, headers, body)."""
        if not any(key == "grant_type" and value for key, value in form):
            error = {"error": "invalid_request", "error_description": "Missing grant_type."}
            return 400, {"Content-Type": "application/json", **NO_STORE}, json.dumps(error)
        server = oauth2_server.build_server(self._oauth_env(), issuer)
        resp_headers, body, status = server.create_token_response(
            uri, method, urlencode(form), headers
        )
        return _client_error_challenge(status, {**resp_headers, **NO_STORE}, body, headers)

    # -------------------------------------------------------------- revoke
    @api.model
    def _oauth_revoke_response(self, issuer, uri, method, form, headers):
        """POST /oauth2/revoke (RFC 7009)."""
        server = oauth2_server.build_server(self._oauth_env(), issuer)
        resp_headers, body, status = server.create_revocation_response(
            uri, method, urlencode(form), headers
        )
        resp_headers = {"Content-Type": "application/json", **resp_headers, **NO_STORE}
        return _client_error_challenge(status, resp_headers, body or "", headers)

    # ---------------------------------------------------------- introspect
    @api.model
    def _oauth_introspect_response(self, issuer, uri, method, form, headers):
        """POST /oauth2/introspect (RFC 7662, confidential clients only)."""
        endpoint = oauth2_server.build_introspection(self._oauth_env(), issuer)
        resp_headers, body, status = endpoint.create_introspect_response(
            uri, method, urlencode(form), headers
        )
        return _client_error_challenge(status, {**resp_headers, **NO_STORE}, body, headers)

    # ------------------------------------------------------------ metadata
    @api.model
    def _oauth_metadata(self, issuer):
        """The RFC 8414 document (a dict)."""
        scopes = self.env["api.resource"]._api_scopes()
        endpoint = oauth2_server.build_metadata(self._oauth_env(), issuer, scopes)
        return endpoint.claims

    # ----------------------------------------------------------- authorize
    @api.model
    def _oauth_fatal_message(self, exc):
        """What the user reads when a request cannot go back to the client."""
        if isinstance(exc, errors.InvalidClientIdError):
            return self.env._("This application is not registered here.")
        if isinstance(exc, errors.MissingClientIdError):
            return self.env._("The request does not say which application sent it.")
        if isinstance(exc, errors.MismatchingRedirectURIError):
            return self.env._("The address to return to is not one this application registered.")
        if isinstance(exc, errors.MissingRedirectURIError):
            return self.env._(
                "The request does not say where to return to, and the application "
                "registered several addresses."
            )
        if isinstance(exc, errors.InvalidRedirectURIError):
            return self.env._("The address to return to is not valid.")
        return exc.description or exc.error

    @api.model
    def _oauth_authorize(self, issuer, params, headers, decisions=None):
        """GET (`decisions` None) or POST of the consent form (`decisions`:
        the `decision` values it sent) of /oauth2/authorize for the current
        user. Of `params` (the request's (name, value) pairs) only the OAuth
        parameters are read, and only they are carried by the consent form.

        A form whose `decision` is missing, repeated or unknown is refused:
        only the button the user clicked may decide, and it sends one.

        Returns one of:
        - ("redirect", location): back to the client (code or error);
        - ("error", message): a fatal error (unknown client, redirect URI
          not registered, a malformed consent form...): show it, never
          redirect (RFC 6749 4.1.2.1);
        - ("consent", values): ask the user.
        """
        params = lib.authorization_parameters(params)
        decision = None
        if decisions is not None:
            decision = lib.consent_decision(decisions)
            if decision is None:
                return "error", self.env._(
                    "The consent form was not sent as shown: it must say Allow or Deny, once."
                )
        user = self.env.user
        env = self._oauth_env()
        server = oauth2_server.build_server(env, issuer)
        uri = f"{issuer}/oauth2/authorize?{urlencode(params)}"
        try:
            scopes, info = server.validate_authorization_request(uri, "GET", None, headers)
        except FatalClientError as exc:
            return "error", self._oauth_fatal_message(exc)
        except OAuth2Error as exc:
            return "redirect", exc.in_uri(exc.redirect_uri)
        client = info["request"].client.record
        if user.share:
            return "error", self.env._(
                "Only internal users can give an application access to the API."
            )
        if decision == "deny":
            denied = AccessDeniedError(state=info["state"])
            return "redirect", denied.in_uri(info["redirect_uri"])
        grants = env["oauth.grant"]
        if decision != "allow" and not grants._oauth_covers(user, client, scopes):
            labels = self.env["api.resource"]._api_scopes()
            return "consent", {
                "client": client,
                "scopes": [(scope, labels.get(scope, scope)) for scope in scopes],
                "params": params,
            }
        if decision == "allow":
            grants._oauth_remember(user, client, scopes)
        resp_headers, _body, _status = server.create_authorization_response(
            uri, "GET", None, headers, scopes=scopes, credentials={"user_id": user.id}
        )
        return "redirect", resp_headers["Location"]
