"""Issue 17 §2: server-side requests to internal addresses (SSRF), over real sockets.

A store URL, a Mastodon instance or a Bluesky service is someone else's to choose. Each attack
points one at "inside": an HTTP server of this test on 127.0.0.1 (or ::1), standing for whatever
listens there (an admin panel, a database's HTTP port, the cloud metadata service). No
``responses`` here: requests go through the connectors' real sessions and transports, to real
sockets. Two seams stand in for the outside world, both below the code under test: the resolver
(``socket.getaddrinfo``: a public-looking name answers with an internal address) and
``socket.socket.connect``, which records every connection attempt, lets those to this machine
through, sends the documentation's "public" address to a server of the test, and refuses
anything else (nothing leaves the machine, 169.254.169.254 included).

Every attack passes only when no connection to an internal address was even attempted.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from arrosto.errors import ArrostoError, ConfigError
from arrosto.models import Shop, SocialAccount
from arrosto.shops.woocommerce import WooCommerceShop
from arrosto.shops.woocommerce_auth import InvalidStoreURL, normalize_store_url

from ..factories import make_shop
from ..web.forms import post_form
from ..web.test_admin import sign_in

PUBLIC = "93.184.215.14"  # a public address; connections to it reach the test's "public" server
REFUSED_TEXT = "public internet"  # in every refusal's message, English and admin alike
real_getaddrinfo = socket.getaddrinfo
real_connect = socket.socket.connect


# --- the inside: servers on this machine -------------------------------------------------------

class Inside:
    """An HTTP server on loopback that counts every TCP connection it accepts.

    It answers ``/redirect`` with a 302 to ``location``, a Bluesky ``createSession`` with a
    session whose DID document names ``pds`` as the account's PDS, and anything else with the
    ``[]`` a WooCommerce list would be (so an attack that gets through looks like success)."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None):
        self.connections = 0
        self.paths: list[str] = []
        self.location = ""
        self.pds = ""
        inside = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                inside.paths.append(self.path)
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", inside.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"[]"
                if self.path.endswith("com.atproto.server.createSession"):
                    body = json.dumps(bluesky_session(inside.pds)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-WP-TotalPages", "0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.do_GET()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def get_request(self):
                request = super().get_request()
                inside.connections += 1
                return request

        self.server = Server((host, 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bluesky_session(pds: str) -> dict:
    from ..social.test_bluesky import SHOP_DID, SHOP_HANDLE, FakeBluesky

    session = FakeBluesky().issue()
    session["didDoc"] = {
        "@context": ["https://www.w3.org/ns/did/v1"], "id": SHOP_DID,
        "alsoKnownAs": [f"at://{SHOP_HANDLE}"], "verificationMethod": [],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": pds}]}
    return session


def internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


@pytest.fixture
def inside():
    server = Inside()
    yield server
    server.close()


@pytest.fixture
def inside_v6():
    try:
        server = Inside("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    yield server
    server.close()


@pytest.fixture
def net(monkeypatch):
    """The resolver and the connections: ``net.names[name] = address`` makes a name resolve
    there, ``net.public`` is the port the test's public server listens on, ``net.attempts``
    every address a connection was attempted to."""
    class Net:
        names: dict[str, str] = {}
        attempts: list[str] = []
        public: int | None = None

        def internal_attempts(self) -> list[str]:
            return [a for a in self.attempts if internal(a)]

    state = Net()
    state.names, state.attempts = {}, []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name in state.names:
            address = state.names[name]
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, family, type, proto, flags)

    def connect(sock, address):
        host = address[0]
        state.attempts.append(host)
        if host == PUBLIC and state.public is not None:
            return real_connect(sock, ("127.0.0.1", state.public))
        ip = ipaddress.ip_address(host.split("%")[0])
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if ip.is_loopback or (mapped is not None and mapped.is_loopback):
            return real_connect(sock, address)
        raise ConnectionRefusedError(f"the test lets no connection leave the machine ({host})")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return state


@pytest.fixture
def public_store(net, tmp_path, monkeypatch):
    """https://shop.example.com, a public store: the name resolves to a public address, whose
    connections reach a TLS server of the test with a certificate the client trusts."""
    cert, key = self_signed("shop.example.com", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Inside(tls=context)
    net.names["shop.example.com"] = PUBLIC
    net.public = server.port
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    yield server
    server.close()


def self_signed(name: str, folder) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def woo_store(store_url: str) -> WooCommerceShop:
    return WooCommerceShop(Shop(platform="woocommerce", domain="shop.example.com", name="Shop",
                                store_url=store_url, api_key="ck_test", api_secret="cs_test"))


# --- WooCommerce: the store URL ----------------------------------------------------------------

@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "127.1", "2130706433", "0177.0.0.1", "0x7f000001",
    "[::ffff:127.0.0.1]", "0.0.0.0", "[::1]",
])
def test_a_store_url_naming_this_machine_gets_no_request(request, make_app, inside, net, host):
    make_app(allow_loopback_hosts=False)
    server = request.getfixturevalue("inside_v6") if host == "[::1]" else inside
    with pytest.raises(ConfigError, match=REFUSED_TEXT):
        woo_store(f"https://{host}:{server.port}").check_credentials()
    assert server.connections == 0
    assert net.internal_attempts() == []


@pytest.mark.parametrize("address", [
    "127.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "169.254.169.254", "fd00:ec2::254",
    "10.0.0.5", "192.168.1.10", "100.64.0.1", "fe80::1", "224.0.0.1",
])
def test_a_store_whose_name_resolves_inside_gets_no_request(make_app, inside, net, address):
    make_app(allow_loopback_hosts=False)
    net.names["shop.example.com"] = address
    with pytest.raises(ConfigError, match=REFUSED_TEXT):
        woo_store(f"https://shop.example.com:{inside.port}").check_credentials()
    assert inside.connections == 0
    assert net.internal_attempts() == []


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{port}/wp-json/wc/v3/products",
    "http://[::ffff:127.0.0.1]:{port}/wp-json/wc/v3/products",
    "http://internal.example:{port}/wp-json/wc/v3/products",  # resolves to 127.0.0.1
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
])
def test_a_redirect_from_a_public_store_to_the_inside_is_not_followed(
        make_app, inside, public_store, net, target):
    make_app(allow_loopback_hosts=False)
    net.names["internal.example"] = "127.0.0.1"
    public_store.location = target.format(port=inside.port)
    store = woo_store(f"https://shop.example.com:{public_store.port}/redirect")
    with pytest.raises(ConfigError, match=REFUSED_TEXT):
        store.check_credentials()
    assert public_store.paths and public_store.paths[0].startswith("/redirect")  # first hop
    assert inside.connections == 0
    assert net.internal_attempts() == []


def test_in_development_a_redirect_to_the_metadata_service_is_still_refused(make_app, inside,
                                                                          net):
    make_app(allow_loopback_hosts=True)  # the store itself may be on this machine...
    inside.location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    with pytest.raises(ConfigError, match=REFUSED_TEXT):
        woo_store(f"http://127.0.0.1:{inside.port}/redirect").check_credentials()
    assert inside.paths and inside.paths[0].startswith("/redirect")
    assert "169.254.169.254" not in net.attempts  # ...the metadata service never


@pytest.mark.parametrize("url", [
    "http://localhost:8080", "http://127.0.0.1", "http://[::1]:8080", "https://localhost",
    "https://127.0.0.1:8443", "https://shop.localhost", "https://2130706433",
    "https://0177.0.0.1", "https://[::ffff:127.0.0.1]", "https://0.0.0.0",
    "https://10.0.0.5", "https://169.254.169.254", "https://[fd00:ec2::254]",
])
def test_in_production_a_store_url_on_this_machine_or_a_private_network_is_refused(make_app,
                                                                                  url):
    make_app(allow_loopback_hosts=False)
    with pytest.raises(InvalidStoreURL, match="must use https://|" + REFUSED_TEXT):
        normalize_store_url(url)


def test_the_development_setting_allows_this_machine_but_no_private_network(make_app):
    make_app(allow_loopback_hosts=True)
    assert normalize_store_url("http://localhost:8080/") == "http://localhost:8080"
    for url in ("https://10.0.0.5", "https://169.254.169.254", "http://[fd00:ec2::254]"):
        with pytest.raises(InvalidStoreURL, match=REFUSED_TEXT):
            normalize_store_url(url)


def test_the_connect_form_refuses_a_store_on_this_machine(make_app):
    client = make_app(allow_loopback_hosts=False).test_client()
    res = post_form(client, "/connect/woocommerce", {"store_url": "http://127.0.0.1:8080"})
    assert res.status_code == 400
    page = res.get_data(as_text=True)
    assert "Arrosto connects only to stores on the public internet" in page
    assert "wc-auth" not in res.headers.get("Location", "")


def test_the_cli_refuses_a_store_on_this_machine(make_app, monkeypatch, inside, net):
    from click.testing import CliRunner

    from arrosto.cli import cli

    app = make_app(allow_loopback_hosts=False)
    monkeypatch.setattr("arrosto.cli.Context.app", lambda self: app)
    res = CliRunner().invoke(cli, ["shop", "add", "woocommerce", "--url",
                                   f"https://127.0.0.1:{inside.port}", "--key", "ck_test",
                                   "--secret", "cs_test"])
    assert res.exit_code == 2, res.output
    assert REFUSED_TEXT in res.output and "ARROSTO_ALLOW_LOOPBACK_HOSTS" in res.output
    assert inside.connections == 0
    assert net.internal_attempts() == []


# --- Mastodon: the instance --------------------------------------------------------------------

@pytest.mark.parametrize("instance", ["https://127.0.0.1:{port}", "https://social.example:{port}"])
def test_the_accounts_page_refuses_a_mastodon_instance_inside(make_app, inside, net, instance):
    app = make_app(allow_loopback_hosts=False)
    net.names["social.example"] = "127.0.0.1"
    db = app.extensions["arrosto.db"]
    client = app.test_client()
    sign_in(client, db, make_shop(db, "brace.example"))
    res = post_form(client, "/admin/accounts", {"instance": instance.format(port=inside.port)},
                    "/admin/accounts/mastodon")
    assert res.status_code == 400
    assert "Arrosto connects only to instances on the public internet" in res.get_data(
        as_text=True)
    assert inside.connections == 0
    assert net.internal_attempts() == []


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "::ffff:10.0.0.1"])
def test_a_stored_mastodon_account_on_an_internal_address_gets_no_request(make_app, inside, net,
                                                                          address):
    from arrosto.social.mastodon import MastodonNetwork

    make_app(allow_loopback_hosts=False)
    net.names["social.example"] = address
    account = SocialAccount(network="mastodon", handle="brace",
                            instance_url=f"https://social.example:{inside.port}",
                            credentials=json.dumps({"access_token": "tok"}))
    with pytest.raises(ArrostoError, match=REFUSED_TEXT):
        MastodonNetwork(account).verify_account()
    assert inside.connections == 0
    assert net.internal_attempts() == []


# --- Bluesky: the service and the PDS a session names -------------------------------------------

def bluesky_account(service: str) -> SocialAccount:
    from ..social.test_bluesky import APP_PASSWORD, SHOP_HANDLE

    return SocialAccount(network="bluesky", handle=SHOP_HANDLE, credentials=json.dumps(
        {"handle": SHOP_HANDLE, "app_password": APP_PASSWORD, "service": service}))


def test_a_bluesky_service_resolving_to_this_machine_gets_no_request(make_app, inside, net):
    from arrosto.social.bluesky import BlueskyNetwork

    make_app(allow_loopback_hosts=False)
    net.names["pds.example"] = "127.0.0.1"
    network = BlueskyNetwork(bluesky_account(f"https://pds.example:{inside.port}"))
    with pytest.raises(ArrostoError, match=REFUSED_TEXT):
        network.log_in()
    assert inside.connections == 0
    assert net.internal_attempts() == []


def test_the_pds_a_bluesky_session_names_is_checked_too(make_app, inside, net):
    from arrosto.social.bluesky import BlueskyNetwork

    make_app(allow_loopback_hosts=True)  # the service on this machine (development)...
    inside.pds = "http://169.254.169.254"  # ...names the metadata service as the account's PDS
    network = BlueskyNetwork(bluesky_account(f"http://127.0.0.1:{inside.port}"))
    network.log_in()
    with pytest.raises(ArrostoError, match=REFUSED_TEXT):
        network.search('"miscela oro"', None, limit=5)
    assert inside.paths == ["/xrpc/com.atproto.server.createSession"]
    assert "169.254.169.254" not in net.attempts


# --- the rule itself -----------------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::", "10.0.0.5",
    "172.16.0.1", "192.168.0.1", "169.254.169.254", "fd00:ec2::254", "fe80::1", "100.64.0.1",
    "224.0.0.1", "ff02::1", "240.0.0.1", "255.255.255.255", "192.0.0.8", "64:ff9b::7f00:1",
    "2002:7f00:1::", "93.184.215.14", "2606:4700::1111", "8.8.8.8",
])
@pytest.mark.parametrize("loopback", [False, True])
def test_the_messages_rule_is_requests_hardeneds_rule(monkeypatch, address, loopback):
    """What :func:`outbound.refusal` says (for literal hosts and messages) is what the library
    decides after resolving, address by address."""
    from requests_hardened.ip_filter import InvalidIPAddress, get_ip_address

    from arrosto import outbound

    outbound.configure(allow_loopback=loopback)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sockaddr = (address, 443, 0, 0) if family == socket.AF_INET6 else (address, 443)
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(family, socket.SOCK_STREAM, 6, "", sockaddr)])
    try:
        get_ip_address("host.example", 443, allow_loopback=loopback)
        library_refuses = False
    except InvalidIPAddress:
        library_refuses = True
    assert (outbound.refusal(address) is not None) == library_refuses
    assert (outbound.refusal(address) is None) == (address in (
        "93.184.215.14", "2606:4700::1111", "8.8.8.8") or (loopback and address in (
            "127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1")))


def test_retries_still_work_behind_the_guard(make_app, net, monkeypatch):
    """The retrying adapter (urllib3 Retry) is the guard's adapter: a store answering 503 once
    is asked again, on the address already checked."""
    make_app(allow_loopback_hosts=True)
    answers = [503, 200]
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            status = answers.pop(0) if answers else 200
            body = b"[]"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(WooCommerceShop, "backoff_factor", 0.0)
        woo_store(f"http://127.0.0.1:{server.server_address[1]}").check_credentials()
    finally:
        server.shutdown()
        server.server_close()
    assert len(hits) == 2
    assert quote("/wp-json/wc/v3/products", safe="/") in hits[1]
