"""A technician's WhatsApp updates, acted on: agenda, on the way, arrived, done, follow-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select

from core import jobs
from core.billing.price_book import create_item
from core.customers import create_customer
from core.jobs.work_summary import Line, WorkSummary
from core.messaging.replies import Buttons, ListMessage, Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Job,
    JobEvent,
    JobStatus,
    Organization,
    User,
)
from flows import technician, technician_close
from flows.buttons import decode
from flows.turn import Turn
from nlu.extract import extract
from nlu.schema import Extraction
from tests.factories import add_technician, create_org
from tests.flows.shop import BA, MARTA_WA, NOW, ShopReads, walk_to

TODAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=BA)
TODAY_15 = datetime(2026, 11, 25, 15, 0, tzinfo=BA)
TOMORROW_8 = datetime(2026, 11, 26, 8, 0, tzinfo=BA)
TECH_WA = "5491162345678"
ANA_WA = "5491166660002"


@dataclass
class Shop(ShopReads):
    db: object
    settings: object
    org_id: int
    carlos: int
    diego: int
    conversation_id: int
    customers: dict[str, int]
    sent: list = field(default_factory=list)

    def job(self, customer: str, start: datetime | None, *, tech: int | None = None,
            status: JobStatus = JobStatus.SCHEDULED, description: str = "",
            urgency: str = "normal") -> int:
        with self.db.org_session(self.org_id) as s:
            customer_id = self.customers[customer]
            address = s.get(Customer, customer_id).addresses[0]
            job = jobs.create_job(s, {
                "customer_id": customer_id, "service": "plumbing", "address_id": address.id,
                "technician_id": tech or self.carlos, "scheduled_start": start,
                "description": description, "urgency": urgency,
            })
            walk_to(s, job.id, status)
            return job.id

    def say(self, text: str, *, tapped: str | None = None, result: Extraction | None = None,
            now: datetime = NOW):
        """The technician's burst through the flow, in its own transaction."""
        if result is None:
            result = Extraction() if tapped else extract(text, "technician", now)
        with self.db.org_session(self.org_id) as s:
            return technician.handle(self.turn(s, text, result, tapped, now=now))

    def turn(self, s, text: str, result: Extraction, tapped: str | None,
             conversation_id: int | None = None, now: datetime = NOW) -> Turn:
        conversation = s.get(Conversation, conversation_id or self.conversation_id)
        org = s.get(Organization, self.org_id)
        return Turn(session=s, conversation=conversation, org=org, now=now,
                    settings=self.settings, text=text, result=result, tap=decode(tapped),
                    user=s.get(User, conversation.user_id) if conversation.user_id else None,
                    notify=lambda wa_id, reply: self.sent.append((wa_id, reply)))


@pytest.fixture
def shop(pg_db, pg_settings) -> Shop:
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    carlos = add_technician(pg_db, org_id, "Carlos Pereyra", "+5491162345678")
    diego = add_technician(pg_db, org_id, "Diego Acosta", "+5491171234567")
    with pg_db.org_session(org_id) as s:
        customers = {
            "garcia": create_customer(s, {
                "name": "Marta García", "phone": "+5491166660001",
                "addresses": [{"street": "Av. Rivadavia", "number": "1234", "locality": "CABA"}],
            }).id,
            "ruiz": create_customer(s, {
                "name": "Ana Ruiz", "phone": "+5491166660002",
                "addresses": [{"street": "Gorriti", "number": "3400", "unit": "2° B",
                               "locality": "Palermo"}],
            }).id,
            "fernandez": create_customer(s, {
                "name": "Jorge Fernández",
                "addresses": [{"street": "Corrientes", "number": "500"}],
            }).id,
        }
        conversation = Conversation(wa_id=TECH_WA, phone="+5491162345678",
                                    role=ConversationRole.TECHNICIAN, user_id=carlos,
                                    profile_name="Carlos", slots={})
        s.add(conversation)
        s.flush()
        conversation_id = conversation.id
    return Shop(pg_db, pg_settings, org_id, carlos, diego, conversation_id, customers)


def _only_text(replies) -> str:
    assert len(replies) == 1 and isinstance(replies[0], Text), replies
    return replies[0].body


# ---- agenda --------------------------------------------------------------------------------

def test_agenda_lists_todays_jobs_in_order_with_maps_links(shop):
    ruiz = shop.job("ruiz", TODAY_15, description="Pierde agua el termotanque")
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.EN_ROUTE)
    shop.job("fernandez", TOMORROW_8)  # tomorrow: not today's agenda
    shop.job("garcia", TODAY_NOON - timedelta(hours=3), status=JobStatus.COMPLETED)  # done
    shop.job("ruiz", TODAY_NOON, tech=shop.diego)  # someone else's

    body = _only_text(shop.say("qué tengo hoy"))

    assert body.startswith("📋 Esto tenés hoy:")
    assert body.index("12:00 · Marta García") < body.index("15:00 · Ana Ruiz")
    assert body.count("📍") == 2 and "Jorge" not in body and "9:00" not in body
    assert ("https://www.google.com/maps/search/?api=1&query="
            + quote_plus("Av. Rivadavia 1234, CABA")) in body
    # the map gets the locality and the country, never the unit
    assert quote_plus("Gorriti 3400, Palermo, Argentina") in body
    assert "Gorriti 3400, 2° B, Palermo · Plomería — Pierde agua el termotanque" in body
    assert f"(#{shop.get(garcia).number}) · en camino" in body
    assert f"(#{shop.get(ruiz).number})" in body


def test_agenda_for_another_day_and_an_empty_day(shop):
    shop.job("fernandez", TOMORROW_8)
    assert "No tenés nada agendado hoy" in _only_text(shop.say("qué tengo hoy"))
    tomorrow = _only_text(shop.say("qué tengo mañana"))
    assert tomorrow.startswith("📋 Esto tenés mañana:") and "8:00 · Jorge Fernández" in tomorrow


def test_agenda_for_the_week(shop):
    shop.job("ruiz", TODAY_15)
    shop.job("fernandez", TOMORROW_8)
    shop.job("garcia", TOMORROW_8 + timedelta(days=4, hours=1))  # next Monday, 9:00
    # before: "No tenés nada agendado hoy", whatever the week held
    week = _only_text(shop.say("qué tengo esta semana?"))
    assert week.startswith("📋 Esto tenés esta semana (25/11 al 29/11):"), week
    assert week.index("Miércoles 25/11 15:00 · Ana Ruiz") < week.index("Jueves 26/11 8:00 · Jorge Fernández")
    assert "García" not in week
    coming = _only_text(shop.say("y la semana que viene?"))
    assert coming.startswith("📋 Esto tenés la semana que viene (30/11 al 6/12):")
    assert "Lunes 30/11 9:00 · Marta García" in coming and "Ruiz" not in coming
    # on a Sunday only that day is left of "esta semana": the week that starts is meant
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=BA)
    assert "Lunes 30/11 9:00 · Marta García" in _only_text(shop.say("que tengo esta semana", now=sunday))
    assert "No tenés nada agendado la semana que viene (7/12 al 13/12)" in _only_text(
        shop.say("y la próxima semana?", now=sunday + timedelta(days=1)))


def test_lateness_told_ahead_reaches_the_customer_and_moves_nothing(shop):
    job_id = shop.job("garcia", TOMORROW_8)
    shop.job("ruiz", TOMORROW_8 + timedelta(hours=4))
    # before: "Ojo: lo de Marta es mañana a las 8:00, no hoy. Si vas igual, tocalo"
    body = _only_text(shop.say("mañana voy a llegar tarde al primero, tipo 9 y media"))
    number = shop.get(job_id).number
    assert body.startswith(f"Dale 👍 Le avisé a Marta que mañana llegás tipo 9:30 (la visita #{number} "
                           "estaba de 8 a 10)"), body
    [(wa_id, told)] = shop.sent
    assert wa_id == MARTA_WA and "Carlos te avisa que mañana llega tipo 9:30" in told.body
    job = shop.get(job_id)
    assert job.status is JobStatus.SCHEDULED and job.scheduled_start == TOMORROW_8
    with shop.db.org_session(shop.org_id) as s:
        [note] = s.query(JobEvent).filter_by(job_id=job_id, kind="note").all()
        assert "llega tipo 9:30" in note.note


def test_a_late_start_today_warns_the_first_customer_and_starts_no_visit(shop):
    first = shop.job("garcia", TODAY_NOON)
    later = shop.job("ruiz", TODAY_15)
    # before: "¿A cuál vas?", a list, and then whichever row was tapped put "en camino"
    body = _only_text(shop.say("buen dia, hoy arranco tarde, se me rompio la camioneta. "
                               "calculo q salgo en 2 horas"))
    number = shop.get(first).number
    assert body.startswith(f"Dale 👍 Le avisé a Marta que hoy llegás después de las 12 (la visita "
                           f"#{number} estaba de 12 a 14)"), body
    [(wa_id, told)] = shop.sent
    assert wa_id == MARTA_WA and "Carlos te avisa que hoy llega después de las 12" in told.body
    assert shop.get(first).status is JobStatus.SCHEDULED
    assert shop.get(later).status is JobStatus.SCHEDULED
    # read as no arrival at all, the minutes still count (the extraction gives them with one only)
    said = "hoy arranco tarde, salgo en una hora y media"
    body = _only_text(shop.say(said, result=Extraction(intent="other", date=NOW.date().isoformat())))
    assert "Marta que hoy llegás después de las 11:30" in body, body
    # late by, to the first one said in words
    body = _only_text(shop.say("avisale a la primera q llego como 2 horas tarde, q me disculpe"))
    assert "Marta que hoy llegás unas 2 horas más tarde" in body, body
    # on the way already: the arrival time of that visit changes, no heads-up
    shop.say("salgo para lo de garcia, llego en 20")
    assert shop.get(first).status is JobStatus.EN_ROUTE
    body = _only_text(shop.say("hay mucho transito, voy a llegar 20 minutos mas tarde"))
    assert "hoy llegás" not in body, body


def test_which_job_is_answered_by_its_place_in_the_list(shop):
    shop.job("garcia", TODAY_NOON)
    later = shop.job("ruiz", TODAY_15)
    [asked] = shop.say("voy para allá")
    assert asked.body.startswith("¿A cuál vas?"), asked.body
    # before: the list again
    body = _only_text(shop.say("la segunda"))
    assert shop.get(later).status is JobStatus.EN_ROUTE, body


def test_lateness_ahead_for_a_customer_without_a_phone_goes_to_the_office(shop):
    shop.job("fernandez", TOMORROW_8)
    body = _only_text(shop.say("mañana llego más tarde a lo de fernandez"))
    assert "No tengo el número de Jorge" in body and "un rato más tarde" in body, body
    assert shop.sent == []  # no owner in this shop's team to tell; the customer has no phone
    # "voy para lo de Fernández" without a day still asks first: his visit is tomorrow
    [asked] = shop.say("voy para lo de fernandez")
    assert "no hoy" in asked.body


def test_a_jobs_phone_and_address_asked_by_its_customer(shop):
    shop.job("ruiz", TODAY_15)
    shop.job("fernandez", TOMORROW_8)

    body = _only_text(shop.say("pasame el teléfono de Ana Ruiz"))
    # before: read as the day's agenda
    assert body.startswith("📇 #1 · Ana Ruiz") and "📞 +54 9 11 6666-0002" in body, body
    assert "📍 Gorriti 3400, 2° B, Palermo" in body and "Jorge" not in body
    body = _only_text(shop.say("cual era la direccion de lo de fernandez?"))
    assert body.startswith("📇 #2 · Jorge Fernández") and "mañana a las 8" in body, body
    assert "📍 Corrientes 500" in body and "📞" not in body  # no phone on file
    assert "Esto tenés hoy" in _only_text(shop.say("qué tengo hoy?"))
    assert _only_text(shop.say("pasame el cel del cliente")).startswith("📇 #1 · Ana Ruiz")
    # someone else's phone is a question for the office, not a job's card
    assert "📇" not in " ".join(r.body for r in shop.say("necesito el teléfono de la ART"))


# ---- cannot go -----------------------------------------------------------------------------

def test_the_day_a_technician_cannot_make_is_not_the_day_the_visit_moves_to(shop):
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=BA)
    garcia = shop.job("garcia", friday)

    body = _only_text(shop.say("el viernes no voy a poder ir a lo de García, tengo turno con el médico"))

    # before: "Pasé el #1 al viernes 27/11 a las 8" (the same day, earlier) and Marta told so
    assert "queda sin fecha" in body and "viernes" not in body, body
    assert shop.get(garcia).status == JobStatus.PENDING
    ruiz = shop.job("ruiz", friday)
    body = _only_text(shop.say("el viernes no llego a lo de Ruiz, lo paso para el lunes"))
    job = shop.get(ruiz)
    assert job.status == JobStatus.SCHEDULED and "lunes" in body, body
    assert job.scheduled_start.astimezone(BA).date() == datetime(2026, 11, 30).date()


# ---- on the way, arrived -------------------------------------------------------------------

def test_on_the_way_past_midnight_is_tonights_visit_a_later_one_is_asked(shop):
    late = datetime(2026, 11, 25, 23, 15, tzinfo=BA)
    tonight = shop.job("garcia", datetime(2026, 11, 26, 0, 0, tzinfo=BA))

    body = _only_text(shop.say("voy para lo de García, llego en 20", now=late))

    assert body == "Listo, le aviso a Marta que llegás en 20 min 🚐"
    assert shop.get(tonight).status == JobStatus.EN_ROUTE
    # tomorrow morning's visit is another day's: the technician confirms it first
    shop.job("ruiz", TOMORROW_8)
    replies = shop.say("voy para lo de Ruiz", now=late)
    assert len(replies) == 1 and isinstance(replies[0], ListMessage)
    assert "Ojo: lo de Ana" in replies[0].body and "mañana a las 8:00, no hoy" in replies[0].body


def test_on_the_way_to_one_job_moves_it_and_tells_the_customer(shop):
    garcia = shop.job("garcia", TODAY_NOON)
    shop.job("ruiz", TODAY_15)

    body = _only_text(shop.say("voy para lo de García, llego en 20"))

    assert body == "Listo, le aviso a Marta que llegás en 20 min 🚐"
    job = shop.get(garcia)
    assert job.status == JobStatus.EN_ROUTE and job.eta_at is not None
    with shop.db.org_session(shop.org_id) as s:
        event = s.scalars(select(JobEvent).where(JobEvent.job_id == garcia)
                          .order_by(JobEvent.id.desc())).first()
        assert event.data == {"eta_minutes": 20} and event.actor == f"whatsapp:{TECH_WA}"
    [(wa_id, message)] = shop.sent
    assert wa_id == MARTA_WA
    assert message.body.startswith(
        "¡Hola, Marta! 👋 Carlos va en camino, llega en unos 20 minutos. Seguilo acá: ")
    assert "/t/" in message.body


def test_an_arrival_said_as_the_hour_is_told_as_that_hour(shop):
    # "llego tipo 17" is five o'clock, not 17 minutes (before: "llega en unos 17 minutos")
    garcia = shop.job("garcia", NOW)

    body = _only_text(shop.say("ya salí para lo de García, llego tipo 11"))

    assert body == "Listo, le aviso a Marta que llegás tipo 11 hs 🚐"
    job = shop.get(garcia)
    assert job.status == JobStatus.EN_ROUTE
    with shop.db.org_session(shop.org_id) as s:
        event = s.scalars(select(JobEvent).where(JobEvent.job_id == garcia)
                          .order_by(JobEvent.id.desc())).first()
        assert event.data == {"eta_minutes": 60}
    [(wa_id, message)] = shop.sent
    assert message.body.startswith("¡Hola, Marta! 👋 Carlos va en camino, llega tipo 11 hs.")
    # on the way already, a later hour is the new arrival time
    shop.sent.clear()
    body = _only_text(shop.say("decile q al final llego tipo 11 y media, hay mucho transito"))
    assert body == "Listo, le aviso a Marta que llegás tipo 11:30 hs 🚐"
    [(wa_id, message)] = shop.sent
    assert wa_id == MARTA_WA and "llega tipo 11:30 hs" in message.body and "demorado" in message.body


def test_two_open_jobs_ask_which_then_the_tapped_row_acts(shop):
    garcia = shop.job("garcia", TODAY_NOON)
    ruiz = shop.job("ruiz", TODAY_15)

    replies = shop.say("voy en camino")

    [question] = replies
    assert isinstance(question, ListMessage) and question.body.startswith("¿A cuál vas?")
    rows = question.sections[0].rows
    assert [r.id for r in rows] == [f"job:{garcia}:on_the_way", f"job:{ruiz}:on_the_way"]
    assert rows[1].title == f"#{shop.get(ruiz).number} Ana Ruiz"
    assert rows[1].description == "15:00 · Gorriti 3400, 2° B, Palermo"
    assert shop.get(garcia).status == shop.get(ruiz).status == JobStatus.SCHEDULED
    assert shop.sent == []

    body = _only_text(shop.say("#2 Ana Ruiz", tapped=rows[1].id))

    # no minutes said, none promised (the customer hears "va en camino", no "30 minutos")
    assert body == "Listo, le aviso a Ana que vas en camino 🚐"
    assert shop.get(ruiz).status == JobStatus.EN_ROUTE
    assert shop.get(garcia).status == JobStatus.SCHEDULED
    assert [wa for wa, _ in shop.sent] == [ANA_WA]
    told = shop.sent[0][1]
    told = getattr(told, "body", told)
    assert "va en camino." in told and "minutos" not in told
    assert shop.conversation().flow is None


def test_a_customer_without_phone_is_not_notified(shop):
    fernandez = shop.job("fernandez", TODAY_NOON)
    body = _only_text(shop.say("voy para lo de Fernández"))
    assert "no tiene teléfono cargado" in body and shop.sent == []
    assert shop.get(fernandez).status == JobStatus.EN_ROUTE


def test_arrived_picks_the_job_en_route(shop):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.EN_ROUTE)
    ruiz = shop.job("ruiz", TODAY_15)

    body = _only_text(shop.say("llegué"))

    assert body.startswith(f"Perfecto, marqué que llegaste a lo de Marta García "
                           f"(#{shop.get(garcia).number})")
    assert shop.get(garcia).status == JobStatus.ON_SITE
    assert shop.get(ruiz).status == JobStatus.SCHEDULED
    [(wa_id, message)] = shop.sent
    assert wa_id == MARTA_WA and "Carlos ya llegó" in message.body


def test_no_open_job_and_a_job_in_the_wrong_state(shop):
    assert "Decime el número" in _only_text(shop.say("voy para lo de García, llego en 10"))
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    body = _only_text(shop.say("voy para lo de García, llego en 10"))
    assert body.startswith(f"El #{shop.get(garcia).number} de Marta García figura en curso")
    assert shop.get(garcia).status == JobStatus.ON_SITE and shop.sent == []


def test_a_tapped_row_for_someone_elses_job_does_nothing(shop):
    other = shop.job("ruiz", TODAY_NOON, tech=shop.diego)
    assert "No encuentro" in _only_text(shop.say("x", tapped=f"job:{other}:on_the_way:20"))
    assert shop.get(other).status == JobStatus.SCHEDULED


# ---- done ----------------------------------------------------------------------------------

@pytest.fixture
def price_book(shop):
    with shop.db.org_session(shop.org_id) as s:
        for code, name, price in (("PL-FLEX40", "Flexible mallado 40 cm", "8000"),
                                  ("PL-CANILLA", "Canilla monocomando de cocina", "25000")):
            create_item(s, {"code": code, "name": name, "price": Decimal(price)})


DONE = "terminé, cambié el flexible y la canilla, cobrale 15 lucas"


def test_job_done_shows_the_summary_then_confirm_completes_it(shop, price_book):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    number = shop.get(garcia).number

    [summary] = shop.say(DONE)

    assert isinstance(summary, Buttons)
    assert summary.body.startswith(f"Trabajo #{number} — Marta García")
    assert "Flexible mallado 40 cm" in summary.body and "Total: $15.000" in summary.body
    assert [(b.id, b.title) for b in summary.buttons] == [
        (f"done:confirm:{garcia}", "Confirmar"), (f"done:cancel:{garcia}", "Cancelar")]
    conversation = shop.conversation()
    assert (conversation.flow, conversation.state) == ("tech_done", "confirm")
    slots = conversation.slots
    assert slots["job_id"] == garcia and slots["total"] == "15000.00"
    # The stated $15.000 is below the list ($33.000): the lines come down in proportion,
    # never a negative line, and they add up to what the technician said.
    assert [line["description"] for line in slots["lines"]] == [
        "Flexible mallado 40 cm", "Canilla monocomando de cocina"]
    assert [line["amount"] for line in slots["lines"]] == ["3636.36", "11363.64"]
    assert "en proporción" in summary.body
    assert shop.get(garcia).status == JobStatus.ON_SITE and shop.sent == []

    body = _only_text(shop.say("Confirmar", tapped=f"done:confirm:{garcia}"))

    assert body == (f"Listo ✅ Trabajo #{number} terminado. "
                    "Le mandamos la factura a Marta García.")
    job = shop.get(garcia)
    assert job.status == JobStatus.COMPLETED and job.completed_at is not None
    with shop.db.org_session(shop.org_id) as s:
        event = s.scalar(select(JobEvent).where(JobEvent.job_id == garcia,
                                                JobEvent.to_status == JobStatus.COMPLETED))
        assert event.data["work_summary"]["total"] == "15000.00"
        assert len(event.data["work_summary"]["lines"]) == 2
        assert "Flexible mallado 40 cm: $3.636,36" in event.note and "Total: $15.000" in event.note
    [(wa_id, message)] = shop.sent
    assert wa_id == MARTA_WA and message.body.startswith("¡Gracias, Marta! 🙌 Carlos terminó")
    conversation = shop.conversation()
    assert conversation.flow is None and conversation.state is None and conversation.slots == {}
    # A second tap on the old button changes nothing.
    assert "ya no está vigente" in _only_text(
        shop.say("Confirmar", tapped=f"done:confirm:{garcia}"))


def test_done_without_arrived_first_and_a_typed_yes(shop, price_book):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.EN_ROUTE)
    assert isinstance(shop.say(DONE)[0], Buttons)
    assert "terminado" in _only_text(shop.say("dale"))
    assert shop.get(garcia).status == JobStatus.COMPLETED


def test_cancel_clears_the_summary(shop, price_book):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    shop.say(DONE)
    body = _only_text(shop.say("Cancelar", tapped=f"done:cancel:{garcia}"))
    assert body == "Ok, no lo cierro. Decime qué cambio."
    conversation = shop.conversation()
    assert conversation.flow is None and conversation.slots == {}
    assert shop.get(garcia).status == JobStatus.ON_SITE and shop.sent == []


def test_done_with_two_jobs_asks_and_keeps_what_was_said(shop, price_book):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    ruiz = shop.job("ruiz", TODAY_15, status=JobStatus.ON_SITE)
    [question] = shop.say(DONE)
    assert isinstance(question, ListMessage) and question.body.startswith("¿Cuál terminaste?")
    assert [r.id for r in question.sections[0].rows] == [f"job:{garcia}:done", f"job:{ruiz}:done"]
    [summary] = shop.say("#2 Ana Ruiz", tapped=f"job:{ruiz}:done")
    assert isinstance(summary, Buttons) and "Total: $15.000" in summary.body
    assert shop.conversation().slots["job_id"] == ruiz


def test_done_without_amount_nor_prices_asks_how_much(shop):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    body = _only_text(shop.say("terminé, cambié el flexible"))
    assert body.startswith(f"¿Cuánto le cobramos en el #{shop.get(garcia).number}?")
    assert shop.conversation().flow is None


def test_a_long_summary_fits_in_a_whatsapp_body():
    lines = [Line(item_id=n, description=f"Repuesto especial número {n} de la lista larga",
                  quantity=Decimal(1), unit_price=Decimal(1000)) for n in range(60)]
    summary = WorkSummary(lines=lines, unmatched=["algo raro " * 10] * 5,
                          total=Decimal(60000))
    body = technician_close._summary_body(summary, 7, "Marta García")
    assert len(body) <= 1024
    assert "ítems más: $" in body and body.endswith("¿Lo confirmo y le mandamos la factura?")


# ---- could not finish ----------------------------------------------------------------------

@pytest.mark.parametrize(("urgency", "follow_up_urgency"), [
    ("emergency", "urgent"),  # the emergency was met by the first visit: no alarm for the return
    ("urgent", "urgent"), ("normal", "normal"),
])
def test_a_return_visit_is_no_emergency(shop, urgency, follow_up_urgency):
    shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE, urgency=urgency)
    shop.say("no pude terminar, falta una llave de paso, vuelvo mañana")
    with shop.db.org_session(shop.org_id) as s:
        follow_up = s.scalars(select(Job).where(Job.description.like("Seguimiento%"))).one()
        assert follow_up.urgency == follow_up_urgency


def test_cannot_complete_leaves_it_pending_and_books_a_follow_up(shop):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    shop.job("ruiz", TOMORROW_8)  # Carlos is busy tomorrow from 8 to 10
    shop.job("fernandez", TOMORROW_8, tech=shop.diego)
    number = shop.get(garcia).number

    body = _only_text(shop.say("no lo pude terminar, vuelvo mañana con el repuesto"))

    job = shop.get(garcia)
    assert job.status == JobStatus.NEEDS_FOLLOWUP
    with shop.db.org_session(shop.org_id) as s:
        follow_up = s.scalars(select(Job).where(Job.description.like("Seguimiento%"))).one()
        assert follow_up.description == (
            f"Seguimiento de #{number}: no lo pude terminar, vuelvo mañana con el repuesto")
        assert follow_up.status == JobStatus.SCHEDULED
        assert follow_up.scheduled_start == datetime(2026, 11, 26, 10, 0, tzinfo=BA)
        assert (follow_up.customer_id, follow_up.address_id, follow_up.technician_id,
                follow_up.service) == (job.customer_id, job.address_id, shop.carlos, job.service)
        new_number = follow_up.number
        note = s.scalar(select(JobEvent.note).where(
            JobEvent.job_id == garcia, JobEvent.to_status == JobStatus.NEEDS_FOLLOWUP))
        assert note == "no lo pude terminar, vuelvo mañana con el repuesto"
    assert body == (f"Anotado 📝 El #{number} quedó pendiente.\n"
                    f"Armé el #{new_number} para volver el jueves 26/11 a las 10 "
                    "y le aviso a Marta.")
    [(wa_id, message)] = shop.sent
    assert wa_id == MARTA_WA
    assert "Carlos vuelve el jueves 26/11 a las 10 para terminar el trabajo" in message.body


def test_cannot_complete_without_a_day_leaves_the_follow_up_unscheduled(shop):
    garcia = shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    body = _only_text(shop.say("no pude terminar lo de García, falta el repuesto"))
    assert shop.get(garcia).status == JobStatus.NEEDS_FOLLOWUP
    with shop.db.org_session(shop.org_id) as s:
        follow_up = s.scalars(select(Job).where(Job.id != garcia)).one()
        assert follow_up.status == JobStatus.PENDING and follow_up.scheduled_start is None
        assert follow_up.technician_id == shop.carlos
    assert "sin fecha" in body
    [(_, message)] = shop.sent
    assert "te confirmamos el día y horario" in message.body


def test_cannot_complete_on_a_closed_day_says_so(shop):
    shop.job("garcia", TODAY_NOON, status=JobStatus.ON_SITE)
    result = Extraction(intent="tech_cannot_complete", date="2026-11-29",  # a Sunday
                        description="falta el repuesto")
    body = _only_text(shop.say("no pude terminar, vuelvo el domingo", result=result))
    assert "El domingo 29/11 no tenés un hueco libre" in body


# ---- not ours ------------------------------------------------------------------------------

def test_anything_else_is_left_to_the_engine(shop):
    shop.job("garcia", TODAY_NOON)
    assert shop.say("hola, cómo va") == []
    assert shop.say("x", tapped="menu:status") == []
    assert shop.say("¿y cuánto sale?", result=Extraction(intent="owner_summary")) == []
    assert shop.sent == []


def test_a_conversation_without_a_technician_is_left_to_the_engine(shop):
    shop.job("garcia", TODAY_NOON)
    with shop.db.org_session(shop.org_id) as s:
        stranger = Conversation(wa_id="5491100000000", phone="+5491100000000",
                                role=ConversationRole.TECHNICIAN, slots={})
        s.add(stranger)
        s.flush()
        assert technician.handle(shop.turn(s, "voy en camino", Extraction(intent="tech_on_the_way"),
                                           None, stranger.id)) == []


def test_only_days_to_come_are_a_stretch_of_the_agenda():
    from datetime import date

    wednesday = date(2026, 11, 25)
    assert technician.asked_stretch("qué tengo los próximos días?", wednesday).label == "esta semana"
    assert technician.asked_stretch("qué hice la semana pasada?", wednesday) is None
    assert technician.asked_stretch("qué tengo mañana?", wednesday) is None
