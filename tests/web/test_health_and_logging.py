"""/healthz names the part that is down; every request logs a JSON line with its request id."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess

import port_for
import pytest
import redis

from core.settings import load_settings
from tests.waiting import wait_until
from web import create_app


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server this test may stop."""
    port = port_for.select_random()
    proc = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)

    def answers() -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    wait_until(answers, 10, what="redis-server to answer")
    yield proc, f"redis://127.0.0.1:{port}/0"
    if proc.poll() is None:
        proc.terminate()
    proc.wait(timeout=10)


def _app(pg_settings, redis_url):
    settings = load_settings(
        env="test", database_url=pg_settings.database_url, redis_url=redis_url, log_json=True,
        system_database_url=pg_settings.system_database_url,
    )
    app = create_app(settings)
    app.testing = True
    return app


def test_healthz_answers_503_naming_redis_when_it_stops(pg_settings, pg_db, own_redis):
    proc, url = own_redis
    client = _app(pg_settings, url).test_client()
    ok = client.get("/healthz")
    assert ok.status_code == 200
    assert ok.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}

    proc.terminate()
    proc.wait(timeout=10)
    down = client.get("/healthz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["failed"] == ["redis"] and body["checks"]["database"] == "ok"


def test_healthz_names_the_database_when_it_is_unreachable(own_redis):
    _proc, url = own_redis
    free = port_for.select_random()
    settings = load_settings(env="test", redis_url=url,
                             database_url=f"postgresql://nobody@127.0.0.1:{free}/none")
    app = create_app(settings)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["failed"] == ["database"]


def test_requests_log_json_with_request_id(pg_settings, pg_db, redis_url, capsys):
    app = _app(pg_settings, redis_url)
    resp = app.test_client().get("/", headers={"X-Request-ID": "req-abc123"})
    assert resp.status_code == 200 and "CampoTech" in resp.get_data(as_text=True)
    assert resp.headers["X-Request-ID"] == "req-abc123"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line["msg"] == "request"]
    assert request_lines[-1]["request_id"] == "req-abc123"
    assert request_lines[-1]["status"] == 200 and request_lines[-1]["path"] == "/"
    assert "org_id" in request_lines[-1]

    resp = app.test_client().get("/", headers={"X-Request-ID": "bad id with spaces"})
    generated = resp.headers["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated


def test_log_lines_carry_the_organization(capsys):
    from core.logging import configure_logging, org_id_var

    configure_logging("INFO", json_lines=True)
    token = org_id_var.set(42)
    try:
        logging.getLogger("campotech.test").warning("algo pasó", extra={"job_id": 7})
    finally:
        org_id_var.reset(token)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["org_id"], line["job_id"], line["msg"], line["level"]) == (42, 7, "algo pasó", "WARNING")


def test_the_landing_page_links_the_back_office_and_in_development_the_demo(pg_settings, pg_db, redis_url):
    def page(**overrides) -> str:
        settings = load_settings(database_url=pg_settings.database_url, redis_url=redis_url,
                                 system_database_url=pg_settings.system_database_url, **overrides)
        return create_app(settings).test_client().get("/").get_data(as_text=True)

    plain = page(env="test", whatsapp_access_token="a-real-token")  # a real number: no sandbox
    assert 'href="/app/login"' in plain and "cuando llegue" not in plain
    assert 'href="/sandbox"' not in plain and "demo-duenio-2026" not in plain
    dev = page(env="development")
    assert 'href="/sandbox"' in dev and 'href="/app/login"' in dev
    assert "+54 9 11 5555-0100" in dev and "Carlos Pereyra (de guardia)" in dev  # owner, on call
    assert "duenio@demo.campotech.com.ar" in dev and "demo-duenio-2026" in dev
