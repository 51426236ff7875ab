"""A technician's "terminé, cambié el flexible y la canilla, cobrale 15 lucas", priced and placed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core import jobs
from core.billing.price_book import archive_item, create_item
from core.jobs.work_summary import (
    ADJUSTMENT_DESCRIPTION,
    MATERIALS_DESCRIPTION,
    Line,
    WorkSummary,
    fit_to_total,
)
from core.models import Job, JobStatus
from flows.job_lookup import candidate_jobs
from flows.work_text import match_lines, render_work_summary, stated_amount, work_items
from tests.factories import add_customer_row, add_technician, create_org

TODAY = date(2026, 11, 25)
# 12:00 and 15:00 in Buenos Aires (UTC-3)
NOON = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
AFTERNOON = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
TOMORROW = NOON + timedelta(days=1)

PRICE_BOOK = (
    ("PL-FLEX40", "Flexible mallado 40 cm", "8000"),
    ("PL-CANILLA", "Canilla monocomando de cocina", "25000"),
    ("PL-CUERITO", "Cambio de cuerito", "12000"),
    ("PL-DEST", "Destapación de cañería con máquina", "90000"),
    ("PL-DESTINO", "Destapación de inodoro", "55000"),
    ("GAS-TERMO", "Service de termotanque", "70000"),
    ("EL-DISYMO", "Instalación de disyuntor", "45000"),
    ("EL-TOMA", "Cambio de tomacorriente", "18000"),
)


# ---- work_items: no database ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Terminé! Cambié el flexible y la canilla, y destapé la pileta. Cobrale 15 lucas",
     ["flexible", "canilla", "destapé la pileta"]),
    # the part in the state said before "la cambié", however much of it ("entera")
    ("terminé. no era el flexible, estaba podrida la llave de paso, la cambié entera. son 28 lucas",
     ["llave de paso"]),
    ("la canilla estaba rota, la cambié. cobrale 12", ["canilla"]),
    # who bought the part, told after it, is no part of it
    ("la monocomando la compró ella, yo solo la coloqué. cobrale catorce quinientos", ["monocomando"]),
    ("el flexible lo trajo el cliente, lo cambié, 8 lucas", ["flexible"]),
    # what is said against is no work: "no le mandes link", "no la canilla"
    ("listo terminé\nlimpieza y carga de gas del split\nme pagó en efectivo 65 mil, no le mandes link",
     ["limpieza", "carga de gas del split"]),
    ("cambié el flexible, no la canilla", ["flexible"]),
    ("hola jefe, terminé en lo de García. cambié el flexibe y la canila, cobrale 15 lucas",
     ["flexibe", "canila"]),
    ("listo lo de la señora Ruiz, le cambié 2 flexibles y el cuerito y quedó andando",
     ["2 flexibles", "cuerito"]),
    ("cambie el flexible cobrale 15000", ["flexible"]),
    ("Buenas! ya terminé. Instalé un disyuntor, cambié dos tomas. Son $45.000",
     ["disyuntor", "dos tomas"]),
    ("revisé el termotanque y cambié el flexible, todo ok, salió 30 mil",
     ["revisé el termotanque", "flexible"]),
    ("flexible y canilla, cobrale 15 lucas", ["flexible", "canilla"]),  # no verb at all
    ("terminé, cobrale 15 lucas", []),
    # a voice note's misheard charge ("cobrale" heard as "corrale") is still the charge
    ("Termine, Destapé la pileta de la cocina, Corrale 15 mil pesos.", ["Destapé la pileta de la cocina"]),
    ("terminé lo de García, 20 lucas, cambié la bomba", ["bomba"]),
    # what was wrong is the part worked on: "era el cuerito" prices the cuerito
    ("listo, era el cuerito. cobrale 22 lucas", ["cuerito"]),
    ("terminé, fue la mochila del inodoro, 38 lucas", ["mochila del inodoro"]),
    ("la falla era el capacitor, 40 lucas", ["capacitor"]),
    ("fue lo de garcia, cobrale 10 lucas", []),
    # what the customer paid is money, not work ("me pagó", "me dio", "me transfirió")
    ("listo, cambie el flexible, me pago 27500 en efectivo", ["flexible"]),
    ("terminé, cambié el cuerito, me dio 20 lucas", ["cuerito"]),
    ("cambie la canilla y me transfirio 40 lucas", ["canilla"]),
    # the part named first and pointed back to ("…, lo cambié"): the clause before is the work
    ("listo, era el flexible de la cocina que perdía, lo cambié. cobrale 45 lucas",
     ["flexible de la cocina"]),
    ("el flexible lo cambié, cobrale 20", ["flexible"]),
    ("la pileta de la cocina la destapé, son 30 lucas", ["destapé la pileta de la cocina"]),
    ("la canilla que goteaba la cambié y destapé la pileta", ["canilla", "destapé la pileta"]),
    ("terminé lo de garcía, lo cambié todo, 20 lucas", []),  # "todo" names no part
    ("cambié todo el cableado del baño", ["cableado del baño"]),
    ("", []),
])
def test_work_items(text, expected):
    assert work_items(text) == expected


# A bare figure right after a part, in a message with money, is that part's price, not its name;
# a size ("de 20", "de 3/4") or an angle ("codo 90") stays with the part
@pytest.mark.parametrize(("text", "expected"), [
    ("listo. valvula 25 lucas y la canilla 14, total 39 mil", ["valvula", "canilla"]),
    ("cambie el flexible 3000 y la canilla 15000, son 18000", ["flexible", "canilla"]),
    ("puse una termica de 20 y cable, 20 lucas", ["termica de 20", "cable"]),
    ("cambie el codo 90, 5 lucas", ["codo 90"]),
])
def test_a_part_followed_by_its_price(text, expected):
    assert work_items(text) == expected


def test_stated_amount_uses_the_nlu_parser():
    assert stated_amount("terminé, cobrale 15 lucas") == Decimal("15000.00")
    assert stated_amount("cambié el flexible") is None


# ---- price book ----------------------------------------------------------------------------

@pytest.fixture
def org(pg_db):
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    with pg_db.org_session(org_id) as s:
        ids = {code: create_item(s, {"code": code, "name": name, "price": Decimal(price)}).id
               for code, name, price in PRICE_BOOK}
        archived = create_item(s, {"code": "PL-VIEJO", "name": "Flexible común viejo",
                                   "price": Decimal(1000)})
        archive_item(s, archived.id)
    return org_id, ids


def _lines(summary: WorkSummary) -> list[tuple[int | None, Decimal, Decimal]]:
    return [(line.item_id, line.quantity, line.unit_price) for line in summary.lines]


def test_typos_and_missing_accents_match(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié el flexibe y la canila", None)
    assert _lines(summary) == [
        (ids["PL-FLEX40"], Decimal(1), Decimal("8000.00")),
        (ids["PL-CANILLA"], Decimal(1), Decimal("25000.00")),
    ]
    assert summary.unmatched == []
    assert all(0.8 <= line.confidence <= 1 for line in summary.lines)
    assert summary.total == Decimal("33000.00")  # no amount: the sum of the lines
    assert summary.labor_adjustment is None
    assert not summary.needs_review


def test_a_charge_listed_item_by_item_is_a_line_each_at_its_figure(pg_db, org):
    # the technician's own figures, not the list's: each item a line, described as said
    org_id, _ = org
    text = "terminé: flexible 3000, canilla 15000, mano de obra 20000"
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, text, stated_amount(text))
    assert [(line.description, line.unit_price) for line in summary.all_lines] == [
        ("Flexible", Decimal("3000.00")), ("Canilla", Decimal("15000.00")),
        ("Mano de obra", Decimal("20000.00"))]
    assert summary.total == Decimal("38000.00") and summary.unmatched == []
    assert sum(line.amount for line in summary.all_lines) == summary.total


def test_what_was_wrong_is_priced_as_the_work(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "listo, era el cuerito. cobrale 12 lucas", Decimal(12000))
    assert _lines(summary) == [(ids["PL-CUERITO"], Decimal(1), Decimal("12000.00"))]
    assert summary.unmatched == [] and summary.labor_adjustment is None


def test_a_part_named_before_its_verb_is_priced(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "era el cuerito que goteaba, lo cambié. cobrale 12 lucas",
                              Decimal(12000))
    assert _lines(summary) == [(ids["PL-CUERITO"], Decimal(1), Decimal("12000.00"))]
    assert summary.unmatched == [] and summary.labor_adjustment is None


def test_service_verbs_and_the_object_decide(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(
            s, "destape el inodoro, revise el termotanque, instale el disyuntor", None)
    assert [line.item_id for line in summary.lines] == [
        ids["PL-DESTINO"], ids["GAS-TERMO"], ids["EL-DISYMO"]]
    assert summary.lines[0].said == "destape el inodoro"


def test_the_thing_after_a_work_noun_decides(pg_db, org):
    # "service | del calefactor": the thing serviced, not a detail of the service
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "hice el service del calefactor", None)
    assert summary.lines == [] and summary.unmatched == ["service del calefactor"]


# A price a customer asks is read by nobody before it is sent (a technician checks their own
# lines): only the item that is the work asked about, never the price book's nearest one
@pytest.mark.parametrize(("text", "code"), [
    ("el service del termotanque", "GAS-TERMO"),
    ("arreglar el termotanque", "GAS-TERMO"),  # a repair is a service
    ("destapar el inodoro", "PL-DESTINO"),
    ("cambiar el disyuntor", "EL-DISYMO"),  # changing one is fitting a new one
    ("cambiar el cuerito", "PL-CUERITO"),
    ("instalar un termotanque", None),  # installing one is no service of it
    ("la instalación de un split", None),  # no disyuntor
    ("el service del calefón", None),  # no termotanque
    ("destapar la pileta", None),  # neither the inodoro nor the cañería
])
def test_a_quote_is_only_the_work_asked_about(pg_db, org, text, code):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, text, None, quote=True)
    assert [line.item_id for line in summary.lines] == ([ids[code]] if code else [])


# The trade's words find a price book worded its own way: a word written short, a part's other
# name, the part named before what is wrong with it
WORDED_DIFFERENTLY = ("Flex. mallado 40 cm", "Interruptor diferencial 2x40 A",
                      "Colocación de disy. bipolar", "Termomagnética 20 A",
                      "Cambio de tomacorriente", "Visita de diagnóstico")


@pytest.mark.parametrize(("text", "name", "left_out"), [
    ("cambiar un flexible", "Flex. mallado 40 cm", None),
    ("cambié 2 flexibles", "Flex. mallado 40 cm", None),
    ("instalar un disyuntor", "Colocación de disy. bipolar", None),
    ("cambiar el disyuntor", "Colocación de disy. bipolar", None),
    ("cambiar el disyuntor", "Interruptor diferencial 2x40 A", "Colocación de disy. bipolar"),
    ("cambiar la térmica", "Termomagnética 20 A", None),
    ("cambiar un enchufe", "Cambio de tomacorriente", None),
    ("cambiar el flexible que pierde", "Flex. mallado 40 cm", None),
    ("cambiar el disyuntor porque salta", "Colocación de disy. bipolar", None),
])
def test_trade_words_find_items_worded_differently(pg_db, text, name, left_out):
    org_id = create_org(pg_db, "Electricidad Sosa", slug="electricidad-sosa")
    with pg_db.org_session(org_id) as s:
        for item in WORDED_DIFFERENTLY:
            if item != left_out:
                create_item(s, {"name": item, "price": Decimal(10000)})
        for quote in (False, True):
            summary = match_lines(s, text, None, quote=quote)
            assert [line.description for line in summary.lines] == [name], quote


def test_quantity(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "le cambié 2 flexibles y tres tomas", None)
    assert _lines(summary) == [
        (ids["PL-FLEX40"], Decimal(2), Decimal("8000.00")),
        (ids["EL-TOMA"], Decimal(3), Decimal("18000.00")),
    ]
    assert summary.lines[0].amount == Decimal("16000.00")
    assert summary.total == Decimal("70000.00")


def test_a_quantity_after_the_work_named_first(pg_db, org):
    # "el service de 2 termotanques": the work, then how many things it was done to
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "hice el service de 2 termotanques y la instalación de los 3 disyuntores",
                              None)
    assert _lines(summary) == [
        (ids["GAS-TERMO"], Decimal(2), Decimal("70000.00")),
        (ids["EL-DISYMO"], Decimal(3), Decimal("45000.00")),
    ]


def test_the_same_item_twice_is_one_line(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié un flexible y después otro flexible", None)
    assert _lines(summary) == [(ids["PL-FLEX40"], Decimal(2), Decimal("8000.00"))]


def test_stated_total_below_the_lines_lowers_them_never_a_negative_line(pg_db, org):
    org_id, ids = org
    text = "terminé, cambié el flexible y la canilla, cobrale 15 lucas"
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, text, stated_amount(text))
    assert [line.item_id for line in summary.lines] == [ids["PL-FLEX40"], ids["PL-CANILLA"]]
    assert summary.total == Decimal("15000.00")
    assert summary.stated_amount == Decimal("15000.00")
    assert summary.labor_adjustment is None
    assert summary.fitted
    assert all(line.amount > 0 for line in summary.all_lines)
    assert sum(line.amount for line in summary.all_lines) == summary.total
    # In proportion to the list: 8.000 and 25.000 of 33.000.
    assert [line.amount for line in summary.lines] == [Decimal("3636.36"), Decimal("11363.64")]


@pytest.mark.parametrize("total", ["1", "0.03", "999.99", "15000", "32999.99", "7777.77"])
def test_fitted_lines_always_add_up_to_the_total(total):
    lines = [_line(1, "Flexible", "8000", quantity=3), _line(2, "Canilla", "25000"),
             _line(3, "Cuerito", "12000", quantity=7)]
    fitted = fit_to_total(lines, Decimal(total))
    assert sum(line.amount for line in fitted) == Decimal(total)
    assert all(line.amount > 0 for line in fitted)
    assert [line.quantity for line in fitted] == [line.quantity for line in lines]


def test_a_doubtful_match_is_not_priced_when_the_total_is_stated(pg_db, org):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "terminé, cambié el flexible común y la resistencia, cobrale 20 lucas",
                              Decimal(20000))
    assert summary.lines == []
    assert summary.unsure == ["flexible común"] and summary.unmatched == ["resistencia"]
    assert summary.labor_adjustment.description == "Mano de obra: flexible común, resistencia"
    text = render_work_summary(summary, 3, None)
    assert "• Mano de obra: flexible común, resistencia: $20.000" in text
    assert "«flexible común»: no sé bien cuál" in text
    assert summary.labor_adjustment.amount == summary.total == Decimal("20000.00")


def test_stated_total_above_the_lines_is_labour(pg_db, org):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié el flexible", Decimal(20000))
    assert summary.labor_adjustment.amount == Decimal("12000.00")
    assert sum(line.amount for line in summary.all_lines) == Decimal("20000.00")


@pytest.mark.parametrize(("text", "work", "materials"), [
    # the work priced against what is left once the materials are out, the materials a line
    ("terminé, destapé el inodoro con la máquina, son 25 lucas de mano de obra más 8 de materiales",
     "25000.00", "8000.00"),
    ("cambié el flexible, 2 lucas de materiales más 35 de mano de obra", "35000.00", "2000.00"),
    ("listo, cambié el flexible. son 30 mil + 12 mil de repuestos", "30000.00", "12000.00"),
    # each part on its own line, with its own label (before: the labour alone was charged)
    (("listo, cambie la bomba presurizadora\nmano de obra 20 lucas\nmateriales 8.500, la bomba "
     "la compré yo"), "20000.00", "8500.00"),
    ("cambié el flexible. mano de obra: $15.000, y 3000 de materiales", "15000.00", "3000.00"),
])
def test_materials_told_apart_are_a_line_of_their_own(pg_db, org, text, work, materials):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, text, stated_amount(text))
    bought = [line for line in summary.all_lines if line.description == MATERIALS_DESCRIPTION]
    assert [line.amount for line in bought] == [Decimal(materials)]
    assert summary.all_lines[-1] is bought[0]  # the work first, then what was bought
    assert sum(line.amount for line in summary.all_lines) == summary.total
    assert summary.total - bought[0].amount == Decimal(work)
    body = render_work_summary(summary, 1, "Marta")
    assert body.index("• Materiales:") > max(body.index(f"• {line.description}")
                                              for line in summary.all_lines[:-1])


@pytest.mark.parametrize("text", [
    "cambié el flexible, cobrale 25 lucas",
    "cambié el flexible, cobrale 25 lucas, los materiales los puso el cliente",
    "cobrale 15 lucas más 3 de viático",
])
def test_no_materials_line_unless_a_part_is_for_materials(pg_db, org, text):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, text, stated_amount(text))
    assert all(line.description != MATERIALS_DESCRIPTION for line in summary.all_lines)
    assert sum(line.amount for line in summary.all_lines) == summary.total


def test_stated_total_equal_to_the_lines_needs_no_adjustment(pg_db, org):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié el flexible y la canilla", 33000)
    assert summary.labor_adjustment is None
    assert summary.total == Decimal("33000.00")


def test_unmatched_pieces_are_listed_not_priced(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié el flexible y la resistencia del horno", None)
    assert [line.item_id for line in summary.lines] == [ids["PL-FLEX40"]]
    assert summary.unmatched == ["resistencia del horno"]
    assert summary.total == Decimal("8000.00")
    assert summary.needs_review


def test_archived_items_are_never_matched(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "cambié el flexible común", None)
    assert [line.item_id for line in summary.lines] == [ids["PL-FLEX40"]]
    assert summary.lines[0].doubtful  # "común" is not in "Flexible mallado 40 cm"


def test_two_items_that_fit_equally_are_marked_doubtful(pg_db, org):
    org_id, ids = org
    with pg_db.org_session(org_id) as s:
        labour = create_item(s, {"code": "PL-FLEXMO", "name": "Cambio de flexible (mano de obra)",
                                 "price": Decimal(18000)}).id
        changed = match_lines(s, "cambié el flexible", None)
        bare = match_lines(s, "flexible de 40", None)
    # "cambié" leans towards the labour item, but the part fits as well: ask.
    assert [line.item_id for line in changed.lines] == [labour]
    assert changed.lines[0].doubtful and changed.needs_review
    # "de 40" is only in the part's name.
    assert [line.item_id for line in bare.lines] == [ids["PL-FLEX40"]]
    assert not bare.lines[0].doubtful


def test_stated_amount_without_matches_is_all_adjustment(pg_db, org):
    org_id, _ = org
    with pg_db.org_session(org_id) as s:
        summary = match_lines(s, "arreglé la bomba presurizadora, cobrale 40 lucas", 40000)
    assert summary.lines == []
    assert summary.unmatched == ["arreglé la bomba presurizadora"]
    assert summary.labor_adjustment.amount == Decimal("40000.00")
    assert summary.total == Decimal("40000.00")


def test_amount_must_be_positive(pg_db, org):
    with pg_db.org_session(org[0]) as s, pytest.raises(ValueError):
        match_lines(s, "cambié el flexible", 0)


# ---- the confirmation text -----------------------------------------------------------------

def _line(item_id, description, price, quantity=1, confidence=1.0):
    return Line(item_id, description, Decimal(quantity), Decimal(price), confidence)


def test_render_with_adjustment():
    summary = WorkSummary(
        lines=[_line(1, "Flexible 40 cm", "8000")],
        unmatched=[], total=Decimal(15000), stated_amount=Decimal(15000),
        labor_adjustment=_line(None, ADJUSTMENT_DESCRIPTION, "7000"),
    )
    assert render_work_summary(summary, 123, "García") == (
        "Trabajo #123 — García\n"
        "• Flexible 40 cm: $8.000\n"
        "• Mano de obra / ajuste: $7.000\n"
        "Total: $15.000\n"
        "¿Lo confirmo y le mandamos la factura?"
    )


def test_render_fitted_to_the_stated_total():
    summary = WorkSummary(
        lines=fit_to_total([_line(1, "Flexible 40 cm", "8000"), _line(2, "Canilla", "25000")],
                           Decimal(15000)),
        unmatched=[], total=Decimal(15000), stated_amount=Decimal(15000), fitted=True,
    )
    text = render_work_summary(summary, 9, None)
    assert "-$" not in text
    assert "Total: $15.000" in text
    assert "en proporción" in text


def test_render_quantity_doubt_and_unmatched():
    summary = WorkSummary(
        lines=[_line(1, "Flexible mallado 40 cm", "8000", quantity=2, confidence=0.7)],
        unmatched=["resistencia del horno"], total=Decimal(16000),
    )
    text = render_work_summary(summary, 7, None)
    assert text.startswith("Trabajo #7\n• 2 × Flexible mallado 40 cm: $16.000 (?)\nTotal: $16.000")
    assert "«resistencia del horno»" in text
    assert "No está sumado en el total." in text
    assert "fijate" in text
    assert text.endswith("¿Lo confirmo y le mandamos la factura?")


def test_render_from_the_database(pg_db, org):
    with pg_db.org_session(org[0]) as s:
        summary = match_lines(s, "cambié el flexible, cobrale 10 lucas", Decimal(10000))
    text = render_work_summary(summary, 5, "Marta García")
    assert text.splitlines()[:4] == [
        "Trabajo #5 — Marta García",
        "• Flexible mallado 40 cm: $8.000",
        "• Mano de obra / ajuste: $2.000",
        "Total: $10.000",
    ]


# ---- which job -----------------------------------------------------------------------------

@pytest.fixture
def crew(pg_db):
    """Two technicians; Carlos has García (today, two jobs), Ruiz (today), Fernández (tomorrow)."""
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    carlos = add_technician(pg_db, org_id, "Carlos Pereyra", "+5491162345678")
    diego = add_technician(pg_db, org_id, "Diego Acosta", "+5491171234567")
    customers = {
        name: add_customer_row(pg_db, org_id, name, phone)
        for name, phone in (("Marta García", "+5491166660001"), ("Ana Ruiz", "+5491166660002"),
                            ("Jorge Fernández", "+5491166660003"),
                            ("Luis Gómez", "+5491166660004"))
    }
    made: dict[str, int] = {}

    def job(key, customer, tech, start, status=JobStatus.SCHEDULED):
        with pg_db.org_session(org_id) as s:
            j = jobs.create_job(s, {"customer_id": customers[customer], "service": "plumbing",
                                    "technician_id": tech, "scheduled_start": start})
            if status in (JobStatus.ON_SITE, JobStatus.COMPLETED):
                jobs.transition(s, j.id, JobStatus.ON_SITE, "user:1")
            if status == JobStatus.COMPLETED:
                jobs.transition(s, j.id, JobStatus.COMPLETED, "user:1")
            made[key] = j.id

    job("ruiz", "Ana Ruiz", carlos, AFTERNOON)
    job("garcia", "Marta García", carlos, NOON, JobStatus.ON_SITE)
    job("fernandez", "Jorge Fernández", carlos, TOMORROW)
    job("garcia_done", "Marta García", carlos, NOON - timedelta(days=1), JobStatus.COMPLETED)
    job("gomez_diego", "Luis Gómez", diego, NOON)
    job("garcia_diego", "Marta García", diego, NOON)
    return org_id, carlos, diego, made


def _candidates(pg_db, crew, text, tech=None):
    org_id, carlos, _, made = crew
    names = {v: k for k, v in made.items()}
    with pg_db.org_session(org_id) as s:
        found = candidate_jobs(s, tech or carlos, text, TODAY)
        assert all(isinstance(j, Job) for j in found)
        return [names[j.id] for j in found]


@pytest.mark.parametrize(("text", "expected"), [
    ("terminé en lo de García, cobrale 15 lucas", ["garcia"]),
    ("listo lo de la señora Ruiz", ["ruiz"]),
    ("Fernández: cambié el flexible", ["fernandez"]),
    ("terminé donde la sra ruis", ["ruiz"]),  # typo and no accent
    ("lo de garsia listo", ["garcia"]),
])
def test_candidate_jobs_by_name(pg_db, crew, text, expected):
    assert _candidates(pg_db, crew, text) == expected


def test_no_name_gives_todays_open_jobs_in_order(pg_db, crew):
    # García at 12, Ruiz at 15; Fernández is tomorrow and García's finished job is not open.
    assert _candidates(pg_db, crew, "terminé, cambié el flexible") == ["garcia", "ruiz"]


def test_a_name_with_two_open_jobs_gives_both(pg_db, crew):
    org_id, carlos, _, made = crew
    with pg_db.org_session(org_id) as s:
        j = jobs.create_job(s, {"customer_id": s.get(Job, made["garcia"]).customer_id,
                                "service": "plumbing", "technician_id": carlos,
                                "scheduled_start": TOMORROW})
        made["garcia_tomorrow"] = j.id
    assert _candidates(pg_db, crew, "lo de García") == ["garcia", "garcia_tomorrow"]


def test_a_job_number_picks_that_job(pg_db, crew):
    org_id, _, _, made = crew
    with pg_db.org_session(org_id) as s:
        number = s.get(Job, made["fernandez"]).number
    assert _candidates(pg_db, crew, f"terminé el #{number}") == ["fernandez"]


def test_other_technicians_jobs_are_never_returned(pg_db, crew):
    _, _, diego, _ = crew
    assert _candidates(pg_db, crew, "lo de Gómez") == ["garcia", "ruiz"]  # not Carlos's customer
    assert _candidates(pg_db, crew, "lo de García", tech=diego) == ["garcia_diego"]
    assert _candidates(pg_db, crew, "terminé", tech=diego) == ["gomez_diego", "garcia_diego"]


def test_no_open_jobs_today_falls_back_to_every_open_job(pg_db, crew):
    org_id, _, _, made = crew
    with pg_db.org_session(org_id) as s:
        jobs.transition(s, made["garcia"], JobStatus.NEEDS_FOLLOWUP, "user:1")  # still open
        jobs.transition(s, made["ruiz"], JobStatus.CANCELLED, "user:1")
    assert _candidates(pg_db, crew, "terminé") == ["garcia"]
    with pg_db.org_session(org_id) as s:
        jobs.transition(s, made["garcia"], JobStatus.CANCELLED, "user:1")
    # Nothing open today: Fernández's visit tomorrow is still a candidate.
    assert _candidates(pg_db, crew, "terminé") == ["fernandez"]


def test_a_technician_without_open_jobs_gets_none(pg_db, crew):
    org_id = crew[0]
    idle = add_technician(pg_db, org_id, "Pedro Idle", "+5491170000000")
    assert _candidates(pg_db, crew, "lo de García", tech=idle) == []
