"""Delivery mechanics of outbound webhooks that need no ORM.

- the retry schedule (exponential backoff with jitter, kept as data so an
  administrator, or a test, can change it);
- the SSRF guard: a target is resolved once, every address must be global
  unicast (`is_public`) unless the administrator's allow list covers it,
  and the connection goes to the checked address (a second DNS answer
  cannot move it elsewhere: no DNS rebinding);
- an HTTP client over `http.client` that keeps one connection alive per
  target, never follows a redirect (a 3xx is an answer like any other, so a
  failure) and has a connect timeout and a read timeout on every request.
"""

import http.client
import ipaddress
import logging
import random
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Seconds to wait after attempt 1, 2, ...: 1 min, 5 min, 30 min, 2 h, 8 h,
# 16 h, 24 h, so 8 attempts spread over about two days (51 h).
DEFAULT_SCHEDULE = (60, 300, 1800, 7200, 28800, 57600, 86400)
JITTER = 0.2  # +-20 % of each delay, so that failed bursts do not retry in lockstep
MAX_RETRY_AFTER = 86400
RESPONSE_EXCERPT = 2000
USER_AGENT = "Odoo-Webhooks/1.0"

_logger = logging.getLogger(__name__)

# Ranges that embed another address, refused whatever they embed: a packet
# to them goes to a translator or relay (often on the local network) that
# forwards it to the embedded address. Python's `is_global` calls several of
# them global (which ones depends on its version).
EMBEDDING_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "::/96",  # IPv4-compatible (deprecated, RFC 4291)
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT, RFC 6145)
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local use (RFC 8215)
        "2001::/32",  # Teredo (RFC 4380)
        "2002::/16",  # 6to4 (RFC 3056)
    )
)
HOST_NAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$", re.IGNORECASE
)


class TargetRefused(ValueError):
    """The URL may not be called: bad form or a forbidden address.

    Its text is safe to show to whoever registered the URL: it names the
    host, never the private address a name resolved to (echoing it would
    let anyone who may register a webhook map the internal network through
    DNS). That address is in `address`, for administrators and the log
    (`detailed`). `unresolved` is set when the name did not resolve at all.
    """

    def __init__(self, message, address=None, unresolved=False):
        super().__init__(message)
        self.address = address
        self.unresolved = unresolved

    @property
    def detailed(self):
        """The message with the refused address, for administrators only."""
        return f"{self} (resolved address: {self.address})" if self.address else str(self)


@dataclass(frozen=True)
class AllowEntry:
    """One allow-list entry: a network (an address is a /32 or /128) or a
    host name, on one port or (port None) on every port."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    host: str | None = None
    port: int | None = None


# ----------------------------------------------------------------- retries
def parse_schedule(text):
    """`"60, 300, 1800"` -> (60, 300, 1800); empty or invalid -> default."""
    try:
        delays = tuple(max(0, int(float(part))) for part in (text or "").split(",") if part.strip())
    except ValueError:
        return DEFAULT_SCHEDULE
    return delays or DEFAULT_SCHEDULE


def retry_delay(attempt, schedule=DEFAULT_SCHEDULE, jitter=JITTER, retry_after=None, rng=random):
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Past the end of the schedule its last delay repeats. A receiver's
    `Retry-After` (seconds) is honoured when it asks for more than that,
    up to a day.
    """
    base = schedule[min(max(attempt, 1), len(schedule)) - 1]
    delay = base * (1 + rng.uniform(-jitter, jitter)) if base else 0.0
    if retry_after:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value, now=None):
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    from email.utils import parsedate_to_datetime  # noqa: PLC0415 - rare path

    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0, int(when - (now if now is not None else time.time())))


def describe_schedule(schedule, max_attempts):
    """`"now, 1 min, 5 min, ..."`: when each attempt happens after the event."""
    total = 0
    parts = ["now"]
    for attempt in range(1, max(max_attempts, 1)):
        total += schedule[min(attempt, len(schedule)) - 1]
        parts.append(_human(total))
    return ", ".join(parts)


def _human(seconds):
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 or seconds % 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds // 86400} d"


# -------------------------------------------------------------- SSRF guard
def parse_allow_list(text):
    """Targets an administrator allows although private, separated by commas
    (or semicolons); ValueError on an invalid entry. Each entry is

    - a network or an address, on any port: `10.1.0.0/16`, `127.0.0.1`, `fd00::/8`;
    - the same on one port: `127.0.0.1:8069`, `10.1.0.0/16:443`, `[::1]:8443`,
      `[fd00::/8]:443` (an IPv6 address with a port goes in brackets);
    - a host name, on one port or any: `hooks.lan:8443`, `hooks.lan`. The
      name is compared with the URL's host, and whatever it resolves to is
      then allowed: for names of the administrator's own DNS.
    """
    entries = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            entries.append(_parse_allow_entry(part))
    return tuple(entries)


def _parse_allow_entry(text):
    port = None
    if text.startswith("["):
        target, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"invalid allow-list entry {text!r}: use [address]:port")
        if rest:
            port = _parse_port(rest[1:], text)
    elif text.count(":") == 1:  # host:port; a bare IPv6 address has two colons or more
        target, _colon, port_text = text.partition(":")
        port = _parse_port(port_text, text)
    else:
        target = text
    try:
        return AllowEntry(network=ipaddress.ip_network(target, strict=False), port=port)
    except ValueError:
        pass
    if text.startswith("[") or not HOST_NAME_RE.match(target):
        raise ValueError(f"invalid allow-list entry {text!r}")
    return AllowEntry(host=target.lower().rstrip("."), port=port)


def _parse_port(text, entry):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"invalid port in allow-list entry {entry!r}")
    return int(text)


def is_public(address):
    """True for a global unicast address: one that any site on the Internet
    may have, so calling it cannot reach this network's own machines.

    `is_global` does most of the work (private, loopback, link-local,
    shared, documentation and reserved ranges); multicast, IPv6 site-local
    and the ranges that embed another address are refused on top, and an
    IPv4-mapped IPv6 address is judged as the IPv4 address it is.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip.is_site_local or any(ip in net for net in EMBEDDING_NETWORKS):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def address_allowed(address, allow_list=(), port=None):
    """True for a public address, or one an allow-list entry covers (an
    entry with a port covers only that port: with `port` None, none)."""
    ip = ipaddress.ip_address(address)
    candidates = [ip]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    for entry in allow_list:
        if entry.network is None or (entry.port is not None and entry.port != port):
            continue
        if any(c.version == entry.network.version and c in entry.network for c in candidates):
            return True
    return is_public(ip)


def host_allowed(host, port, allow_list=()):
    """True when an allow-list entry names this host (on this port)."""
    name = host.lower().rstrip(".")
    return any(
        entry.host == name and entry.port in (None, port)
        for entry in allow_list
        if entry.host is not None
    )


def split_url(url):
    """(scheme, host, port, path-with-query) of an http(s) URL, or TargetRefused."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("the URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed; use a custom header")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the URL has an invalid port") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def _refused(host, address):
    _logger.info("webhook target %s refused: it resolves to %s", host, address)
    return TargetRefused(
        f"{host} resolves to a private or reserved address; an administrator must allow it first",
        address=address,
    )


def resolve(host, port, allow_list=(), resolver=socket.getaddrinfo):
    """The one address to connect to, after checking every address of `host`.

    All addresses must be allowed (a name that resolves to one public and
    one private address is refused): the check must not depend on which
    answer the connection would have used.
    """
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"cannot resolve {host}: {exc}", unresolved=True) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused(f"cannot resolve {host}", unresolved=True)
    if not host_allowed(host, port, allow_list):
        for address in addresses:
            if not address_allowed(address, allow_list, port):
                raise _refused(host, address)
    return addresses[0]


def check_url(url, allow_list=(), resolver=socket.getaddrinfo, require_resolution=False):
    """Refuse a URL at registration time. An unresolvable name passes unless
    `require_resolution` (it is checked again, on the resolved address, when
    sending)."""
    _scheme, host, port, _path = split_url(url)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if not address_allowed(host, allow_list, port):
            # the address is what the user typed: theirs to see
            raise TargetRefused(
                f"{host} is a private or reserved address; an administrator must allow it first"
            )
        return
    try:
        resolve(host, port, allow_list, resolver)
    except TargetRefused as exc:
        if require_resolution or not exc.unresolved:
            raise


# ------------------------------------------------------------ HTTP client
@dataclass
class Result:
    """What one attempt got: a status (None on a network error), timings, excerpt."""

    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    headers: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address, whatever the Host header says."""

    def __init__(self, host, port, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=connect_timeout)
        self._address = address
        self._read_timeout = read_timeout

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS to a checked address, the certificate verified for the host name."""

    def __init__(self, host, port, address, connect_timeout, read_timeout, context=None):
        super().__init__(host, port, address, connect_timeout, read_timeout)
        self._context = context or ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class Transport:
    """Posts webhooks, one kept-alive connection per (scheme, host, port).

    Use one Transport per worker batch and close it afterwards. Not
    thread-safe: a worker thread has its own.
    """

    def __init__(
        self, allow_list=(), connect_timeout=5, resolver=socket.getaddrinfo, ssl_context=None
    ):
        self.allow_list = allow_list
        self.connect_timeout = connect_timeout
        self.resolver = resolver
        self.ssl_context = ssl_context  # None: the system's trusted CAs, host name checked
        self._connections = {}

    def close(self):
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _connection(self, scheme, host, port, read_timeout):
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is None:
            address = resolve(host, port, self.allow_list, self.resolver)
            if scheme == "https":
                conn = _PinnedHTTPSConnection(
                    host, port, address, self.connect_timeout, read_timeout, self.ssl_context
                )
            else:
                conn = _PinnedHTTPConnection(
                    host, port, address, self.connect_timeout, read_timeout
                )
            self._connections[key] = conn
        conn._read_timeout = read_timeout
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        return conn

    def post(self, url, body, headers, timeout=15):
        """POST `body` (bytes) to `url`; never raises for HTTP or network errors."""
        start = time.monotonic()
        try:
            scheme, host, port, path = split_url(url)
            conn = self._connection(scheme, host, port, timeout)
        except TargetRefused as exc:
            return Result(None, 0, error=f"refused: {exc}")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **headers,
            "Content-Length": str(len(body)),
        }
        for retry in (True, False):
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read(RESPONSE_EXCERPT + 1)
                if not response.isclosed():  # drain a long answer: the connection stays usable
                    response.read()
                if response.will_close:
                    conn.close()
                conn._reused = not response.will_close
                return Result(
                    response.status,
                    int((time.monotonic() - start) * 1000),
                    excerpt=raw[:RESPONSE_EXCERPT].decode("utf-8", "replace"),
                    headers={k.lower(): v for k, v in response.getheaders()},
                )
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # a kept-alive connection the receiver closed meanwhile: reconnect once
                conn.close()
                if retry and getattr(conn, "_reused", False):
                    conn._reused = False
                    continue
                return Result(None, _ms(start), error=f"connection error: {exc}")
            except TimeoutError:
                conn.close()
                return Result(None, _ms(start), error=f"timeout after {timeout} s")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                return Result(None, _ms(start), error=f"{type(exc).__name__}: {exc}")
        return Result(None, _ms(start), error="connection error")


def _ms(start):
    return int((time.monotonic() - start) * 1000)
