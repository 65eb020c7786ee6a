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


def email_settings(**env):
    names = ["EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"]
    names += ["EMAIL_USE_TLS", "EMAIL_USE_SSL"]
    code = (
        "from django.conf import settings as s; "
        f"print(s.EMAIL_BACKEND, *(getattr(s, n, '') for n in {names!r}))"
    )
    return manage("shell", "--no-imports", "-c", code, **PRODUCTION, **env)


def test_email_goes_where_email_url_says():
    smtp = email_settings(EMAIL_URL="smtp://mailer:p%40ss@smtp.example.com:587").stdout.split()
    assert smtp == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "mailer",
        "p@ss",
        "True",
        "False",
    ]
    smtps = email_settings(EMAIL_URL="smtps://smtp.example.com").stdout.split()
    assert smtps[1:3] == ["smtp.example.com", "465"] and smtps[-2:] == ["False", "True"]
    console = email_settings(EMAIL_URL="console://").stdout.split()
    assert console[0] == "django.core.mail.backends.console.EmailBackend"
    provider = email_settings(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="token",
    ).stdout.split()
    assert provider[0] == "anymail.backends.postmark.EmailBackend"
    wrong = email_settings(EMAIL_URL="carrier-pigeon://loft")
    assert wrong.returncode != 0 and "EMAIL_URL must start with" in wrong.stderr
