"""The Mercado Pago stand-in's account and its state in Redis (`bot/sandbox_mercadopago.py`):
preferences, payments and webhook deliveries as Mercado Pago's JSON, kept 30 days.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from flask import current_app

from services import app_parts as parts

PREFERENCE = "campotech:sandbox:mp:preference:{id}"
IDEMPOTENCY = "campotech:sandbox:mp:idempotency:{key}"
PAYMENT = "campotech:sandbox:mp:payment:{id}"
PAYMENT_PREFERENCE = "campotech:sandbox:mp:payment_preference:{id}"
APPROVED = "campotech:sandbox:mp:approved:{pref}"  # the preference's approved payment
DELIVERY = "campotech:sandbox:mp:delivery:{id}"  # how the last webhook post went
PAYMENT_IDS = "campotech:sandbox:mp:payment_ids"
KEEP_SECONDS = 30 * 86400
FIRST_PAYMENT_ID = 1_320_000_000  # Mercado Pago's ids are large integers
COLLECTOR_ID = 1_900_000_001
CLIENT_ID = "5400000000000001"
AR = timezone(timedelta(hours=-3))  # Mercado Pago stamps Argentine accounts in -03:00


def stamp(moment: datetime) -> str:
    return moment.astimezone(AR).isoformat(timespec="milliseconds")


def load_state(key: str) -> dict | None:
    raw = parts.redis(current_app).get(key)
    return json.loads(raw) if raw else None


def save_state(key: str, value: dict) -> None:
    parts.redis(current_app).set(key, json.dumps(value), ex=KEEP_SECONDS)
