"""The owner's "resumen" (of a day, a week, a month or a year), the visits of the days to come
(the team's or one technician's) and "quién me debe", on demand."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from core import es_ar
from core.billing.period_reports import (
    Period,
    asked_ahead,
    asked_period,
    period_summary,
    week_ahead,
)
from core.billing.report_texts import (
    render_agenda_ahead,
    render_period_summary,
    render_summary,
    render_technicians_figures,
    render_unpaid,
)
from core.billing.reports import agenda, daily_summary, stretch_numbers, unpaid, unpaid_total
from core.links import back_office_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import (
    ConversationRole,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobEvent,
    JobStatus,
    Role,
    User,
)
from flows.engine import FlowSpec
from flows.turn import Turn


def handle(turn: Turn) -> list[Reply]:
    if _CUSTOMERS.search(es_ar.folded(turn.text or "")):
        return [Text(_customer_count(turn))]  # "¿cuántos clientes tengo?": not the day's figures
    if _CANCELLED.search(es_ar.folded(turn.text or "")):
        return [Text(_cancelled(turn))]  # "¿cuántas visitas se cancelaron esta semana?"
    if _NOT_INVOICED.search(es_ar.folded(turn.text or "")):
        return [Text(_not_invoiced(turn))]  # "¿qué trabajos terminados tenemos sin facturar?"
    if turn.intent == "owner_summary":
        named = named_technicians(turn)
        if not named and _EACH_ONE.search(es_ar.folded(turn.text or "")):
            named = active_technicians(turn)  # "¿cuántos laburos hizo cada uno esta semana?"
        ahead = stretch_ahead(turn, of_someone=bool(named))
        if ahead is not None:  # "¿qué tenemos la semana que viene?", "¿y el lunes?": visits
            return [agenda_ahead(turn, ahead, named)]
        period = asked_period(turn.text, turn.today)
        money = asks_money(turn.text)
        if named and period is None and _DONE.search(es_ar.folded(turn.text)):
            day = _asked_day(turn)  # "¿qué hizo Carlos ayer?", "¿cuánto cobró Diego hoy?"
            period = Period(day, day, es_ar.day_phrase(day, turn.today, article=True))
        if period is not None and named:  # "¿cuántos trabajos hizo Carlos este mes?": his
            return [Text(_technicians_figures(turn, period, named))]
        if period is not None:  # "este mes", "la semana pasada", "en octubre", "este año"
            summary = period_summary(turn.session, turn.org.id, period)
            return [Text(render_period_summary(summary, money=money))]
        day = _asked_day(turn)
        summary = daily_summary(turn.session, turn.org.id, day)
        return [Text(render_summary(summary, today=turn.today, money=money))]
    debtors = unpaid(turn.session)
    total = unpaid_total(turn.session)
    owed = Text(render_unpaid(debtors, total.total, total.debtors))
    said = es_ar.folded(turn.text or "")
    if _PENDING.search(said) and not asks_money(said) and not _OWED.search(said):
        # "¿qué hay pendiente?": the money owed and the work still to do, not only the money
        return [owed, agenda_ahead(turn, week_ahead(turn.today), [])]
    return [owed]


# "¿qué hay pendiente?", "¿algo pendiente?" (not "¿qué pagos hay pendientes?", money alone)
_PENDING = re.compile(r"\bpendientes?\b")
_OWED = re.compile(r"\b(?:deb\w*|saldos?|pag\w*|deud\w*)\b")


# "¿cuántos clientes tengo?", "¿cuántos clientes nuevos entraron este mes?" (not "¿cuántos
# clientes me deben?", who owes)
_CUSTOMERS = re.compile(r"\bcuant[oa]s\s+clientes\b(?!\s+(?:\w+\s+)?(?:deben|debe|adeudan|pagaron|deudores))")


# visits called off: "¿cuántas se cancelaron esta semana?", "¿hubo cancelaciones hoy?"
_CANCELLED = re.compile(r"\b(?:cancelad[oa]s|(?:se\s+)?cancelaron|cancelaciones|se\s+cancelo)\b")
CANCELLED_LISTED = 10
# work done and not billed: "¿qué tenemos sin facturar?", "¿falta facturar algo?"
_NOT_INVOICED = re.compile(r"\bsin\s+facturar\b|\bfalta(?:n)?\s+facturar\b|\bno\s+(?:se\s+)?(?:facturaron|facturamos|facturad[oa]s)\b"
                           r"|\bpendientes?\s+de\s+factura")
BILLED = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)


def _not_invoiced(turn: Turn) -> str:
    """The work done and not billed: visits closed without an invoice out, invoices still
    waiting (for AFIP, a CUIT) or rejected, and visits a technician finished with the amount to
    come ("el monto te lo paso a la noche")."""
    billed = select(Invoice.job_id).where(Invoice.job_id.is_not(None), Invoice.status.in_(BILLED))
    done = turn.session.scalars(
        select(Job).where(Job.status.in_((JobStatus.COMPLETED, JobStatus.INVOICED)),
                          Job.id.not_in(billed)).order_by(Job.number)).all()
    # the open visits with a note marking the amount to come (read with the notes: one statement)
    noted = turn.session.execute(
        select(Job, JobEvent.data).join(JobEvent, JobEvent.job_id == Job.id)
        .where(Job.status.in_((JobStatus.ON_SITE, JobStatus.EN_ROUTE, JobStatus.SCHEDULED)),
               JobEvent.kind == "note")
        .order_by(Job.number)).all()
    waiting = list({job.id: job for job, data in noted
                    if isinstance(data, dict) and data.get("amount_pending")}.values())

    def line(job: Job, why: str) -> dict:
        return {"number": job.number, "why": why,
                "customer": (job.customer.name if job.customer else None) or "cliente",
                "technician": es_ar.first_name(job.technician.name) if job.technician else None}
    lines = [line(job, "el técnico todavía no pasó el monto") for job in waiting]
    lines += [line(job, "terminado, la factura no salió") for job in done]
    return texts.render("owner_not_invoiced", lines=lines[:CANCELLED_LISTED],
                        more=max(0, len(lines) - CANCELLED_LISTED),
                        link=back_office_link(turn.settings, "invoices"))



def _cancelled(turn: Turn) -> str:
    """The visits called off in the stretch asked (today without one), with who and when they
    were for."""
    period = asked_period(turn.text, turn.today) or Period(turn.today, turn.today, "hoy")
    start = datetime.combine(period.first, datetime.min.time(), tzinfo=turn.zone)
    end = datetime.combine(period.last + timedelta(days=1), datetime.min.time(), tzinfo=turn.zone)
    rows = turn.session.execute(
        select(Job, JobEvent.created_at).join(JobEvent, JobEvent.job_id == Job.id)
        .where(JobEvent.to_status == JobStatus.CANCELLED, JobEvent.created_at >= start,
               JobEvent.created_at < end, Job.status == JobStatus.CANCELLED)
        .order_by(JobEvent.created_at)).all()
    seen, lines = set(), []
    for job, _ in rows:
        if job.id in seen:
            continue
        seen.add(job.id)
        start_at = es_ar.aware(job.scheduled_start).astimezone(turn.zone) if job.scheduled_start else None
        lines.append({"number": job.number,
                      "customer": (job.customer.name if job.customer else None) or "cliente",
                      "when": es_ar.visit_phrase(start_at, None, turn.today) if start_at else None,
                      "technician": es_ar.first_name(job.technician.name) if job.technician else None})
    return texts.render("owner_cancelled", label=period.label, count=len(lines),
                        lines=lines[:CANCELLED_LISTED], more=max(0, len(lines) - CANCELLED_LISTED))


# every technician, one by one: "cada uno", "cada técnico", "por técnico", "cada uno de los chicos"
_EACH_ONE = re.compile(r"\b(?:cada\s+(?:uno|una|tecnico|tecnica)|por\s+tecnico|todos\s+los\s+tecnicos)\b")


def _customer_count(turn: Turn) -> str:
    """How many customers the business has, how many came this month, and where the list is."""
    month_start = datetime.combine(turn.today.replace(day=1), datetime.min.time(),
                                   tzinfo=turn.zone)
    total = turn.session.scalar(select(func.count(Customer.id))) or 0
    new = turn.session.scalar(select(func.count(Customer.id))
                              .where(Customer.created_at >= month_start)) or 0
    return texts.render("owner_customer_count", total=total, new=new,
                        link=back_office_link(turn.settings, "customers"))


def _technicians_figures(turn: Turn, period: Period, technicians: list[User]) -> str:
    """What each technician named finished, billed and collected in `period`."""
    zone = es_ar.zone(turn.org.time_zone)
    return render_technicians_figures(period, [
        (es_ar.first_name(t.name),
         stretch_numbers(turn.session, zone, period.first, period.last, technician_id=t.id))
        for t in technicians])


SPEC = FlowSpec(name="owner", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=frozenset({"owner_summary", "owner_unpaid"}))


# "¿cuántos trabajos tiene Carlos esta semana?" asks what is left of it; "¿cuántos hizo?" asks
# for what got done (the week's figures)
_THIS_WEEK = re.compile(r"\besta\s+semana\b")
# "¿qué tenemos esta semana?", "¿qué hay agendado?": the visits to come, not the figures
_VISITS = re.compile(r"\bque\s+(?:tenemos|hay|tengo|queda)\b|\bagenda\w*|\bvisitas\b|\bturnos\b")
_COMING_WEEK = re.compile(r"\b(?:como|que\s+tal)\s+(?:viene|pinta|arranca|empieza)\s+(?:la|esta)\s+semana\b")
_DONE = re.compile(r"\b(?:hizo|hicieron|hicimos|termino|terminaron|terminamos|cerro|cerraron|"
                   r"cobro|cobraron|facturo|facturaron|fue|fueron)\b")


# "¿cuánta guita entró este mes?", "¿cuánto facturamos?": the answer says what came in, $0 too
_MONEY = re.compile(r"\b(?:plata|guita|mangos?|lucas|pesos|dinero|cobr\w*|factur\w*|ingres\w*|"
                    r"recaud\w*|ganamos|ganancias?|entro|entraron|caja)\b|\$")


def asks_money(text: str | None) -> bool:
    return bool(_MONEY.search(es_ar.folded(text or "")))


def active_technicians(turn: Turn) -> list[User]:
    return list(turn.session.scalars(
        select(User).where(User.role == Role.TECHNICIAN, User.active.is_(True)).order_by(User.name)))


def named_technicians(turn: Turn) -> list[User]:
    """The active technicians the owner's message names by first name ("¿qué tiene Carlos?")."""
    said = es_ar.folded(turn.text)
    if not said:
        return []
    return named_in(said, active_technicians(turn))


def named_in(said: str, technicians) -> list[User]:
    """Those of `technicians` whose first name is a word of `said` (folded), or called by its
    short form ("Nico", "Facu", "Seba", "Nacho")."""
    words = set(re.findall(r"[a-zñ]+", said))
    return [t for t in technicians if _called(es_ar.folded(es_ar.first_name(t.name)), words)]


# The short forms of first names that are no beginning of them
_NICKNAMES = {"nacho": "ignacio", "pepe": "jose", "pancho": "francisco", "paco": "francisco",
              "lucho": "luis", "quique": "enrique", "cacho": "carlos", "charly": "carlos",
              "juancho": "juan", "juanchi": "juan", "tano": "cayetano", "beto": "alberto"}
# Words that begin a first name and are words of their own ("hora": Horacio, "vale": Valentín);
# "Juli", "Mari", "Marti" are what people call Julián, María, Martín
_NOT_SHORT = frozenset({"hora", "horas", "caro", "casa", "mira", "mano", "mate", "rosa", "sola", "solo",
                        "vale", "valen", "mart", "gaston", "ramo", "esta"})


def _called(first: str, words: set[str]) -> bool:
    if not first:
        return False
    if first in words:
        return True
    return any((len(w) >= 4 and w not in _NOT_SHORT and first.startswith(w))
               or _NICKNAMES.get(w) == first for w in words)


def stretch_ahead(turn: Turn, *, of_someone: bool = False) -> Period | None:
    """The days to come the owner asks about: the coming week, the rest of this one, a day
    named; and, about one technician, "esta semana" (what they still have this week)."""
    ahead = asked_ahead(turn.text, turn.today) or _asked_day_ahead(turn)
    if ahead is None:
        said = es_ar.folded(turn.text)
        visits = _THIS_WEEK.search(said) and not _DONE.search(said) \
            and (of_someone or _VISITS.search(said))
        # "¿cómo viene la semana?" on a Sunday: the week about to start, not the one ending
        coming = turn.today.weekday() == 6 and _COMING_WEEK.search(said)
        if (visits or coming) and not asks_money(said):
            ahead = week_ahead(turn.today)
    return ahead


def agenda_ahead(turn: Turn, ahead: Period, technicians: list[User]) -> Text:
    """The visits of `ahead`: the team's, or only theirs when the owner named technicians."""
    visits = agenda(turn.session, ahead.first, turn.org.time_zone, last=ahead.last,
                    technician_ids=[t.id for t in technicians] if technicians else None)
    # for a follow-up about someone else ("¿y Diego?")
    turn.save(agenda_asked={"first": ahead.first.isoformat(), "last": ahead.last.isoformat(),
                            "label": ahead.label, "at": turn.now.isoformat()})
    who = " y ".join(es_ar.first_name(t.name) for t in technicians) or None
    return Text(render_agenda_ahead(ahead, visits, turn.today, who=who))


FOLLOW_UP_WINDOW = timedelta(minutes=30)
FOLLOW_UP_WORDS = 6
_AND = re.compile(r"^\W*y\s+")


def follow_up(turn: Turn) -> list[Reply] | None:
    """"¿y Diego?" right after one technician's agenda: the same days, for whom the owner names
    now (or the days named now: "¿y Diego el jueves?"); None for anything else."""
    asked = turn.slots.get("agenda_asked")
    said = es_ar.folded(turn.text)
    team = turn.slots.get("team_asked")
    if team and said and _AND.match(said) and len(said.split()) <= FOLLOW_UP_WORDS \
            and turn.now - datetime.fromisoformat(team) <= FOLLOW_UP_WINDOW and named_technicians(turn):
        from flows import owner_team  # it imports this module

        return owner_team.team_answer(turn, named_technicians(turn), said)  # "¿y el de Walter?"
    if not asked or not said or not _AND.match(said) or len(said.split()) > FOLLOW_UP_WORDS:
        return None
    if turn.now - datetime.fromisoformat(asked["at"]) > FOLLOW_UP_WINDOW:
        return None
    named = named_technicians(turn)
    if not named or _DONE.search(said):
        return None  # "¿y qué hizo Diego hoy?": his figures, not his visits to come
    ahead = stretch_ahead(turn, of_someone=True) or Period(
        date.fromisoformat(asked["first"]), date.fromisoformat(asked["last"]), asked["label"])
    return [agenda_ahead(turn, ahead, named)]


def named_day(turn: Turn) -> date | None:
    """The day the owner's message names, if any ("el lunes", "ayer", "mañana")."""
    try:
        return date.fromisoformat(turn.result.date) if turn.result.date else None
    except ValueError:
        return None


def _asked_day_ahead(turn: Turn) -> Period | None:
    """A day still to come that the owner names ("¿qué tenemos mañana?", "¿y el lunes?")."""
    day = named_day(turn)
    return Period(day, day, day.isoformat()) if day is not None and day > turn.today else None


def is_day_named(period: Period) -> bool:
    """Whether `period` is a day the owner named (`_asked_day_ahead`'s), not a stretch of a week
    however little of it is left (on a Sunday, "esta semana" is that one day)."""
    return period.label == period.first.isoformat()


def _asked_day(turn: Turn) -> date:
    """The day the owner asks about ("¿cómo nos fue el lunes?", "resumen de ayer"): a day that has
    already begun; today when none is named (a future one is `_asked_day_ahead`'s)."""
    day = named_day(turn)
    return day if day is not None and day <= turn.today else turn.today
