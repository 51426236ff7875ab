"""Which owner questions are about the team (the rule behind flows/owner_team.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.es_ar import folded
from flows import owner
from nlu.extract import extract
from nlu.extract.message_kinds import asks_about_team, asks_how_a_stretch_goes

NAMES = ("carlos", "diego")


@pytest.mark.parametrize("text", [
    "¿quién está de guardia?",
    "a quien le toca la guardia este finde",
    "¿dónde anda Carlos?",
    "por donde esta diego ahora",
    "cómo vienen los chicos hoy?",
    "qué tal va el equipo",
    "quiénes están trabajando ahora",
    "hay algún técnico libre?",
    "pasame el cel de Diego",
    "carlos ya llegó a lo de Marta?",
])
def test_questions_about_the_team(text):
    assert asks_about_team(folded(text), NAMES)


@pytest.mark.parametrize("text", [
    "quién me debe?",
    "quién me debe plata",
    "pasame el resumen",
    "cuánto facturamos este mes",
    "dónde está la plata de lo de Marta?",
    "anotá que tengo que comprar teflón",
    "el número de la ART cuál es?",
    "gracias",
])
def test_questions_about_money_or_nothing_are_not(text):
    assert not asks_about_team(folded(text), NAMES)


# ---- one technician's week, whatever the day -------------------------------------------------

def test_one_technicians_week_asked_on_a_sunday_is_their_agenda_not_the_teams_day(pg_db, pg_settings):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.models import Conversation, ConversationRole, Organization
    from flows import owner_team
    from flows.turn import Turn
    from nlu.extract import extract
    from tests.factories import add_technician, create_org

    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    add_technician(pg_db, org_id, "Carlos Pereyra", "+5491162345678")
    # a Sunday just past midnight: only that day is left of "esta semana", so the week that
    # starts is the one meant
    sunday = datetime(2026, 12, 6, 0, 15, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))
    text = "cuántos trabajos tiene Carlos esta semana?"
    with pg_db.org_session(org_id) as s:
        conversation = Conversation(wa_id="5491155550100", phone="+5491155550100",
                                    role=ConversationRole.OWNER, slots={})
        s.add(conversation)
        s.flush()
        turn = Turn(session=s, conversation=conversation, org=s.get(Organization, org_id),
                    now=sunday, settings=pg_settings, text=text,
                    result=extract(text, "owner", sunday), tap=None, user=None,
                    notify=lambda wa_id, reply: None)
        replies = owner_team.handle(turn)
    assert len(replies) == 1
    # his agenda for it, not the team's day (nor his Sunday alone)
    assert replies[0].body.startswith("🗓️ Agenda de Carlos para la semana que arranca (7/12 al 13/12)"), \
        replies[0].body
    assert "Carlos no tiene visitas agendadas" in replies[0].body


@pytest.mark.parametrize(("text", "money"), [
    ("cuanta guita entró este mes?", True), ("¿cuánto facturamos la semana pasada?", True),
    ("cuánto cobramos hoy", True), ("cómo venimos de plata en noviembre", True),
    ("resumen del mes", False), ("¿cuántos trabajos hicimos esta semana?", False),
    ("cómo viene la semana?", False),
])
def test_whether_the_owner_asks_about_money(text, money):
    assert owner.asks_money(text) is money


@pytest.mark.parametrize(("text", "asks"), [
    ("buenas, cómo viene la semana?", True), ("hola! como pinta mañana", True),
    ("buen día, mucho laburo hoy?", True), ("viene cargada la semana?", True),
    ("buenas, cómo arrancamos el lunes", True), ("hola, ¿cómo cerró noviembre?", True),
    # small talk: no stretch of the business's time
    ("buenas, ¿cómo viene todo?", False), ("hola, cómo andás?", False), ("qué tal, cómo va?", False),
    ("hola que tal el día de hoy para vos", False), ("buenas, cómo va tu semana?", False),
])
def test_a_greeting_that_asks_how_a_stretch_goes(text, asks):
    assert asks_how_a_stretch_goes(folded(text)) is asks


@pytest.mark.parametrize("text", ["buenas, como viene la semana?", "hola! como pinta mañana?",
                                  "buen dia, mucho laburo hoy?"])
def test_the_owner_greeting_that_asks_about_the_week_reads_as_a_summary(text):
    now = datetime.fromisoformat("2026-12-06T10:00:00-03:00")
    assert extract(text, "owner", now).intent == "owner_summary"
    assert extract("buenas, ¿cómo viene todo?", "owner", now).intent == "greeting"


@pytest.mark.parametrize(("text", "today", "label"), [
    ("qué tenemos esta semana?", "2026-12-09", "esta semana"),        # a Wednesday: the rest of it
    ("qué tenemos esta semana?", "2026-12-06", "la semana que arranca"),  # a Sunday: the next
    ("qué hay agendado esta semana", "2026-12-09", "esta semana"),
    ("cuánto facturamos esta semana?", "2026-12-09", None),          # figures, not visits
    ("cómo venimos esta semana?", "2026-12-09", None),
    ("buenas, cómo viene la semana?", "2026-12-06", "la semana que arranca"),  # Sunday: what starts
    ("buenas, cómo viene la semana?", "2026-12-09", None),  # a Wednesday: this week's figures
    ("cuántos trabajos hicimos esta semana?", "2026-12-09", None),
])
def test_the_owners_week_ahead_or_its_figures(text, today, label):
    from datetime import date
    from types import SimpleNamespace

    from nlu.schema import Extraction

    turn = SimpleNamespace(text=text, today=date.fromisoformat(today), result=Extraction())
    ahead = owner.stretch_ahead(turn)
    assert (ahead.label if ahead else None) == label
