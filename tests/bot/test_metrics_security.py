"""/metrics is not for everyone, and its labels never take raw values from a payload (#16, 10)."""

from __future__ import annotations

import pytest

from bot import simulator
from core.settings import load_settings
from services.metrics import Metrics
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

TOKEN = "metrics-token-0123456789"
PRODUCTION = {"env": "production", "secret_key": "s" * 40, "whatsapp_app_secret": "app-secret",
              "whatsapp_verify_token": "verify-token-xyz",
              "encryption_key": "k1:" + "A" * 43 + "="}


def _client(tmp_path, redis_url, **overrides):
    from web import create_app

    settings = load_settings(**{"env": "test", "database_url": f"sqlite:///{tmp_path / 'm.db'}",
                                "redis_url": redis_url, "log_json": False, **overrides})
    return create_app(settings).test_client()


def test_metrics_need_the_token_when_one_is_set(tmp_path, redis_url, redisdb):
    client = _client(tmp_path, redis_url, metrics_token=TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-000000"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "campotech_messages_in_total" in ok.get_data(as_text=True)


def test_production_without_a_token_does_not_serve_metrics(tmp_path, redis_url, redisdb):
    assert _client(tmp_path, redis_url, **PRODUCTION).get("/metrics").status_code == 404
    client = _client(tmp_path, redis_url, metrics_token=TOKEN, **PRODUCTION)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_labels_from_outside_map_to_other(redisdb):
    metrics = Metrics(redisdb)
    for i in range(50):
        metrics.inc("campotech_messages_in_total", f'evil_{i}"}} 1\n')
    metrics.inc("campotech_send_failures_total", "131049")
    metrics.inc("campotech_send_failures_total", "x" * 300)
    metrics.inc("campotech_webhook_rejected_total", "Bad Reason!")
    body = metrics.render()
    assert "evil" not in body and "xxx" not in body and "Bad Reason" not in body
    assert 'campotech_messages_in_total{type="other"} 50' in body
    assert 'campotech_send_failures_total{code="131049"} 1' in body
    assert 'campotech_send_failures_total{code="other"} 1' in body
    assert len(redisdb.hkeys("campotech:metrics:campotech_messages_in_total")) == 1
    with pytest.raises(KeyError):
        metrics.inc("campotech_anything_total", "x")


def test_an_unknown_message_type_in_a_signed_payload_counts_as_other(harness):
    kind = "brand_new_type_" + "z" * 40
    response = harness.post(simulator.message(PHONE_NUMBER_ID, CUSTOMER, kind, {"x": 1}))
    assert response.status_code < 500
    body = harness.client.get("/metrics").get_data(as_text=True)
    assert "brand_new_type" not in body
