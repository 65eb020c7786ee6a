"""Settings come from the environment; production settings pass `check --deploy`."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "SECRET_KEY": "a-production-like-secret-for-this-check-only-5c1f9e07b2d44a8e9f31",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "news.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://news.example.com",
}


def manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT"}
    }
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_bad_boolean_is_a_clear_error():
    result = manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_database_url_selects_postgresql():
    result = manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        "--no-imports",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        **PRODUCTION,
    )
    assert result.stdout.strip() == "postgresql", result.stderr


def test_sqlite_is_the_default():
    result = manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        "--no-imports",
        DEBUG="1",
        DATABASE_URL="",
    )
    assert result.stdout.strip() == "sqlite", result.stderr
