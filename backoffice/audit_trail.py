"""The audit trail for managers: the organization's entries newest first, filters, chain check."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import audit_text
from backoffice.display import date_time, person, zone
from backoffice.extensions import db, redis
from backoffice.forms import FormError, parse_date
from backoffice.paging import paginate
from backoffice.people import ACTOR_KINDS, actor_label, actor_names, user_names
from backoffice.security import MANAGERS, current_user, requires
from core import audit
from core.billing.invoicing import label as invoice_label
from core.models import AuditEntry, Customer, Invoice, Job, Organization, User

bp = Blueprint("audit_trail", __name__, url_prefix="/audit")

ENTITY_LABELS = {
    "job": "Trabajo",
    "customer": "Cliente",
    "invoice": "Factura",
    "payment": "Pago",
    "conversation": "Conversación",
    "user": "Usuario",
    "price_book_item": "Lista de precios",
    "secret": "Clave guardada",
    "import": "Importación",
    "organization": "Organización",
    "queue_job": "Tarea en segundo plano",
}
ACTION_LABELS = {
    "organization.create": "Alta de la organización",
    "organization.business": "Cambió los datos del negocio",
    "organization.timing": "Cambió horarios y avisos",
    "user.create": "Alta de usuario",
    "job.create": "Creó el trabajo",
    "job.status": "Cambió el estado",
    "job.assign": "Asignó técnico",
    "job.scheduled": "Agendó la visita",
    "job.rescheduled": "Reprogramó la visita",
    "job.address": "Cambió la dirección de la visita",
    "customer.create": "Alta de cliente",
    "customer.update": "Modificó el cliente",
    "customer.address_add": "Agregó una dirección",
    "customer.import": "Importó clientes",
    "price_book.import": "Importó la lista de precios",
    "price_book_item.create": "Agregó un ítem de la lista de precios",
    "price_book_item.update": "Modificó un ítem de la lista de precios",
    "price_book_item.archive": "Archivó un ítem de la lista de precios",
    "price_book_item.restore": "Recuperó un ítem de la lista de precios",
    "invoice.create": "Creó la factura",
    "invoice.authorize": "AFIP autorizó la factura",
    "invoice.reject": "AFIP rechazó la factura",
    "invoice.retry": "Pidió reintentar con AFIP",
    "invoice.payment_link": "Generó el link de pago",
    "invoice.paid": "Factura pagada",
    "invoice.reopened": "Factura otra vez impaga",
    "payment.cash": "Pago en efectivo",
    "payment.transfer": "Pago por transferencia",
    "payment.mercadopago": "Pago por Mercado Pago",
    "conversation.take_over": "Tomó la conversación",
    "conversation.hand_back": "Le devolvió la conversación al bot",
    "conversation.reply": "Respondió en la conversación",
    "secret.set": "Guardó una clave",
    "secret.delete": "Borró una clave",
    "secret.rotate": "Renovó el cifrado de una clave",
    "queue_job.requeued": "Reintentó una tarea fallida",
    "queue_job.discarded": "Descartó una tarea fallida",
}
CHAIN_PROBLEMS = {
    "missing": "falta ese registro: alguien lo borró",
    "link": "ese registro no se encadena con el anterior: alguien modificó registros",
    "content": "el contenido de ese registro no coincide con su huella: alguien lo modificó",
}


@dataclass(frozen=True)
class AuditRow:
    seq: int
    when: str
    who: str
    action: str
    entity: str
    link: str | None
    details: list[tuple[str, str]]


# ---- filters --------------------------------------------------------------------------------

FILTER_FIELDS = ("entity", "entity_id", "actor", "action", "from", "to")


def _filters(form: dict[str, str], tz: ZoneInfo, actors: dict[str, str], actions: list[str],
             kinds: list[str]) -> audit.TrailFilters:
    """What was typed in the filters as TrailFilters (dates become UTC bounds of local days)."""
    if form["entity"] and form["entity"] not in kinds:
        raise FormError("entity", "Ese tipo de registro no figura en la auditoría.")
    if form["entity_id"] and not form["entity"]:
        raise FormError("entity_id", "Elegí de qué es ese número (trabajo, cliente, factura…).")
    if form["entity"] == "job" and form["entity_id"] and not form["entity_id"].lstrip("#").isdigit():
        raise FormError("entity_id", "El número de trabajo va sin letras, por ejemplo 12.")
    if form["actor"] and form["actor"] not in actors:
        raise FormError("actor", "Esa persona no figura en la auditoría.")
    if form["action"] and form["action"] not in actions:
        raise FormError("action", "Esa acción no figura en la auditoría.")
    start, end = parse_date(form["from"], "from"), parse_date(form["to"], "to")
    if start and end and start > end:
        raise FormError("to", "La fecha «hasta» es anterior a «desde».")
    return audit.TrailFilters(
        entity_type=form["entity"] or None,
        entity_id=form["entity_id"].lstrip("#") or None,
        actor=form["actor"] or None,
        action=form["action"] or None,
        since=datetime.combine(start, time.min, tz) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min, tz) if end else None,
    )


def _actor_choices(session: Session) -> dict[str, str]:
    people = session.execute(select(User.id, User.name).order_by(User.name)).all()
    return {**{f"user:{uid}": name for uid, name in people}, **ACTOR_KINDS}


# ---- rows -------------------------------------------------------------------------------------

def _ids(entries: list[AuditEntry], entity_type: str) -> set[int]:
    return {int(e.entity_id) for e in entries
            if e.entity_type == entity_type and e.entity_id and e.entity_id.isdigit()}


def _rows(session: Session, entries: list[AuditEntry], tz: ZoneInfo) -> list[AuditRow]:
    actors = actor_names(session, {e.actor for e in entries})
    names = user_names(session, _ids(entries, "user"))
    job_ids, customer_ids, invoice_ids = _ids(entries, "job"), _ids(entries, "customer"), _ids(entries, "invoice")
    job_numbers = dict(session.execute(select(Job.id, Job.number).where(Job.id.in_(job_ids))).all()) if job_ids else {}
    customers = {i: person(name, phone) for i, name, phone in session.execute(
        select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(customer_ids)))} if customer_ids else {}
    invoices = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids)))} if invoice_ids else {}
    found = audit_text.lookups(session, entries, tz)

    rows = []
    for e in entries:
        kind = ENTITY_LABELS.get(e.entity_type, e.entity_type)
        key = int(e.entity_id) if e.entity_id and e.entity_id.isdigit() else None
        entity, link = (f"{kind} {e.entity_id}" if e.entity_id else kind), None
        if e.entity_type == "job" and key in job_numbers:
            entity, link = f"Trabajo #{job_numbers[key]}", f"/app/jobs/{key}"
        elif e.entity_type == "customer" and key in customers:
            entity, link = f"Cliente: {customers[key]}", f"/app/customers/{key}"
        elif e.entity_type == "invoice" and key in invoices:
            entity, link = invoice_label(invoices[key]).capitalize(), f"/app/invoices/{key}"
        elif e.entity_type == "user" and key in names:
            entity = f"Usuario: {names[key]}"
        rows.append(AuditRow(seq=e.seq, when=date_time(e.created_at, tz),
                             who=actor_label(e.actor, actors), action=ACTION_LABELS.get(e.action, e.action),
                             entity=entity, link=link,
                             details=audit_text.detail_pairs(e.action, e.data, found)))
    return rows


# ---- the page -----------------------------------------------------------------------------------

@bp.get("")
@requires(MANAGERS)
def index():
    user = current_user()
    error = None
    form = {k: (request.args.get(k) or "").strip()[:60] for k in FILTER_FIELDS}
    with db().org_session(user.org_id) as s:
        tz = zone(s.get(Organization, user.org_id).time_zone)
        actions, kinds = audit.recorded_values(s)
        actors = _actor_choices(s)
        try:
            filters = _filters(form, tz, actors, actions, kinds)
        except FormError as exc:
            filters, error = audit.TrailFilters(), exc.message
        page = paginate(s, audit.trail_query(filters))
        rows = _rows(s, page.items, tz)
        # Only what is new since the last intact walk is re-hashed; the nightly task and the
        # "verificar todo" button walk the whole chain.
        checkpoints = audit.ChainCheckpoints(redis())
        checkpoint = checkpoints.get(user.org_id)
        report = audit.verify(s, since=checkpoint)
    checkpoints.advance(user.org_id, report, full=checkpoint is None, now=clock.time())
    last_full = (checkpoint.full_at if checkpoint else clock.time())
    return render_template(
        "backoffice/audit.html", rows=rows, page=page, form=form, error=error, report=report,
        problem=CHAIN_PROBLEMS.get(report.kind or "", "la cadena no cierra"),
        actors=actors, actions=[(a, ACTION_LABELS.get(a, a)) for a in actions],
        kinds=[(k, ENTITY_LABELS.get(k, k)) for k in kinds],
        filtered=any(v for v in form.values()),
        last_full=date_time(datetime.fromtimestamp(last_full, UTC), tz),
        walked_all=request.args.get("verificada") == "1",
    )


@bp.post("/verify")
@requires(MANAGERS)
def verify_all():
    """Walk the whole chain now, from its first entry."""
    user = current_user()
    with db().org_session(user.org_id) as s:
        report = audit.verify(s)
    checkpoints = audit.ChainCheckpoints(redis())
    if report.ok:
        checkpoints.advance(user.org_id, report, full=True, now=clock.time())
    else:
        checkpoints.forget(user.org_id)
    return redirect("/app/audit?verificada=1")
