"""Files in and out of /api/v1: report PDFs and record attachments.

Pure functions (no Odoo), so that tests/unit checks them on garbage: the
name an upload may carry, the types it may have, its base64 text, the
Content-Disposition and ETag of a download.

Why an allow-list of types: Odoo serves an attachment's bytes under the
mimetype stored with it, and a browser runs the scripts of an HTML, SVG or
XML document it opens from the Odoo origin (stored XSS through an upload).
Such types are refused whatever the allow-list says (`NEVER_SERVED`), and
a body whose bytes look like one is refused whatever type it claims.
"""

import base64
import binascii
import hashlib
import re
import unicodedata
from urllib.parse import quote

# my_api.attachment_mimetypes when unset: documents, images, plain data
DEFAULT_MIMETYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/octet-stream",
)
# types a browser would render with scripts from our origin: never accepted
# (HTML and XHTML, SVG and any other +xml, XML, XSL, scripts); matched on
# the type without its parameters (see never_served)
NEVER_SERVED = re.compile(
    r"html|\+xml$|/(xml|xsl|xslt|(x-)?javascript|ecmascript|jscript)$", re.IGNORECASE
)
MIMETYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
MAX_NAME_LENGTH = 255
# control characters (C0, DEL, C1) and the Unicode format characters that
# reverse or hide text (RLO makes "gpj.exe" read "exe.jpg")
_CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


class DocumentError(ValueError):
    """A refused upload: `status` (400, 415), `field`, `issue` and the message."""

    def __init__(self, status, field, issue, message):
        super().__init__(message)
        self.status = status
        self.field = field
        self.issue = issue


def never_served(mimetype):
    """True for a type (parameters and case aside) a browser would run
    scripts of, when opened from our origin."""
    return bool(NEVER_SERVED.search((mimetype or "").split(";", 1)[0].strip()))


def parse_mimetypes(text):
    """The allow-list of a setting's text: types separated by commas or
    blanks, lower case; the ones NEVER_SERVED or malformed are dropped.
    Raise ValueError for a text naming none (the setting falls back to its
    default)."""
    types = tuple(
        dict.fromkeys(
            word.lower()
            for word in re.split(r"[\s,]+", text)
            if MIMETYPE_RE.fullmatch(word.lower()) and not never_served(word)
        )
    )
    if not types:
        raise ValueError(f"no usable mimetype in {text!r}")
    return types


def clean_name(name):
    """The file name of an upload, stripped of surrounding blanks, or a
    DocumentError: required, at most MAX_NAME_LENGTH characters, no path
    part (`/`, `\\`, `..`), no control or direction-changing characters.
    Refused rather than silently rewritten: the client learns its name is
    not what will be stored."""
    if not isinstance(name, str) or not name.strip():
        raise DocumentError(400, "name", "required", "name is required (the file name)")
    name = unicodedata.normalize("NFC", name.strip())
    if len(name) > MAX_NAME_LENGTH:
        raise DocumentError(
            400, "name", "too_long", f"name has more than {MAX_NAME_LENGTH} characters"
        )
    if any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in name):
        raise DocumentError(400, "name", "invalid_format", "name must not hold control characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise DocumentError(
            400, "name", "invalid_format", "name is a file name, without a path (no / or \\)"
        )
    return name


def check_mimetype(mimetype, allowed, sniffed=None):
    """The mimetype to store (lower case, without parameters), or a
    DocumentError 415 unless it is one of `allowed`. `sniffed` is the type
    the bytes look like (Odoo's guess_mimetype): one NEVER_SERVED is
    refused whatever the client declared."""
    if not isinstance(mimetype, str):
        raise DocumentError(400, "mimetype", "invalid_type", "mimetype must be a string")
    declared = mimetype.split(";", 1)[0].strip().lower()
    if sniffed and never_served(sniffed):
        raise DocumentError(
            415,
            "data",
            "refused_type",
            f"the file's content is {sniffed}, which is not accepted "
            "(a browser would run its scripts)",
        )
    if declared not in allowed or never_served(declared):
        raise DocumentError(
            415,
            "mimetype",
            "refused_type",
            f"files of type {declared or '(none)'} are not accepted; "
            f"accepted: {', '.join(allowed)}",
        )
    return declared


def decode_base64(data):
    """The bytes of a JSON upload's `data`, or a DocumentError 400: strict
    base64 (standard alphabet, padded; no blanks or other characters, so
    that a truncated or mangled upload is refused, not stored damaged)."""
    if not isinstance(data, str) or not data:
        raise DocumentError(400, "data", "required", "data is required (the file, in base64)")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise DocumentError(400, "data", "invalid_format", "data is not valid base64") from None
    if not raw:
        raise DocumentError(400, "data", "required", "the file is empty")
    return raw


def ascii_filename(name, default="file"):
    """A file name of ASCII letters, digits, `.`, `_` and `-` only, for the
    plain `filename=` of Content-Disposition (the exact name goes in
    `filename*`)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")
    return ascii_name[:MAX_NAME_LENGTH] or default


def content_disposition(name, disposition="attachment"):
    """`attachment; filename="..."; filename*=UTF-8''...` (RFC 6266): no
    quote, control character or path reaches the header."""
    plain = ascii_filename(name)
    exact = quote(name.replace("/", "_").replace("\\", "_"), safe="")
    return f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{exact}"


def etag_of(*parts):
    """A strong ETag of the text of `parts`."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(if_none_match, etag):
    """True when an If-None-Match header names `etag` (or is `*`); weak
    comparison (RFC 9110: W/ prefixes ignored)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags
