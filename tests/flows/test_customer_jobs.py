"""A customer's reschedule, cancel, invoice, payment and rating over WhatsApp, each confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core import jobs
from core.billing import invoice_links
from core.billing.payments import payment_options
from core.customers import create_customer
from core.es_ar import visit_phrase
from core.jobs.scheduling import Slot, parse_slot_id
from core.messaging.replies import Buttons, Document, ListMessage, Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Organization,
    utcnow,
)
from core.settings import get_settings
from flows import customer_jobs, customer_rating
from flows.buttons import decode
from flows.turn import Turn
from nlu.schema import Extraction
from tests.factories import add_technician, create_org
from tests.flows.shop import BA, MARTA_WA, NOW, ShopReads, walk_to

TOMORROW_9 = datetime(2026, 11, 26, 9, 0, tzinfo=BA)
FRIDAY_14 = datetime(2026, 11, 27, 14, 0, tzinfo=BA)


@dataclass
class Shop(ShopReads):
    db: object
    org_id: int
    carlos: int
    diego: int
    marta: int
    ana: int
    conversation_id: int

    def job(self, start: datetime | None = TOMORROW_9, *, customer: int | None = None,
            tech: int | None = None, status: JobStatus = JobStatus.SCHEDULED) -> int:
        with self.db.org_session(self.org_id) as s:
            customer_id = customer or self.marta
            address = s.get(Customer, customer_id).addresses[0]
            job = jobs.create_job(s, {
                "customer_id": customer_id, "service": "plumbing", "address_id": address.id,
                "technician_id": tech or self.carlos, "description": "Pierde la canilla",
            })
            if start is not None:
                jobs.schedule(s, job.id, start, start + timedelta(hours=2), "user:1")
            walk_to(s, job.id, status)
            return job.id

    def say(self, intent: str | None = None, *, tapped: str | None = None,
            result: Extraction | None = None, text: str = "", now: datetime = NOW):
        """One customer turn through the flow, in its own transaction."""
        if result is None:
            result = Extraction(intent=intent or "other")
        with self.db.org_session(self.org_id) as s:
            conversation = s.get(Conversation, self.conversation_id)
            org = s.get(Organization, self.org_id)
            turn = Turn(session=s, conversation=conversation, org=org,
                        now=now.astimezone(ZoneInfo(org.time_zone)), settings=get_settings(),
                        text=text, result=result, tap=decode(tapped))
            return customer_jobs.reply(turn, intent)


@pytest.fixture
def shop(pg_db) -> Shop:
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    carlos = add_technician(pg_db, org_id, "Carlos Pereyra", "+5491162345678")
    diego = add_technician(pg_db, org_id, "Diego Acosta", "+5491171234567")
    with pg_db.org_session(org_id) as s:
        marta = create_customer(s, {
            "name": "Marta García", "phone": "+5491166660001",
            "addresses": [{"street": "Av. Rivadavia", "number": "1234", "locality": "CABA"}],
        }).id
        ana = create_customer(s, {
            "name": "Ana Ruiz", "phone": "+5491166660002",
            "addresses": [{"street": "Gorriti", "number": "3400"}],
        }).id
        conversation = Conversation(wa_id=MARTA_WA, phone="+5491166660001",
                                    role=ConversationRole.CUSTOMER, customer_id=marta,
                                    profile_name="Marta", slots={})
        s.add(conversation)
        s.flush()
        conversation_id = conversation.id
    return Shop(pg_db, org_id, carlos, diego, marta, ana, conversation_id)


def _only_text(replies) -> str:
    assert len(replies) == 1 and isinstance(replies[0], Text), replies
    return replies[0].body


def _only_buttons(replies) -> Buttons:
    assert len(replies) == 1 and isinstance(replies[0], Buttons), replies
    return replies[0]


def _slot_id(tech: int, start: datetime) -> str:
    return Slot(start=start, end=start + timedelta(hours=2), technician_id=tech).id


# ---- reschedule ----------------------------------------------------------------------------

def test_reschedule_offers_slots_then_confirms_and_moves_the_job(shop):
    job_id = shop.job()
    offer = _only_buttons(shop.say("reschedule"))

    assert "#" in offer.body and "mañana de 9 a 11" in offer.body
    assert 2 <= len(offer.buttons) <= 3
    assert all(b.id.startswith("resched:slot:") for b in offer.buttons)
    assert all(len(b.title) <= 20 for b in offer.buttons)
    conversation = shop.conversation()
    assert (conversation.flow, conversation.state) == ("reschedule", "slot")
    assert conversation.slots["job_id"] == job_id

    chosen = offer.buttons[0]
    confirm = _only_buttons(shop.say(tapped=chosen.id))
    assert [b.id for b in confirm.buttons] == ["resched:yes", "resched:no"]
    assert [b.title for b in confirm.buttons] == ["Confirmar cambio", "Dejarlo como estaba"]
    assert shop.conversation().state == "confirm"
    assert shop.get(job_id).scheduled_start == TOMORROW_9  # nothing moved yet

    body = _only_text(shop.say(tapped="resched:yes"))
    slot = parse_slot_id(chosen.id.removeprefix("resched:"))
    job = shop.get(job_id)
    assert job.scheduled_start == slot.start and job.technician_id == slot.technician_id
    assert job.status is JobStatus.SCHEDULED
    assert body.startswith("¡Listo!") and f"#{job.number}" in body
    assert visit_phrase(slot.start, slot.end, NOW.date()) in body
    assert [e.actor for e in shop.events(job_id, "rescheduled")] == [f"whatsapp:{MARTA_WA}"]
    conversation = shop.conversation()
    assert conversation.flow is None and conversation.slots == {}


def test_reschedule_honours_the_day_and_window_asked(shop):
    shop.job()
    asked = Extraction(intent="reschedule", date="2026-11-27", window="afternoon")
    offer = _only_buttons(shop.say("reschedule", result=asked))
    starts = [parse_slot_id(b.id.removeprefix("resched:"), time_zone=str(BA)).start
              for b in offer.buttons]
    assert starts and all(s.date() == FRIDAY_14.date() and 12 <= s.hour < 18 for s in starts)


@pytest.mark.parametrize("text", [
    "che al final el jueves no puedo, ¿puede ser otro día a la tarde?",
    "no voy a estar el jueves, pasalo para otro día a la tarde porfa",
])
def test_a_reschedule_never_offers_the_day_ruled_out(shop, text):
    shop.job()  # tomorrow, Thursday 26/11 at 9
    # what the extraction gives for these: the day named, which is the one ruled out
    asked = Extraction(intent="reschedule", date="2026-11-26", window="afternoon")
    offer = _only_buttons(shop.say("reschedule", result=asked, text=text))
    starts = [parse_slot_id(b.id.removeprefix("resched:"), time_zone=str(BA)).start
              for b in offer.buttons]
    assert len(starts) == 3
    assert all(s.date() != TOMORROW_9.date() and 12 <= s.hour < 18 for s in starts), starts


def test_a_reschedule_to_another_time_the_same_day_offers_that_day(shop):
    shop.job()
    text = "el jueves a la mañana no puedo, ¿puede ser el jueves a la tarde?"
    asked = Extraction(intent="reschedule", date="2026-11-26", window="afternoon")
    offer = _only_buttons(shop.say("reschedule", result=asked, text=text))
    starts = [parse_slot_id(b.id.removeprefix("resched:"), time_zone=str(BA)).start
              for b in offer.buttons]
    assert starts and all(s.date() == TOMORROW_9.date() and 12 <= s.hour < 18 for s in starts)


@pytest.mark.parametrize(("text", "day"), [
    ("mañana hasta las 11 no hay nadie en casa eh", "2026-11-26"),   # the day named, ruled out
    ("no estoy hasta las 11, pueden venir más tarde?", None),          # no day: the visit's own
])
def test_a_reschedule_from_an_hour_on_offers_that_day_from_then(shop, text, day):
    shop.job()  # tomorrow, Thursday 26/11 at 9
    asked = Extraction(intent="reschedule", date=day)
    offer = _only_buttons(shop.say("reschedule", result=asked, text=text))
    starts = [parse_slot_id(b.id.removeprefix("resched:"), time_zone=str(BA)).start
              for b in offer.buttons]
    assert starts and starts[0].date() == TOMORROW_9.date() and starts[0].hour >= 11, starts


def test_reschedule_to_another_technicians_slot_reassigns_the_job(shop):
    job_id = shop.job()
    shop.say("reschedule")
    _only_buttons(shop.say(tapped=f"resched:{_slot_id(shop.diego, FRIDAY_14)}"))
    body = _only_text(shop.say(tapped="resched:yes"))

    job = shop.get(job_id)
    assert job.technician_id == shop.diego and job.scheduled_start == FRIDAY_14
    assert "el viernes 27/11 de 14 a 16" in body
    assert shop.events(job_id, "assigned")[-1].data == {"from": shop.carlos, "to": shop.diego}


def test_reschedule_typed_day_gets_a_new_offer_and_typed_yes_confirms(shop):
    job_id = shop.job()
    shop.say("reschedule")
    offer = _only_buttons(shop.say(None, result=Extraction(date="2026-11-27"), text="el viernes"))
    assert all("27/11" in b.title for b in offer.buttons)
    shop.say(tapped=offer.buttons[0].id)
    body = _only_text(shop.say(None, text="Sí, dale"))
    assert body.startswith("¡Listo!") and shop.get(job_id).scheduled_start.date().day == 27


def test_reschedule_kept_as_it_was(shop):
    job_id = shop.job()
    offer = _only_buttons(shop.say("reschedule"))
    shop.say(tapped=offer.buttons[0].id)
    body = _only_text(shop.say(tapped="resched:no"))
    assert "lo dejamos como estaba" in body and "mañana de 9 a 11" in body
    assert shop.get(job_id).scheduled_start == TOMORROW_9
    assert shop.conversation().flow is None


def test_reschedule_slot_taken_meanwhile_offers_again(shop):
    shop.job()
    shop.say("reschedule")
    shop.job(FRIDAY_14, customer=shop.ana, tech=shop.diego)  # someone else got it
    again = _only_buttons(shop.say(tapped=f"resched:{_slot_id(shop.diego, FRIDAY_14)}"))
    assert "se acaba de ocupar" in again.body
    assert shop.conversation().state == "slot"


def test_reschedule_slot_taken_before_yes_is_not_booked(shop):
    job_id = shop.job()
    shop.say("reschedule")
    shop.say(tapped=f"resched:{_slot_id(shop.diego, FRIDAY_14)}")
    shop.job(FRIDAY_14, customer=shop.ana, tech=shop.diego)
    again = _only_buttons(shop.say(tapped="resched:yes"))
    assert "se acaba de ocupar" in again.body
    assert shop.get(job_id).scheduled_start == TOMORROW_9


def test_reschedule_without_an_open_job(shop):
    shop.job(status=JobStatus.COMPLETED)
    body = _only_text(shop.say("reschedule"))
    assert "No encuentro un trabajo para cambiar" in body
    assert shop.conversation().flow is None


def test_reschedule_while_en_route_goes_to_a_person(shop):
    job_id = shop.job(status=JobStatus.EN_ROUTE)
    body = _only_text(shop.say("reschedule"))
    assert "en camino" in body and "te llama" in body
    assert shop.conversation().needs_person is True
    assert shop.get(job_id).status is JobStatus.EN_ROUTE


def test_reschedule_stale_and_garbled_answers(shop):
    assert "ya venció" in _only_text(shop.say(tapped="resched:yes"))
    shop.job()
    shop.say("reschedule")
    retry = _only_buttons(shop.say(None, text="qué sé yo"))
    assert retry.body.startswith("Tocá uno de estos horarios")
    body = _only_text(shop.say(None, text="mmm"))
    assert "una persona" in body
    conversation = shop.conversation()
    assert conversation.needs_person is True and conversation.flow == "handover"  # the bot waits for the person


# ---- cancel --------------------------------------------------------------------------------

def test_cancel_asks_then_cancels(shop):
    job_id = shop.job()
    question = _only_buttons(shop.say("cancel"))
    assert [(b.id, b.title) for b in question.buttons] == [("cancel:yes", "Sí, cancelar"),
                                                           ("cancel:no", "No")]
    assert "mañana de 9 a 11" in question.body
    assert shop.get(job_id).status is JobStatus.SCHEDULED

    body = _only_text(shop.say(tapped="cancel:yes"))
    job = shop.get(job_id)
    assert job.status is JobStatus.CANCELLED and f"#{job.number}" in body
    event = shop.events(job_id, "status")[-1]
    assert event.to_status is JobStatus.CANCELLED
    assert event.note == "cancelado por el cliente por WhatsApp"
    assert event.actor == f"whatsapp:{MARTA_WA}"
    assert shop.conversation().flow is None


def test_cancel_no_keeps_the_job(shop):
    job_id = shop.job()
    shop.say("cancel")
    body = _only_text(shop.say(tapped="cancel:no"))
    assert "sigue en pie" in body
    assert shop.get(job_id).status is JobStatus.SCHEDULED


def test_cancel_typed_yes_even_when_read_as_cancel_again(shop):
    job_id = shop.job()
    shop.say("cancel")
    _only_text(shop.say("cancel", text="sí, cancelalo"))
    assert shop.get(job_id).status is JobStatus.CANCELLED


def test_cancel_refused_on_site_and_without_a_job(shop):
    assert "No encuentro un trabajo abierto para cancelar" in _only_text(shop.say("cancel"))
    job_id = shop.job(status=JobStatus.ON_SITE)
    body = _only_text(shop.say("cancel"))
    assert "en tu casa" in body and "te llama" in body
    assert shop.get(job_id).status is JobStatus.ON_SITE
    assert shop.conversation().needs_person is True


def test_cancel_refused_when_the_technician_left_meanwhile(shop):
    job_id = shop.job()
    shop.say("cancel")
    with shop.db.org_session(shop.org_id) as s:
        jobs.transition(s, job_id, JobStatus.EN_ROUTE, "user:1")
    body = _only_text(shop.say(tapped="cancel:yes"))
    assert "te llama" in body and shop.get(job_id).status is JobStatus.EN_ROUTE


def test_cancel_tap_without_the_question_is_stale(shop):
    job_id = shop.job()
    assert "ya venció" in _only_text(shop.say(tapped="cancel:yes"))
    assert shop.get(job_id).status is JobStatus.SCHEDULED


# ---- invoice -------------------------------------------------------------------------------

def _invoice(shop: Shop, job_id: int | None, **fields) -> int:
    with shop.db.org_session(shop.org_id) as s:
        values = {"status": InvoiceStatus.AUTHORIZED, "letter": "B", "number": 123,
                  "total": Decimal(15000), **fields}
        invoice = Invoice(job_id=job_id, customer_id=shop.marta, punto_de_venta=3, **values)
        s.add(invoice)
        s.flush()
        return invoice.id


def test_invoice_none_yet(shop):
    _invoice(shop, None, status=InvoiceStatus.DRAFT)
    body = _only_text(shop.say("invoice_request"))
    assert body.startswith("Todavía no tenemos una factura emitida a tu nombre")


def test_invoice_pdf_goes_as_a_document_with_its_number_and_total(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    _invoice(shop, None, number=100, total=Decimal(900))
    newest = _invoice(shop, job_id)
    replies = shop.say("invoice_request")
    assert len(replies) == 1 and isinstance(replies[0], Document)
    number = shop.get(job_id).number
    assert f"la factura B 0003-00000123 del trabajo #{number}, por $15.000" in replies[0].caption
    assert replies[0].filename == "factura-B-0003-00000123.pdf"
    org_id, invoice_id = invoice_links.read_token(
        get_settings(), replies[0].link.rsplit("/i/", 1)[1].removesuffix(".pdf"))
    assert (org_id, invoice_id) == (shop.org_id, newest)


def test_invoice_internal_receipt_and_one_being_issued(shop):
    _invoice(shop, None, status=InvoiceStatus.INTERNAL, letter=None, number=45)
    receipt = shop.say("invoice_request")[0]
    assert isinstance(receipt, Document) and "el recibo 0003-00000045, por $15.000" in receipt.caption
    _invoice(shop, None, status=InvoiceStatus.PENDING, number=None, total=Decimal(2500))
    body = _only_text(shop.say("invoice_request"))
    assert "por $2.500 se está emitiendo" in body and "apenas esté" in body


# ---- payment -------------------------------------------------------------------------------

def test_payment_without_options_yet(shop):
    with shop.db.org_session(shop.org_id) as s:
        assert payment_options(s, s.get(Customer, shop.marta)) is None
    body = _only_text(shop.say("payment"))
    # cash to the technician is always taken; the transfer details come with the invoice
    assert "en efectivo al técnico" in body and "te paso los datos apenas estén" in body


def test_payment_with_the_open_invoice_link_and_transfer_details(shop):
    with shop.db.org_session(shop.org_id) as s:
        org = s.get(Organization, shop.org_id)
        org.transfer_alias, org.transfer_holder = "plomeria.ramos", "Juan Ramos"
    _invoice(shop, None, payment_link="https://mpago.la/abc",
             payment_link_expires_at=utcnow() + timedelta(days=3))
    replies = shop.say("payment")
    body = _only_text(replies)
    assert "$15.000" in body and "https://mpago.la/abc" in body
    assert "alias plomeria.ramos, a nombre de Juan Ramos" in body
    assert replies[0].preview_url is True


def test_payment_with_an_expired_link_offers_the_transfer_only(shop):
    with shop.db.org_session(shop.org_id) as s:
        s.get(Organization, shop.org_id).transfer_alias = "plomeria.ramos"
    _invoice(shop, None, payment_link="https://mpago.la/old",
             payment_link_expires_at=utcnow() - timedelta(hours=1))
    body = _only_text(shop.say("payment"))
    assert "mpago.la" not in body and "alias plomeria.ramos" in body


# ---- rating --------------------------------------------------------------------------------

def _ask(shop: Shop, job_id: int) -> ListMessage:
    with shop.db.org_session(shop.org_id) as s:
        replies = customer_rating.ask_rating(s.get(Conversation, shop.conversation_id),
                                           s.get(Job, job_id), NOW)
    assert len(replies) == 1 and isinstance(replies[0], ListMessage)
    return replies[0]


def test_rating_stars_then_comment(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    ask = _ask(shop, job_id)
    rows = [r for section in ask.sections for r in section.rows]
    assert [r.id for r in rows] == [f"rate:{job_id}:{n}" for n in range(1, 6)]
    assert [r.title for r in rows] == ["⭐" * n for n in range(1, 6)]
    assert "Carlos" in ask.body
    assert (shop.conversation().flow, shop.conversation().state) == ("rating", "stars")

    body = _only_text(shop.say(tapped=f"rate:{job_id}:5"))
    assert "¿Querés contarnos algo más?" in body
    assert [e.data for e in shop.events(job_id, "rating")] == [{"stars": 5}]
    assert shop.conversation().state == "comment"

    body = _only_text(shop.say(None, text="Carlos un genio, súper prolijo"))
    assert body.startswith("¡Gracias por contarnos!")
    [comment] = shop.events(job_id, "rating_comment")
    assert comment.note == "Carlos un genio, súper prolijo" and comment.data == {"stars": 5}
    assert shop.conversation().flow is None


def test_rating_tap_works_without_state_and_a_second_tap_replaces_it(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    shop.say(tapped=f"rate:{job_id}:2")
    body = _only_text(shop.say(tapped=f"rate:{job_id}:4"))
    assert "⭐⭐⭐⭐" in body
    assert [e.data for e in shop.events(job_id, "rating")] == [{"stars": 4}]


def test_rating_typed_number_counts_and_other_text_leaves_the_flow(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    _ask(shop, job_id)
    assert "contarnos algo más" in _only_text(shop.say(None, text="4"))
    assert [e.data for e in shop.events(job_id, "rating")] == [{"stars": 4}]
    other = shop.job(status=JobStatus.COMPLETED)
    _ask(shop, other)
    assert shop.say(None, text="cuánto sale una visita?") == []
    assert shop.conversation().flow is None and shop.events(other, "rating") == []


def test_rating_refused_for_unfinished_or_someone_elses_job(shop):
    open_id = shop.job()
    anas = shop.job(customer=shop.ana, status=JobStatus.COMPLETED)
    for tapped in (f"rate:{open_id}:5", f"rate:{anas}:5", "rate:999999:5"):
        assert "No encuentro ese trabajo para calificar" in _only_text(shop.say(tapped=tapped))
    assert shop.events(open_id, "rating") == [] and shop.events(anas, "rating") == []


def test_rating_comment_state_lets_a_new_request_through(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    shop.say(tapped=f"rate:{job_id}:3")
    assert shop.say(None, result=Extraction(intent="new_job"), text="se rompió el calefón") == []
    assert shop.events(job_id, "rating_comment") == []
    assert shop.conversation().flow is None


def test_rating_does_not_take_over_a_booking_in_progress(shop):
    job_id = shop.job(status=JobStatus.COMPLETED)
    with shop.db.org_session(shop.org_id) as s:
        conversation = s.get(Conversation, shop.conversation_id)
        conversation.flow, conversation.state = "booking", "address"
    _ask(shop, job_id)
    body = _only_text(shop.say(tapped=f"rate:{job_id}:5"))
    assert "contarnos algo más" not in body
    assert shop.conversation().flow == "booking"


# ---- not for here --------------------------------------------------------------------------

def test_other_intents_and_other_roles_are_not_answered(shop):
    shop.job()
    assert shop.say("new_job") == []
    assert shop.say(None, text="hola") == []  # no flow of ours going on
    with shop.db.org_session(shop.org_id) as s:
        s.get(Conversation, shop.conversation_id).role = ConversationRole.TECHNICIAN
    assert shop.say("cancel") == []


@pytest.mark.parametrize(("said", "stars"), [
    ("3", 3), ("les pongo un 2", 2), ("le doy 4 estrellas", 4), ("cinco estrellas", 5),
    ("le pondria un 3", 3),
    # no stars: hours, money, a count
    ("llego 2 horas tarde", None), ("le doy 2 mil de propina", None), ("son 3 canillas", None),
])
def test_stars_said_in_words(said, stars):
    from flows.customer_rating import stars_said

    found = stars_said(said)
    assert (found[0] if found else None) == stars
