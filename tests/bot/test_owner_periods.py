"""An owner asks for a week's, a month's or a year's numbers in the chat and gets that stretch,
not today's summary; a named day still gets that day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.es_ar import MONTHS
from core.identity.users import create_user

OWNER = "5491155550100"


def _last_text(harness) -> str:
    return harness.replies(OWNER)[-1]["payload"]["text"]["body"]


def test_the_owner_asks_for_the_month_the_week_and_yesterday(harness):
    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER,
                        "email": "duenio@example.com", "password": "una-clave-larga"})
    today = datetime.now(ZoneInfo("America/Argentina/Buenos_Aires")).date()
    harness.say("cuánto facturamos este mes?", wa_id=OWNER)
    harness.work()
    assert _last_text(harness).startswith(f"📋 Resumen de {MONTHS[today.month - 1]} hasta hoy (1/")
    harness.say("y la semana pasada cómo nos fue?", wa_id=OWNER)
    harness.work()
    assert _last_text(harness).startswith("📋 Resumen de la semana pasada (")
    harness.say("resumen de ayer", wa_id=OWNER)
    harness.work()
    assert _last_text(harness).startswith("📋 Resumen del ")
