"""The HTTP transport against scripted servers on loopback: what a real network does to a kept-alive
connection (closed while idle, closed under a request, reset mid-body), compressed bodies, TLS, a
proxy's CONNECT tunnel, and a redirect that must not take the key anywhere."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from urllib3 import encode_multipart_formdata

from insightly_connector.errors import ApiError, ConfigError, OutcomeUnknown, TransientError
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import UnlimitedLimiter
from insightly_connector.http.multipart import encode_form
from insightly_connector.http.transport import (
    BodyTruncated,
    BodyUndecodable,
    ProxyFailed,
    ReadTimedOut,
    TlsFailed,
    Transport,
)
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.host_pinning import ForeignHostRefused, Origin

from .test_host_pinning import Listener

KEY = "5e1f0a4c-transport-test-key"
IO_SECONDS = 5.0  # every socket wait in these servers is bounded


@dataclass
class Act:
    """What the server does with one request: send `data` (the whole answer, or part of it), then keep
    the connection, `close` it (FIN) or `reset` it (RST)."""

    data: bytes = b""
    then: str = "keep"


def answer(status: int = 200, body: bytes = b'{"ok": true}', headers: dict[str, str] | None = None,
           length: int | None = None) -> bytes:
    head = {"Content-Type": "application/json", "Content-Length": str(len(body) if length is None else length),
            **(headers or {})}
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    return f"HTTP/1.1 {status} X\r\n{lines}\r\n".encode() + body


@dataclass
class Seen:
    connection: int
    raw: bytes

    @property
    def line(self) -> str:
        return self.raw.split(b"\r\n", 1)[0].decode()


@dataclass
class ScriptedServer:
    """HTTP/1.1 on 127.0.0.1 (optionally TLS): `script(n, seen)` says what to do with the n-th request."""

    script: Callable[[int, Seen], Act]
    tls: ssl.SSLContext | None = None
    hang_up_first: int = 0  # connections closed as soon as they are accepted, as an idle timeout does
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    accepted: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)  # set after each scripted close or reset
    received: int = 0  # bytes read from every connection

    def __post_init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            number, self.connections = self.connections, self.connections + 1
            self.accepted.set()
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        conn.settimeout(IO_SECONDS)
        if number < self.hang_up_first:
            conn.close()
            self.closed.set()
            return
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            pending = b""
            while not self._stop.is_set():
                raw, pending = self._read_request(conn, pending)
                if raw is None:
                    return
                seen = Seen(number, raw)
                self.seen.append(seen)
                act = self.script(len(self.seen) - 1, seen)
                conn.sendall(act.data)
                if act.then == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                if act.then in ("close", "reset"):
                    conn.close()
                    self.closed.set()
                    return
        except OSError:
            return
        finally:
            conn.close()

    def _read_request(self, conn: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
        while b"\r\n\r\n" not in pending:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            self.received += len(chunk)
            pending += chunk
        head, rest = pending.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            self.received += len(chunk)
            rest += chunk
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for thread in self._threads:
            thread.join(timeout=IO_SECONDS)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    started: list[ScriptedServer] = []

    def start(script: Callable[[int, Seen], Act], tls: ssl.SSLContext | None = None,
              hang_up_first: int = 0) -> ScriptedServer:
        started.append(ScriptedServer(script, tls, hang_up_first))
        return started[-1]

    yield start
    for server in started:
        server.close()


def transport_to(server: ScriptedServer, read_timeout: float = IO_SECONDS, **kwargs) -> Transport:
    origin = Origin("https" if server.tls else "http", "127.0.0.1", server.port)
    return Transport(origin, connect_timeout=IO_SECONDS, read_timeout=read_timeout, pool_size=4,
                     headers={"Authorization": f"Basic {KEY}"}, use_environment=kwargs.pop("use_environment", False))


def client_to(spec, server: ScriptedServer, max_attempts: int = 1) -> Client:
    credential = load_credential({"name": "t", "api_key": KEY, "pod": "na1", "base_url": server.url + "/v3.1"},
                                 spec)
    return Client(spec, credential, limiter=UnlimitedLimiter(2), max_attempts=max_attempts)


# -- bodies ------------------------------------------------------------------------------------------


BODY = b'[' + b",".join(b'{"ID": %d, "NAME": "record %d"}' % (n, n) for n in range(20_000)) + b']'  # ~700 KB


@pytest.mark.parametrize(("encoding", "encoded"), [
    ("gzip", gzip.compress(BODY)),
    ("gzip", gzip.compress(BODY[:1000]) + gzip.compress(BODY[1000:])),  # two gzip members
    ("deflate", zlib.compress(BODY)),
    ("deflate", zlib.compress(BODY)[2:-4]),  # raw deflate, as some servers send it
    ("identity", BODY),
])
def test_compressed_bodies_are_decoded_whole(serve, encoding, encoded):
    server = serve(lambda n, seen: Act(answer(body=encoded, headers={"Content-Encoding": encoding})))
    with transport_to(server) as transport:
        response = transport.send("GET", server.url + "/v3.1/Contacts")
    assert response.status_code == 200 and response.content == BODY
    assert b"accept-encoding: gzip, deflate" not in server.seen[0].raw.lower()  # the client's header, not ours


def test_a_chunked_body_is_read_whole(serve):
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (BODY[:300_000], BODY[300_000:])) + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    server = serve(lambda n, seen: Act(head + chunks))
    with transport_to(server) as transport:
        assert transport.send("GET", server.url + "/x").content == BODY


def test_a_corrupt_gzip_body_is_a_decoding_failure_with_todays_words(serve, spec):
    broken = bytearray(gzip.compress(BODY))
    broken[200:260] = b"\x00" * 60
    server = serve(lambda n, seen: Act(answer(body=bytes(broken), headers={"Content-Encoding": "gzip"})))
    with transport_to(server) as transport, pytest.raises(BodyUndecodable):
        transport.send("GET", server.url + "/x")
    with client_to(spec, server) as client, pytest.raises(TransientError) as caught:
        client.request("GET", "/Contacts")
    assert f"the connection broke (ContentDecodingError) with 127.0.0.1:{server.port}" in str(caught.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_reset_mid_body_is_a_broken_answer_and_a_post_is_of_unknown_outcome(serve, spec, method):
    server = serve(lambda n, seen: Act(answer(body=BODY[:100_000], length=len(BODY)), then="reset"))
    with client_to(spec, server) as client:
        expected = TransientError if method == "GET" else OutcomeUnknown
        with pytest.raises(expected) as caught:
            client.request(method, "/Contacts", json={"A": 1} if method == "POST" else None)
    assert f"the connection broke (ChunkedEncodingError) with 127.0.0.1:{server.port}" in str(caught.value)
    assert len(server.seen) == 1


def test_a_body_shorter_than_its_length_is_truncated_not_short(serve):
    server = serve(lambda n, seen: Act(answer(body=BODY[:5000], length=len(BODY)), then="close"))
    with transport_to(server) as transport, pytest.raises(BodyTruncated):
        transport.send("GET", server.url + "/x")


def test_headers_ignore_case_and_a_repeated_header_keeps_every_value(serve):
    links = {"Link": '<https://x/prev>; rel="prev"', "link": '<https://x/next>; rel="next"'}
    server = serve(lambda n, seen: Act(answer(headers={**links, "Content-Type": "text/plain; charset=latin-1"},
                                              body="café".encode("latin-1"))))
    with transport_to(server) as transport:
        response = transport.send("GET", server.url + "/x")
    assert response.headers.get("LINK") == '<https://x/prev>; rel="prev", <https://x/next>; rel="next"'
    assert "content-length" in response.headers and response.headers["Content-Length"] == "4"
    assert response.text == "café"


# -- kept-alive connections ----------------------------------------------------------------------------


def test_connections_are_kept_alive_and_reused(serve):
    server = serve(lambda n, seen: Act(answer()))
    with transport_to(server) as transport:
        for _ in range(5):
            assert transport.send("GET", server.url + "/x").status_code == 200
    assert server.connections == 1 and len(server.seen) == 5


def test_a_connection_the_server_closed_while_idle_is_not_used_for_a_post(serve, spec):
    """The server answers, then closes the kept-alive connection (no `Connection: close`): the next
    request, a POST, goes out once, on a new connection, and is answered."""
    server = serve(lambda n, seen: Act(answer(), then="close" if n == 0 else "keep"))
    with client_to(spec, server) as client:
        client.request("GET", "/Users/Me")
        assert server.closed.wait(IO_SECONDS)
        response = client.request("POST", "/Contacts", json={"FIRST_NAME": "Once"})
    assert response.status_code == 200
    assert [(seen.connection, seen.line.split()[0]) for seen in server.seen] == [(0, "GET"), (1, "POST")]


def test_a_kept_alive_connection_closed_under_a_get_is_retried_once_on_a_new_one(serve):
    """The server takes the second request on the reused connection and closes without answering, as
    a server timing out an idle connection at that instant does: a GET may be repeated, so it is,
    on a fresh connection, with a fresh turn before the write."""
    server = serve(lambda n, seen: Act(then="close") if n == 1 else Act(answer()))
    turns = []
    with transport_to(server) as transport:
        transport.send("GET", server.url + "/x", before_write=lambda: turns.append(1), repeatable=True)
        response = transport.send("GET", server.url + "/y", before_write=lambda: turns.append(2), repeatable=True)
    assert response.status_code == 200
    assert [(seen.connection, seen.line) for seen in server.seen] == [
        (0, "GET /x HTTP/1.1"), (0, "GET /y HTTP/1.1"), (1, "GET /y HTTP/1.1")]
    assert turns == [1, 2, 2]


def test_a_kept_alive_connection_closed_under_a_post_is_never_resent(serve, spec):
    server = serve(lambda n, seen: Act(then="close") if n == 1 else Act(answer()))
    with client_to(spec, server, max_attempts=3) as client:
        client.request("GET", "/Users/Me")
        with pytest.raises(OutcomeUnknown) as caught:
            client.request("POST", "/Contacts", json={"FIRST_NAME": "Once"})
    assert "the connection broke (ConnectionError) with" in str(caught.value)
    assert [seen.line.split()[0] for seen in server.seen] == ["GET", "POST"]


def test_the_turn_is_taken_after_connecting_and_before_the_first_byte(serve):
    server = serve(lambda n, seen: Act(answer()))
    at_turn = []

    def turn() -> None:
        at_turn.append((server.accepted.wait(IO_SECONDS), server.received))

    with transport_to(server) as transport:
        transport.send("POST", server.url + "/x", body=b'{"a": 1}', before_write=turn)
    assert at_turn == [(True, 0)]
    assert server.seen[0].raw.endswith(b'\r\n\r\n{"a": 1}')


def test_a_connection_closed_while_its_request_awaits_the_turn_is_replaced_before_writing(serve):
    """Connecting comes before the turn; a pace or a 429 pause can be long, and the server may close the
    new connection meanwhile. Nothing has been written, so even a POST goes out (once) on a new one."""
    server = serve(lambda n, seen: Act(answer()), hang_up_first=1)
    with transport_to(server) as transport:
        response = transport.send("POST", server.url + "/x", body=b"{}",
                                  before_write=lambda: server.closed.wait(IO_SECONDS) and time.sleep(0.05))
    assert response.status_code == 200
    assert [(seen.connection, seen.line) for seen in server.seen] == [(1, "POST /x HTTP/1.1")]


def test_no_answer_within_the_read_timeout(serve, spec):
    server = serve(lambda n, seen: Act(then="keep"))  # reads the request, never answers
    with transport_to(server, read_timeout=0.3) as transport, pytest.raises(ReadTimedOut):
        transport.send("GET", server.url + "/x")
    impatient = dataclasses.replace(spec, http=dataclasses.replace(spec.http, read_timeout=0.3))
    with client_to(impatient, server) as client, pytest.raises(TransientError) as caught:
        client.request("GET", "/Contacts")
    assert f"no answer in time from 127.0.0.1:{server.port}" in str(caught.value)


def test_threads_share_the_pool_without_mixing_answers(serve):
    server = serve(lambda n, seen: Act(answer(body=seen.line.split()[1].encode())))
    answers: list[tuple[str, bytes]] = []

    def fetch(worker: int) -> None:
        for n in range(10):
            path = f"/w{worker}/{n}"
            answers.append((path, transport.send("GET", server.url + path).content))

    with transport_to(server) as transport:
        workers = [threading.Thread(target=fetch, args=(worker,)) for worker in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
    assert len(answers) == 40 and all(path.encode() == body for path, body in answers)
    assert server.connections <= 4


# -- where requests may go -----------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def test_a_redirect_to_another_host_is_an_answer_and_the_key_never_follows(serve, spec, listener):
    elsewhere = f"http://127.0.0.2:{listener.port}/v3.1/Users/Me"
    server = serve(lambda n, seen: Act(answer(302, b"", {"Location": elsewhere})))
    with client_to(spec, server) as client, pytest.raises(ApiError) as caught:
        client.request("GET", "/Users/Me")
    assert caught.value.status == 302 and "HTTP 302" in str(caught.value)
    assert len(server.seen) == 1 and b"authorization: basic" in server.seen[0].raw.lower()
    assert listener.received == []


def test_the_transport_refuses_any_url_but_its_origins(serve, listener):
    server = serve(lambda n, seen: Act(answer()))
    with transport_to(server) as transport:
        for url in (f"http://127.0.0.2:{listener.port}/x", f"https://127.0.0.1:{server.port}/x",
                    f"http://127.0.0.1:{server.port + 1}/x", f"http://user@127.0.0.1:{server.port}/x",
                    f"http://127.0.0.1:{server.port}@127.0.0.2:{listener.port}/x"):
            with pytest.raises(ForeignHostRefused):
                transport.send("GET", url)
    assert server.seen == [] and listener.received == []


class Proxy:
    """A loopback HTTP proxy that records the CONNECT it is asked for and refuses it (nothing leaves)."""

    def __init__(self):
        self.server = ScriptedServer(lambda n, seen: Act(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
                                                         then="close"))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def refusing_proxy(monkeypatch) -> Iterator[Proxy]:
    """HTTPS_PROXY names a loopback proxy (with a user and password) that refuses every tunnel."""
    proxy = Proxy()
    monkeypatch.setenv("HTTPS_PROXY", f"http://someone:s%40cret@127.0.0.1:{proxy.server.port}")
    for name in ("NO_PROXY", "no_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield proxy
    proxy.close()


def test_a_real_pods_https_goes_through_the_environments_proxy_as_a_connect_tunnel(refusing_proxy):
    origin = Origin("https", "api.pod.example.invalid", 443)
    with Transport(origin, connect_timeout=IO_SECONDS, read_timeout=IO_SECONDS, pool_size=2,
                   headers={"Authorization": f"Basic {KEY}"}, use_environment=True) as transport:
        # checked before anything is sent, so that a regression cannot reach past loopback
        assert transport._proxy_for_origin()[:2] == ("127.0.0.1", refusing_proxy.server.port)
        with pytest.raises(ProxyFailed):
            transport.send("GET", "https://api.pod.example.invalid/v3.1/Users/Me")
    [seen] = refusing_proxy.server.seen
    assert seen.line.startswith("CONNECT api.pod.example.invalid:443 HTTP/1.")  # 1.0 before Python 3.12, then 1.1
    assert b"Proxy-Authorization: Basic c29tZW9uZTpzQGNyZXQ=" in seen.raw  # someone:s@cret
    assert KEY.encode() not in seen.raw


def test_the_client_of_a_real_pod_uses_the_proxy_and_says_so(refusing_proxy, spec):
    with Client(spec, load_credential({"name": "t", "api_key": KEY, "pod": "na1"}, spec),
                limiter=UnlimitedLimiter(2), max_attempts=1) as client:
        assert client._transport._proxy_for_origin()[:2] == ("127.0.0.1", refusing_proxy.server.port)
        with pytest.raises(TransientError) as caught:
            client.request("GET", "/Users/Me")
    host = client.credential.origin.host
    assert f"could not connect through the environment's proxy (HTTPS_PROXY) to {host}:443" in str(caught.value)
    assert [seen.line.rsplit(" ", 1)[0] for seen in refusing_proxy.server.seen] == [f"CONNECT {host}:443"]


def test_no_proxy_and_a_harness_override_bypass_the_proxy(monkeypatch, serve):
    from insightly_connector.http.transport import _environment_proxy

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "example.invalid")
    assert _environment_proxy(Origin("https", "api.pod.example.invalid", 443)) is None
    monkeypatch.delenv("NO_PROXY")
    assert _environment_proxy(Origin("https", "api.pod.example.invalid", 443))[:2] == ("127.0.0.1", 9)
    for unsupported in ("https://127.0.0.1:9", "socks5://127.0.0.1:9"):
        monkeypatch.setenv("HTTPS_PROXY", unsupported)
        with pytest.raises(ConfigError, match="only an http:// proxy"):
            _environment_proxy(Origin("https", "api.pod.example.invalid", 443))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    server = serve(lambda n, seen: Act(answer()))  # a loopback origin never asks the environment
    with transport_to(server, use_environment=True) as transport:
        assert transport.send("GET", server.url + "/x").status_code == 200


# -- TLS -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return folder


def tls_server_context(folder: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def test_an_unverifiable_certificate_is_refused_before_anything_is_sent(serve, certificate, spec):
    server = serve(lambda n, seen: Act(answer()), tls=tls_server_context(certificate))
    with transport_to(server) as transport, pytest.raises(TlsFailed):
        transport.send("GET", server.url + "/x")
    assert server.seen == []


def test_https_verified_against_the_systems_store_keeps_its_connection_alive(serve, certificate, monkeypatch):
    """Without certifi the system's store is used (here: SSL_CERT_FILE, the test's own CA); two requests
    share one TLS connection (TLS 1.3 session tickets do not make an idle connection look closed)."""
    monkeypatch.setitem(sys.modules, "certifi", None)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))
    server = serve(lambda n, seen: Act(answer(body=gzip.compress(BODY), headers={"Content-Encoding": "gzip"})),
                   tls=tls_server_context(certificate))
    with transport_to(server) as transport:
        for _ in range(2):  # the turn waits long enough for the tickets to arrive on the new connection
            assert transport.send("GET", server.url + "/x", before_write=lambda: time.sleep(0.2)).content == BODY
    assert server.connections == 1 and len(server.seen) == 2


# -- uploads ----------------------------------------------------------------------------------------------


def test_a_multipart_form_is_encoded_as_urllib3_encoded_it():
    fields = {"file": ('a "quoted"\r\nname.txt', b"\x00\x01binary", "text/plain"), "file_name": "naïve.txt",
              "note": 'say "hi"'}
    body, content_type = encode_form(fields)
    boundary = content_type.split("boundary=", 1)[1]
    assert (body, content_type) == encode_multipart_formdata(fields, boundary=boundary)
