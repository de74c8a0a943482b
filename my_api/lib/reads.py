"""What a read of /api/v1 may ask for beyond its filters, as plain Python.

The parsing rules of `fields=`, `expand=`, filter operators
(`amount_total[gte]=100`), multi-key `order=`, `If-None-Match` and
`Accept-Language`, kept apart from the ORM so that tests/unit checks them
on their own and the OpenAPI document (lib/openapi.py) states exactly what
the server reads: a schema-valid request is never refused for its form.

Pure Python (no Odoo import).
"""

import math
import re

# The operators a declared filter may take, and what each means.
OPERATORS = {
    "gt": "greater than",
    "gte": "greater than or equal to",
    "lt": "less than",
    "lte": "less than or equal to",
    "in": "one of, comma-separated",
    "ilike": "contains, case-insensitive",
}
# `name[op]`: the query parameter of a filter operator
OPERATOR_PARAM_RE = re.compile(r"([a-z_][a-z0-9_]*)\[([a-z]+)\]", re.ASCII)
MAX_IN_VALUES = 100
MAX_ORDER_KEYS = 2  # each key of a page's order costs an index, and the enum lists them
EXPAND_MAX_DEPTH = 2
# an integer of PostgreSQL's int4, 1 and up, as a pattern (what the server reads)
POSITIVE_INT4_PATTERN = (
    "(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
    "|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
    "|21474836[0-3][0-9]|214748364[0-7])"
)
# a number as JSON writes one (what the document's `number` admits)
NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)
# text in a filter value: no control character (PostgreSQL refuses NUL; the
# others are no part of any name a client searches for)
CONTROL_RE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
TEXT_VALUE_PATTERN = "[^\\x00-\\x1f\\x7f]*"


class ReadParamError(ValueError):
    """A malformed read parameter: `issue` for the error's details, str() the sentence."""

    def __init__(self, issue, message):
        super().__init__(message)
        self.issue = issue


def split_list(raw):
    """The comma-separated items of a query value (`a,b,c`); an empty item
    is an error, as is an empty value."""
    items = raw.split(",")
    if not raw or any(not item for item in items):
        raise ReadParamError("invalid_format", "is a comma-separated list without empty items")
    return items


def parse_fields(raw, allowed):
    """The names of `fields=a,b` (a set), each one of `allowed`."""
    names = split_list(raw)
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ReadParamError(
            "unknown_field",
            f"names no field of this resource: {', '.join(unknown)} "
            f"(fields are {', '.join(sorted(allowed))})",
        )
    if len(set(names)) != len(names):
        raise ReadParamError("invalid_format", "names a field twice")
    return set(names)


def parse_expand(raw, allowed):
    """The tree of `expand=partner,lines.product`: {"partner": {}, "lines":
    {"product": {}}}; every path one of `allowed` (dotted paths, depth at
    most EXPAND_MAX_DEPTH)."""
    tree = {}
    paths = split_list(raw)
    for path in paths:
        if path.count(".") >= EXPAND_MAX_DEPTH:
            raise ReadParamError(
                "too_deep", f"{path}: expansions go at most {EXPAND_MAX_DEPTH} levels deep"
            )
        if path not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ReadParamError(
                "unknown_expansion", f"{path} is no expansion of this resource (they are {known})"
            )
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    if len(set(paths)) != len(paths):
        raise ReadParamError("invalid_format", "names an expansion twice")
    return tree


def parse_order(raw, keys):
    """[(key, descending)] of `order=-date_order,id`: at most MAX_ORDER_KEYS
    keys, each one of `keys`, none twice."""
    terms = split_list(raw)
    parsed = [(term.removeprefix("-"), term.startswith("-")) for term in terms]
    if len(terms) > MAX_ORDER_KEYS:
        raise ReadParamError("invalid_value", f"takes at most {MAX_ORDER_KEYS} sort keys")
    if any(key not in keys for key, _desc in parsed):
        raise ReadParamError(
            "invalid_value",
            f"keys must be among: {', '.join(sorted(keys))} (prefix with - for descending; "
            f"up to {MAX_ORDER_KEYS}, comma-separated)",
        )
    if len({key for key, _desc in parsed}) != len(parsed):
        raise ReadParamError("invalid_value", "names a sort key twice")
    return parsed


def order_values(keys):
    """Every `order=` value parse_order accepts, for the document's enum:
    one key or two distinct ones, each ascending or descending."""
    singles = [term for key in sorted(keys) for term in (key, f"-{key}")]
    values = list(singles)
    for first in singles:
        values.extend(
            f"{first},{second}"
            for second in singles
            if second.removeprefix("-") != first.removeprefix("-")
        )
    return values


def parse_number(raw):
    """A finite number of a query value, as JSON writes one."""
    if not NUMBER_RE.fullmatch(raw):
        raise ReadParamError("invalid_type", "must be a number")
    value = float(raw)
    if not math.isfinite(value):
        raise ReadParamError("out_of_range", "is beyond the numbers the server keeps")
    return value


def check_text(raw):
    """`raw` unless it holds a control character."""
    if CONTROL_RE.search(raw):
        raise ReadParamError("invalid_format", "must not hold control characters")
    return raw


def in_pattern(item_pattern):
    """The pattern of a comma-separated list of 1 to MAX_IN_VALUES items."""
    return f"^(?:{item_pattern})(?:,(?:{item_pattern})){{0,{MAX_IN_VALUES - 1}}}$"


# ---------------------------------------------------------------- ETags
_ETAG_RE = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def parse_entity_tags(header):
    """The entity-tags of an If-None-Match or If-Match value (RFC 9110
    8.8.3), as their opaque quoted strings (weakness dropped), "*" for
    any, or None when the value is malformed (a precondition that cannot
    be read is ignored, as RFC 9110 13.1 allows for If-None-Match)."""
    text = (header or "").strip()
    if text == "*":
        return "*"
    tags, position = [], 0
    while position < len(text):
        match = _ETAG_RE.match(text, position)
        if not match or match.end() == position:
            return None
        tags.append(match.group(2))
        position = match.end()
    return tags or None


def none_match(header, etag):
    """Whether an `If-None-Match: header` fails for the current `etag`
    (answer 304): weak comparison, as RFC 9110 13.1.2 requires; `*`
    matches any current representation."""
    tags = parse_entity_tags(header)
    if tags is None:
        return False
    if tags == "*":
        return True
    return etag.removeprefix("W/") in tags


# ------------------------------------------------------------- languages
_LANGUAGE_RANGE_RE = re.compile(
    r"\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9](?:\.[0-9]{0,3})?))?\s*",
    re.ASCII,
)
MAX_LANGUAGE_RANGES = 20


def parse_accept_language(header):
    """[(range, quality)] of an Accept-Language value (RFC 9110 12.5.4),
    best first (ties in the order sent); malformed items are skipped, as
    are ranges of quality 0, and a value longer than a browser sends is
    read no further than its first MAX_LANGUAGE_RANGES items."""
    ranges = []
    for position, item in enumerate((header or "").split(",")[:MAX_LANGUAGE_RANGES]):
        match = _LANGUAGE_RANGE_RE.fullmatch(item)
        if not match:
            continue
        quality = float(match.group(2)) if match.group(2) is not None else 1.0
        if quality <= 0 or quality > 1:
            continue
        ranges.append((-quality, position, match.group(1).replace("_", "-")))
    return [(tag, -quality) for quality, _position, tag in sorted(ranges)]


def pick_language(header, installed):
    """The Odoo language code (`fr_BE`) of `installed` that an
    Accept-Language value or a `lang=` value prefers, or None: a range
    matches a code exactly (fr-BE is fr_BE) or by its primary subtag
    (fr is the first installed French, fr_BE or fr_FR); `*` none in
    particular."""
    by_tag = {code.replace("_", "-").lower(): code for code in installed}
    for tag, _quality in parse_accept_language(header):
        if tag == "*":
            continue
        tag = tag.lower()
        if tag in by_tag:
            return by_tag[tag]
        primary = tag.split("-")[0]
        for key, code in sorted(by_tag.items()):
            if key.split("-")[0] == primary:
                return code
    return None


def language_tag(code):
    """The BCP 47 tag of an Odoo language code (`fr_BE` is `fr-BE`;
    `sr@latin` is `sr-Latn`), for Content-Language."""
    code = code.replace("@latin", "_Latn")
    return code.replace("_", "-")
