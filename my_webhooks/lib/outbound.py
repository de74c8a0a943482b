"""Delivery mechanics of outbound webhooks that need no ORM.

- a receiver's `Retry-After`, read as hostile input (the policy that
  uses it is retry.py's);
- the SSRF guard: a target is resolved once, every address must be global
  unicast (`is_public`) unless the administrator's allow list covers it,
  and the connection goes to the checked address (a second DNS answer
  cannot move it elsewhere: no DNS rebinding);
- an HTTP client over `http.client` that keeps one connection alive per
  target, never follows a redirect (a 3xx is an answer like any other, so a
  failure), gives every attempt one overall deadline and reads at most a
  few KiB of any answer: a receiver, however slow, large or malformed its
  answer, costs one bounded attempt and never an exception.
"""

import datetime
import functools
import http.client
import io
import ipaddress
import logging
import re
import select
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from .retry import MAX_RETRY_AFTER

RESPONSE_EXCERPT = 2000
# bytes of an answer read at most, status line and headers included: the
# status is all a delivery needs, the rest is kept for the attempt log
MAX_RESPONSE_BYTES = 8192
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


# ------------------------------------------------------------- Retry-After
def parse_retry_after(value, now=None):
    """Seconds from a `Retry-After` header, 0 to a day; None if malformed.

    RFC 9110 allows delta-seconds (ASCII digits only: `str.isdigit()` also
    takes "²" or "٣", which `int()` then refuses or reads) or an HTTP date.
    The value comes from a receiver and is parsed as hostile input: any
    length, any byte.
    """
    if not value:
        return None
    value = value.strip(" \t")
    if _DELTA_SECONDS.fullmatch(value):
        # hundreds of digits: compare lengths instead of building the number
        digits = value.lstrip("0") or "0"
        if len(digits) > len(str(MAX_RETRY_AFTER)):
            return MAX_RETRY_AFTER
        return min(int(digits), MAX_RETRY_AFTER)
    if not value.isascii() or len(value) > 64:
        return None
    from email.utils import parsedate_to_datetime  # noqa: PLC0415 - rare path

    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - (now if now is not None else time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return int(min(max(seconds, 0), MAX_RETRY_AFTER))


_DELTA_SECONDS = re.compile(r"[0-9]+")


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
# RFC 9110 token characters of a header name; a value is latin-1 text (what
# http.client sends) without control characters other than a tab
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def encode_url(url):
    """The ASCII form of an http(s) URL, as it goes on the wire: an IDNA host
    name and a percent-encoded (UTF-8) path and query, escapes already there
    kept. `http.client` writes the request line in ASCII and would raise on
    anything else.

    A URL that has no such form (a space or a control character, a host
    name IDNA cannot encode) is refused; the endpoint form calls this too,
    so that such a URL is refused once instead of failing every delivery.
    """
    text = (url or "").strip()
    if _URL_FORBIDDEN.search(text):
        raise TargetRefused("the URL contains a space or a control character")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        ascii_host = host.encode("idna").decode("ascii")
        port = parts.port
    except (ValueError, UnicodeError) as exc:
        raise TargetRefused(f"the URL's host or port cannot be encoded: {exc}") from exc
    if text.isascii():
        return text
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = ascii_host if ":" not in ascii_host else f"[{ascii_host}]"
    if userinfo:
        netloc = f"{_escape(userinfo)}@{netloc}"
    if port is not None:
        netloc += f":{port}"
    return urlunsplit(
        (parts.scheme, netloc, _escape(parts.path), _escape(parts.query), _escape(parts.fragment))
    )


def _escape(text):
    return _NON_ASCII.sub(lambda match: quote(match.group(), safe=""), text)


def check_header(name, value):
    """Raise ValueError unless `name: value` can be sent as an HTTP header.

    The message names the header, never its value (it may be a credential).
    """
    if not _HEADER_NAME.fullmatch(name or ""):
        raise ValueError(f"invalid header name {name!r}")
    try:
        str(value).encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"header {name} is not latin-1 text") from None
    if _HEADER_VALUE_FORBIDDEN.search(str(value)):
        raise ValueError(f"header {name} contains a control character")


@dataclass
class Result:
    """What one attempt got: a status (None without an HTTP answer), timings,
    excerpt; `timed_out` when the attempt's deadline cut it."""

    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    headers: dict = field(default_factory=dict)
    timed_out: bool = False

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


class _BoundedReader(io.RawIOBase):
    """The socket, as one answer is read from it: every read waits at most
    until the attempt's deadline (a socket timeout alone applies to each
    read, so a receiver sending a byte now and then would hold the sender
    for ever), and the answer ends after `limit` bytes."""

    def __init__(self, sock, deadline, limit):
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self.left = limit
        self.truncated = False

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            self.truncated = True
            return 0
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline reached")
        self._sock.settimeout(remaining)
        with memoryview(buffer) as view:
            count = self._sock.recv_into(view[: self.left])
        self.left -= count
        return count


class _ReaderSource:
    """What `HTTPResponse` reads an answer from (it only calls makefile())."""

    def __init__(self, reader):
        self._reader = reader

    def makefile(self, mode):
        return io.BufferedReader(self._reader)


class _BoundedResponse(http.client.HTTPResponse):
    """An answer read through a _BoundedReader."""

    def __init__(self, sock, debuglevel=0, method=None, url=None, *, deadline, limit):
        self.reader = _BoundedReader(sock, deadline, limit)
        super().__init__(_ReaderSource(self.reader), debuglevel, method, url)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address, whatever the Host header says; every
    step waits at most until `deadline` (time.monotonic())."""

    def __init__(self, host, port, address, connect_timeout):
        super().__init__(host, port, timeout=connect_timeout)
        self._address = address
        self.deadline = time.monotonic()

    def remaining(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline reached")
        return remaining

    def connect(self):
        self.sock = socket.create_connection(
            (self._address, self.port), min(self.timeout, self.remaining())
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self.remaining())

    def send(self, data):
        # sendall() with a timeout is bounded in total, not per chunk
        if self.sock is not None:
            self.sock.settimeout(self.remaining())
        super().send(data)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS to a checked address, the certificate verified for the host name."""

    def __init__(self, host, port, address, connect_timeout, context=None):
        super().__init__(host, port, address, connect_timeout)
        self._context = context or ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        # the handshake is several reads: run it non-blocking against the deadline
        self.sock.setblocking(False)
        while True:
            try:
                self.sock.do_handshake()
                break
            except ssl.SSLWantReadError:
                ready = select.select([self.sock], [], [], self.remaining())[0]
            except ssl.SSLWantWriteError:
                ready = select.select([], [self.sock], [], self.remaining())[1]
            if not ready:
                raise TimeoutError("deadline reached during the TLS handshake")
        self.sock.settimeout(self.remaining())


class Transport:
    """Posts webhooks, one kept-alive connection per (scheme, host, port).

    Use one Transport per worker thread and close it afterwards: it is not
    thread-safe.
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

    def _connection(self, scheme, host, port):
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is None:
            address = resolve(host, port, self.allow_list, self.resolver)
            if scheme == "https":
                conn = _PinnedHTTPSConnection(
                    host, port, address, self.connect_timeout, self.ssl_context
                )
            else:
                conn = _PinnedHTTPConnection(host, port, address, self.connect_timeout)
            self._connections[key] = conn
        return conn

    def post(self, url, body, headers, timeout=15):
        """POST `body` (bytes) to `url` and read the answer, all of it
        (connection, TLS, request, status, headers, body) within `timeout`
        seconds; never raises, whatever the URL, the headers or the answer."""
        start = time.monotonic()
        deadline = start + timeout
        try:
            scheme, host, port, path = split_url(encode_url(url))
            conn = self._connection(scheme, host, port)
        except TargetRefused as exc:
            return Result(None, 0, error=f"refused: {exc}")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **headers,
            "Content-Length": str(len(body)),
        }
        try:
            for name, value in headers.items():
                check_header(name, value)
        except ValueError as exc:
            return Result(None, 0, error=f"invalid header: {exc}")
        for retry in (True, False):
            conn.deadline = deadline
            conn.response_class = functools.partial(
                _BoundedResponse, deadline=deadline, limit=MAX_RESPONSE_BYTES
            )
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # a kept-alive connection the receiver closed meanwhile: reconnect once
                conn.close()
                if retry and getattr(conn, "_reused", False):
                    conn._reused = False
                    continue
                return Result(None, _ms(start), error=f"connection error: {exc}")
            except TimeoutError:
                conn.close()
                return Result(None, _ms(start), error=f"timeout after {timeout} s", timed_out=True)
            except Exception as exc:  # any failure of the exchange is this attempt's
                conn.close()
                return Result(None, _ms(start), error=f"{type(exc).__name__}: {exc}")
            return self._read_answer(conn, response, start, timeout)
        return Result(None, _ms(start), error="connection error")

    def _read_answer(self, conn, response, start, timeout):
        """The status is in: read the beginning of the body for the log, and
        keep the connection only if the whole answer was read."""
        error, timed_out = "", False
        try:
            raw = response.read(RESPONSE_EXCERPT + 1)
        except http.client.IncompleteRead as exc:
            raw = exc.partial
        except TimeoutError:
            raw, timed_out = b"", True
            error = f"answer cut at the {timeout} s deadline"
        except Exception as exc:  # a broken body leaves the status valid
            raw, error = b"", f"{type(exc).__name__}: {exc}"
        complete = response.isclosed() and not response.reader.truncated
        if response.will_close or not complete or timed_out or error:
            conn.close()
            conn._reused = False
        else:
            conn._reused = True
        return Result(
            response.status,
            _ms(start),
            excerpt=raw[:RESPONSE_EXCERPT].decode("utf-8", "replace"),
            error=error,
            headers={k.lower(): v for k, v in response.getheaders()},
            timed_out=timed_out,
        )


def _ms(start):
    return int((time.monotonic() - start) * 1000)
