"""Declarative schemas for request and response bodies.

A resource declares its write body once with `Field` objects; the same
declaration validates incoming JSON (`validate`) and produces the JSON Schema
2020-12 fragment of the OpenAPI document (`json_schema`). Validation
collects every problem instead of stopping at the first, so that a client
fixes its request in one round trip.
"""

from . import timestamps

_TYPES = {"string", "integer", "number", "boolean", "object", "array"}


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
        max_length=None,
        min_items=None,
        max_items=None,
        items=None,
        properties=None,
        format=None,
        read_only=False,
        example=None,
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
        self.max_length = max_length
        self.min_items = min_items
        self.max_items = max_items
        self.items = items
        self.properties = properties or {}
        self.format = format
        self.read_only = read_only
        self.example = example


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


def validate(value, spec, partial=False, path=""):
    """Validate `value` against `spec`; return the list of problems found.

    `partial` (PATCH) turns off the required check at the top level only:
    a nested object that is sent must still be whole.
    """
    errors = []
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
    if spec.type in ("integer", "number"):
        if spec.minimum is not None and value < spec.minimum:
            errors.append(_issue(path, "too_small", f"{label} must be >= {spec.minimum}"))
        if spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
            errors.append(_issue(path, "too_small", f"{label} must be > {spec.exclusive_minimum}"))
        if spec.maximum is not None and value > spec.maximum:
            errors.append(_issue(path, "too_large", f"{label} must be <= {spec.maximum}"))
    if spec.type == "string":
        if spec.max_length is not None and len(value) > spec.max_length:
            errors.append(
                _issue(path, "too_long", f"{label} must be at most {spec.max_length} characters")
            )
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
            errors.extend(validate(item, spec.items, path=f"{path}[{index}]"))
    if spec.type == "object" and spec.properties:
        for key in value:
            if key not in spec.properties or spec.properties[key].read_only:
                errors.append(_issue(_join(path, key), "unknown_field", f"unknown field {key!r}"))
        for key, sub in spec.properties.items():
            sub_path = _join(path, key)
            if key in value:
                errors.extend(validate(value[key], sub, path=sub_path))
            elif sub.required and not (partial and not path):
                errors.append(_issue(sub_path, "required", f"{sub_path} is required"))
    return errors


def _join(path, key):
    return f"{path}.{key}" if path else key


def json_schema(spec, mode="read"):
    """Return the JSON Schema 2020-12 of `spec` for responses or requests.

    In "write" mode read-only properties are left out; in "read" mode
    `required` lists nothing (responses may omit what the caller cannot see).
    """
    schema = {"type": [spec.type, "null"] if spec.nullable else spec.type}
    for key, attr in (
        ("description", "description"),
        ("enum", "enum"),
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("exclusiveMinimum", "exclusive_minimum"),
        ("maxLength", "max_length"),
        ("minItems", "min_items"),
        ("maxItems", "max_items"),
        ("format", "format"),
        ("example", "example"),
    ):
        value = getattr(spec, attr)
        if value not in (None, ""):
            schema[key] = value
    if spec.enum is not None and spec.nullable:
        schema["enum"] = [*spec.enum, None]
    if spec.read_only and mode == "read":
        schema["readOnly"] = True
    if spec.type == "array" and spec.items is not None:
        schema["items"] = json_schema(spec.items, mode)
    if spec.type == "object" and spec.properties:
        props = {
            key: json_schema(sub, mode)
            for key, sub in spec.properties.items()
            if mode == "read" or not sub.read_only
        }
        schema["properties"] = props
        schema["additionalProperties"] = False
        required = [key for key, sub in spec.properties.items() if sub.required]
        if mode == "write" and required:
            schema["required"] = required
    return schema
