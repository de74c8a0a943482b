"""Declarative schemas for request and response bodies.

A resource declares its write body once with `Field` objects; the same
declaration validates incoming JSON (`validate`) and produces the JSON Schema
2020-12 fragment of the OpenAPI document (`json_schema`). Validation
collects every problem instead of stopping at the first, so that a client
fixes its request in one round trip.

The document is as strict as the server: every bound that validation
enforces is in the schema (integers within PostgreSQL's int4, text without
NUL, timestamps by a pattern), so that what a client generated from the
document sends is never refused for its form. Patterns are written for
both Python's `re` and ECMA-262 (JSON Schema's dialect): explicit character
classes only, no `\\d`, `\\s` or `.`, whose meanings differ; a Field's
`pattern` must match the whole value (the document anchors it).
"""

import math
import re

from . import timestamps

_TYPES = {"string", "integer", "number", "boolean", "object", "array"}

# PostgreSQL's integer (int4): every id, offset and counter the API stores
# or compares. Beyond it PostgreSQL fails the query.
INT4_MIN = -(2**31)
INT4_MAX = 2**31 - 1

# Numbers a float column keeps exactly at the precision it is read at: a
# float8 holds 15 significant digits, so an amount to the cent up to 10^12
# and a quantity to the thousandth up to 10^9. Far beyond any sale, and far
# from float8's overflow (1.8e308), where Odoo's computations fail.
MAX_AMOUNT = 10**12
MAX_QUANTITY = 10**9

# Text PostgreSQL can store: no NUL; and no lone surrogate ("\ud800" is
# valid JSON that UTF-8 cannot encode).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
TEXT_PATTERN = "[^\\x00]*"

# Dates and timestamps that lib/timestamps.py accepts, as patterns: years
# 1900 to 9999, real calendar days (leap years included). A timestamp is
# written in the RFC 3339 profile (T, seconds, Z or an offset of -12:00 to
# +14:00), in the years 1901 to 9998, so that its offset never takes it
# out of the range in UTC. The server reads a few more spellings (see
# lib/timestamps.py); the pattern says what it always reads.
_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    "|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31)"
)
_LEAP_YEAR = "(?:(?:19|[2-9][0-9])(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
_YEAR = "(?:19[0-9]{2}|[2-9][0-9]{3})"
_TIMESTAMP_YEAR = "(?:190[1-9]|19[1-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
_OFFSET = "(?:Z|[+-](?:0[0-9]|1[01]):[0-5][0-9]|-12:00|\\+1[23]:[0-5][0-9]|\\+14:00)"
DATE_PATTERN = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
TIMESTAMP_PATTERN = f"(?:{_TIMESTAMP_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_TIME}{_OFFSET}"
# a filter bound: a timestamp, or a date alone for the whole day
SPAN_PATTERN = f"(?:{DATE_PATTERN}|{TIMESTAMP_PATTERN})"


class Field:
    """One property of a JSON object (or the item type of an array)."""

    def __init__(
        self,
        type,
        *,
        description="",
        required=False,
        nullable=False,
        enum=None,
        minimum=None,
        maximum=None,
        exclusive_minimum=None,
        min_length=None,
        max_length=None,
        pattern=None,
        pattern_hint=None,
        min_items=None,
        max_items=None,
        items=None,
        properties=None,
        format=None,
        read_only=False,
        example=None,
        target=None,
        ref_field=None,
    ):
        if type not in _TYPES:
            raise ValueError(f"unknown type {type!r}")
        self.type = type
        self.description = description
        self.required = required
        self.nullable = nullable
        self.enum = enum
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self.pattern_hint = pattern_hint  # what the pattern means, for its error
        self._compiled = re.compile(pattern) if pattern else None
        self.min_items = min_items
        self.max_items = max_items
        self.items = items
        self.properties = properties or {}
        self.format = format
        self.read_only = read_only
        self.example = example
        # a relation field of a body: the Odoo model it points to, whose
        # record it names by id or by reference (see REFERENCE_PATTERN);
        # `ref_field` is the field `ref:<value>` looks up, when the target's
        # resource does not declare one (None: the resource's)
        self.target = target
        self.ref_field = ref_field


def Id(**kwargs):
    """A record id: a positive int4. With `target` (a model name), a
    relation field of a body that also names its record by reference:
    `ref:<external reference>` or `xid:<module.name>` (see
    api.resource's body references)."""
    return Field("integer", minimum=1, maximum=INT4_MAX, **kwargs)


# A record named in a body by reference: `ref:` and the target's external
# reference (1 to 256 characters, no control character), or `xid:` and an
# external id `module.name` (a module is letters, digits and _, as Odoo's
# module names are; a name is those and . - as ir.model.data's are).
REFERENCE_MAX_LENGTH = 260
REF_VALUE_PATTERN = "ref:[^\\x00-\\x1f\\x7f]{1,256}"
XID_NAME_PATTERN = "[A-Za-z0-9_]{1,64}[.][A-Za-z0-9_.-]{1,190}"
XID_VALUE_PATTERN = f"xid:{XID_NAME_PATTERN}"
REFERENCE_PATTERN = f"{REF_VALUE_PATTERN}|{XID_VALUE_PATTERN}"
_REFERENCE_RE = re.compile(REFERENCE_PATTERN)
REFERENCE_HINT = "be an id, ref:<external reference> or xid:<module.name>"


def Object(properties, **kwargs):
    return Field("object", properties=properties, **kwargs)


def Array(items, **kwargs):
    return Field("array", items=items, **kwargs)


def _issue(path, issue, message):
    return {"field": path or "(body)", "issue": issue, "message": message}


def _type_ok(value, type_):
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        # JSON Schema's integer: a number without a fractional part (1.0
        # is one); normalize() makes it an int
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "object":
        return isinstance(value, dict)
    return isinstance(value, list)


def _format_problem(value, fmt):
    """(issue, message tail) when `value` does not match `fmt`, else None.
    Dates and timestamps follow lib/timestamps.py: a timestamp carries its
    UTC offset, years run from 1900 to 9999."""
    parser = {"date": timestamps.parse_date, "date-time": timestamps.parse_timestamp}.get(fmt)
    if parser is not None:
        try:
            parser(value)
        except timestamps.TimestampError as exc:
            return exc.issue, str(exc)
    elif fmt == "email" and "@" not in value:
        return "invalid_format", "must be a valid email"
    return None


def validate(value, spec, partial=False, path="", read=False):
    """Validate `value` against `spec`; return the list of problems found.

    `partial` (PATCH) turns off the required check at the top level only:
    a nested object that is sent must still be whole. `read` validates a
    response against a read schema instead of a request body: read-only
    properties belong there, and nothing is required (as json_schema's
    read mode says: a response may omit what the caller cannot see).
    """
    errors = []
    if spec.target is not None and isinstance(value, str):
        return _reference_problems(value, path)
    if value is None:
        if not spec.nullable:
            errors.append(_issue(path, "invalid_type", f"{path or 'body'} must not be null"))
        return errors
    if not _type_ok(value, spec.type):
        article = "an" if spec.type[0] in "aeiou" else "a"
        errors.append(
            _issue(path, "invalid_type", f"{path or 'body'} must be {article} {spec.type}")
        )
        return errors
    label = path or "body"
    if spec.enum is not None and value not in spec.enum:
        allowed = ", ".join(str(v) for v in spec.enum)
        errors.append(_issue(path, "invalid_value", f"{label} must be one of: {allowed}"))
    if spec.type == "number" and not math.isfinite(value):
        # Python's json reads NaN and Infinity, which no column stores
        errors.append(_issue(path, "invalid_type", f"{label} must be a finite number"))
        return errors
    if spec.type in ("integer", "number"):
        minimum, maximum = _bounds(spec)
        if minimum is not None and value < minimum:
            errors.append(_issue(path, "too_small", f"{label} must be >= {minimum}"))
        if spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
            errors.append(_issue(path, "too_small", f"{label} must be > {spec.exclusive_minimum}"))
        if maximum is not None and value > maximum:
            errors.append(_issue(path, "too_large", f"{label} must be <= {maximum}"))
    if spec.type == "string":
        if _BAD_TEXT.search(value):
            errors.append(
                _issue(
                    path,
                    "invalid_character",
                    f"{label} must not contain NUL characters or lone surrogates",
                )
            )
            return errors
        if spec.min_length is not None and len(value) < spec.min_length:
            errors.append(
                _issue(path, "too_short", f"{label} must be at least {spec.min_length} characters")
            )
        if spec.max_length is not None and len(value) > spec.max_length:
            errors.append(
                _issue(path, "too_long", f"{label} must be at most {spec.max_length} characters")
            )
        if spec._compiled is not None and not spec._compiled.fullmatch(value):
            what = spec.pattern_hint or f"match the pattern {spec.pattern}"
            errors.append(_issue(path, "invalid_format", f"{label} must {what}"))
        problem = spec.format and _format_problem(value, spec.format)
        if problem:
            errors.append(_issue(path, problem[0], f"{label} {problem[1]}"))
    if spec.type == "array":
        if spec.min_items is not None and len(value) < spec.min_items:
            errors.append(
                _issue(path, "too_few_items", f"{label} needs at least {spec.min_items} item(s)")
            )
        if spec.max_items is not None and len(value) > spec.max_items:
            errors.append(
                _issue(path, "too_many_items", f"{label} takes at most {spec.max_items} items")
            )
        for index, item in enumerate(value):
            errors.extend(validate(item, spec.items, path=f"{path}[{index}]", read=read))
    if spec.type == "object" and spec.properties:
        for key in value:
            if key not in spec.properties or (spec.properties[key].read_only and not read):
                errors.append(_issue(_join(path, key), "unknown_field", f"unknown field {key!r}"))
        for key, sub in spec.properties.items():
            sub_path = _join(path, key)
            if key in value:
                errors.extend(validate(value[key], sub, path=sub_path, read=read))
            elif sub.required and not read and not (partial and not path):
                errors.append(_issue(sub_path, "required", f"{sub_path} is required"))
    return errors


def _reference_problems(value, path):
    """The problems of a reference string of a relation field (its form
    only: whether it names a record is for the server to find)."""
    label = path or "body"
    if _BAD_TEXT.search(value):
        return [
            _issue(
                path,
                "invalid_character",
                f"{label} must not contain NUL characters or lone surrogates",
            )
        ]
    if len(value) > REFERENCE_MAX_LENGTH:
        return [
            _issue(path, "too_long", f"{label} must be at most {REFERENCE_MAX_LENGTH} characters")
        ]
    if not _REFERENCE_RE.fullmatch(value):
        return [_issue(path, "invalid_format", f"{label} must {REFERENCE_HINT}")]
    return []


def normalize(value, spec):
    """Make the integers of a validated `value` that JSON wrote with a
    fraction (3.0) Python ints, in place in objects and arrays; return it."""
    if value is None:
        return value
    if spec.target is not None and isinstance(value, str):
        return value  # a reference, resolved to an id by the server
    if spec.type == "integer":
        return int(value)
    if spec.type == "array" and spec.items is not None:
        value[:] = [normalize(item, spec.items) for item in value]
    elif spec.type == "object" and spec.properties:
        for key, item in value.items():
            if key in spec.properties:
                value[key] = normalize(item, spec.properties[key])
    return value


def _bounds(spec):
    """(minimum, maximum) of a number or integer: an integer is an int4
    unless it says narrower."""
    if spec.type != "integer":
        return spec.minimum, spec.maximum
    minimum = INT4_MIN if spec.minimum is None else max(spec.minimum, INT4_MIN)
    maximum = INT4_MAX if spec.maximum is None else min(spec.maximum, INT4_MAX)
    return minimum, maximum


def _join(path, key):
    return f"{path}.{key}" if path else key


def json_schema(spec, mode="read"):
    """Return the JSON Schema 2020-12 of `spec` for responses or requests.

    In "write" mode (request bodies) read-only properties are left out and
    every bound the server enforces is spelled out: int4 limits of
    integers, text without NUL, the pattern of dates and timestamps. The
    "query" mode is "write" for a query parameter, where a date-time
    filter also takes a date alone. In "read" mode `required` lists
    nothing (responses may omit what the caller cannot see).
    """
    schema = {"type": [spec.type, "null"] if spec.nullable else spec.type}
    for key, attr in (
        ("description", "description"),
        ("enum", "enum"),
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("exclusiveMinimum", "exclusive_minimum"),
        ("minLength", "min_length"),
        ("maxLength", "max_length"),
        ("minItems", "min_items"),
        ("maxItems", "max_items"),
        ("format", "format"),
        ("example", "example"),
    ):
        value = getattr(spec, attr)
        if value not in (None, ""):
            schema[key] = value
    if mode != "read":
        schema.update(_input_bounds(spec, mode))
        if mode == "query" and spec.format == "date-time":
            del schema["format"]  # a filter bound reads a date alone too
    if spec.enum is not None and spec.nullable:
        schema["enum"] = [*spec.enum, None]
    if spec.read_only and mode == "read":
        schema["readOnly"] = True
    if spec.target is not None and mode == "write":
        return _reference_schema(schema, spec)
    if spec.type == "array" and spec.items is not None:
        schema["items"] = json_schema(spec.items, mode)
    if spec.type == "object" and spec.properties:
        props = {
            key: json_schema(sub, "write" if mode == "query" else mode)
            for key, sub in spec.properties.items()
            if mode == "read" or not sub.read_only
        }
        schema["properties"] = props
        schema["additionalProperties"] = False
        required = [key for key, sub in spec.properties.items() if sub.required]
        if mode == "write" and required:
            schema["required"] = required
    return schema


def _reference_schema(schema, spec):
    """A relation field of a body: an id or a reference string, as the
    document's oneOf (the two never overlap: an integer is no string)."""
    described = {key: schema.pop(key) for key in ("description", "example") if key in schema}
    schema["type"] = "integer"
    forms = [
        schema,
        {
            "type": "string",
            "maxLength": REFERENCE_MAX_LENGTH,
            "pattern": f"^(?:{REFERENCE_PATTERN})$",
        },
    ]
    if spec.nullable:
        forms.append({"type": "null"})
    return {**described, "oneOf": forms}


def _input_bounds(spec, mode):
    """The keywords that state what validate() enforces beyond the Field's
    own: see json_schema."""
    if spec.type == "integer":
        minimum, maximum = _bounds(spec)
        return {"minimum": minimum, "maximum": maximum}
    if spec.type != "string" or spec.enum is not None:
        return {}
    if spec.pattern:
        return {"pattern": f"^(?:{spec.pattern})$"}
    if spec.format == "date-time" and mode == "query":
        return {"pattern": f"^{SPAN_PATTERN}$"}
    if spec.format == "date-time":
        return {"pattern": f"^{TIMESTAMP_PATTERN}$"}
    if spec.format == "date":
        return {"pattern": f"^{DATE_PATTERN}$"}
    return {"pattern": f"^{TEXT_PATTERN}$"}
