import pytest
from conftest import load_lib

subscription = load_lib("my_webhooks", "subscription")


def test_domain_is_literal():
    assert subscription.parse_domain("[('is_company', '=', True)]") == [("is_company", "=", True)]
    assert subscription.parse_domain(" ['|', ('a', '=', 1), ['b', 'in', [1, 2]]] ") == [
        "|",
        ("a", "=", 1),
        ["b", "in", [1, 2]],
    ]
    assert subscription.parse_domain("[]") == []


@pytest.mark.parametrize(
    "text",
    [
        "[('create_uid', '=', uid)]",
        "[('id', 'in', list(range(3)))]",
        "[('name', '=', str(1))]",
        "[('id', '>', 1 + 1)]",
        "[('name', '=', ().__class__.__bases__)]",
        "__import__('os').system('true')",
        "[('name', '=', 'x')",  # unbalanced
        "[" * 1000 + "]" * 1000,  # too deep for the parser
        "",
    ],
)
def test_domain_expressions_are_refused(text):
    with pytest.raises(ValueError, match="literal"):
        subscription.parse_domain(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("('name', '=', 'x')", "neither a condition"),
        ("{'name': 1}", "must be a list"),
        ("'name'", "must be a list"),
        ("[('name', '=')]", "neither a condition"),
        ("['name']", "neither a condition"),
        ("[('id', 'in', [%s])]" % ", ".join(["1"] * 2100), "longer than 4096 bytes"),
        ("[('amount', '>', 1e999)]", "no literal form"),
        ("[('amount', 'in', {1, 2} - {1, 2})]", "literal"),
    ],
)
def test_domain_shapes_are_checked(text, message):
    with pytest.raises(ValueError, match=message):
        subscription.parse_domain(text)


def test_domain_size_is_counted_in_bytes():
    text = "[('name', '=', '%s')]" % ("é" * 2040)
    assert len(text) < subscription.MAX_DOMAIN_BYTES < len(text.encode())
    with pytest.raises(ValueError, match="longer than"):
        subscription.parse_domain(text)


@pytest.mark.parametrize(
    "model",
    [
        "ir.config_parameter",
        "ir.mail_server",
        "ir.attachment",
        "res.users",
        "res.users.apikeys",
        "res.users.apikeys.description",
        "mail.mail",
        "mail.message",
        "bus.bus",
        "payment.provider",
        "auth_totp.device",
    ],
)
def test_restricted_models(model):
    assert subscription.matches(model, subscription.RESTRICTED_MODELS)
    assert not subscription.matches(model, subscription.OWN_MODELS)


@pytest.mark.parametrize(
    "model",
    [
        "webhook.delivery",
        "webhook.delivery.attempt",
        "webhook.endpoint",
        "oauth.token",
        "api.rate.counter",
        "apikey.show.wizard",
        "apikey.mint.wizard",
        "integration.user.wizard",
    ],
)
def test_own_models(model):
    assert subscription.matches(model, subscription.OWN_MODELS)


@pytest.mark.parametrize("model", ["res.partner", "sale.order", "mail.activity", "stock.picking"])
def test_business_models_are_open(model):
    assert not subscription.matches(model, subscription.RESTRICTED_MODELS)
    assert not subscription.matches(model, subscription.OWN_MODELS)
