"""Reading a request body that may be larger than we accept.

A body sent with `Transfer-Encoding: chunked` has no Content-Length to
refuse up front, and werkzeug's `get_data()` reads such a stream to its end
(werkzeug 2.2 applies `max_content_length` to form parsing only): a sender
could make a worker buffer gigabytes before any size check. `read_limited`
reads in chunks and stops at limit + 1 bytes.

`loads` parses JSON as `json.loads` does, but a document nested too deeply
for the parser's recursion (`[` * 100000) is a ValueError like any other
malformed body, not a RecursionError that would end as a 500.
"""

import json

CHUNK_SIZE = 64 * 1024


class BodyTooLarge(ValueError):
    """The body has more than `limit` bytes."""

    def __init__(self, limit):
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


def read_limited(stream, limit, chunk_size=CHUNK_SIZE):
    """Read `stream` to its end and return the bytes; raise BodyTooLarge as
    soon as more than `limit` bytes arrived (at most limit + 1 are read)."""
    parts = []
    size = 0
    while True:
        chunk = stream.read(min(chunk_size, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)


def loads(raw):
    """json.loads(raw), with a too deeply nested document as a ValueError."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON document is nested too deeply") from None
