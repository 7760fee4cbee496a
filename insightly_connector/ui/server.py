"""The pages' HTTP server: 127.0.0.1 only, the built front end from `static/`, and a small JSON API.

It holds a credential, so it answers only requests meant for it: the `Host` must be its own loopback address
(no DNS rebinding), a request carrying an `Origin` must come from its own pages, and every POST must be
`application/json`, which a page of another origin cannot send without a CORS preflight this server never
grants. Nothing it answers carries a secret: messages are scrubbed and the saved credential comes back masked."""

from __future__ import annotations

import mimetypes
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from insightly_connector.errors import ConfigError, ConnectorError
from insightly_connector.redaction import process_redactor
from insightly_connector.ui.app import UiApp

STATIC = Path(__file__).with_name("static")
MAX_BODY_BYTES = 64 * 1024
LOOPBACK = "127.0.0.1"


class UiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: UiApp, port: int = 0):
        self.app = app
        super().__init__((LOOPBACK, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, name="ui-server",
                                  daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        """A page closed mid-answer is routine, not a traceback; anything else is one scrubbed line on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        print(process_redactor.scrub(f"ui: internal error: {type(error).__name__}: {error}"), file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: UiServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if not self._allowed():
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        app = self.server.app
        routes = {"/api/about": app.about, "/api/form": app.form, "/api/resources": app.resources,
                  "/api/runs": app.runs,
                  "/api/sample": lambda: app.sample(_one(query, "resource")),
                  "/api/run": lambda: app.run(_one(query, "id"))}
        if url.path in routes:
            self._answer(routes[url.path])
        else:
            self._static(url.path)

    def do_POST(self) -> None:
        if not self._allowed():
            return
        if self.headers.get_content_type() != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected application/json")
            return
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"expected a body of at most {MAX_BODY_BYTES} bytes")
            return
        length = int(length)
        try:
            body = orjson.loads(self.rfile.read(length) or b"{}")
        except orjson.JSONDecodeError:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body is not JSON"})
            return
        routes = {"/api/test": self.server.app.test, "/api/save": self.server.app.save}
        path = urlsplit(self.path).path
        if path not in routes or not isinstance(body, dict):
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "no such action"})
            return
        self._answer(lambda: routes[path](body))

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        """Answer without reading the body, and close: what is left of it must not be read as a request."""
        self.close_connection = True
        self._send_json(status, {"error": message})

    def _allowed(self) -> bool:
        own = {f"{LOOPBACK}:{self.server.server_address[1]}", f"localhost:{self.server.server_address[1]}"}
        origin = self.headers.get("Origin")
        if self.headers.get("Host") not in own or (origin is not None and urlsplit(origin).netloc not in own):
            self._refuse(HTTPStatus.FORBIDDEN, "this server answers its own pages only")
            return False
        return True

    def _answer(self, action) -> None:
        try:
            self._send_json(HTTPStatus.OK, action())
        except ConfigError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except ConnectorError as exc:
            self._send_json(HTTPStatus.BAD_GATEWAY, {"error": str(exc)})
        except Exception as exc:  # the page gets one scrubbed line, never a traceback
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {type(exc).__name__}"})

    def _static(self, path: str) -> None:
        relative = "index.html" if path in ("/", "") else path.lstrip("/")
        file = (STATIC / relative).resolve()
        if not file.is_relative_to(STATIC.resolve()) or not file.is_file():
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        body = file.read_bytes()
        self._send(HTTPStatus.OK, body, mimetypes.guess_type(file.name)[0] or "application/octet-stream")

    def _send_json(self, status: HTTPStatus, value: Any) -> None:
        body = process_redactor.scrub_bytes(orjson.dumps(value, default=str))
        self._send(status, body, "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-eval'; "
                                                    "style-src 'self' 'unsafe-inline'; "
                                                    "img-src 'self' data:; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a request line could carry a resource name or run folder, never worth a terminal line."""


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name) or [""]
    if not values[0]:
        raise ConfigError(f"missing ?{name}=")
    return values[0]
