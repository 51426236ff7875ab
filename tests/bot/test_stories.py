"""Conversation stories (tests/stories/*.yaml) driven through the real path, one test per story.

Schema (a file holds one story, or a list of stories)::

    name: booking by text                      # the test id
    setup:                                     # all optional
      owner: {name: Roberto Gómez, phone: "+5491155550100"}
      technicians: [{name: Carlos Rodríguez, phone: "+5491155550101"}]   # the first is "technician"
      customers: [{name: Marta García, phone: "+5491155550000",          # the first is "customer"
                   addresses: [{street: Gorriti, number: "3400"}]}]
      jobs: [{customer: Marta García, technician: Carlos Rodríguez, service: plumbing,
              status: scheduled|en_route|on_site, in_hours: 2, eta_minutes: 20}]
                                               # (or at_hour: 10 — today at 10:00 local; with
                                               # in_days: 2, two days from today at 10:00)
      price_book: [{name: Cambio de flexible, price: 12000, service: plumbing}]   # (unit: visita)
      business: {iva: responsable_inscripto, afip: true, mercadopago: true,   # invoicing: the
                 alias: plomeria.rapida, holder: Roberto Gómez}              # fake AFIP and MP
      hours_left_today: 6     # a story that books today's times is skipped (said why) when less
                              # of today is left in Buenos Aires: late at night, today has none
                              # (so is a story whose visits set `in_hours` from now would fall
                              # on another day)
    steps:
      - from: customer|technician|owner|<wa_id>   # who writes (default: customer)
        say: "hola"                   # (a list: several messages in one burst) or one of:
                                      # ("del {in_days_2} al {in_days_6}": those days of the month)
        # voice: termotanque.ogg      (a file in tests/data/audio)
        # voice_bytes: garbage        (bytes that claim to be OGG and decode to nothing)
        # location: [lat, lng, "address"]
        # photo: true
        # tap: "<title>" | first      (a button or list row of the last interactive message)
        # duplicate_last: true        (Meta redelivers the previous payload, same wamid)
        # expire_flow: customer       (that conversation's expires_at goes into the past)
        # takeover: customer          (a person takes the conversation: human_takeover)
        # hand_back: customer         (staff hand it back to the bot: core.messaging.conversations.hand_back)
        # handover_expires: customer  (the wait for a person runs out)
        # react: "👍"                 (a reaction to the bot's last message)
        # sticker: true
        # pays: 15000                 (Mercado Pago notifies, signed, a payment of the last invoice)
        name: Marta García            # optional WhatsApp profile name
        expect:                       # a mapping or a list of them; checks this step's replies
          to: customer                # default: the sender
          contains: "..."             # substring of one reply (str or list: all must appear)
          not_contains: "..."         # in none of them
          last_contains: "..."        # in the last of them (the question answered next)
          buttons: ["Confirmar"]      # a reply offers at least these button/row titles
          buttons_like: ["15 a 17"]   # each is part of some button/row title
          buttons_not_like: ["Mañana"]   # part of no button/row title (and buttons there are)
          type: text|interactive|template|document   # a reply of this type
          count: 1                    # exactly this many replies to that party
          types_in_order: [document, interactive]   # these reply types arrive in this order
          none: true                  # nobody got anything in this step
        expect_job: {count: 1, status: scheduled, urgency: emergency, service: gas, rating: 5,
                     description_contains: "...", description_not_contains: "..."}  # str or list
        expect_conversation: {of: customer, needs_person: true, flow: null, human_takeover: true, misses: 0}
        expect_invoice: {count: 1, status: authorized, letter: B, paid: true, balance: 0,
                         total: 15000, customer: Marta García}   # the newest invoice

`expect_job` looks at the newest job (and counts them all); the harness runs the burst clock and
the worker until idle after every step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select

from bot import simulator
from core import customers, jobs
from core.identity.users import create_user
from core.jobs.opening import business_ranges
from core.jobs.scheduling import parse_slot_id
from core.models import Conversation, Customer, Job, JobEvent, Organization
from core.settings import get_settings
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

BA = ZoneInfo("America/Argentina/Buenos_Aires")

STORIES = Path(__file__).resolve().parent.parent / "stories"
AUDIO = Path(__file__).resolve().parent.parent / "data" / "audio"
GARBAGE = b"OggS" + bytes(2000)  # says it is OGG, decodes to nothing
PHOTO = b"\xff\xd8\xff\xe0" + bytes(3000)
TECHNICIAN = "+5491155550101"
OWNER = "+5491155550100"
ACTIONS = ("say", "voice", "voice_bytes", "location", "photo", "tap", "duplicate_last",
           "expire_flow", "takeover", "hand_back", "handover_expires", "react", "sticker", "pays")
MP_SECRET = "story-mp-webhook-secret"


def _load() -> list[dict]:
    stories: list[dict] = []
    for path in sorted(STORIES.glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        for story in loaded if isinstance(loaded, list) else [loaded]:
            story["_file"] = path.name
            stories.append(story)
    return stories


ALL = _load()


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _closed_now(now: datetime, before: timedelta = timedelta(hours=1),
                after: timedelta = timedelta(hours=3)) -> dict[str, list[list[str]]]:
    """Opening hours (`hours: closed_now`) open round the clock but for a few hours around `now`,
    whatever hour the suite runs at: the story is out of hours and slots are offered after."""
    lo, hi = now - before, now + after
    week: dict[str, list[list[str]]] = {}
    for offset in range(-1, 6):
        start = datetime.combine(now.date() + timedelta(days=offset), datetime.min.time(), BA)
        end = start + timedelta(days=1)
        ranges = [(start, min(end, lo)), (max(start, hi), end)] if lo < end and hi > start \
            else [(start, end)]
        week[WEEKDAYS[start.weekday()]] = [
            [a.strftime("%H:%M"), "23:59" if b == end else b.strftime("%H:%M")]
            for a, b in ranges if b > a]
    return week


def _hours_from_now(spec: dict) -> datetime:
    """The start of a story's visit set `in_hours` from now (2 by default), on the hour."""
    start = datetime.now(UTC) + timedelta(hours=float(spec.get("in_hours", 2)))
    return start.replace(minute=0, second=0, microsecond=0)


def _digits(phone: str) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())


def _listed(value) -> list:
    """An expectation's str-or-list value as a list (nothing: an empty one)."""
    if not value:
        return []
    return value if isinstance(value, list) else [value]


def body_of(p: dict) -> str:
    if p["type"] == "text":
        return p["text"]["body"]
    if p["type"] == "template":
        return " ".join(str(x.get("text", "")) for c in p["template"].get("components", [])
                        for x in c.get("parameters", []))
    if p["type"] == "interactive":
        i = p["interactive"]
        parts = [i.get("header", {}).get("text", ""), i.get("body", {}).get("text", ""),
                 i.get("footer", {}).get("text", "")]
        return "\n".join(x for x in parts if x)
    if p["type"] == "document":
        d = p["document"]
        return f"{d.get('filename', '')}\n{d.get('caption', '')}\n{d.get('link', '')}"
    return str(p)


def options_of(p: dict) -> list[tuple[str, str, str]]:
    """(kind, id, title) of the buttons or list rows an interactive message offers."""
    if p.get("type") != "interactive":
        return []
    action = p["interactive"].get("action", {})
    found = [("button", b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
    found += [("list", r["id"], r["title"]) for s in action.get("sections", []) for r in s.get("rows", [])]
    return found


def describe(payloads: list[dict]) -> str:
    if not payloads:
        return "  (nothing)"
    lines = []
    for p in payloads:
        titles = [t for _, _, t in options_of(p)]
        lines.append(f"  [{p['type']}] {body_of(p)!r}" + (f" options={titles}" if titles else ""))
    return "\n".join(lines)


class Story:
    def __init__(self, harness, story: dict, billing: dict | None = None) -> None:
        self.h = harness
        self.story = story
        self.billing = billing or {}  # fake_afip, fake_mercadopago, afip_credentials
        self.parties: dict[str, str] = {"customer": CUSTOMER, "technician": _digits(TECHNICIAN),
                                        "owner": _digits(OWNER)}
        self.last_payload: dict | None = None
        self.seen: dict[str, int] = {}

    # -- setup -------------------------------------------------------------------------------

    def setup(self) -> None:
        setup = self.story.get("setup") or {}
        techs: dict[str, int] = {}
        custs: dict[str, int] = {}
        with self.h.db.org_session(self.h.org_id) as s:
            if owner := setup.get("owner"):
                self.parties["owner"] = _digits(owner.get("phone", OWNER))
                create_user(s, {"name": owner.get("name", "Roberto Gómez"), "role": "owner",
                                "phone": "+" + self.parties["owner"], "email": "duenio@example.com",
                                "password": "una-clave-larga"})
            for n, tech in enumerate(setup.get("technicians") or []):
                phone = tech.get("phone", TECHNICIAN)
                if n == 0:
                    self.parties["technician"] = _digits(phone)
                techs[tech["name"]] = create_user(
                    s, {"name": tech["name"], "role": "technician", "phone": phone,
                        "on_call": bool(tech.get("on_call"))}).id
            for n, cust in enumerate(setup.get("customers") or []):
                phone = cust.get("phone", "+" + CUSTOMER)
                if n == 0:
                    self.parties["customer"] = _digits(phone)
                data: dict[str, Any] = {"name": cust["name"], "phone": phone}
                if cust.get("addresses"):
                    data["addresses"] = cust["addresses"]
                custs[cust["name"]] = customers.create_customer(s, data).id
            if setup.get("price_book"):
                from core.billing.price_book import create_item

                for item in setup["price_book"]:
                    create_item(s, {"name": item["name"], "price": str(item["price"]),
                                    "service": item.get("service", "plumbing"),
                                    "unit": item.get("unit", "unidad")})
            for spec in setup.get("jobs") or []:
                self._job(s, spec, techs, custs)
            if business := setup.get("business"):
                self._business(s, business)
            if hours := setup.get("hours"):  # the business's opening hours (else always open)
                from core.models import Organization

                if hours == "closed_now":
                    hours = _closed_now(datetime.now(BA))
                s.get(Organization, self.h.org_id).business_hours = hours

    def _business(self, s, business: dict) -> None:
        """The organization's fiscal data, AFIP certificate and Mercado Pago account."""
        from core.models import IvaCondition, Organization
        from core.vault import Vault

        org = s.get(Organization, self.h.org_id)
        org.cuit = business.get("cuit", "20111111112")
        org.iva_condition = IvaCondition(business.get("iva", "responsable_inscripto"))
        org.transfer_alias, org.transfer_holder = business.get("alias"), business.get("holder")
        vault = Vault(self.h.settings.encryption_keys)
        if business.get("afip"):
            cert, key = self.billing["afip_credentials"]
            vault.store(s, "afip_certificate", cert.decode())
            vault.store(s, "afip_key", key.decode())
        if business.get("mercadopago"):
            vault.store(s, "mercadopago_token", self.billing["fake_mercadopago"].access_token)
            vault.store(s, "mercadopago_webhook_secret", MP_SECRET)

    def _job(self, s, spec: dict, techs: dict, custs: dict) -> None:
        data: dict[str, Any] = {"customer_id": custs[spec["customer"]],
                                "service": spec.get("service", "plumbing")}
        if spec.get("technician"):
            data["technician_id"] = techs[spec["technician"]]
        if spec.get("description"):
            data["description"] = spec["description"]
        if spec.get("urgency"):
            data["urgency"] = spec["urgency"]
        if spec.get("address"):  # {street, number, locality}: added to the customer, for this job
            data["address_id"] = customers.add_address(s, data["customer_id"], spec["address"]).id
        else:  # a customer with one address on record: the visit is there
            known = s.get(Customer, data["customer_id"]).addresses
            if len(known) == 1:
                data["address_id"] = known[0].id
        job = jobs.create_job(s, data)
        status = spec.get("status", "scheduled")
        if status == "new":
            return
        if "at_hour" in spec or "in_days" in spec:
            # today at that local hour, whatever time the suite runs at (stories about "today's
            # jobs" must not change meaning when a relative hour crosses midnight)
            # (`in_days`: that many days from today, at that hour)
            local = datetime.now(BA).replace(hour=int(spec.get("at_hour", 10)), minute=0, second=0,
                                             microsecond=0) + timedelta(days=int(spec.get("in_days", 0)))
            start = local.astimezone(UTC)
        else:
            start = _hours_from_now(spec)
        jobs.schedule(s, job.id, start, start + timedelta(hours=2), "user:1")
        if status in ("en_route", "on_site", "completed"):
            jobs.transition(s, job.id, "en_route", "user:1", eta_minutes=spec.get("eta_minutes", 20))
        if status in ("on_site", "completed"):
            jobs.transition(s, job.id, "on_site", "user:1")
        if status == "completed":  # a visit done (in_hours below zero: how long ago)
            jobs.transition(s, job.id, "completed", "user:1")

    # -- steps -------------------------------------------------------------------------------

    def who(self, party: str | None) -> str:
        party = str(party or "customer")
        return self.parties.get(party, _digits(party))

    def sent(self, wa_id: str) -> list[dict]:
        return [r["payload"] for r in self.h.replies(wa_id)]

    def post(self, payload: dict) -> None:
        response = self.h.post(payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.last_payload = payload

    def conversation(self, wa_id: str, **changes) -> None:
        with self.h.db.org_session(self.h.org_id) as s:
            c = s.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
            assert c is not None, f"no conversation with {wa_id} yet"
            for key, value in changes.items():
                setattr(c, key, value)

    def act(self, step: dict, where: str) -> float:
        """Does the step's action; returns the work() timeout it needs."""
        wa_id = self.who(step.get("from"))
        kw = {"name": step["name"]} if step.get("name") else {}
        if "say" in step:
            for said in _listed(step["say"]):  # posted back to back: one burst
                self.post(simulator.text(PHONE_NUMBER_ID, wa_id, _dated(str(said)), **kw))
        elif "voice" in step or "voice_bytes" in step:
            content = (AUDIO / step["voice"]).read_bytes() if "voice" in step else GARBAGE
            media = self.h.graph.upload_media(content, "audio/ogg")
            self.post(simulator.voice_note(PHONE_NUMBER_ID, wa_id, media, **kw))
            return 60.0
        elif "location" in step:
            lat, lng, *rest = step["location"]
            self.post(simulator.location(PHONE_NUMBER_ID, wa_id, float(lat), float(lng),
                                         address=rest[0] if rest else "", **kw))
        elif "photo" in step:
            media = self.h.graph.upload_media(PHOTO, "image/jpeg")
            self.post(simulator.image(PHONE_NUMBER_ID, wa_id, media, str(step.get("caption", "")),
                                      **kw))
        elif "tap" in step:
            self.tap(wa_id, str(step["tap"]), where, **kw)
        elif step.get("duplicate_last"):
            assert self.last_payload is not None, f"{where}: nothing to redeliver"
            response = self.h.post(self.last_payload)
            assert response.status_code == 200
        elif "expire_flow" in step:
            self.conversation(self.who(step["expire_flow"]),
                              expires_at=datetime.now(UTC) - timedelta(minutes=5))
        elif "takeover" in step:
            self.conversation(self.who(step["takeover"]), human_takeover=True)
        elif "hand_back" in step:
            # What the back-office's "Devolver al bot" does (backoffice/conversations.py).
            from core.messaging.conversations import hand_back, reopen_unanswered
            from services.dispatch import Dispatcher

            with self.h.db.org_session(self.h.org_id) as s:
                c = s.scalar(select(Conversation).where(
                    Conversation.wa_id == self.who(step["hand_back"])))
                hand_back(s, c.id, "user:1")
                reopened, conversation_id = reopen_unanswered(s, c.id), c.id
            if reopened:
                Dispatcher(self.h.redis).process_burst(self.h.org_id, conversation_id,
                                                       uuid4().hex)
        elif "handover_expires" in step:
            self.conversation(self.who(step["handover_expires"]),
                              expires_at=datetime.now(UTC) - timedelta(minutes=1))
        elif "react" in step:
            self.post(simulator.reaction(PHONE_NUMBER_ID, wa_id, self.last_sent_wamid(wa_id),
                                         str(step["react"]), **kw))
        elif "sticker" in step:
            media = self.h.graph.upload_media(b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(500),
                                              "image/webp")
            self.post(simulator.sticker(PHONE_NUMBER_ID, wa_id, media, **kw))
        elif "pays" in step:
            self.pay(step["pays"], where)
        else:
            raise AssertionError(f"{where}: the step does nothing (one of {ACTIONS})")
        return 15.0

    def last_sent_wamid(self, wa_id: str) -> str:
        from core.models import Direction, Message

        with self.h.db.org_session(self.h.org_id) as s:
            wamid = s.scalar(select(Message.wa_message_id).join(Conversation).where(
                Conversation.wa_id == wa_id, Message.direction == Direction.OUTBOUND,
                Message.wa_message_id.is_not(None)).order_by(Message.id.desc()).limit(1))
        return wamid or "wamid.unknown"

    def pay(self, amount, where: str) -> None:
        """The customer pays the newest invoice on Mercado Pago, which then notifies us."""
        from core.models import Invoice

        with self.h.db.org_session(self.h.org_id) as s:
            invoice = s.scalar(select(Invoice).order_by(Invoice.id.desc()))
            assert invoice is not None and invoice.payment_link, f"{where}: no payment link"
            reference = f"inv:{self.h.org_id}:{invoice.id}"
        mp = self.billing["fake_mercadopago"]
        payment_id = mp.add_payment(reference, Decimal(str(amount)))
        headers, body, query = mp.signed_notification(payment_id, MP_SECRET)
        response = self.h.client.post("/webhooks/mercadopago",
                                      query_string={"org": self.h.org_id, **query},
                                      json=body, headers=headers)
        assert response.status_code == 200, f"{where}: webhook answered {response.status_code}"

    def tap(self, wa_id: str, title: str, where: str, **kw) -> None:
        offers = [p for p in self.sent(wa_id) if options_of(p)]
        assert offers, f"{where}: nothing to tap, the bot sent {wa_id}:\n{describe(self.sent(wa_id))}"
        options = options_of(offers[-1])
        if title == "first":
            chosen = options[0]
        else:
            matches = [o for o in options if o[2] == title]
            assert matches, (f"{where}: no {title!r} to tap; the last interactive message was:\n"
                             f"{describe(offers[-1:])}")
            chosen = matches[0]
        kind, option_id, option_title = chosen
        build = simulator.button_reply if kind == "button" else simulator.list_reply
        self.post(build(PHONE_NUMBER_ID, wa_id, option_id, option_title, **kw))

    # -- expectations --------------------------------------------------------------------------

    def new_replies(self) -> dict[str, list[dict]]:
        fresh: dict[str, list[dict]] = {}
        for record in self.h.graph.sent():
            fresh.setdefault(record.get("to") or record["payload"].get("to"), []).append(
                record["payload"])
        out = {}
        for wa_id, payloads in fresh.items():
            out[wa_id] = payloads[self.seen.get(wa_id, 0):]
            self.seen[wa_id] = len(payloads)
        return out

    def check(self, step: dict, replies: dict[str, list[dict]], where: str) -> None:
        everything = "\n".join(f" to {w}:\n{describe(p)}" for w, p in replies.items() if p)
        expects = step.get("expect") or []
        for expect in expects if isinstance(expects, list) else [expects]:
            if expect.get("none"):
                assert not everything, f"{where}: expected silence, the bot sent:\n{everything}"
                continue
            wa_id = self.who(expect.get("to") or step.get("from"))
            got = replies.get(wa_id, [])
            shown = f"{where}: the bot sent {expect.get('to', wa_id)}:\n{describe(got)}"
            if "count" in expect:
                assert len(got) == expect["count"], f"expected {expect['count']} replies; {shown}"
            if "type" in expect:
                assert any(p["type"] == expect["type"] for p in got), \
                    f"expected a {expect['type']}; {shown}"
            for text in _listed(expect.get("contains")):
                assert any(text in body_of(p) for p in got), f"expected {text!r}; {shown}"
            for text in _listed(expect.get("not_contains")):
                assert not any(text in body_of(p) for p in got), f"unexpected {text!r}; {shown}"
            if "last_contains" in expect:  # the question the customer answers comes last
                assert got and expect["last_contains"] in body_of(got[-1]), \
                    f"expected the last reply to say {expect['last_contains']!r}; {shown}"
            if "types_in_order" in expect:
                kinds = [p["type"] for p in got]
                positions = [kinds.index(k) if k in kinds else -1 for k in expect["types_in_order"]]
                assert -1 not in positions and positions == sorted(positions), \
                    f"expected {expect['types_in_order']} in that order; {shown}"
            if "buttons" in expect:
                assert any(set(expect["buttons"]) <= {t for _, _, t in options_of(p)} for p in got), \
                    f"expected buttons {expect['buttons']}; {shown}"
            if "buttons_like" in expect:  # each, part of some button's title ("15 a 17")
                titles = [t for p in got for _, _, t in options_of(p)]
                for part in _listed(expect["buttons_like"]):
                    assert any(part in t for t in titles), f"expected a button with {part!r}; {shown}"
            if "buttons_not_like" in expect:  # in no button's title ("Mañana": a day set aside)
                titles = [t for p in got for _, _, t in options_of(p)]
                assert titles, f"expected buttons; {shown}"
                for part in _listed(expect["buttons_not_like"]):
                    assert not any(part in t for t in titles), f"unexpected a button with {part!r}; {shown}"
            if not any(k in expect for k in ("count", "type", "contains", "not_contains", "buttons",
                                             "buttons_like", "buttons_not_like", "types_in_order",
                                             "last_contains")):
                assert got, f"expected a reply; {shown}"
        if "expect_job" in step:
            self.check_job(step["expect_job"], where, everything)
        if "expect_conversation" in step:
            self.check_conversation(step["expect_conversation"], where, everything)
        if "expect_invoice" in step:
            self.check_invoice(step["expect_invoice"], where, everything)

    def check_job(self, expect: dict, where: str, everything: str) -> None:
        with self.h.db.org_session(self.h.org_id) as s:
            count = s.scalar(select(func.count()).select_from(Job))
            if "count" in expect:
                assert count == expect["count"], \
                    f"{where}: expected {expect['count']} jobs, there are {count}; sent:\n{everything}"
            job = s.scalar(select(Job).order_by(Job.id.desc()))
            if set(expect) - {"count"}:
                assert job is not None, f"{where}: no job; the bot sent:\n{everything}"
            for key in ("status", "urgency"):
                if key in expect:
                    actual = getattr(job, key).value
                    assert actual == expect[key], \
                        f"{where}: job {key} is {actual!r}, expected {expect[key]!r}; sent:\n{everything}"
            if "service" in expect:
                assert job.service == expect["service"], f"{where}: job service is {job.service!r}"
            if "customer_name" in expect:
                name = job.customer.name if job.customer else None
                assert name == expect["customer_name"], f"{where}: the job's customer is {name!r}"
            for part in _listed(expect.get("description_contains")):
                assert part in (job.description or ""), \
                    f"{where}: job description {job.description!r} lacks {part!r}"
            for part in _listed(expect.get("description_not_contains")):
                assert part not in (job.description or ""), \
                    f"{where}: job description {job.description!r} has {part!r}"
            if "technician" in expect:
                actual = job.technician.name if job.technician else None
                assert actual == expect["technician"], \
                    f"{where}: job technician is {actual!r}; sent:\n{everything}"
            if "rating" in expect:
                event = s.scalar(select(JobEvent).where(JobEvent.job_id == job.id,
                                                        JobEvent.kind == "rating"))
                assert event is not None and event.data == {"stars": expect["rating"]}, \
                    f"{where}: rating is {event and event.data}; sent:\n{everything}"

    def check_invoice(self, expect: dict, where: str, everything: str) -> None:
        from core.billing.payments import invoice_balance
        from core.models import Invoice

        with self.h.db.org_session(self.h.org_id) as s:
            count = s.scalar(select(func.count()).select_from(Invoice))
            if "count" in expect:
                assert count == expect["count"], f"{where}: {count} invoices; sent:\n{everything}"
                if count == 0:
                    return  # none, as expected: nothing more to look at
            invoice = s.scalar(select(Invoice).order_by(Invoice.id.desc()))
            assert invoice is not None, f"{where}: no invoice; sent:\n{everything}"
            if "status" in expect:
                assert invoice.status.value == expect["status"], \
                    f"{where}: invoice is {invoice.status.value} ({invoice.last_error})"
            if "letter" in expect:
                assert invoice.letter == expect["letter"], f"{where}: letter {invoice.letter}"
            if "paid" in expect:
                assert (invoice.paid_at is not None) == expect["paid"], f"{where}: paid_at"
            if "balance" in expect:
                assert invoice_balance(s, invoice) == Decimal(str(expect["balance"]))
            if "total" in expect:
                assert invoice.total == Decimal(str(expect["total"])), f"{where}: total {invoice.total}"
            if "customer" in expect:
                name = s.get(Customer, invoice.customer_id).name
                assert name == expect["customer"], f"{where}: invoice to {name}"

    def check_conversation(self, expect: dict, where: str, everything: str) -> None:
        wa_id = self.who(expect.get("of"))
        with self.h.db.org_session(self.h.org_id) as s:
            c = s.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
            assert c is not None, f"{where}: no conversation with {wa_id}"
            for key in ("needs_person", "flow", "human_takeover", "state", "misses"):
                if key in expect:
                    actual = getattr(c, key)
                    assert actual == expect[key], \
                        f"{where}: conversation {key} is {actual!r}, expected {expect[key]!r}; " \
                        f"sent:\n{everything}"

    # -- invariants, checked after every step of every story ------------------------------------

    def quiet_conversations(self) -> dict[int, bool]:
        """Conversations a person has right now, or that wait for one: the bot must not speak in
        them (conversation id -> whether a person took it; one waiting may only hear an
        emergency's answer)."""
        from flows import handover

        now = datetime.now(UTC)
        with self.h.db.org_session(self.h.org_id) as s:
            return {c.id: c.human_takeover for c in s.scalars(select(Conversation))
                    if c.human_takeover or handover.waiting(c, now)}

    def last_message_id(self) -> int:
        from core.models import Message

        with self.h.db.org_session(self.h.org_id) as s:
            return s.scalar(select(func.max(Message.id))) or 0

    def check_invariants(self, since: int, quiet: dict[int, bool], where: str) -> None:
        from core.models import Direction, Invoice, Job, Message, Role, Urgency, User

        with self.h.db.org_session(self.h.org_id) as s:
            out = list(s.scalars(select(Message).where(
                Message.id > since, Message.direction == Direction.OUTBOUND)))
            replies = [m for m in out if (m.idempotency_key or "").startswith("burst:")
                       and ":notice:" not in m.idempotency_key]
            # One reply turn per burst, and nothing while a person has the conversation.
            bursts: dict[int, set[str]] = {}
            for m in replies:
                bursts.setdefault(m.conversation_id, set()).add(m.idempotency_key.split(":")[1])
                # a conversation waiting for a person hears only an emergency's answer: its job,
                # or the booking of it under way (its address asked first)
                emergency = m.conversation_id in quiet and not quiet[m.conversation_id] and (s.scalar(
                    select(func.count(Job.id)).where(Job.source_conversation_id == m.conversation_id,
                                                     Job.urgency == Urgency.EMERGENCY))
                    or (s.get(Conversation, m.conversation_id).slots or {}).get("urgency") == "emergency")
                assert m.conversation_id not in quiet or emergency, \
                    f"{where}: the bot spoke while a person had the conversation: {m.body!r}"
            for conversation_id, ids in bursts.items():
                inbound = s.scalar(select(func.count(func.distinct(Message.burst_id))).where(
                    Message.conversation_id == conversation_id, Message.id > since,
                    Message.direction == Direction.INBOUND))
                assert len(ids) <= max(inbound, 1), f"{where}: {len(ids)} reply turns for {inbound} bursts"
            # Totals charged = totals confirmed.
            for invoice in s.scalars(select(Invoice)):
                assert invoice.total > 0 and all(
                    line.subtotal >= 0 and line.unit_price >= 0 for line in invoice.lines), \
                    f"{where}: invoice {invoice.id} has a negative line"
                if invoice.job_id is None:
                    continue
                event = s.scalar(select(JobEvent).where(
                    JobEvent.job_id == invoice.job_id, JobEvent.to_status == "completed")
                    .order_by(JobEvent.id.desc()).limit(1))
                summary = ((event.data or {}).get("work_summary") if event else None) or {}
                if summary.get("total"):
                    assert invoice.total == Decimal(summary["total"]), \
                        f"{where}: charged {invoice.total}, the technician confirmed {summary['total']}"
            if self.billing.get("fake_mercadopago"):
                for pref in self.billing["fake_mercadopago"].preferences.values():
                    reference = pref.get("external_reference") or ""
                    invoice = s.get(Invoice, int(reference.rsplit(":", 1)[1])) \
                        if reference.startswith(f"inv:{self.h.org_id}:") else None
                    if invoice is not None:
                        charged = sum(Decimal(str(i["unit_price"])) * int(i.get("quantity", 1))
                                      for i in pref.get("items", []))
                        # the whole invoice, or what is left of it after cash or a transfer
                        # recorded before the link was made ("me dio 10 en efectivo")
                        from core.models import Payment, PaymentMethod, PaymentStatus

                        settled = sum((p.amount for p in s.scalars(select(Payment).where(
                            Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.APPROVED,
                            Payment.method != PaymentMethod.MERCADOPAGO))), Decimal(0))
                        assert charged in (invoice.total, invoice.total - settled), \
                            f"{where}: payment link for {charged}, invoice total {invoice.total}"
            # No time is offered on a day the business closed, nor outside a day's own hours.
            org = s.get(Organization, self.h.org_id)
            if org.closed_days or org.day_hours:
                for m in out:
                    for slot_id in _offered_slots(m.payload):
                        slot = parse_slot_id(slot_id, time_zone=org.time_zone)
                        day = slot.start.astimezone(BA).date() if slot else None
                        assert day is None or day.isoformat() not in org.closed_days, \
                            f"{where}: {slot_id} offered on {day}, a day the business closed"
                        if day is not None and day.isoformat() in org.day_hours:
                            assert any(lo <= slot.start and slot.end <= hi
                                       for lo, hi in business_ranges(org, day, BA)), \
                                f"{where}: {slot_id} offered outside the hours of {day}"
            # Every emergency assigned or escalated to an owner with its number.
            owners = [wa for (wa,) in s.execute(select(User.phone).where(User.role == Role.OWNER))]
            for job in s.scalars(select(Job).where(Job.urgency == "emergency")):
                if job.technician_id is not None or not owners:
                    continue
                told = s.scalar(select(func.count()).select_from(Message).join(Conversation).where(
                    Conversation.role == "owner", Message.direction == Direction.OUTBOUND,
                    Message.body.contains(f"#{job.number}")))
                assert told, f"{where}: emergency #{job.number} has no technician and no owner knows"
            # One technician never has two booked visits at once (an emergency goes on top; the
            # owner may move one onto another after being told of the clash).
            accepted = {job_id for job_id, data in s.execute(select(JobEvent.job_id, JobEvent.data))
                        if isinstance(data, dict) and data.get("overlap_accepted")}
            visits: dict[int, list[Job]] = {}
            for job in s.scalars(select(Job).where(
                    Job.technician_id.is_not(None), Job.scheduled_start.is_not(None),
                    Job.scheduled_end.is_not(None), Job.urgency != "emergency",
                    Job.status.in_(("scheduled", "en_route", "on_site")))):
                for other in visits.get(job.technician_id, []):
                    if {job.id, other.id} & accepted:
                        continue
                    assert not (job.scheduled_start < other.scheduled_end
                                and other.scheduled_start < job.scheduled_end), \
                        f"{where}: jobs #{other.number} and #{job.number} share the technician's hour"
                visits.setdefault(job.technician_id, []).append(job)
            # Nobody waits on a promised person that no one who answers the inbox was told about.
            inbox = list(s.scalars(select(User).where(
                User.role.in_((Role.OWNER, Role.ADMIN, Role.DISPATCHER)), User.phone.is_not(None))))
            for waiting in s.scalars(select(Conversation).where(
                    Conversation.flow == "handover", Conversation.id.in_(self.touched(s, since)))):
                if waiting.id in quiet or not [u for u in inbox if u.id != waiting.user_id]:
                    continue  # already waiting before this step (told then), or nobody to tell
                told = s.scalar(select(func.count()).select_from(Message).where(
                    Message.id > since, Message.direction == Direction.OUTBOUND,
                    Message.conversation_id != waiting.id,
                    Message.body.contains("quiere hablar con una persona"),
                    Message.body.contains(f"/app/conversations/{waiting.id}")))
                assert told, f"{where}: {waiting.wa_id} waits for a person and no staff member knows"
            # Staff chats never wait for a person: the owner is who conversations are handed to,
            # and a technician's notices ("voy en camino", "terminé") come in there all day.
            for waiting in s.scalars(select(Conversation).where(
                    Conversation.role.in_(("owner", "technician")), Conversation.flow == "handover")):
                raise AssertionError(f"{where}: the {waiting.role} chat {waiting.wa_id} was handed to a person")

    def touched(self, s, since: int):
        """The conversations a message came in to during this step."""
        from core.models import Direction, Message

        return select(Message.conversation_id).where(
            Message.id > since, Message.direction == Direction.INBOUND)

    def skip_when_today_is_over(self) -> None:
        """A story cannot run as written when today has not the time it needs left (Buenos
        Aires): one that books today's times (`hours_left_today`), or one with a visit set some
        hours from now that would fall on another day (late at night, or just after midnight
        for a visit some hours ago): its replies ("hoy", "a las 5 de la tarde", the next visit)
        were written for a visit of today."""
        setup = self.story.get("setup") or {}
        now = datetime.now(BA)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), BA)
        if (need := setup.get("hours_left_today")) and midnight - now < timedelta(hours=need):
            pytest.skip(f"books one of today's times: needs {need} h of today left in Buenos "
                        f"Aires, it is {now:%H:%M} there")
        for spec in setup.get("jobs") or []:
            if spec.get("status") == "new" or "at_hour" in spec or "in_days" in spec:
                continue  # at an hour of today (or of a day from today): never moved by the hour
            start = _hours_from_now(spec).astimezone(BA)
            if start.date() != now.date():
                pytest.skip(f"its visit set {spec.get('in_hours', 2)} h from now falls on "
                            f"{start:%d/%m %H:%M} in Buenos Aires, not today")

    def run(self) -> None:
        self.skip_when_today_is_over()
        # Each step is its own burst and is worked until idle: a short quiet keeps the suite quick.
        self.h.transport.settings = self.h.settings.model_copy(
            update={"burst_quiet_seconds": 0.1, "burst_max_seconds": 1.0})
        self.setup()
        self.new_replies()
        for n, step in enumerate(self.story["steps"], 1):
            where = f"{self.story['name']} step {n} {({k: step[k] for k in step if k in ACTIONS})}"
            since = self.last_message_id()
            timeout = self.act(step, where)
            quiet = self.quiet_conversations()  # after a take-over or hand-back, before the bot
            self.h.work(timeout=timeout)
            self.check(step, self.new_replies(), where)
            self.check_invariants(since, quiet, where)


def _dated(text: str) -> str:
    """`{in_days_3}` in a message: the day of the month three days from today (Buenos Aires),
    so a story that names dates ("del 8 al 12") means the same whenever the suite runs."""
    today = datetime.now(BA).date()
    return re.sub(r"\{in_days_(\d+)\}", lambda m: str((today + timedelta(days=int(m.group(1)))).day),
                  text)


def _offered_slots(payload) -> list[str]:
    """The slot ids of the buttons and list rows of a stored reply's payload."""
    from flows.buttons import RescheduleTap, SlotTap, decode

    found: list[str] = []
    if isinstance(payload, dict):
        tap = decode(payload.get("id")) if isinstance(payload.get("id"), str) else None
        if isinstance(tap, SlotTap) or (isinstance(tap, RescheduleTap) and tap.slot_id):
            found.append(tap.slot_id)
        for value in payload.values():
            found += _offered_slots(value)
    elif isinstance(payload, list):
        for value in payload:
            found += _offered_slots(value)
    return found


@pytest.mark.parametrize("story", ALL, ids=[s["name"] for s in ALL])
def test_story(harness, story, request, monkeypatch):
    billing = None
    if (story.get("setup") or {}).get("business"):
        # Invoicing stories talk to the fake AFIP and Mercado Pago: the workers read these.
        billing = {name: request.getfixturevalue(name)
                   for name in ("fake_afip", "fake_mercadopago", "afip_credentials")}
        monkeypatch.setenv("AFIP_BASE_URL", billing["fake_afip"].url)
        monkeypatch.setenv("AFIP_TIMEOUT_SECONDS", "2")
        monkeypatch.setenv("MERCADOPAGO_BASE_URL", billing["fake_mercadopago"].url)
        get_settings.cache_clear()
    Story(harness, story, billing).run()


def test_every_story_is_a_test_case():
    # A helper slipped between the decorator and `test_story` would leave one test of nothing.
    marks = [m for m in getattr(test_story, "pytestmark", []) if m.name == "parametrize"]
    assert marks and len(marks[0].args[1]) == len(ALL) > 0
