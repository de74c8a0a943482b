"""The deployment of docker-compose.yml, read as Docker and nginx read it.

Odoo runs with proxy_mode and so believes the X-Forwarded-* headers it
receives: the request log's and API keys' client addresses, and the host of
the URLs it builds, come from them. That is safe only while nothing but the
nginx in front can reach Odoo and that nginx writes each of those headers
itself. These tests hold the files to it, since no test here runs Docker.
"""

import configparser
import re
import shutil
import subprocess

import pytest
import yaml
from conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
TEMPLATE = ROOT / "nginx" / "default.conf.template"
ODOO_CONF = ROOT / "odoo.conf"
# my_api.max_body_bytes by default: the API answers its own JSON 413 above it
API_BODY_LIMIT = 1024 * 1024
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def compose():
    return yaml.safe_load(COMPOSE.read_text())


def odoo_services(services):
    """The services that run the Odoo image (the build of ./Dockerfile)."""
    image = services["odoo"]["image"]
    return {name: service for name, service in services.items() if service.get("image") == image}


def public_host():
    """ODOO_PUBLIC_HOST as compose gives it to nginx when .env does not set it."""
    value = compose()["services"]["nginx"]["environment"]["ODOO_PUBLIC_HOST"]
    match = re.fullmatch(r"\$\{ODOO_PUBLIC_HOST:-([^}]+)\}", value)
    assert match, f"ODOO_PUBLIC_HOST has no default: {value}"
    return match[1]


def rendered_template():
    """The template as the nginx image's entrypoint writes it out
    (envsubst of the variables of nginx's environment)."""
    text = TEMPLATE.read_text()
    environment = compose()["services"]["nginx"]["environment"]
    used = set(re.findall(r"\$\{(\w+)\}", text))
    assert used <= set(environment), f"{used - set(environment)} not set for nginx"
    return text.replace("${ODOO_PUBLIC_HOST}", public_host())


def parse_nginx(text):
    """A configuration as a list of (name, [arguments], block or None)."""
    tokens = re.findall(r"[{};]|[^\s{};]+", re.sub(r"#[^\n]*", "", text))

    def block():
        directives = []
        while tokens:
            token = tokens.pop(0)
            if token == "}":
                return directives
            words = [token]
            while tokens[0] not in ("{", ";"):
                words.append(tokens.pop(0))
            inner = block() if tokens.pop(0) == "{" else None
            directives.append((words[0], words[1:], inner))
        return directives

    return block()


def directives(block, name):
    return [(args, inner) for directive, args, inner in block if directive == name]


def server():
    servers = directives(parse_nginx(rendered_template()), "server")
    assert len(servers) == 1
    return servers[0][1]


def locations():
    return {args[-1]: inner for args, inner in directives(server(), "location")}


def headers(block):
    return {
        args[0].lower(): " ".join(args[1:]) for args, _ in directives(block, "proxy_set_header")
    }


def size(value):
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return int(number) * SIZE_UNITS[unit]


def test_odoo_is_reachable_only_through_nginx():
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}
    for name, service in odoo_services(services).items():
        assert "network_mode" not in service, name
    # the official image, from the default registry
    assert re.fullmatch(r"nginx:[\w.-]+", services["nginx"]["image"])
    listen = [args[0] for args, _ in directives(server(), "listen")]
    assert [port.split(":")[-1] for port in services["nginx"]["ports"]] == listen
    mounted = [volume.split(":")[1] for volume in services["nginx"]["volumes"]]
    assert "/etc/nginx/templates/default.conf.template" in mounted


def test_odoo_trusts_the_proxy_and_serves_the_websocket_apart():
    conf = configparser.ConfigParser()
    conf.read(ODOO_CONF)
    options = conf["options"]
    assert options.getboolean("proxy_mode")
    # with workers the HTTP workers hold no websocket: the gevent server does
    assert options.getint("workers") > 0
    upstreams = {
        args[0]: [server_args[0] for server_args, _ in directives(inner, "server")]
        for args, inner in directives(parse_nginx(rendered_template()), "upstream")
    }
    assert upstreams["odoo_websocket"] == [f"odoo:{options.getint('gevent_port')}"]
    assert upstreams["odoo_http"] == [f"odoo:{options.getint('http_port', 8069)}"]


def test_websocket_goes_to_the_gevent_port_and_the_rest_to_the_workers():
    routes = locations()
    for path, block in routes.items():
        (target,), _ = directives(block, "proxy_pass")[0]
        expected = "http://odoo_websocket" if path == "/websocket" else "http://odoo_http"
        assert target == expected, path
    websocket = routes["/websocket"]
    assert directives(websocket, "proxy_http_version")[0][0] == ["1.1"]
    assert headers(websocket)["upgrade"] == "$http_upgrade"
    assert headers(websocket)["connection"] == "$connection_upgrade"
    assert {"/", "/api/", "/websocket"} <= set(routes)


def test_every_forwarded_header_is_written_by_nginx():
    """In every route: the client's address replaces (never extends) any
    X-Forwarded-For the client sent, and the host is the public one, not
    the Host header the client chose. A location with proxy_set_header of
    its own inherits none of the server's, so each such one is checked."""
    host = public_host()
    expected = {
        "host": host,
        "x-forwarded-host": host,
        "x-forwarded-for": "$remote_addr",
        "x-real-ip": "$remote_addr",
        "x-forwarded-proto": "$scheme",
    }
    server_headers = headers(server())
    for path, block in locations().items():
        sent = headers(block) or server_headers
        assert {name: sent.get(name) for name in expected} == expected, path


def test_bodies_are_bounded_at_the_proxy():
    limits = {
        path: directives(block, "client_max_body_size")
        for path, block in {"": server(), **locations()}.items()
    }
    default = size(limits[""][0][0][0])
    api = size(limits["/api/"][0][0][0])
    # room for the API's own JSON 413 just over its limit, and no more than elsewhere
    assert API_BODY_LIMIT < api <= default


NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


@pytest.mark.skipif(not NGINX, reason="nginx is not installed")
def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on the configuration the image would write (the odoo host
    made local: nginx resolves upstream names while testing)."""
    (tmp_path / "conf.d").mkdir()
    config = rendered_template().replace("server odoo:", "server 127.0.0.1:")
    (tmp_path / "conf.d" / "default.conf").write_text(config)
    (tmp_path / "nginx.conf").write_text(
        "pid nginx.pid;\nerror_log stderr;\nevents {}\n"
        "http { access_log off; client_body_temp_path tmp; proxy_temp_path tmp;"
        " include conf.d/*.conf; }\n"
    )
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
