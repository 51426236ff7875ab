"""Every other kind of WhatsApp update (#18 items 4-6), from Meta's documented payload shapes in
tests/data/webhooks/, through the real webhook, burst worker, flows and fake Graph API."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import select

from core.models import DeliveryStatus, Direction, Message
from tests.bot.conftest import CUSTOMER

DATA = Path(__file__).resolve().parents[1] / "data" / "webhooks"


def fixture(name: str, **replace: str) -> dict:
    text = (DATA / name).read_text()
    for placeholder, value in replace.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def _outbound(harness) -> list[Message]:
    with harness.db.org_session(harness.org_id) as s:
        return list(s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)
                              .order_by(Message.id)))


# ---- item 6: a failed status is retried only for codes Meta calls transient ---------------------

def test_a_failed_status_130472_experiment_is_final_not_resent(harness):
    harness.say("hola")
    harness.work()
    [out] = _outbound(harness)
    response = harness.post(fixture("status_failed_experiment.json", WAMID=out.wa_message_id))
    assert response.status_code == 200
    harness.work()
    assert len(harness.replies()) == 1  # not sent again
    with harness.db.org_session(harness.org_id) as s:
        m = s.get(Message, out.id)
        assert (m.status, m.error_code) == (DeliveryStatus.FAILED, 130472)
