"""Pure helpers of the OAuth2 authorization server (no Odoo import).

The protocol itself (parameter checks, grant flows, error documents) is
oauthlib's; what lives here is the policy around it that is easiest to test
alone: how secrets are made and stored, how PKCE and redirect URIs are
checked, how scopes and client credentials are parsed.

Tokens, codes and client secrets are 256-bit random strings. Being high
entropy, they are stored as their SHA-256 (hex): a lookup by hash is an index
hit, and a stolen table gives nothing to replay. A slow hash (PBKDF2) would
only cost time here, it protects low-entropy passwords.
"""

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
import secrets
from urllib.parse import unquote_plus, urlsplit

# Visible prefixes, not secrets: they tell what a leaked string is.
ACCESS_TOKEN_PREFIX = "oat_"  # noqa: S105
REFRESH_TOKEN_PREFIX = "ort_"  # noqa: S105
CLIENT_SECRET_PREFIX = "ocs_"  # noqa: S105
CLIENT_ID_PREFIX = "oc_"
CODE_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
LOOPBACK_HOSTS = ("localhost",)
# The parameters of an authorization request (RFC 6749 section 4.1.1, RFC
# 7636 section 4.3) that the consent form carries from the GET to the POST.
# Nothing else: a parameter planted in the link (`decision=allow`) must not
# come back as if the user had sent it. No `nonce`: this is no OpenID
# Connect provider.
AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
CONSENT_DECISIONS = ("allow", "deny")


def new_secret(prefix=""):
    """A new random secret: 32 bytes, URL-safe base64, with a visible prefix
    so that secret scanners and people can tell what leaked."""
    return prefix + secrets.token_urlsafe(32)


def new_client_id():
    return CLIENT_ID_PREFIX + secrets.token_urlsafe(16)


def hash_secret(value):
    """The stored form of a token, code or client secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(value, stored_hash):
    """Constant-time comparison of a presented secret with its stored hash."""
    if not value or not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(value), stored_hash)


def s256_challenge(verifier):
    """RFC 7636: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def valid_code_verifier(verifier):
    """43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)."""
    return bool(verifier) and bool(CODE_VERIFIER_RE.match(verifier))


def check_s256(verifier, challenge):
    """Whether `verifier` proves `challenge` (method S256)."""
    if not valid_code_verifier(verifier) or not challenge:
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)


def parse_scopes(value):
    """A scope string or list as a sorted list of distinct scope tokens."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split()
    return sorted({item for item in value if item})


def scope_string(scopes):
    return " ".join(parse_scopes(scopes))


def parse_redirect_uris(text):
    """Registered redirect URIs: one per line (or space separated)."""
    return [line.strip() for line in (text or "").split() if line.strip()]


def is_loopback_host(host):
    if not host:
        return False
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri):
    """Why `uri` cannot be registered as a redirect URI, or None.

    Absolute, no fragment (RFC 6749 section 3.1.2); https, or http only on
    a loopback host (native apps, RFC 8252); private-use schemes of native
    apps (`com.example.app:/callback`) are allowed.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is not a valid URI"
    if not parts.scheme:
        return "must be an absolute URI"
    if parts.fragment or "#" in uri:
        return "must not contain a fragment (#...)"
    if parts.scheme == "http":
        if not is_loopback_host(parts.hostname):
            return "must use https (plain http is only allowed on localhost)"
    elif parts.scheme == "https":
        if not parts.hostname:
            return "must name a host"
    elif "." not in parts.scheme:
        return "must use https, or a private-use scheme such as com.example.app"
    return None


def parse_basic_auth(header):
    """(client_id, client_secret) from an `Authorization: Basic` header.

    RFC 6749 section 2.3.1: both parts are form-urlencoded before being
    joined with a colon. Returns None when the header is not Basic or is
    malformed.
    """
    if not header:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep or not client_id:
        return None
    return unquote_plus(client_id), unquote_plus(client_secret)


def token_kind(token):
    """'access_token', 'refresh_token' or None, from the token's prefix."""
    if token.startswith(ACCESS_TOKEN_PREFIX):
        return "access_token"
    if token.startswith(REFRESH_TOKEN_PREFIX):
        return "refresh_token"
    return None


def authorization_parameters(pairs):
    """The (name, value) pairs of an authorization request that are OAuth
    parameters, in order, duplicates kept (oauthlib refuses duplicates)."""
    return [(name, value) for name, value in pairs if name in AUTHORIZATION_PARAMETERS]


def consent_decision(values):
    """'allow' or 'deny' from the `decision` values a consent form sent, or
    None unless there is exactly one and it is one of those two: a form
    that says both, or nothing, is not the user's answer."""
    if len(values) != 1 or values[0] not in CONSENT_DECISIONS:
        return None
    return values[0]
