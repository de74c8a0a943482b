"""The `X-Odoo-Company` request header: which companies a request works in.

`X-Odoo-Company: 3` or `X-Odoo-Company: 3,1`: company ids, comma-separated,
the first one the current company (where creates go), as the web client's
company switcher orders them. Whether the user may work in them is for the
caller to check (it needs the database); this module only reads the header,
strictly: no spaces, signs or empty items, at most MAX_COMPANIES ids, each
within PostgreSQL's integer. A repeated id counts once.

Pure Python (no Odoo import), so that tests/unit checks it on its own.
"""

import re

HEADER = "X-Odoo-Company"
MAX_COMPANIES = 100
INT4_MAX = 2**31 - 1
_ID = "[1-9][0-9]*"
_HEADER_RE = re.compile(f"{_ID}(?:,{_ID})*", re.ASCII)
# What the OpenAPI document declares: ids of up to nine digits (a company id
# beyond is no id of this world; the server takes any up to INT4_MAX), up to
# MAX_COMPANIES of them.
DOCUMENT_PATTERN = f"^[1-9][0-9]{{0,8}}(?:,[1-9][0-9]{{0,8}}){{0,{MAX_COMPANIES - 1}}}$"


class CompanyHeaderError(ValueError):
    """A malformed header; str() is the sentence to answer."""


def parse_company_ids(text):
    """The company ids of an `X-Odoo-Company` value, first the current one,
    without repeats."""
    if not isinstance(text, str) or not _HEADER_RE.fullmatch(text):
        raise CompanyHeaderError(
            f"{HEADER} must be company ids separated by commas, e.g. {HEADER}: 1 or 1,3"
        )
    parts = text.split(",")
    if len(parts) > MAX_COMPANIES:
        raise CompanyHeaderError(f"{HEADER} names at most {MAX_COMPANIES} companies")
    ids = []
    for part in parts:
        if len(part) > 10 or int(part) > INT4_MAX:
            raise CompanyHeaderError(f"{HEADER}: {part[:20]} is not a company id")
        if int(part) not in ids:
            ids.append(int(part))
    return ids
