"""A real HTTP server on 127.0.0.1 for tests of what the site fetches: routes are functions
of the request handler returning (status, headers, body)."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler

from bench.scratch import LocalHTTPServer


class Handler(BaseHTTPRequestHandler):
    routes = {}
    seen = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        self.answer(body=True)

    def do_HEAD(self):  # noqa: N802
        self.answer(body=False)

    def answer(self, body):
        type(self).seen.append((self.command, self.path, dict(self.headers), time.monotonic()))
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            status, headers, content = 404, {"Content-Type": "text/plain"}, b"not here"
        else:
            status, headers, content = route(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(content)

    def log_message(self, *args):
        pass


class LocalServer:
    """``with LocalServer(routes) as server:`` serves ``routes`` at ``server.url``."""

    def __init__(self, routes):
        self.handler = type("RoutedHandler", (Handler,), {"routes": routes, "seen": []})
        self.httpd = LocalHTTPServer(("127.0.0.1", 0), self.handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def seen(self):
        return self.handler.seen

    def __enter__(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def html(text, status=200, charset="utf-8", extra=None):
    def route(handler):
        return (
            status,
            {"Content-Type": f"text/html; charset={charset}", **(extra or {})},
            (text.encode(charset)),
        )

    return route


def redirect(location, status=302):
    def route(handler):
        return status, {"Location": location}, b""

    return route


def slow(seconds, then):
    def route(handler):
        time.sleep(seconds)
        return then(handler)

    return route
