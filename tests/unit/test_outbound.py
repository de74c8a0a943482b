import ipaddress
import random
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import load_lib
from hypothesis import given
from hypothesis import strategies as st

outbound = load_lib("my_webhooks", "outbound")
retry = load_lib("my_webhooks", "retry")
LOOPBACK = outbound.parse_allow_list("127.0.0.1")


@pytest.fixture
def server():
    """A receiver on 127.0.0.1 answering with `server.status` (after `server.delay`)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.client_address, dict(self.headers), body))
            time.sleep(httpd.delay)
            if httpd.delay:
                self.close_connection = True
                return  # the client has given up: nothing to answer
            self.send_response(httpd.status)
            if httpd.status == 302:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.status, httpd.delay, httpd.seen = 200, 0, seen
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook?x=1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# ------------------------------------------------------------------ retries
def test_schedule_is_followed_with_bounded_jitter():
    rng = random.Random(7)
    schedule = (60, 300, 1800)
    for attempt, base in ((1, 60), (2, 300), (3, 1800), (9, 1800)):
        for _ in range(50):
            delay = retry.retry_delay(attempt, schedule, rng=rng)
            assert base * 0.8 <= delay <= base * 1.2


def test_jitter_spreads_retries():
    rng = random.Random(1)
    delays = {round(retry.retry_delay(1, (100,), rng=rng), 3) for _ in range(20)}
    assert len(delays) > 10


def test_default_schedule_is_eight_attempts_over_about_two_days():
    assert len(retry.DEFAULT_SCHEDULE) == 7
    assert 40 * 3600 <= sum(retry.DEFAULT_SCHEDULE) <= 60 * 3600
    assert list(retry.DEFAULT_SCHEDULE) == sorted(retry.DEFAULT_SCHEDULE)


def test_retry_after_is_honoured_up_to_a_day():
    assert retry.retry_delay(1, (10,), jitter=0, retry_after=120) == 120
    assert retry.retry_delay(1, (10,), jitter=0, retry_after=5) == 10
    assert retry.retry_delay(1, (10,), jitter=0, retry_after=10**9) == 86400
    assert outbound.parse_retry_after("30") == 30
    assert outbound.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert outbound.parse_retry_after("soon") is None


def test_schedule_parsing_and_display():
    assert retry.parse_schedule("5, 60,3600") == (5, 60, 3600)
    assert retry.parse_schedule("") == retry.DEFAULT_SCHEDULE
    assert retry.parse_schedule("a,b") == retry.DEFAULT_SCHEDULE
    assert retry.describe_schedule((60, 3600), 4) == "now, 1 min, 1.01667 h, 2.01667 h"
    assert retry.describe_schedule((86400,), 2) == "now, 1 d"


# --------------------------------------------------------------- SSRF guard
@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, nothing binds it
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
    ],
)
def test_private_loopback_and_link_local_are_refused(address):
    assert not outbound.address_allowed(address)


def test_public_addresses_and_allowed_networks_pass():
    assert outbound.address_allowed("93.184.216.34")
    assert outbound.address_allowed("2606:2800:220:1::1")
    assert outbound.address_allowed("127.0.0.1", LOOPBACK)
    assert not outbound.address_allowed("127.0.0.2", LOOPBACK)
    assert outbound.address_allowed("10.1.2.3", outbound.parse_allow_list("10.1.0.0/16"))


def test_a_name_with_any_private_address_is_refused():
    def resolver(host, port, type=None):
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.0.0.7", port))]

    with pytest.raises(outbound.TargetRefused) as refused:
        outbound.resolve("mixed.example.test", 443, (), resolver)
    assert refused.value.address == "10.0.0.7"


def test_check_url_forms():
    for url in (
        "ftp://example.com/",
        "http:///nohost",
        "https://user:pw@example.com/",
        "http://127.0.0.1/",
        "http://[fe80::1]/",
    ):
        with pytest.raises(outbound.TargetRefused):
            outbound.check_url(url)
    outbound.check_url("http://127.0.0.1:8080/hook", LOOPBACK)
    # an unresolvable name passes registration; it is checked again when sending
    outbound.check_url("https://does-not-resolve.invalid/hook")


@pytest.mark.parametrize(
    "address",
    [
        # IPv4 ranges that are not globally reachable
        "0.1.2.3",
        "10.255.255.255",
        "100.127.255.254",  # shared address space (carrier-grade NAT)
        "127.255.255.254",
        "169.254.0.1",
        "172.31.255.255",
        "192.0.0.170",  # IETF protocol assignments
        "192.0.2.1",  # documentation
        "192.168.255.255",
        "198.18.0.1",  # benchmarking
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.251",  # multicast, which Python calls global
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        # IPv6
        "::",
        "::1",
        "::127.0.0.1",  # IPv4-compatible (deprecated), which Python calls global
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:0:127.0.0.1",  # SIIT's IPv4-translated form
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1, which Python calls global
        "64:ff9b::808:808",  # NAT64 even of a public address: the gateway is local
        "64:ff9b:1::a00:1",  # local-use NAT64
        "100::1",  # discard-only
        "2001::1",  # Teredo
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1, which Python calls global
        "2002:808:808::1",  # 6to4 even of a public address: the relay is the target
        "fc00::1",
        "fd12:3456:789a::1",
        "fe80::1",
        "fe80::1%eth0",
        "fec0::1",  # site-local (deprecated), which Python calls global
        "ff02::1",
        "ff0e::1",  # global-scope multicast
    ],
)
def test_every_non_global_address_is_refused(address):
    assert not outbound.address_allowed(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:81c::200e"],
)
def test_global_unicast_addresses_pass(address):
    assert outbound.address_allowed(address)


@given(st.ip_addresses(v=4))
def test_an_ipv4_mapped_address_is_judged_as_its_ipv4(ip):
    mapped = f"::ffff:{ip}"
    assert outbound.address_allowed(mapped) == outbound.address_allowed(str(ip))
    assert outbound.address_allowed(mapped, LOOPBACK) == outbound.address_allowed(str(ip), LOOPBACK)


@pytest.mark.parametrize(
    "network", ["64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96"]
)
@given(data=st.data())
def test_address_embedding_ranges_are_refused_whatever_they_embed(network, data):
    net = ipaddress.ip_network(network)
    offset = data.draw(st.integers(min_value=0, max_value=net.num_addresses - 1))
    assert not outbound.address_allowed(str(net.network_address + offset))


@given(st.ip_addresses())
def test_only_global_unicast_passes(ip):
    allowed = outbound.address_allowed(str(ip))
    if allowed:
        assert ip.is_global and not ip.is_multicast
    if ip.version == 4 and not ip.is_global:
        assert not allowed


def test_allow_list_entries_may_name_a_port():
    allow = outbound.parse_allow_list("127.0.0.1:8069; [::1]:8443, 10.1.0.0/16, [fd00::/8]:443")
    assert outbound.address_allowed("127.0.0.1", allow, port=8069)
    assert not outbound.address_allowed("127.0.0.1", allow, port=8070)
    assert not outbound.address_allowed("127.0.0.1", allow)  # no port known: not this entry
    assert outbound.address_allowed("::ffff:127.0.0.1", allow, port=8069)
    assert outbound.address_allowed("::1", allow, port=8443)
    assert not outbound.address_allowed("::1", allow, port=8069)
    assert outbound.address_allowed("10.1.9.9", allow, port=1234)  # a network: any port
    assert outbound.address_allowed("fd00::5", allow, port=443)
    assert not outbound.address_allowed("fd00::5", allow, port=80)
    outbound.check_url("http://127.0.0.1:8069/hook", allow)
    outbound.check_url("https://[::1]:8443/hook", allow)
    with pytest.raises(outbound.TargetRefused):
        outbound.check_url("http://127.0.0.1:8070/hook", allow)
    with pytest.raises(outbound.TargetRefused):
        outbound.check_url("http://127.0.0.1/hook", allow)  # port 80


def test_allow_list_entry_may_name_a_host_and_port():
    allow = outbound.parse_allow_list("hooks.lan:8443, Receiver.LAN")

    def resolver(host, port, type=None):
        return [(2, 1, 6, "", ("10.9.8.7", port))]

    assert outbound.resolve("hooks.lan", 8443, allow, resolver) == "10.9.8.7"
    assert outbound.resolve("HOOKS.lan", 8443, allow, resolver) == "10.9.8.7"
    assert outbound.resolve("receiver.lan", 80, allow, resolver) == "10.9.8.7"  # any port
    for host, port in (("hooks.lan", 443), ("other.lan", 8443), ("hooks.lan.evil.test", 8443)):
        with pytest.raises(outbound.TargetRefused):
            outbound.resolve(host, port, allow, resolver)
    outbound.check_url("https://hooks.lan:8443/in", allow, resolver=resolver)


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:http",
        "[::1:8443",
        "[::1]8443",
        "::1:",
        "not a host",
        "host_name:80",
        "10.0.0.0/33",
        ":8080",
    ],
)
def test_invalid_allow_list_entries_are_refused(text):
    with pytest.raises(ValueError):
        outbound.parse_allow_list(text)


def test_allow_lists_of_networks_still_work():
    allow = outbound.parse_allow_list("127.0.0.1, 10.1.0.0/16 ; fd00::/8")
    assert outbound.address_allowed("127.0.0.1", allow)
    assert outbound.address_allowed("10.1.2.3", allow, port=9)
    assert outbound.address_allowed("fd00::1", allow)
    assert not outbound.address_allowed("10.2.0.1", allow)
    assert outbound.parse_allow_list("") == () and outbound.parse_allow_list(None) == ()


def test_refusal_names_the_host_not_the_private_address():
    def resolver(host, port, type=None):
        return [(10, 1, 6, "", ("fd00::abcd", port, 0, 0))]

    with pytest.raises(outbound.TargetRefused) as refused:
        outbound.check_url("https://intranet.example.test/hook", (), resolver=resolver)
    message = str(refused.value)
    assert "intranet.example.test" in message
    assert "a private or reserved address" in message
    assert "fd00" not in message
    assert refused.value.address == "fd00::abcd"
    assert "fd00::abcd" in refused.value.detailed  # for administrators and the log
    with pytest.raises(outbound.TargetRefused) as refused:
        outbound.resolve("intranet.example.test", 443, (), resolver)
    assert "fd00" not in str(refused.value)
    # an address the user typed is theirs to see
    with pytest.raises(outbound.TargetRefused, match=r"10\.0\.0\.1 is a private or reserved"):
        outbound.check_url("http://10.0.0.1/")


def test_numeric_host_forms_are_checked_on_what_they_resolve_to():
    for url in ("http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://0/"):
        with pytest.raises(outbound.TargetRefused):
            outbound.check_url(url, require_resolution=True)


# ------------------------------------------------------------------ transport
def test_post_connects_to_the_checked_address_not_a_second_lookup(server):
    port = server.server_address[1]
    lookups = []

    def resolver(host, port_, type=None):
        lookups.append(host)
        return [(2, 1, 6, "", ("127.0.0.1", port_))]

    with outbound.Transport(LOOPBACK, resolver=resolver) as transport:
        for _ in range(3):
            result = transport.post(f"http://hooks.example.test:{port}/h", b"{}", {"X-A": "1"})
            assert result.ok and result.status == 200
    assert lookups == ["hooks.example.test"]
    assert {headers["Host"] for _, headers, _ in server.seen} == {f"hooks.example.test:{port}"}
    # one kept-alive connection served the three requests
    assert len({addr for addr, _, _ in server.seen}) == 1


def test_post_sends_body_and_headers(server):
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(server.url, b'{"a":1}', {"X-Odoo-Event": "create"}, timeout=5)
    _, headers, body = server.seen[0]
    assert result.status == 200 and result.excerpt == "ok" and result.duration_ms >= 0
    assert body == b'{"a":1}'
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Odoo-Event"] == "create"


def test_redirect_is_not_followed(server):
    server.status = 302
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(server.url, b"{}", {})
    assert result.status == 302 and not result.ok
    assert len(server.seen) == 1


def test_read_timeout(server):
    server.delay = 1.5
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(server.url, b"{}", {}, timeout=0.3)
    assert result.status is None and "timeout" in result.error


def test_loopback_refused_without_allow_list(server):
    with outbound.Transport(()) as transport:
        result = transport.post(server.url, b"{}", {})
    assert result.status is None and result.error.startswith("refused")
    assert not server.seen


def test_connection_refused_is_an_error_not_an_exception():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=1)
    assert result.status is None and result.error


# --------------------------------------------------------------------- TLS
@pytest.fixture
def tls_server(tmp_path, server):
    """The receiver behind TLS, with a self-signed certificate for
    hooks.example.test (which does not resolve: the test resolver pins it)."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=hooks.example.test", "-addext", "subjectAltName=DNS:hooks.example.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, cert


def pinned(host, port, type=None):
    return [(2, 1, 6, "", ("127.0.0.1", port))]


def test_tls_certificate_is_checked_for_the_host_name_not_the_pinned_address(tls_server):
    server, cert = tls_server
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=str(cert))
    with outbound.Transport(LOOPBACK, resolver=pinned, ssl_context=trusting) as transport:
        result = transport.post(f"https://hooks.example.test:{port}/h", b"{}", {}, timeout=5)
    assert result.status == 200, result.error
    # the default context does not trust a self-signed certificate
    with outbound.Transport(LOOPBACK, resolver=pinned) as transport:
        result = transport.post(f"https://hooks.example.test:{port}/h", b"{}", {}, timeout=5)
    assert result.status is None and "CERTIFICATE_VERIFY_FAILED" in result.error
    # a certificate for another name is refused even when trusted
    with outbound.Transport(LOOPBACK, resolver=pinned, ssl_context=trusting) as transport:
        result = transport.post(f"https://other.example.test:{port}/h", b"{}", {}, timeout=5)
    assert result.status is None and result.error
    assert len(server.seen) == 1


# ------------------------------------------------------ hostile receivers
@pytest.mark.parametrize(
    "value", ["²", "٣", "³0", "1e3", "-5", "+30", "30s", "3 0", "0x10", "", "   "]
)
def test_retry_after_takes_only_ascii_digits(value):
    assert outbound.parse_retry_after(value) is None


def test_retry_after_is_clamped_to_zero_to_a_day():
    assert outbound.parse_retry_after(" 30 ") == 30
    assert outbound.parse_retry_after("0") == 0
    assert outbound.parse_retry_after("9" * 400) == 86400
    assert outbound.parse_retry_after("9" * 5000) == 86400  # past int()'s digit limit
    now = 1445412470
    assert outbound.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 10
    assert outbound.parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0
    assert outbound.parse_retry_after("Fri, 21 Oct 2095 07:28:00 GMT", now=now) == 86400
    for garbage in ("Wed, 21 Oct 99999 07:28:00 GMT", "Mon, 99 Foo 2015 99:99:99", "soon"):
        assert outbound.parse_retry_after(garbage, now=now) is None


def test_encode_url_gives_an_ascii_url_or_refuses():
    assert (
        outbound.encode_url("https://hooks.example.com/a?b=1") == "https://hooks.example.com/a?b=1"
    )
    assert (
        outbound.encode_url("https://bücher.example/hoök?q=é&x=%20")
        == "https://xn--bcher-kva.example/ho%C3%B6k?q=%C3%A9&x=%20"
    )
    assert (
        outbound.encode_url("http://bücher.example:8080/") == "http://xn--bcher-kva.example:8080/"
    )
    for bad in (
        "http://" + "ä" * 70 + ".example/",  # a label too long for IDNA
        "http://a..b/",
        "http://example.com/a b",
        "http://example.com/a\nb",
        "http://example.com/\x00",
    ):
        with pytest.raises(outbound.TargetRefused):
            outbound.encode_url(bad)


@pytest.fixture
def raw_server():
    """A TCP server on 127.0.0.1 whose answer is written by `raw_server.answer(conn)`
    after the request (headers and body) has been read."""

    def read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        return head

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    state = type("RawServer", (), {})()
    state.heads, state.answer = [], None
    state.url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    stop = threading.Event()

    def serve(conn):
        with conn:
            try:
                head = read_request(conn)
                state.heads.append(head)
                state.answer(conn)
            except OSError:
                pass  # the client hung up: what the tests want

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield state
    stop.set()
    listener.close()


def drip(conn, data, every, budget):
    """Write `data` one byte at a time, `every` seconds apart, for at most `budget` s."""
    end = time.monotonic() + budget
    for byte in data:
        if time.monotonic() > end:
            return
        conn.sendall(bytes([byte]))
        time.sleep(every)


def test_deadline_covers_a_receiver_dripping_its_answer(raw_server):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"x" * 40
    raw_server.answer = lambda conn: drip(conn, answer, every=0.2, budget=6)
    start = time.monotonic()
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(raw_server.url, b"{}", {}, timeout=1)
    elapsed = time.monotonic() - start
    assert result.status is None and result.timed_out, result
    assert "timeout" in result.error
    assert elapsed < 1.6, elapsed


def test_at_most_a_few_kib_of_a_long_answer_are_read(raw_server):
    def endless_body(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500000000\r\n\r\n")
        end = time.monotonic() + 4
        while time.monotonic() < end:
            conn.sendall(b"y" * 1024)
            time.sleep(0.01)

    raw_server.answer = endless_body
    start = time.monotonic()
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(raw_server.url, b"{}", {}, timeout=10)
        assert time.monotonic() - start < 1.5
        assert result.status == 200 and result.ok
        assert len(result.excerpt) <= outbound.RESPONSE_EXCERPT
        # the connection is not kept: the next post opens a new one
        again = transport.post(raw_server.url, b"{}", {}, timeout=10)
    assert again.status == 200
    assert len(raw_server.heads) == 2


def test_endless_headers_are_cut_after_a_few_kib(raw_server):
    def endless_headers(conn):
        conn.sendall(b"HTTP/1.1 503 Busy\r\n")
        end = time.monotonic() + 4
        n = 0
        while time.monotonic() < end:
            conn.sendall(b"X-Filler-%d: %s\r\n" % (n, b"z" * 1000))
            n += 1
            time.sleep(0.01)

    raw_server.answer = endless_headers
    start = time.monotonic()
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(raw_server.url, b"{}", {}, timeout=10)
    assert time.monotonic() - start < 1.5
    assert result.status == 503


def test_malformed_retry_after_header_is_read_not_raised(raw_server):
    raw_server.answer = lambda conn: conn.sendall(
        b"HTTP/1.1 503 Busy\r\nRetry-After: \xb2\r\nContent-Length: 0\r\n\r\n"
    )
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(raw_server.url, b"{}", {}, timeout=5)
    assert result.status == 503
    assert outbound.parse_retry_after(result.headers.get("retry-after")) is None


def test_non_ascii_url_is_sent_percent_encoded(server):
    base = server.url.split("/hook")[0]
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(f"{base}/hoök?q=é", b"{}", {}, timeout=5)
    assert result.status == 200, result.error
    assert len(server.seen) == 1


def test_unencodable_header_is_an_error_not_an_exception(server):
    with outbound.Transport(LOOPBACK) as transport:
        result = transport.post(server.url, b"{}", {"X-Name": "名前"}, timeout=5)
        assert result.status is None and "header" in result.error
        assert not server.seen
        # the connection is still usable afterwards
        assert transport.post(server.url, b"{}", {"X-Name": "ok"}, timeout=5).status == 200
