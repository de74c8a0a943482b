"""What an outbound webhook endpoint may subscribe to, and its domain filter.

An endpoint reads records for a receiver outside Odoo, so subscribing to a
model is reading it: these rules decide which models nobody, or only an
administrator, may subscribe to. Pure functions, tested without Odoo.
"""

import ast
from fnmatch import fnmatchcase

MAX_DOMAIN_BYTES = 4096
DOMAIN_OPERATORS = ("&", "|", "!")

# The suite's own models. An endpoint on the outbox or its attempt log
# enqueues a delivery for every delivery attempt, forever; the others hold
# signing secrets, tokens and keys; the API key wizards show a new key once.
# Nobody subscribes to them, not even an administrator.
OWN_MODELS = ("webhook.*", "oauth.*", "api.*", "apikey.*", "integration.user.wizard")

# Technical and secret-bearing models: system parameters, mail servers and
# attachments (ir.*), password hashes, API keys, TOTP secrets, passkeys and
# sessions (res.users*, auth*, res.device*), outgoing mails with password
# reset links (mail.mail), every chat and chatter message (mail.message,
# bus.bus, mail.tracking.value, sms.sms), payment credentials, fetchmail
# passwords and IAP tokens. Only an administrator subscribes to them.
RESTRICTED_MODELS = (
    "ir.*",
    "res.users*",
    "res.device*",
    "auth_totp.*",
    "auth.totp.*",
    "auth.passkey*",
    "mail.mail",
    "mail.message",
    "mail.tracking.value",
    "bus.bus",
    "sms.sms",
    "payment.provider",
    "payment.token",
    "fetchmail.server",
    "iap.account",
)


def matches(model, patterns):
    """Whether the technical model name matches one of the glob patterns."""
    return any(fnmatchcase(model, pattern) for pattern in patterns)


def parse_domain(text):
    """The domain filter `text` as a list, parsed as a Python literal.

    The filter is stored by users who are not administrators and evaluated
    later by the automation rule, so it is never evaluated as an expression:
    only literals (lists, tuples, strings, numbers, True/False/None) pass,
    and it is bounded in size. Raises ValueError saying what is wrong.
    """
    if len(text.encode()) > MAX_DOMAIN_BYTES:
        raise ValueError(f"the domain is longer than {MAX_DOMAIN_BYTES} bytes")
    try:
        domain = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(
            "the domain must be a literal list of conditions, e.g. "
            "[('is_company', '=', True)]; names, calls and expressions are not allowed"
        ) from None
    if not isinstance(domain, (list, tuple)):
        raise ValueError("the domain must be a list of conditions")
    for item in domain:
        if item in DOMAIN_OPERATORS:
            continue
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise ValueError(f"{item!r} is neither a condition (field, operator, value) nor & | !")
    domain = list(domain)
    # what the automation rule evaluates is repr(domain): it must read back as
    # the same literal (1e999 parses, but its repr `inf` is a name)
    try:
        ast.literal_eval(repr(domain))
    except (ValueError, SyntaxError):
        raise ValueError(
            "the domain holds a value with no literal form (e.g. an infinite number)"
        ) from None
    return domain
