"""Routes of the OAuth2 authorization server.

Thin: parse the HTTP request, hand it to `oauth.server` (which lets
oauthlib run the protocol), render its answer. Token, revocation and
introspection are machine-to-machine (no session, no CSRF token: the
client authenticates itself); the authorization endpoint is the user's
browser, behind Odoo's login and CSRF protection.
"""

import json

from odoo import http
from odoo.http import Response, request

MACHINE_ROUTE = {
    "type": "http",
    "auth": "public",
    # GET is routed too, so that oauthlib answers it with an RFC 6749
    # invalid_request document rather than Odoo with an HTML 405
    "methods": ["GET", "POST"],
    "csrf": False,
    "save_session": False,
}


def _issuer():
    """The server's public URL, from web.base.url: never from the request,
    whose Host and X-Forwarded-* headers the client writes itself."""
    return request.env["oauth.server"]._oauth_issuer()


def _form():
    """The form parameters as a list of pairs (duplicates kept, so that
    oauthlib can refuse them)."""
    return list(request.httprequest.form.items(multi=True))


def _render(status, headers, body):
    return Response(body, status=status, headers=list(headers.items()))


def _machine_call(method_name):
    httprequest = request.httprequest
    status, headers, body = getattr(request.env["oauth.server"], method_name)(
        _issuer(), httprequest.url, httprequest.method, _form(), dict(httprequest.headers)
    )
    return _render(status, headers, body)


class OAuth2Controller(http.Controller):
    @http.route("/oauth2/token", **MACHINE_ROUTE)
    def token(self, **_params):
        return _machine_call("_oauth_token_response")

    @http.route("/oauth2/revoke", **MACHINE_ROUTE)
    def revoke(self, **_params):
        return _machine_call("_oauth_revoke_response")

    @http.route("/oauth2/introspect", **MACHINE_ROUTE)
    def introspect(self, **_params):
        return _machine_call("_oauth_introspect_response")

    @http.route(
        "/.well-known/oauth-authorization-server",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def metadata(self, **_params):
        document = request.env["oauth.server"]._oauth_metadata(_issuer())
        headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
        return _render(200, headers, json.dumps(document))

    @http.route("/oauth2/authorize", type="http", auth="user", methods=["GET", "POST"])
    def authorize(self, **_params):
        httprequest = request.httprequest
        if httprequest.method == "POST":
            pairs = httprequest.form.items(multi=True)
            decisions = httprequest.form.getlist("decision")
        else:
            pairs = httprequest.args.items(multi=True)
            decisions = None
        outcome, value = request.env["oauth.server"]._oauth_authorize(
            _issuer(), list(pairs), dict(httprequest.headers), decisions
        )
        if outcome == "redirect":
            return request.redirect(value, code=302, local=False)
        if outcome == "error":
            page = request.render("my_oauth_provider.oauth2_error_page", {"message": value})
            page.status_code = 400
        else:
            page = request.render("my_oauth_provider.oauth2_consent_page", value)
        page.headers["Cache-Control"] = "no-store"
        # the consent form must not be framed by another site (clickjacking)
        page.headers["X-Frame-Options"] = "DENY"
        page.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        return page
