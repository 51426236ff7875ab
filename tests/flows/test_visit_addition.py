"""More for a coming visit is added to it; anything that is a visit of its own is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.messaging.replies import Text
from core.models import Conversation, Job, JobEvent, JobStatus, Organization
from core.settings import get_settings
from flows import visit_addition
from flows.turn import Turn
from nlu.extract import extract
from tests.flows.shop import NOW
from tests.flows.test_customer_jobs import TOMORROW_9, shop  # noqa: F401 - the fixture


def _say(shop, text: str, now: datetime = NOW):  # noqa: F811
    sent = []
    with shop.db.org_session(shop.org_id) as s:
        conversation = s.get(Conversation, shop.conversation_id)
        org = s.get(Organization, shop.org_id)
        turn = Turn(session=s, conversation=conversation, org=org,
                    now=now.astimezone(ZoneInfo(org.time_zone)), settings=get_settings(),
                    text=text, result=extract(text, "customer", now), tap=None,
                    notify=lambda wa_id, reply: sent.append((wa_id, reply)))
        return visit_addition.add_to_visit(turn), sent


def _job(shop, job_id: int) -> Job:  # noqa: F811
    with shop.db.org_session(shop.org_id) as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


def test_more_for_the_coming_visit_is_added_and_its_technician_told(shop):  # noqa: F811
    job_id = shop.job()

    replies, sent = _say(shop, "ya que vienen mañana, ¿me miran también el inodoro que no descarga bien?")

    assert len(replies) == 1 and isinstance(replies[0], Text)
    assert "Lo sumé al trabajo #" in replies[0].body and "mañana de 9 a 11" in replies[0].body
    assert "Ya le avisé a Carlos" in replies[0].body
    job = _job(shop, job_id)
    assert job.description.startswith("Pierde la canilla\nTambién: ya que vienen mañana")
    assert job.status == JobStatus.SCHEDULED
    [(wa_id, notice)] = sent
    assert wa_id == "5491162345678" and "inodoro" in notice.body
    with shop.db.org_session(shop.org_id) as s:
        notes = s.query(JobEvent).filter_by(job_id=job_id, kind="note").all()
        assert [n.note.split(":")[0] for n in notes] == ["También"]


@pytest.mark.parametrize("text", [
    # no word joining it to the visit: a booking of its own
    "se me tapó el inodoro",
    # somewhere else
    "también quería que vayan a la casa de mi mamá, pierde el calefón",
    # another day named
    "también se me tapa el inodoro, pueden venir el viernes?",
    # an emergency is booked and dispatched, never tucked into tomorrow's visit
    "también hay olor a gas en la cocina!!",
    # another trade may be another technician
    "también se me quemó un enchufe del living",
])
def test_a_visit_of_its_own_is_not_added(shop, text):  # noqa: F811
    job_id = shop.job()
    replies, sent = _say(shop, text)
    assert replies is None and sent == []
    assert _job(shop, job_id).description == "Pierde la canilla"


def test_only_a_visit_not_begun_and_coming_soon(shop):  # noqa: F811
    begun = shop.job(status=JobStatus.EN_ROUTE)
    far = shop.job(TOMORROW_9 + timedelta(days=30))
    replies, _ = _say(shop, "también me miran el inodoro?")
    assert replies is None
    assert _job(shop, begun).description == _job(shop, far).description == "Pierde la canilla"
