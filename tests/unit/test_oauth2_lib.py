import base64
import hashlib

from conftest import load_lib

oauth2 = load_lib("my_oauth_provider", "oauth2")


def test_s256_matches_rfc_7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth2.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert oauth2.check_s256(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not oauth2.check_s256(verifier[:-1] + "x", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


def test_code_verifier_format():
    assert oauth2.valid_code_verifier("a" * 43)
    assert oauth2.valid_code_verifier("A-._~9" * 21 + "ab")  # 128 chars
    assert not oauth2.valid_code_verifier("a" * 42)
    assert not oauth2.valid_code_verifier("a" * 129)
    assert not oauth2.valid_code_verifier("a" * 42 + "+")
    assert not oauth2.check_s256("short", oauth2.s256_challenge("short"))


def test_secrets_are_random_prefixed_and_stored_as_sha256():
    token = oauth2.new_secret(oauth2.ACCESS_TOKEN_PREFIX)
    assert token.startswith("oat_")
    assert len(token) >= 4 + 43  # 32 random bytes
    assert token != oauth2.new_secret(oauth2.ACCESS_TOKEN_PREFIX)
    stored = oauth2.hash_secret(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert oauth2.secret_matches(token, stored)
    assert not oauth2.secret_matches(token + "x", stored)
    assert not oauth2.secret_matches("", stored)
    assert not oauth2.secret_matches(token, None)


def test_token_kind_from_prefix():
    assert oauth2.token_kind("oat_abc") == "access_token"
    assert oauth2.token_kind("ort_abc") == "refresh_token"
    assert oauth2.token_kind("0123456789abcdef") is None  # an Odoo API key


def test_scopes_are_parsed_sorted_and_checked():
    assert oauth2.parse_scopes("partners:read  orders:read orders:read") == [
        "orders:read",
        "partners:read",
    ]
    assert oauth2.parse_scopes(None) == []
    assert oauth2.scope_string(["b", "a"]) == "a b"


def test_redirect_uri_rules():
    assert oauth2.redirect_uri_problem("https://app.example.com/cb") is None
    assert oauth2.redirect_uri_problem("http://127.0.0.1:8765/cb") is None
    assert oauth2.redirect_uri_problem("http://localhost/cb") is None
    assert oauth2.redirect_uri_problem("http://[::1]:9000/cb") is None
    assert oauth2.redirect_uri_problem("com.example.app:/oauth") is None
    assert "https" in oauth2.redirect_uri_problem("http://app.example.com/cb")
    assert "fragment" in oauth2.redirect_uri_problem("https://app.example.com/cb#x")
    assert "absolute" in oauth2.redirect_uri_problem("/relative/cb")
    assert oauth2.redirect_uri_problem("javascript:alert(1)") is not None
    assert oauth2.parse_redirect_uris(" https://a.example/cb \n\nhttps://b.example/cb ") == [
        "https://a.example/cb",
        "https://b.example/cb",
    ]


def test_basic_auth_is_form_decoded():
    raw = base64.b64encode(b"my%20client:s%3Acret+x").decode()
    assert oauth2.parse_basic_auth(f"Basic {raw}") == ("my client", "s:cret x")
    assert oauth2.parse_basic_auth("Bearer abc") is None
    assert oauth2.parse_basic_auth("Basic !!!") is None
    assert oauth2.parse_basic_auth("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert oauth2.parse_basic_auth(None) is None


def test_consent_form_carries_only_the_oauth_parameters():
    pairs = [
        ("response_type", "code"),
        ("decision", "allow"),
        ("client_id", "oc_x"),
        ("csrf_token", "planted"),
        ("state", "s1"),
        ("state", "s2"),
        ("nonce", "n"),
    ]
    assert oauth2.authorization_parameters(pairs) == [
        ("response_type", "code"),
        ("client_id", "oc_x"),
        ("state", "s1"),
        ("state", "s2"),
    ]


def test_consent_decision_is_one_allow_or_deny():
    assert oauth2.consent_decision(["allow"]) == "allow"
    assert oauth2.consent_decision(["deny"]) == "deny"
    for values in ([], ["allow", "allow"], ["deny", "allow"], ["Allow"], ["yes"], [""]):
        assert oauth2.consent_decision(values) is None
