"""The `Prefer` request header (RFC 7240) as far as /api/v1 reads it.

One preference matters: `read-your-writes`, which sends a read to the
primary database when the server reads from a replica
(README.md, "Running several servers"). Pure Python, no Odoo import.
"""

READ_YOUR_WRITES = "read-your-writes"


def preferences(header):
    """The preference names of a `Prefer` header, lower-cased.

    RFC 7240: a comma-separated list of `token [= value] *( ; parameter )`;
    names are case-insensitive. Anything unreadable is ignored, as the RFC
    asks of preferences a server does not understand.
    """
    names = set()
    for item in (header or "").split(","):
        name = item.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if name and name.isascii() and name.isprintable() and " " not in name:
            names.add(name)
    return names


def wants_primary(header):
    """True when the client asked to read what it has just written."""
    return READ_YOUR_WRITES in preferences(header)
