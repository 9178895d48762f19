"""Outgoing calls: server names people type are checked, and calls reach public addresses only,
within their time and size, with real sockets on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from flask import Flask

from advocacy import outbound
from advocacy.errors import Rejected
from advocacy.outbound import Host, Policy, Refused, TooLarge, check_host, is_public, session

PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:4700:4700::1111"
NOT_PUBLIC = [
    "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0",  # noqa: S104  (an address resolved to, not one to bind)
    "224.0.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fd00::1", "fd00:ec2::254",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "ff02::1",
]


def resolving(*addresses: str) -> Callable[[str, int], Sequence[str]]:
    """A resolver that gives every name ``addresses``, without touching DNS."""
    return lambda host, port: list(addresses)


# -- a server on loopback -----------------------------------------------------------------------

Respond = Callable[[BaseHTTPRequestHandler], None]


class Server:
    def __init__(self, respond: Respond, address: str = "127.0.0.1") -> None:
        self.seen: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append(self.path)
                respond(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{address}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(respond: Respond, address: str = "127.0.0.1") -> Server:
        started.append(Server(respond, address))
        return started[-1]

    yield start
    for server in started:
        server.close()


def answer(body: bytes, status: int = 200, **headers: str) -> Respond:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    return respond


LAX = Policy(allow_private=True)


# -- names people type --------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "url"), [
    ("mastodon.social", "https://mastodon.social"),
    ("https://mastodon.social/", "https://mastodon.social"),
    ("https://mastodon.social/@eva", "https://mastodon.social"),
    ("mastodon.social/@eva.smit/", "https://mastodon.social"),
    ("@eva@Mastodon.Social", "https://mastodon.social"),
    ("https://mastödon.example/@eva", "https://xn--mastdon-d1a.example"),
    ("bsky.social", "https://bsky.social"),
])
def test_a_server_name_or_profile_address_gives_its_host(typed: str, url: str) -> None:
    host = check_host(typed, rules=Policy(resolve=resolving(PUBLIC_V4, PUBLIC_V6)))
    assert host.url == url and host.addresses == (PUBLIC_V4, PUBLIC_V6)


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "missing"), (None, "missing"), ("m" * 600, "too_long"),
    ("mas todon.social", "characters"), ("mastodon\u200b.social", "characters"),
    ("ftp://mastodon.social", "scheme"), ("http://mastodon.social", "scheme"),
    ("https://mastodon.social/about", "path"), ("https://mastodon.social/@eva/1234", "path"),
    ("https://mastodon.social/@eva?x=1", "path"), ("https://mastodon.social?x=1", "query"),
    ("https://mastodon.social#x", "fragment"), ("https://eva:pw@mastodon.social", "userinfo"),
    ("https://mastodon.social:8443", "port"), ("https://127.0.0.1/", "ip_address"),
    ("[::1]", "ip_address"), ("https://0x7f.1", "ip_address"), ("mastodon", "single_label"),
    ("metadata.google.internal", "private"), ("localhost", "private"),
    ("-bad-.social", "invalid"),
])
def test_a_name_that_could_point_elsewhere_is_refused_before_any_lookup(
        typed: object, reason: str) -> None:
    def no_lookup(host: str, port: int) -> list[str]:
        raise AssertionError("looked up")

    with pytest.raises(Rejected) as caught:
        check_host(typed, field="pds", rules=Policy(resolve=no_lookup))
    assert (caught.value.code, caught.value.details, caught.value.status) == (
        "invalid_instance", {"reason": reason}, 422)
    assert caught.value.fields["pds"] == [caught.value.message]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    for addresses in ((address,), (PUBLIC_V4, address)):
        with pytest.raises(Rejected) as caught:
            check_host("evil.example", rules=Policy(resolve=resolving(*addresses)))
        assert caught.value.details == {"reason": "private_address"}
        assert "private network" in str(caught.value.message)


@pytest.mark.parametrize(("address", "public"), [
    *((address, False) for address in NOT_PUBLIC),
    ("2002:7f00:1::1", False), ("64:ff9b::a00:1", False), ("2001:db8::1", False),
    ("198.51.100.7", False), ("not an address", False),
    ("::ffff:1.1.1.1", False),  # IPv4-mapped: refused outright, resolvers do not give them
    (PUBLIC_V4, True), (PUBLIC_V6, True), ("1.1.1.1", True),
])
def test_only_public_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public(address) is public
    if public:
        assert is_public(ipaddress.ip_address(address))


def test_a_name_that_does_not_resolve_is_refused_as_not_found() -> None:
    def nothing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    for resolver in (nothing, resolving()):
        with pytest.raises(Rejected) as caught:
            check_host("nowhere.example", rules=Policy(resolve=resolver))
        assert caught.value.details == {"reason": "not_found"}


def test_a_lookup_that_hangs_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    hanging = threading.Event()

    def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        hanging.wait(30)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(outbound, "DNS_TIMEOUT", 0.2)
    try:
        with pytest.raises(Rejected) as caught:
            check_host("slow-dns.example", rules=Policy())
        assert caught.value.details == {"reason": "not_found"}
    finally:
        hanging.set()


def test_the_unsafe_setting_lets_a_fake_server_be_named() -> None:
    for typed, expected in [
        ("http://127.0.0.1:8080", Host("127.0.0.1", "http", 8080, ("127.0.0.1",))),
        ("http://[::1]:3000/@eva", Host("::1", "http", 3000, ("::1",))),
        ("localhost:3000", Host("localhost", "https", 3000, ("127.0.0.1",))),
        ("mastodon", Host("mastodon", "https", None, ("127.0.0.1",))),
    ]:
        host = check_host(typed, rules=Policy(allow_private=True, resolve=resolving(
            "127.0.0.1")))
        assert host == expected
    assert check_host("http://[::1]:3000", rules=LAX).url == "http://[::1]:3000"


def test_the_policy_follows_the_setting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    assert outbound.policy().allow_private is False  # outside an app: strict
    with app.app_context():
        assert outbound.policy().allow_private is False
        monkeypatch.setitem(app.config, "ALLOW_PRIVATE_HOSTS", True)
        assert outbound.policy().allow_private is True


# -- calls --------------------------------------------------------------------------------------


def test_a_server_on_loopback_is_reached_only_with_the_unsafe_setting(
        app: Flask, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(answer(b'{"ok": true}', Content_Type="application/json"))
    with app.app_context():
        with pytest.raises(Refused):
            session().get(server.url + "/api/v1/instance")
        # A name for it: refused before connecting.
        with pytest.raises(Refused, match="127.0.0.1"):
            session(Policy(resolve=resolving("127.0.0.1"))).get(
                "https://fake.example/api/v1/instance")
        assert server.seen == []
        monkeypatch.setitem(app.config, "ALLOW_PRIVATE_HOSTS", True)
        reached = session().get(server.url + "/api/v1/instance")
    assert reached.status_code == 200 and reached.json() == {"ok": True}
    assert server.seen == ["/api/v1/instance"]


class OnlyTheFirstServer(Policy):
    """http and ports allowed, as for fakes, but of the private addresses only 127.0.0.2."""

    def permits(self, address: outbound.IPAddress) -> bool:
        return address == ipaddress.ip_address("127.0.0.2")


def test_a_redirect_to_a_private_address_is_refused(serve: Callable[..., Server],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    inside = serve(answer(b"metadata"))
    redirecting = serve(answer(b"", 302, Location=inside.url + "/latest/meta-data"),
                        "127.0.0.2")
    rules = OnlyTheFirstServer(allow_private=True)
    caplog.set_level(logging.INFO, logger="advocacy.outbound")

    with pytest.raises(Refused, match="127.0.0.1"):
        session(rules).get(redirecting.url + "/oauth/token?code=sekret-code",
                           headers={"Authorization": "Bearer sekret-token"})

    assert redirecting.seen == ["/oauth/token?code=sekret-code"] and inside.seen == []
    assert "outgoing call failed: GET http://127.0.0.1/latest/meta-data" in caplog.text
    assert "sekret" not in caplog.text


def test_a_redirect_to_a_public_looking_name_is_checked_when_connecting(
        serve: Callable[..., Server]) -> None:
    """DNS rebinding: the name passed the check once, and resolves to loopback later."""
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])
    rules = Policy(resolve=lambda host, port: next(answers))
    host = check_host("https://rebinding.example/@eva", rules=rules)
    assert host.addresses == (PUBLIC_V4,)
    with pytest.raises(Refused, match="127.0.0.1"):
        session(rules).get(host.url + "/api/v1/apps")


def test_redirects_in_a_loop_stop(serve: Callable[..., Server]) -> None:
    looping = serve(lambda handler: answer(b"", 302, Location=handler.path + "x")(handler))
    with pytest.raises(requests.TooManyRedirects):
        session(LAX).get(looping.url + "/a")
    assert len(looping.seen) == outbound.MAX_REDIRECTS + 1


def test_a_server_that_does_not_answer_times_out_even_without_a_timeout_given(
        serve: Callable[..., Server]) -> None:
    def never(handler: BaseHTTPRequestHandler) -> None:
        slow.release.wait(30)

    slow = serve(never)
    calls = session(LAX, timeout=(1.0, 0.3))
    for kwargs in ({}, {"timeout": None}):
        with pytest.raises(requests.Timeout):
            calls.get(slow.url + "/api/v1/statuses", **kwargs)


def test_a_server_dripping_its_answer_is_cut_off(
        serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        while not dripping.release.wait(0.05):
            handler.wfile.write(b"x")
            handler.wfile.flush()

    dripping = serve(drip)
    monkeypatch.setattr(outbound, "BODY_DEADLINE", 0.5)
    with pytest.raises(requests.Timeout):
        session(LAX, timeout=(1.0, 1.0)).get(dripping.url + "/")


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_answer_is_cut(serve: Callable[..., Server], declared: bool) -> None:
    def big(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declared:
            handler.send_header("Content-Length", str(6 * 1024 * 1024))
        handler.end_headers()
        try:
            for _ in range(96):
                handler.wfile.write(b"x" * 65536)
        except OSError:  # we hung up, as we should
            return

    server = serve(big)
    with pytest.raises(TooLarge):
        session(LAX).get(server.url + "/avatar.png")
    small = serve(answer(b"y" * 1000))
    assert session(LAX, max_bytes=1000).get(small.url + "/").content == b"y" * 1000
    with pytest.raises(TooLarge):
        session(LAX, max_bytes=999).get(small.url + "/")


def test_proxies_are_never_used(serve: Callable[..., Server],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(answer(b"direct"))
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    assert session(LAX).get(server.url + "/").text == "direct"
    with pytest.raises(Refused):
        session(LAX).get(server.url + "/", proxies={"http": "http://10.0.0.1:3128"})


def test_https_to_a_checked_address_keeps_the_name_for_the_certificate(
        serve: Callable[..., Server], tmp_path: Any) -> None:
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pds.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("pds.example")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
    hosts: list[str | None] = []
    server = serve(lambda handler: (hosts.append(handler.headers["Host"]),
                                    answer(b"over TLS")(handler)))
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    port = server.httpd.server_address[1]
    rules = Policy(allow_private=True, resolve=resolving("127.0.0.1"))

    reached = session(rules).get(f"https://pds.example:{port}/xrpc/_health",
                                 verify=str(cert_file))

    assert reached.text == "over TLS"
    assert server_names == ["pds.example"] and hosts == [f"pds.example:{port}"]
    with pytest.raises(requests.exceptions.SSLError):
        session(rules).get(f"https://other.example:{port}/", verify=str(cert_file))
