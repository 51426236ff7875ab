"""Invoice PDF links: a signed, expiring token per (organization, invoice), and the file name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.billing import invoice_links
from core.billing.invoice_links import (
    TokenExpired,
    TokenInvalid,
    make_token,
    pdf_filename,
    pdf_link,
    read_token,
)
from core.jobs import tracking
from core.models import Invoice, InvoiceStatus
from core.settings import get_settings, load_settings

SETTINGS = load_settings(env="test", secret_key="s3cret-for-tests",
                         public_base_url="https://campotech.example")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_token_round_trip_is_compact_url_safe_and_unique():
    token = make_token(SETTINGS, 12, 3456)
    assert read_token(SETTINGS, token) == (12, 3456)
    assert len(token) == 50 and all(c.isalnum() or c in "-_" for c in token)
    assert make_token(SETTINGS, 12, 3456) != token  # random nonce


def test_token_lasts_90_days_by_default_or_its_ttl():
    token = make_token(SETTINGS, 1, 2, now=NOW)
    assert read_token(SETTINGS, token, now=NOW + timedelta(days=89, hours=23)) == (1, 2)
    with pytest.raises(TokenExpired):
        read_token(SETTINGS, token, now=NOW + timedelta(days=90))
    short = make_token(SETTINGS, 1, 2, timedelta(hours=1), now=NOW)
    assert read_token(SETTINGS, short, now=NOW + timedelta(minutes=59)) == (1, 2)
    with pytest.raises(TokenExpired):
        read_token(SETTINGS, short, now=NOW + timedelta(hours=1))
    assert TokenExpired is tracking.TokenExpired and TokenInvalid is tracking.TokenInvalid


@pytest.mark.parametrize("bad", ["", "abc", "x" * 500, "../../etc", "%00", "====", "A" * 50, None])
def test_garbage_tokens_are_invalid(bad):
    with pytest.raises(TokenInvalid):
        read_token(SETTINGS, bad)


def test_tampered_foreign_or_tracking_tokens_are_invalid():
    token = make_token(SETTINGS, 1, 2)
    for i in range(len(token)):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        with pytest.raises(TokenInvalid):
            read_token(SETTINGS, flipped)
    with pytest.raises(TokenInvalid):
        read_token(load_settings(env="test", secret_key="another-secret"), token)
    # Same layout, other salt: a tracking link never opens an invoice, nor the reverse.
    with pytest.raises(TokenInvalid):
        read_token(SETTINGS, tracking.tracking_token(SETTINGS, 1, 2))
    with pytest.raises(tracking.TokenInvalid):
        tracking.read_token(SETTINGS, token)


def test_expired_tampered_token_is_invalid_not_expired():
    token = make_token(SETTINGS, 1, 2, -timedelta(days=1), now=NOW)
    with pytest.raises(TokenExpired):
        read_token(SETTINGS, token, now=NOW)
    with pytest.raises(TokenInvalid):
        read_token(SETTINGS, token[:5] + ("A" if token[5] != "A" else "B") + token[6:], now=NOW)


@pytest.mark.parametrize("ids", [(0, 1), (1, 0), (-1, 1), (1, 2**32), (True, 1), ("1", 1)])
def test_ids_must_be_positive_uint32(ids):
    with pytest.raises(ValueError):
        make_token(SETTINGS, *ids)


def test_pdf_link_points_at_the_public_route():
    invoice = Invoice(id=77, org_id=5, letter="B", punto_de_venta=1, number=12)
    link = pdf_link(invoice, SETTINGS)
    prefix, suffix = "https://campotech.example/i/", ".pdf"
    assert link.startswith(prefix) and link.endswith(suffix)
    assert read_token(SETTINGS, link.removeprefix(prefix).removesuffix(suffix)) == (5, 77)
    with pytest.raises(ValueError):
        pdf_link(Invoice(org_id=5, punto_de_venta=1), SETTINGS)  # not saved yet


def test_pdf_link_reads_the_environment_without_settings(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://env.example/")
    monkeypatch.setenv("SECRET_KEY", "env-secret")
    get_settings.cache_clear()
    try:
        link = pdf_link(Invoice(id=3, org_id=4, punto_de_venta=1))
        token = link.removeprefix("https://env.example/i/").removesuffix(".pdf")
        assert read_token(load_settings(secret_key="env-secret"), token) == (4, 3)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(("fields", "name"), [
    ({"letter": "B", "punto_de_venta": 1, "number": 12}, "factura-B-0001-00000012.pdf"),
    ({"letter": "A", "punto_de_venta": 3, "number": 123456}, "factura-A-0003-00123456.pdf"),
    ({"letter": None, "punto_de_venta": 1, "number": 3, "status": InvoiceStatus.INTERNAL},
     "recibo-0001-00000003.pdf"),
    ({"letter": "C", "punto_de_venta": 2, "number": None}, "factura-C-0002-pendiente.pdf"),
])
def test_pdf_filename(fields, name):
    assert pdf_filename(Invoice(**fields)) == name
    assert invoice_links.DEFAULT_TTL == timedelta(days=90)
