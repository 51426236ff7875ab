"""A customer charged wrong, or telling how to get in: told apart from a price, a payment or a new job."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.es_ar import folded
from nlu.extract import extract_rules
from nlu.extract.message_kinds import access_note, disputes_charge, work_did_not_hold
from nlu.intent.model import Context

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))


@pytest.mark.parametrize("text", [
    "tengo una consulta sobre una factura de ustedes de octubre que me cobraron dos veces",
    "me cobraron dos veces el mismo trabajo",
    "me cobraron de más, la factura dice 50 mil y habíamos quedado en 30",
    "me debitaron dos veces el pago de mercado pago",
    "che me aparece un cobro duplicado en la tarjeta",
    "la factura vino mal, no es ese el monto",
    "el técnico me dijo 20 lucas y me llegó el link por 35, habíamos quedado en 20",
    "pagué 2 veces sin querer",
])
def test_charged_wrong(text):
    assert disputes_charge(folded(text))


@pytest.mark.parametrize("text", [
    "cuánto me cobran por cambiar un flexible?",
    "me cobraron 30 lucas la última vez, sigue igual?",
    "puedo pagar con tarjeta?",
    "el técnico me cobró bien, todo joya",
    "ya pagué, te mando el comprobante",
    "habíamos quedado en el martes a la tarde",
    "me mandás la factura?",
    "se me rompió el termotanque y anda mal",
])
def test_not_charged_wrong(text):
    assert not disputes_charge(folded(text))


# ---- work done that did not hold (message_kinds.work_did_not_hold) ---------------------------

@pytest.mark.parametrize("text", [
    "el técnico vino ayer y la pérdida sigue igual",
    "no sirvió de nada lo que hizo el muchacho",
    "el calefón que arreglaron el martes se volvió a apagar",
    "otra vez se tapó la pileta",
    "se tapó de nuevo el inodoro, lo destaparon el lunes",
    "la canilla que cambiaron pierde por abajo",
    "sigue sin calentar el agua",
    "no lo arreglaron, anda igual que antes",
    "volvió a saltar la térmica",
    "tienen garantía? me lo hicieron la semana pasada",
    "el aire que instalaron gotea",
    "de nuevo hay olor a humedad en la pared que arreglaron",
])
def test_work_did_not_hold(text):
    assert work_did_not_hold(folded(text))


@pytest.mark.parametrize("text", [
    "necesito otra vez un plomero para el baño de arriba",
    "se me tapó la pileta de la cocina",
    "hola de nuevo! quería preguntar el precio",
    "otra vez yo jaja, te mando la dirección",
    "quedó bárbaro, gracias!",
    "sigue en pie lo de mañana?",
    "el técnico que vino la otra vez era re amable, puede venir el mismo?",
])
def test_work_held_or_a_new_request(text):
    assert not work_did_not_hold(folded(text))


# ---- how to get in (message_kinds.access_note) ------------------------------------------------

@pytest.mark.parametrize(("text", "note"), [
    ("me pueden avisar antes de llegar así bajo a abrir? no anda el portero", True),
    ("llamame cuando estés en la puerta que te abro", True),
    ("mandame un whatsapp al salir así estoy", True),
    ("el timbre no anda, bajo a abrir yo", True),
    ("no anda el portero eléctrico, lo pueden arreglar?", False),
    ("avisame cuánto sale", False),
    ("llamame por favor, es urgente", False),
    # which bell, the key, the door, the building's staff, the dog
    ("avisale que el timbre es el de abajo a la izquierda", True),
    ("tocá el timbre del 3B que es el que anda", True),
    ("la llave la tiene el encargado", True),
    ("dejé la llave con la vecina del 2do", True),
    ("entrá por la cochera, la puerta de adelante no abre", True),
    ("es la casa de rejas verdes", True),
    ("la puerta es la verde, al lado de la panadería", True),
    ("hay un perro pero no muerde", True),
    ("decile al encargado que venís al 7A", True),
    ("en la guardia del barrio tienen que dejar el dni", True),
    ("el timbre no anda, lo pueden arreglar?", False),
    ("se rompió la llave de paso del baño", False),
    ("la puerta no cierra", False),
    ("se me trabó la llave en la cerradura", False),
    ("perdí las llaves de casa", False),
    ("la llave está trabada en la cerradura", False),
    ("tengo un perro y me rompió la manguera del lavarropas", False),
    ("ojo que el perro anda suelto en el patio", True),
    ("las llaves están con el portero", True),
    # an arrival told ahead in the indicative, a bell nobody hears (blind14)
    ("que el técnico me avise cuando sale para acá", True),
    ("avísenme cuando vienen, estoy en el fondo y no escucho el timbre", True),
    ("¿cuándo viene el técnico?", False),
])
def test_how_to_get_in(text, note):
    assert access_note(folded(text)) is note


# ---- what it costs, asked with a visit booked (message_kinds.asks_price) ----------------------

@pytest.mark.parametrize("text", [
    "cuanto sale la instalacion?",
    "y cuánto cobran por la instalación",
    "¿qué precio tiene la reparación?",
    "el presupuesto cuánto sería aprox?",
    "¿cobran la visita?",
])
def test_a_price_question_with_a_visit_booked_calls_nothing_off(text):
    # the model, which saw few price questions with a visit booked, read "instalación" near
    # "cancelación": a price question names nothing to call off or move
    booked = extract_rules(text, "customer", NOW, context=Context(open_job="scheduled"))
    assert booked.intent in ("job_status", "other")  # the visit's price, or a price asked
    assert extract_rules(text, "customer", NOW).intent not in ("cancel", "reschedule")


@pytest.mark.parametrize(("text", "intent"), [
    ("cuánto me cobran si cancelo?", "cancel"),           # the price of calling it off
    ("si lo cancelo me cobran algo?", "cancel"),
])
def test_a_price_question_that_calls_off_or_moves_is_still_that(text, intent):
    assert extract_rules(text, "customer", NOW, context=Context(open_job="scheduled")).intent == intent


# ---- paying in parts or later (message_kinds.asks_payment_plan) -------------------------------

@pytest.mark.parametrize(("text", "plan"), [
    ("hola, me llegó la factura. puedo pagar la mitad ahora y la mitad el mes que viene?", True),
    ("te lo puedo pagar en dos veces?", True),
    ("puedo pagarte el viernes cuando cobro?", True),
    ("me esperan hasta fin de mes para pagar?", True),
    ("¿financian?", True),
    ("la mitad hoy y el resto la semana que viene, puede ser?", True),
    ("te transfiero a fin de mes, dale?", True),
    ("puedo pagar en cuotas?", False),        # the card's instalments
    ("aceptan tarjeta?", False),
    ("ya les pagué el viernes", False),       # paid, not asking
    ("le pagué al técnico en efectivo", False),
    ("puedo pagar con transferencia?", False),
])
def test_paying_in_parts_or_later(text, plan):
    from nlu.extract.message_kinds import asks_payment_plan

    assert asks_payment_plan(folded(text)) is plan


# ---- "¿hacen X?" (message_kinds.asks_if_we_do) ----------------------------------------------

@pytest.mark.parametrize(("text", "asks"), [
    ("hola, hacen instalación de aires acondicionados?", True),
    ("¿Ustedes arreglan termotanques?", True),
    ("Buenas tardes, consulta: ¿hacen destapaciones en Quilmes?", True),
    ("tienen gasista matriculado?", True),
    ("igual, ustedes hacen gas? tengo que cambiar el calefón", True),  # a lead word first
    ("che, arreglan lavarropas?", True),
    ("de paso, cambian cerraduras?", True),
    ("hacen destapaciones", False),  # no question: a request
    ("se me tapó la pileta, pueden venir?", False),
    ("cuánto sale instalar un split?", False),
])
def test_asks_if_we_do(text, asks):
    from nlu.extract.message_kinds import asks_if_we_do
    from nlu.extract.text import fold_aligned

    assert asks_if_we_do(fold_aligned(text)) is asks
