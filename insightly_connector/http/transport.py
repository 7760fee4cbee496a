"""A keep-alive connection pool to ONE validated origin, on the standard library's `http.client`.

Why this and not a general HTTP library: a transport built for one `Origin` (scheme, host, port, as
`spec/host_pinning.py` validated them for the credential) has no way to open a socket anywhere else.
It follows no redirect (a 3xx is returned like any other answer), and it refuses a URL that names
another scheme, host or port, or carries a user name, before anything is built. So "the key is only
sent to the validated host" holds by construction, not by a check that a caller could forget. (A
proxy, when the environment names one for a non-loopback origin, only ever sees an encrypted
CONNECT tunnel to that same origin.) It also keeps a read's start-up small: `http.client` and `ssl`
import in a fraction of the time of requests and urllib3.

What it does, as urllib3 did for requests before: a thread-safe pool of persistent connections;
connect and read timeouts; gzip and deflate bodies decoded as they stream in 256 KB reads; HTTPS
verified against certifi's bundle (or the system's); HTTP(S)_PROXY / NO_PROXY for non-loopback
origins; and a kept-alive connection the server has closed is noticed before it is reused. A reused
connection that fails before any byte of the answer is read is tried once more, on a fresh connection
and with a fresh `before_write` turn, only when that is safe: the caller says the request may be
repeated (an idempotent method). Otherwise the failure is the caller's: a request that may have
reached the server is never sent twice here."""

from __future__ import annotations

import http.client
import os
import select
import ssl
import threading
import zlib
from collections.abc import Callable, Mapping
from urllib.parse import quote, unquote, urlsplit

from insightly_connector.http.response import Headers, Response
from insightly_connector.spec.host_pinning import ForeignHostRefused, Origin, url_origin

READ_CHUNK_BYTES = 256 * 1024  # one read of a body; small reads cost more CPU than the page's records
_BODYLESS_METHODS = frozenset({"GET", "HEAD"})  # the others say Content-Length: 0 when they carry nothing
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # what requests left unquoted in a URL: an escaped path stays as it is
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class TransportError(Exception):
    """No complete answer came. `reason` names the failure as the request log and messages always have
    (requests' exception names); `sent` is False only when the request provably never left."""

    reason = "ConnectionError"
    sent = True


class ConnectFailed(TransportError):
    """No connection: refused, no such host, unreachable, a failed TLS handshake or proxy tunnel."""

    sent = False


class ConnectTimedOut(ConnectFailed):
    reason = "ConnectTimeout"


class TlsFailed(ConnectFailed):
    """The TLS handshake failed (an unverifiable certificate, a host name it does not cover)."""

    reason = "SSLError"


class ProxyFailed(ConnectFailed):
    """The environment's proxy could not be reached, or refused the tunnel (a 407, a 403)."""

    reason = "ProxyError"


class ReadTimedOut(TransportError):
    """The request was written; no answer's head came within the read timeout."""

    reason = "ReadTimeout"


class ConnectionBroke(TransportError):
    """The connection failed after the request may have been written, before the answer was whole."""


class BodyTruncated(TransportError):
    """The answer's body ended (or broke) before its declared length or its last chunk."""

    reason = "ChunkedEncodingError"


class BodyUndecodable(TransportError):
    """The body's gzip or deflate stream is corrupt or incomplete."""

    reason = "ContentDecodingError"


class Transport:
    """Requests to one origin over a pool of kept-alive connections. Thread-safe."""

    def __init__(self, origin: Origin, *, connect_timeout: float, read_timeout: float, pool_size: int,
                 headers: Mapping[str, str], use_environment: bool):
        self.origin = origin
        self._timeouts = (connect_timeout, read_timeout)
        self._pool_size = pool_size
        self._headers = dict(headers)
        self._use_environment = use_environment and not origin.is_loopback
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._tls: ssl.SSLContext | None = None
        self._proxy: tuple[str, int, dict[str, str]] | None = None
        self._proxy_known = False

    def send(self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             before_write: Callable[[], None] = lambda: None, repeatable: bool = False) -> Response:
        """Send one request and read its whole answer (any status). `before_write` runs after the
        connection is up and the request is built, right before its first byte is written (the
        rate limiter's turn). `repeatable`: the request may be sent again if a reused connection
        turns out dead before any answer (an idempotent method)."""
        target = self._target(url)
        connection, reused = self._checkout()
        answered = False
        try:
            try:
                response = self._exchange(connection, method, target, body, headers, before_write)
            except _DeadBeforeAnswer as dead:
                if not (reused and repeatable):
                    raise dead.error from None
                connection.close()
                connection = self._new_connection()
                try:
                    response = self._exchange(connection, method, target, body, headers, before_write)
                except _DeadBeforeAnswer as again:
                    raise again.error from None
            answered = True
            return response
        finally:
            self._checkin(connection, answered)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # -- one exchange --------------------------------------------------------------------------

    def _exchange(self, connection: http.client.HTTPConnection, method: str, target: str, body: bytes | None,
                  headers: Mapping[str, str] | None, before_write: Callable[[], None]) -> Response:
        """Connect if needed, build the request, take the turn, write, read the answer whole."""
        if connection.sock is None:
            self._connect(connection)
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in {**self._headers, **(headers or {})}.items():
            connection.putheader(name, value)
        if body is not None or method not in _BODYLESS_METHODS:
            connection.putheader("Content-Length", str(len(body or b"")))
        before_write()
        if _dropped(connection):  # closed by the server while the turn was awaited: nothing written yet
            connection.sock.close()
            connection.sock = None
            self._connect(connection)
        try:
            connection.endheaders(body)
        except OSError as exc:
            raise _DeadBeforeAnswer(ConnectionBroke(f"writing the request: {exc!r}")) from None
        try:
            answer = connection.getresponse()
        except TimeoutError:
            raise ReadTimedOut("no answer within the read timeout") from None
        except _STALE as exc:
            raise _DeadBeforeAnswer(ConnectionBroke(f"closed before answering: {exc!r}")) from None
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionBroke(f"reading the answer's head: {exc!r}") from None
        return Response(answer.status, Headers(answer.msg.items()), _read_body(answer))

    def _connect(self, connection: http.client.HTTPConnection) -> None:
        try:
            connection.connect()
        except TimeoutError:
            raise ConnectTimedOut("timed out connecting") from None
        except ssl.SSLError as exc:
            raise TlsFailed(f"TLS handshake: {exc}") from None
        except OSError as exc:  # refused, no such host, unreachable
            raise (ProxyFailed if self._proxy else ConnectFailed)(repr(exc)) from None
        connection.sock.settimeout(self._timeouts[1])

    # -- where a request may go ----------------------------------------------------------------

    def _target(self, url: str) -> str:
        """The request target (path and query) of `url`, which must name this transport's origin."""
        if url_origin(url) != self.origin:
            raise ForeignHostRefused("a request to a host other than the credential's validated host was refused")
        parts = urlsplit(url)
        target = quote(parts.path or "/", safe=_URL_SAFE)
        return target + "?" + quote(parts.query, safe=_URL_SAFE) if parts.query else target

    # -- the pool ------------------------------------------------------------------------------

    def _checkout(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the server has not closed (reused), or a new unconnected one."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._new_connection(), False
            if not _dropped(connection):
                return connection, True
            connection.close()

    def _checkin(self, connection: http.client.HTTPConnection, answered: bool) -> None:
        """Keep a connection whose last answer was read whole and that the server keeps open (an
        answer that closes the connection leaves it without a socket)."""
        if answered and connection.sock is not None:
            with self._lock:
                if not self._closed and len(self._idle) < self._pool_size:
                    self._idle.append(connection)
                    return
        connection.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        host, port = self.origin.host, self.origin.port
        proxy = self._proxy_for_origin()
        timeout = self._timeouts[0]
        if self.origin.scheme != "https":
            return http.client.HTTPConnection(host, port, timeout=timeout)
        if proxy is None:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls_context())
        proxy_host, proxy_port, proxy_headers = proxy
        connection = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=timeout, context=self._tls_context())
        connection.set_tunnel(host, port, headers=proxy_headers)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        """Certificate and host name verified; the CA bundle as requests chose it (REQUESTS_CA_BUNDLE or
        CURL_CA_BUNDLE when the environment is trusted, else certifi's, else the system's)."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=_ca_bundle(self._use_environment))
        return self._tls

    def _proxy_for_origin(self) -> tuple[str, int, dict[str, str]] | None:
        """The HTTPS proxy the environment names for this origin (HTTPS_PROXY or ALL_PROXY, unless
        NO_PROXY covers the host), looked up once; never for a loopback origin or plain HTTP."""
        if not self._proxy_known:
            self._proxy = _environment_proxy(self.origin) if self._use_environment else None
            self._proxy_known = True
        return self._proxy


class _DeadBeforeAnswer(Exception):
    """The connection failed before any byte of the answer: `error`, unless a repeat on a fresh
    connection is allowed."""

    def __init__(self, error: TransportError):
        self.error = error


def _read_body(answer: http.client.HTTPResponse) -> bytes:
    """The whole body, decoded as it streams in, or the error that says why it is not whole."""
    decoder = _Decoder.for_encoding(answer.getheader("Content-Encoding", ""))
    pieces: list[bytes] = []
    try:
        while True:
            piece = answer.read(READ_CHUNK_BYTES)
            if not piece:
                break
            pieces.append(decoder.feed(piece) if decoder else piece)
        if decoder:
            pieces.append(decoder.finish())
    except TimeoutError:
        raise ConnectionBroke("the body stopped arriving within the read timeout") from None
    except (OSError, http.client.HTTPException) as exc:  # a reset mid-body, a broken chunk
        raise BodyTruncated(f"the body broke off: {exc!r}") from None
    except zlib.error as exc:
        raise BodyUndecodable(f"the body's encoding is corrupt: {exc}") from None
    finally:
        answer.close()
    if answer.length:  # http.client counts down the declared length; a body that ended early leaves some
        raise BodyTruncated(f"the body ended {answer.length} bytes short of its declared length")
    return b"".join(pieces)


class _Decoder:
    """gzip (every member) or deflate (zlib-wrapped, or raw as some servers send it), incrementally."""

    def __init__(self, wbits: int):
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._started = False

    @classmethod
    def for_encoding(cls, encoding: str) -> _Decoder | None:
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            return cls(16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return cls(zlib.MAX_WBITS)
        return None

    def feed(self, data: bytes) -> bytes:
        if not self._started and self._wbits == zlib.MAX_WBITS:
            self._started = True
            try:
                return self._more(data)
            except zlib.error:  # raw deflate, without the zlib header
                self._wbits = -zlib.MAX_WBITS
                self._inflate = zlib.decompressobj(self._wbits)
        self._started = True
        return self._more(data)

    def _more(self, data: bytes) -> bytes:
        out = [self._inflate.decompress(data)]
        while self._inflate.eof and self._inflate.unused_data and self._wbits > zlib.MAX_WBITS:
            rest = self._inflate.unused_data  # another gzip member follows
            self._inflate = zlib.decompressobj(self._wbits)
            out.append(self._inflate.decompress(rest))
        return b"".join(out)

    def finish(self) -> bytes:
        tail = self._inflate.flush()
        if self._started and not self._inflate.eof:
            raise zlib.error("the compressed stream ends early")
        return tail


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle connection with anything to read has been closed by the server (or is broken). Over TLS,
    what is readable may be only the server's session tickets (TLS 1.3 sends them after the handshake):
    a non-blocking read consumes those and tells the two apart."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    if not readable:
        return False
    if not isinstance(sock, ssl.SSLSocket):
        return True
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(1)  # end of stream or stray bytes: either way the connection cannot carry a request
        return True
    except ssl.SSLWantReadError:  # only TLS records, no data: alive
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(timeout)


def _ca_bundle(use_environment: bool) -> str | None:
    if use_environment:
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if os.environ.get(name):
                return os.environ[name]
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def _environment_proxy(origin: Origin) -> tuple[str, int, dict[str, str]] | None:
    """HTTPS_PROXY (or ALL_PROXY) as `http://[user:password@]host[:port]`, unless NO_PROXY covers the host."""
    if origin.scheme != "https":
        return None
    from urllib.request import getproxies, proxy_bypass

    proxies = getproxies()
    url = proxies.get("https") or proxies.get("all")
    if not url or proxy_bypass(origin.host):
        return None
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme.lower() != "http" or not parts.hostname:
        from insightly_connector.errors import ConfigError

        raise ConfigError("HTTPS_PROXY / ALL_PROXY: only an http:// proxy (a CONNECT tunnel) is supported")
    headers: dict[str, str] = {}
    if parts.username is not None:
        import base64

        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return parts.hostname, parts.port or 80, headers

