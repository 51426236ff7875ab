"""Settings come from the environment, with laptop defaults and one clear line when invalid."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.settings import ROOT, SettingsError, load_settings


def test_defaults_run_on_a_laptop(monkeypatch):
    for var in ("DATABASE_URL", "REDIS_URL", "ENV", "ENCRYPTION_KEY"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.database_url.endswith("var/campotech.db") and s.database_url.startswith("sqlite:///")
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert len(next(iter(s.encryption_keys.values()))) == 32


def test_environment_is_read_and_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db:5432/campotech")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/1")
    s = load_settings()
    assert s.database_url == "postgresql+psycopg://app:pw@db:5432/campotech" and s.is_postgres
    assert s.redis_url == "redis://cache:6380/1"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with postgresql:// or sqlite:///"),
        ("REDIS_URL", "http://x", "REDIS_URL: must start with redis://"),
        ("ENCRYPTION_KEY", "k1:c2hvcnQ=", "ENCRYPTION_KEY: key 'k1' must decode to 32 bytes"),
        ("DEFAULT_TIME_ZONE", "Mars/Olympus", "DEFAULT_TIME_ZONE: unknown time zone"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
    ],
)
def test_invalid_values_fail_with_one_clear_line(monkeypatch, var, value, fragment):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_production_refuses_development_secrets(monkeypatch):
    monkeypatch.setenv("ENV", "production")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


def test_production_never_serves_the_sandbox_and_needs_whatsapp_secrets():
    real = {"env": "production", "secret_key": "s" * 40,
            "encryption_key": "k1:" + "A" * 43 + "="}
    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET"):
        load_settings(**real)
    with pytest.raises(SettingsError, match="WHATSAPP_VERIFY_TOKEN"):
        load_settings(**real, whatsapp_app_secret="meta-secret")
    settings = load_settings(**real, whatsapp_app_secret="meta-secret", whatsapp_verify_token="mine")
    assert not settings.whatsapp_sandbox and settings.graph_base_url == "https://graph.facebook.com"
    assert load_settings(env="development").whatsapp_sandbox


def test_a_process_with_bad_config_exits_with_one_line():
    env = {"PATH": "/usr/bin:/bin", "REDIS_URL": "nope://"}
    proc = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "campotech: invalid configuration: REDIS_URL: must start with redis://, rediss:// or unix://"
    ]


def test_repr_never_shows_secrets_or_passwords_in_urls():
    settings = load_settings(secret_key="s3cret-flask-key", whatsapp_access_token="EAAG-token",
                             whatsapp_app_secret="app-s3cret", openai_api_key="sk-abc",
                             database_url="postgresql://campotech:db-pa55@db/campotech",
                             redis_url="redis://:redis-pa55@cache:6379/0")
    shown = repr(settings) + str(settings)
    for secret in ("s3cret-flask-key", "EAAG-token", "app-s3cret", "sk-abc", "db-pa55", "redis-pa55"):
        assert secret not in shown
    assert "public_base_url" in shown  # the rest is still there to read
    assert settings.whatsapp_access_token == "EAAG-token"
