"""The socket side: a threaded stdlib HTTP/1.1 server on 127.0.0.1 with keep-alive.

Each answer goes out in one write with TCP_NODELAY (no Nagle stalls between headers and body). The
server also plays the connection-level faults the API decides on: a reset (RST, no answer), a truncated
body (fewer bytes than Content-Length, then close) and a delayed answer.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from insightly_connector.harness.api import JSON, IncomingRequest, OutgoingResponse

ADMIN_PREFIX = "/__harness"
IDLE_SECONDS = 120  # an idle keep-alive connection is closed after this long
LARGE_BODY = 64 * 1024


class HarnessServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port: int, handle_api: Callable[[IncomingRequest], OutgoingResponse],
                 handle_admin: Callable[[IncomingRequest], OutgoingResponse], http_date: Callable[[], str]):
        self.handle_api, self.handle_admin, self.http_date = handle_api, handle_admin, http_date
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        """A client that drops its connection (a killed process, a timeout) is routine here, not an error
        worth a traceback on stderr; anything else is still reported."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake every handler thread blocked on an idle keep-alive connection, so stop is prompt."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "InsightlyHarness/3.1"
    timeout = IDLE_SECONDS
    server: HarnessServer

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        pass  # the request log is the API's; stderr stays quiet

    def _dispatch(self):
        try:
            url = urlsplit(self.path)
            request = IncomingRequest(method=self.command, path=unquote(url.path),
                                      query=dict(parse_qsl(url.query, True)),
                                      headers={k.lower(): v for k, v in self.headers.items()}, body=self._read_body())
        except ValueError:  # a malformed Content-Length or chunk size: answer, then drop the connection
            self.close_connection = True
            self._send(OutgoingResponse(400, orjson.dumps({"Message": "The request is invalid."}),
                                        {"Content-Type": JSON}))
            return
        try:
            if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
                response = self.server.handle_admin(request)
            else:
                response = self.server.handle_api(request)
        except Exception as exc:  # a harness bug must not take the server down; say what happened
            traceback.print_exc(file=sys.stderr)
            response = OutgoingResponse(500, orjson.dumps({"Message": f"Harness error: {type(exc).__name__}: {exc}"}),
                                {"Content-Type": JSON})
        self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: OutgoingResponse) -> None:
        if response.delay:
            time.sleep(response.delay)
        if response.action == "reset":
            self._reset()
            return
        body = b"" if self.command == "HEAD" else response.body
        headers = {"Date": self.server.http_date(), "Server": self.server_version, **response.headers,
                   "Content-Length": str(len(response.body))}
        if self.close_connection:
            headers["Connection"] = "close"
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        status_and_head = f"HTTP/1.1 {response.status} {reason}\r\n{head}\r\n".encode("latin-1")
        if response.action == "truncate":
            body = body[: len(body) - max(1, len(body) // 2)]
            self.close_connection = True
        try:  # a large body goes in its own send rather than being copied behind the head (TCP_NODELAY is on)
            if len(body) < LARGE_BODY:
                self.connection.sendall(status_and_head + body)
            else:
                self.connection.sendall(status_and_head)
                self.connection.sendall(body)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Close with RST: the client sees a connection reset and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
