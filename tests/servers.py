"""Real gunicorn processes for tests that need more than one web process: production
settings, the test database, a Redis database of their own."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench import scratch
from bench.scratch import free_port

BASE = Path(settings.BASE_DIR)


def redis_reachable(port=6379):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def database_url():
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def production_env(static_root, redis_url, **extra):
    return scratch.production_env(
        database_url(), REDIS_URL=redis_url, STATIC_ROOT=str(static_root), **extra
    )


def collect_static(env):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE,
        env=env,
        check=True,
        capture_output=True,
    )


class Server:
    """One gunicorn on 127.0.0.1, stopped with ``stop()``."""

    def __init__(self, env, workers=1, log=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "newsletter.wsgi", "--bind"]
            + [f"127.0.0.1:{self.port}", "--workers", str(workers), "--no-control-socket"],
            cwd=BASE,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        # A loaded machine may accept the connection well before the worker answers: a read
        # that times out is one more wait, not a failure (and never leaves gunicorn running).
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    response.read()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.05)
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path):
        """(status, headers, text)"""
        try:
            with self.opener.open(self.url + path, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        with self.opener.open(self.url + path, data=data, timeout=10) as response:
            return response.status, response.read().decode()

    def csrf_token(self, path):
        _status, _headers, html = self.get(path)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def log_in(self, username, password):
        token = self.csrf_token("/admin/login/")
        self.post(
            "/admin/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
            | {"next": "/admin/"},
        )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
