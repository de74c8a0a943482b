"""Client address ranges of a restricted API key, without the ORM.

A key limited to address ranges is stored with its ranges as text (one
CIDR block each, separated by commas, spaces or new lines), written in
their normal form, so that what the key list shows is what is enforced.
The client address checked is the one Odoo gives the request
(`request.httprequest.remote_addr`): the peer's address, or the
X-Forwarded-For one only when Odoo runs with `proxy_mode` on, where a
trusted proxy set it. Trusting the header otherwise would let any client
claim any address.
"""

import ipaddress
import re

MAX_NETWORKS = 100
_SEPARATORS = re.compile(r"[\s,;]+")


class NetworkError(ValueError):
    """Text that is no list of address ranges; the message names the culprit."""


def parse_networks(text):
    """The address ranges of `text` as a tuple of ip_network, in order,
    without duplicates; () for empty text. Host bits are cleared
    (`192.168.0.7/24` is `192.168.0.0/24`), a bare address is a range of
    one. Raises NetworkError for anything else."""
    networks = []
    for item in _SEPARATORS.split((text or "").strip()):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise NetworkError(
                f"{item!r} is not an address range: write CIDR blocks such as "
                "192.168.0.0/24 or 2001:db8::/32, separated by commas"
            ) from None
        if network not in networks:
            networks.append(network)
    if len(networks) > MAX_NETWORKS:
        raise NetworkError(f"at most {MAX_NETWORKS} address ranges, not {len(networks)}")
    return tuple(networks)


def format_networks(networks):
    """The stored text of parsed ranges (None for none: no restriction)."""
    return ", ".join(str(network) for network in networks) or None


def address_allowed(address, networks):
    """Whether client `address` (text) is in one of `networks`; an empty
    tuple allows every address. An IPv4 address seen as IPv6
    (`::ffff:10.0.0.1`, from a dual-stack socket) is checked as IPv4. An
    address that cannot be read is in no range."""
    if not networks:
        return True
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed.version == net.version and parsed in net for net in networks)
