"""Back-office bench, the seed: one large organization on the bench database, a few rows through
the real services (so the audit chain is real) and the bulk by plain inserts, with the audit
entries those services would have written chained by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update

EMAIL = "owner@bench-backoffice.com.ar"
PASSWORD = "mate-amargo-y-medialunas"
FIRST = ("María", "Juan", "Carlos", "Ana", "Roberto", "Laura", "Diego", "Sofía", "Martín", "Lucía",
         "Jorge", "Valeria", "Pablo", "Gabriela", "Fernando", "Silvina", "Hernán", "Claudia")
LAST = ("García", "González", "Rodríguez", "Fernández", "López", "Martínez", "Pérez", "Gómez",
        "Sánchez", "Romero", "Díaz", "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores", "Benítez")
STREETS = ("Av. Avellaneda", "Av. Rivadavia", "Corrientes", "Scalabrini Ortiz", "Av. Cabildo",
           "Juramento", "Av. San Martín", "Lavalle", "Mitre", "Belgrano")
LOCALITIES = ("Caballito", "Flores", "Palermo", "Belgrano", "Almagro", "Villa Crespo", "Núñez")
SERVICES = ("plumbing", "electrical", "gas", "hvac", "locksmith")
ISSUES = ("pierde el flexible de la cocina", "salta la térmica", "no enciende el calefón",
          "el aire no enfría", "se trabó la cerradura", "gotea la canilla del baño",
          "hay olor a gas en el patio", "cambiar el tablero", "destapar la cloaca")
# Past visits end in one of these, with the path the state machine makes them walk.
PATHS = {
    "completed": ("scheduled", "en_route", "on_site", "completed"),
    "invoiced": ("scheduled", "en_route", "on_site", "completed", "invoiced"),
    "paid": ("scheduled", "en_route", "on_site", "completed", "invoiced", "paid"),
    "cancelled": ("scheduled", "cancelled"),
    "needs_followup": ("scheduled", "en_route", "on_site", "needs_followup"),
    "scheduled": ("scheduled",),
    "en_route": ("scheduled", "en_route"),
    "on_site": ("scheduled", "en_route", "on_site"),
    "pending": (),
}
PAST = (("completed", 30), ("invoiced", 20), ("paid", 35), ("cancelled", 10), ("needs_followup", 5))
FUTURE = (("scheduled", 70), ("pending", 20), ("en_route", 5), ("on_site", 5))


def _pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


class Chain:
    """Audit entries for bulk rows, hashed and linked exactly as core.audit.record would, in time order."""

    def __init__(self, org_id: int):
        self.org_id, self.pending = org_id, []

    def add(self, at: datetime, action: str, entity_type: str, entity_id: int, data: dict,
            actor: str = "system") -> None:
        self.pending.append((at, action, entity_type, entity_id, data, actor))

    def write(self, s) -> None:
        from core import audit, counters
        from core.models import AuditEntry, OrgCounter

        seq = counters.peek(s, "audit")
        prev = s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq)) or audit.GENESIS
        rows = []
        for at, action, entity_type, entity_id, data, actor in sorted(self.pending, key=lambda e: e[0]):
            seq += 1
            entry = AuditEntry(org_id=self.org_id, seq=seq, created_at=at, actor=actor, action=action,
                               entity_type=entity_type, entity_id=str(entity_id), data=audit._plain(data),
                               prev_hash=prev, hash="")
            entry.hash = prev = audit.entry_hash(entry)
            rows.append({c: getattr(entry, c) for c in ("org_id", "seq", "created_at", "actor", "action",
                                                        "entity_type", "entity_id", "data", "prev_hash", "hash")})
        for i in range(0, len(rows), 5000):
            s.execute(insert(AuditEntry.__table__), rows[i:i + 5000])
        s.execute(update(OrgCounter.__table__).where(OrgCounter.org_id == self.org_id,
                                                      OrgCounter.name == "audit").values(value=seq))


def _ids(s, table, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [r[0] for r in s.execute(stmt, rows)]


def seed(db, args) -> dict:
    """One shop: services for the first rows (a real chain), bulk inserts for the volume."""
    from core import customers, jobs
    from core.billing import price_book
    from core.identity.users import create_user
    from core.models import (
        AuditEntry,
        Conversation,
        Customer,
        CustomerAddress,
        Invoice,
        InvoiceLine,
        Job,
        JobEvent,
        Message,
        OrgCounter,
        Payment,
        PriceBookItem,
    )
    from core.organizations import create_organization

    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    with db.system_session() as s:
        org_id = create_organization(s, {"name": "Plomería y Gas del Oeste", "slug": "bench-backoffice",
                                         "cuit": "20123456786", "iva_condition": "responsable_inscripto"}).id

    # ---- through the services: the owner and the technicians (audited) ----
    serviced = min(20, args.customers)
    with db.org_session(org_id) as s:
        owner = create_user(s, {"name": "Roberto Ramos", "role": "owner", "email": EMAIL,
                                "phone": "+5491155500100", "password": PASSWORD})
        techs = [create_user(s, {"name": f"{FIRST[i]} {LAST[i + 3]}", "role": "technician",
                                 "phone": f"+54911555001{i + 1:02d}"}, actor=f"user:{owner.id}").id
                 for i in range(args.technicians)]

    # ---- bulk: the volume, with the audit entries the services would have written ----
    with db.org_session(org_id) as s:
        chain = Chain(org_id)
        spread = timedelta(days=args.days)
        rows = []
        for i in range(serviced, args.customers):
            at = now - spread * rng.random()
            rows.append({"org_id": org_id, "created_at": at,
                         "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "phone": f"+549116{i:07d}",
                         "wa_id": f"549116{i:07d}", "iva_condition": "consumidor_final"})
        cust_ids = _ids(s, Customer.__table__, rows)
        addr_rows = [{"org_id": org_id, "customer_id": cid, "created_at": r["created_at"],
                      "street": rng.choice(STREETS), "number": str(rng.randint(100, 6000)),
                      "unit": rng.choice((None, "PB", "3° B", "7° A")), "locality": rng.choice(LOCALITIES),
                      "province": "CABA"} for cid, r in zip(cust_ids, rows, strict=True)]
        addr_ids = _ids(s, CustomerAddress.__table__, addr_rows)
        for cid, r, a in zip(cust_ids, rows, addr_rows, strict=True):
            chain.add(r["created_at"], "customer.create", "customer", cid, {
                "name": r["name"], "phone": r["phone"], "wa_id": r["wa_id"], "email": None, "doc_type": None,
                "doc_number": None, "iva_condition": "consumidor_final",
                "addresses": [f"{a['street']} {a['number']}" + (f", {a['unit']}" if a["unit"] else "")
                              + f", {a['locality']}"]})
        customer_pool = list(zip(cust_ids, addr_ids, addr_rows, strict=True))

        item_rows = [{"org_id": org_id, "created_at": now - spread * rng.random(), "code": f"IT-{i:04d}",
                      "name": f"{rng.choice(('Flexible', 'Térmica', 'Cañería', 'Válvula', 'Mano de obra'))} {i}",
                      "unit": "unidad", "price": Decimal(rng.randint(10, 900) * 100), "iva_rate": Decimal("21.00"),
                      "service": rng.choice(SERVICES), "archived": i % 40 == 0}
                     for i in range(min(20, args.items), args.items)]
        item_ids = _ids(s, PriceBookItem.__table__, item_rows)
        for iid, r in zip(item_ids, item_rows, strict=True):
            chain.add(r["created_at"], "price_book_item.create", "price_book_item", iid,
                      {k: r[k] for k in ("code", "name", "unit", "price", "iva_rate", "service")})

        number = 0
        job_rows, plans = [], []
        for _ in range(args.jobs - 1):
            cid, aid, addr = rng.choice(customer_pool)
            created = now - spread * rng.random()
            start_local = (created + timedelta(days=rng.randint(0, 3))).replace(
                hour=rng.randint(11, 20), minute=rng.choice((0, 30)), second=0)  # 8-17 h in Buenos Aires
            status = _pick(rng, PAST if start_local < now - timedelta(hours=3) else FUTURE)
            scheduled = status != "pending"
            number += 1
            job_rows.append({
                "org_id": org_id, "number": number, "created_at": created, "customer_id": cid,
                "address_id": aid, "address_text": f"{addr['street']} {addr['number']}, {addr['locality']}",
                "service": rng.choice(SERVICES), "description": rng.choice(ISSUES),
                "urgency": rng.choice(("normal",) * 8 + ("urgent", "emergency")), "status": status,
                "scheduled_start": start_local if scheduled else None,
                "scheduled_end": start_local + timedelta(hours=2) if scheduled else None,
                "technician_id": rng.choice(techs) if scheduled else None,
                "completed_at": start_local + timedelta(hours=2) if status in ("completed", "invoiced", "paid")
                else None,
                "updated_at": created})
            plans.append(PATHS[status])
        job_ids = _ids(s, Job.__table__, job_rows)
        s.add(OrgCounter(name="job", value=number))  # create_job numbers on from here
        events = []
        for jid, r, path in zip(job_ids, job_rows, plans, strict=True):
            first = "scheduled" if path else "pending"
            events.append({"org_id": org_id, "job_id": jid, "kind": "created", "actor": "system", "from_status": None,
                           "to_status": first, "created_at": r["created_at"]})
            chain.add(r["created_at"], "job.create", "job", jid, {
                "number": r["number"], "customer_id": r["customer_id"], "service": r["service"],
                "urgency": r["urgency"], "status": first})
            prev, at = first, r["created_at"]
            for step in path[1:]:
                at = max(at, (r["scheduled_start"] or at) - timedelta(minutes=30)) + timedelta(minutes=20)
                events.append({"org_id": org_id, "job_id": jid, "kind": "status", "actor": f"user:{owner.id}",
                               "from_status": prev, "to_status": step, "created_at": at})
                chain.add(at, "job.status", "job", jid, {"from": prev, "to": step}, actor=f"user:{owner.id}")
                prev = step
        for i in range(0, len(events), 5000):
            s.execute(insert(JobEvent.__table__), events[i:i + 5000])

        # Invoices: for billed jobs first, then jobs that were paid without one; numbers in issue order.
        billed = [(jid, r) for jid, r in zip(job_ids, job_rows, strict=True)
                  if r["status"] in ("invoiced", "paid", "completed")]
        billed.sort(key=lambda t: t[1]["scheduled_start"])
        billed = billed[-args.invoices:] if len(billed) >= args.invoices else billed
        inv_rows, inv_number = [], 0
        for jid, r in billed:
            issued = r["scheduled_start"] + timedelta(hours=3)
            status = "pending" if rng.random() < 0.06 else "rejected" if rng.random() < 0.01 else "authorized"
            net = Decimal(rng.randint(80, 2500) * 100)
            inv_number += status == "authorized"
            inv_rows.append({
                "org_id": org_id, "job_id": jid, "customer_id": r["customer_id"], "letter": "B", "cbte_tipo": 6,
                "punto_de_venta": 1, "number": inv_number if status == "authorized" else None,
                "issue_date": issued.date(), "status": status, "created_at": issued,
                "cae": f"7{rng.randint(10**12, 10**13 - 1)}" if status == "authorized" else None,
                "cae_due_date": (issued + timedelta(days=10)).date() if status == "authorized" else None,
                "net": net, "iva": Decimal(0), "total": net, "currency": "PES", "concepto": 2, "attempts": 1,
                "last_error": None if status == "authorized" else "AFIP no está disponible (503).",
                "paid_at": issued + timedelta(days=2) if r["status"] == "paid" and status == "authorized" else None})
        inv_ids = _ids(s, Invoice.__table__, inv_rows)
        lines, payments = [], []
        for iid, inv in zip(inv_ids, inv_rows, strict=True):
            lines.append({"org_id": org_id, "invoice_id": iid, "price_book_item_id": rng.choice(item_ids) if item_ids else None,
                          "description": "Mano de obra y materiales", "quantity": Decimal(1),
                          "unit_price": inv["total"], "iva_rate": Decimal("21.00"), "subtotal": inv["total"]})
            if inv["paid_at"]:
                method = rng.choice(("cash", "transfer", "mercadopago"))
                payments.append({"org_id": org_id, "invoice_id": iid, "job_id": inv["job_id"],
                                 "customer_id": inv["customer_id"], "method": method, "status": "approved",
                                 "amount": inv["total"], "paid_at": inv["paid_at"], "created_at": inv["paid_at"],
                                 "external_id": f"{iid}{rng.randint(1000, 9999)}" if method == "mercadopago"
                                 else None, "refunded_amount": Decimal(0)})
        s.execute(insert(InvoiceLine.__table__), lines)
        if payments:
            s.execute(insert(Payment.__table__), payments)

        conv_rows = []
        for k, (cid, _aid, _addr) in enumerate(customer_pool[:args.conversations]):
            wa = f"549116{serviced + k:07d}"
            last = now - timedelta(minutes=rng.randint(5, 60 * 24 * 30))
            conv_rows.append({"org_id": org_id, "wa_id": wa, "phone": f"+{wa}", "role": "customer",
                              "customer_id": cid, "profile_name": rng.choice(FIRST), "slots": {}, "misses": 0,
                              "human_takeover": k % 50 == 0, "needs_person": k % 25 == 0,
                              "last_inbound_at": last, "created_at": last - timedelta(days=1), "updated_at": last})
        conv_ids = _ids(s, Conversation.__table__, conv_rows)
        messages = []
        for cid, c in zip(conv_ids, conv_rows, strict=True):
            for m in range(args.messages):
                inbound = m % 2 == 0
                at = c["last_inbound_at"] - timedelta(minutes=3 * (args.messages - m))
                messages.append({"org_id": org_id, "conversation_id": cid, "direction": "in" if inbound else "out",
                                 "type": "text", "created_at": at, "attempts": 0,
                                 "body": rng.choice(ISSUES) if inbound else "¿Me pasás la dirección?",
                                 "status": "received" if inbound else "read",
                                 "processed_at": at if inbound else None})
        for i in range(0, len(messages), 5000):
            s.execute(insert(Message.__table__), messages[i:i + 5000])
        chain.write(s)

    # ---- through the services again: today's work, on top of the hand-made chain ----
    with db.org_session(org_id) as s:
        actor, first_customer = f"user:{owner.id}", None
        for i in range(serviced):
            last = customers.create_customer(s, {
                "name": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}", "phone": f"+549116{i:07d}",
                "addresses": [{"street": STREETS[i % len(STREETS)], "number": str(100 + i),
                               "locality": LOCALITIES[i % len(LOCALITIES)], "province": "CABA"}]}, actor)
            first_customer = first_customer or last
        for i in range(min(20, args.items)):
            price_book.create_item(s, {"code": f"IT-{i:04d}", "name": f"Artículo {i}", "price": f"{1500 + 250 * i}",
                                       "service": SERVICES[i % len(SERVICES)]}, actor)
        busy = jobs.create_job(s, {"customer_id": first_customer.id, "service": "gas",
                                   "description": "pérdida de gas que vuelve y vuelve",
                                   "technician_id": techs[0], "scheduled_start": now + timedelta(hours=3)},
                               actor)
        # The job with a long history: sent out and called back again and again.
        for _ in range(args.busy_events // 2):
            jobs.transition(s, busy.id, "en_route", actor, eta_minutes=30)
            jobs.transition(s, busy.id, "scheduled", actor, note="el cliente no estaba")

    with db.org_session(org_id) as s:
        counts = {name: s.scalar(select(func.count()).select_from(model)) for name, model in (
            ("customers", Customer), ("addresses", CustomerAddress), ("jobs", Job), ("job_events", JobEvent),
            ("invoices", Invoice), ("payments", Payment), ("conversations", Conversation),
            ("messages", Message), ("price_book_items", PriceBookItem), ("audit_entries", AuditEntry))}
        counts["technicians"] = len(techs)
        # A customer with history for the detail page, and the fuzzy query.
        regular = s.scalar(select(Job.customer_id).group_by(Job.customer_id).order_by(func.count().desc()).limit(1))
    return {"org_id": org_id, "counts": counts, "busy_job": busy.id, "customer": regular}


