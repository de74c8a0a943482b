"""Fixed-window rate limits, the arithmetic without the storage.

A request may count against several buckets at once (its API key, its
user, its client address); each has a policy (limit per window) and a
count in the current window. The answer describes the bucket that binds
first (`tightest`), and a refusal the one that refused it, so that
`Retry-After` says when the request may succeed.
"""

import ipaddress
from dataclasses import dataclass

IPV6_PREFIX = 64  # one subscriber's usual allotment: an address each would be no limit


@dataclass(frozen=True)
class Usage:
    """One bucket's policy and count in the current window."""

    name: str  # the policy's name in the RateLimit headers ("user", "key", ...)
    limit: int
    window: int  # seconds
    hits: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self):
        return max(0, self.limit - self.hits)

    @property
    def exceeded(self):
        return self.hits > self.limit

    def headers(self):
        """The RateLimit fields of the current draft and the widely used ones."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f'"{self.name}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.name}";r={self.remaining};t={self.reset}',
        }


def window_start(now, window):
    """Start (Unix seconds) of the window of `window` seconds holding `now`."""
    return int(now // window * window)


def reset_after(now, window):
    """Seconds until the current window ends (at least 1)."""
    return max(1, window_start(now, window) + window - int(now))


def tightest(usages):
    """The usage to describe: of the exceeded ones, the one that ends last
    (the request succeeds only once it has); otherwise the one with the
    fewest requests left (the later reset on a tie)."""
    exceeded = [usage for usage in usages if usage.exceeded]
    if exceeded:
        return max(exceeded, key=lambda usage: usage.reset)
    return min(usages, key=lambda usage: (usage.remaining, -usage.reset))


def address_bucket(address):
    """The bucket of a client address: `ip:<address>`, an IPv6 address by
    its /64 network (an IPv4-mapped one as its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"ip:{address or 'unknown'}"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return f"ip:{ipaddress.ip_network(f'{ip}/{IPV6_PREFIX}', strict=False)}"
    return f"ip:{ip}"
