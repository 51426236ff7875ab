"""Field categories a second independent set showed we got wrong, each a kind of phrase written
several ways, with guards that the readings we already got right stay right.

(tests/nlu/test_field_categories.py holds the first round.)"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract.address import find_address
from nlu.extract.eta import find_eta
from nlu.extract.money import find_amount
from nlu.extract.names import find_name
from nlu.extract.text import expand, fold_aligned
from nlu.extract.times import find_windows
from nlu.extract.when import resolve

WED = datetime.fromisoformat("2026-11-25T10:00:00-03:00")  # a Wednesday
MON = datetime.fromisoformat("2026-11-30T09:00:00-03:00")  # a Monday


def _when(text: str, now: datetime = WED):
    return resolve(expand(fold_aligned(text)), now)


def _date(text: str, now: datetime = WED) -> str | None:
    d = _when(text, now).date
    return d.isoformat() if d else None


def _eta(text: str) -> int | None:
    return find_eta(expand(fold_aligned(text)))


# ---- a reschedule: the day ruled out or already given loses to the new one ------------------
@pytest.mark.parametrize("text", [
    "no el martes, mejor el jueves",
    "el martes no puedo, pasalo para el jueves",
    "el martes no puedo pasalo para el jueves",
    "mejor el jueves porque el martes no puedo",
    "tenía turno el martes pero el martes no estoy, puede ser el jueves",
    "el martes ni en pedo, el jueves sí",
    "el martes tampoco, dejalo para el jueves",
])
def test_the_new_day_wins_over_the_ruled_out_one(text):
    assert _date(text) == "2026-11-26"  # the Thursday, never the Tuesday (12-01)


def test_an_appointment_already_given_loses_to_the_new_one():
    assert _date("tenía el lunes pero el lunes no estoy, puede ser el miércoles") == "2026-12-02"
    assert _date("estaba para el viernes, ¿lo pasamos al lunes?") == "2026-11-30"


@pytest.mark.parametrize(("text", "date", "window"), [
    ("para pasado", "2026-11-27", None),
    ("pasado a la tarde", "2026-11-27", "afternoon"),
    ("mañana no puedo, pasado sí", "2026-11-27", None),
    ("mejor pasado temprano", "2026-11-27", "morning"),
    ("pasado mañana", "2026-11-27", None),
])
def test_pasado_alone_is_the_day_after_tomorrow(text, date, window):
    got = _when(text)
    assert (got.date.isoformat() if got.date else None, got.window) == (date, window)


@pytest.mark.parametrize(("text", "date"), [
    ("el martes pasado vino el técnico", "2026-11-24"),
    ("el año pasado me arreglaron la caldera", None),
    ("la semana pasada se rompió", None),
    ("pasado el mediodía", None),
])
def test_pasado_that_is_no_day_stays_as_it_was(text, date):
    assert _date(text) == date


# ---- a weekday that names no one day -------------------------------------------------------
@pytest.mark.parametrize("text", [
    "¿trabajan los sábados?",
    "abren los domingos?",
    "¿atienden sábados?",
    "de lunes a viernes después de las 18",
    "del martes al jueves estoy de viaje",
    "lunes a viernes no hay nadie en casa",
    "todos los lunes se me corta la luz",
    "perdón que escriba un domingo, se me rompió el calefón",
    "disculpá que moleste un sábado, no anda la heladera",
])
def test_a_kind_of_day_gives_no_date(text):
    assert _date(text) is None


@pytest.mark.parametrize(("text", "date"), [
    ("el sábado a la mañana", "2026-11-28"),
    ("mové lo del miércoles al viernes", "2026-11-27"),
    ("prefiero el viernes al lunes", "2026-11-30"),
    ("lo de mañana pasalo para el otro lunes", "2026-11-30"),
    ("cambialo a un sábado", "2026-11-28"),
])
def test_one_day_is_still_a_date(text, date):
    assert _date(text) == date


# ---- a weekday told in the past, or a report asked for it ----------------------------------
@pytest.mark.parametrize(("text", "date"), [
    ("el martes vino el técnico y no arregló nada", "2026-11-24"),
    ("el lunes pagué la factura y no me llegó el recibo", "2026-11-23"),
    ("ya pagué el viernes", "2026-11-20"),
    ("necesito la factura de lo que me hicieron el jueves", "2026-11-19"),
    ("el técnico que me atendió el lunes no dejó el presupuesto", "2026-11-23"),
    ("¿cómo nos fue el lunes?", "2026-11-23"),
    ("¿cómo estuvo el martes?", "2026-11-24"),
    ("resumen del viernes", "2026-11-20"),
    ("pasame el reporte del sábado", "2026-11-21"),
    ("¿cómo nos fue el miércoles?", "2026-11-25"),  # said on a Wednesday: today
])
def test_a_weekday_in_the_past_is_the_last_one(text, date):
    assert _date(text) == date


@pytest.mark.parametrize(("text", "date"), [
    ("¿cómo viene el jueves?", "2026-11-26"),
    ("el jueves pueden venir?", "2026-11-26"),
    ("el sábado me pusieron algo o tengo el día libre?", "2026-11-28"),
    ("yo dije viernes, no jueves", "2026-11-27"),
    ("hice la mitad, la otra parte la termino el jueves", "2026-11-26"),
    ("el martes vino el técnico, ¿pueden volver el jueves?", "2026-11-26"),
])
def test_a_weekday_ahead_stays_ahead(text, date):
    assert _date(text) == date


# ---- "el día" of an owner's summary is today -----------------------------------------------
@pytest.mark.parametrize("text", [
    "¿cómo va el día?",
    "¿cómo salió el día?",
    "qué tal estuvo el día",
    "pasame el resumen del día",
    "cierre del día",
    "hola, cómo viene el dia?",
])
def test_the_day_of_a_summary_is_today(text):
    assert _date(text, MON) == "2026-11-30"


def test_el_dia_with_a_number_is_still_that_day():
    assert _date("el día 15 a la mañana", MON) == "2026-12-15"
    assert _date("el día que vino el técnico", MON) is None


# ---- fractions of an hour are durations ----------------------------------------------------
@pytest.mark.parametrize(("text", "minutes"), [
    ("llego en 3/4 de hora", 45),
    ("estoy en 1/2 hora", 30),
    ("1/4 hora y llego", 15),
    ("en 3/4 hora estoy ahí", 45),
])
def test_fractions_of_an_hour(text, minutes):
    assert _date(text) is None
    assert _eta(text) == minutes


def test_a_numeric_date_stays_a_date():
    assert _date("el 3/12 a la tarde") == "2026-12-03"
    assert _date("puede ser 1/12?") == "2026-12-01"


# ---- two days offered with "o": undecided --------------------------------------------------
@pytest.mark.parametrize("text", [
    "el martes o el jueves",
    "lunes o miércoles, lo que te quede mejor",
    "el jueves no puedo, viernes o sábado?",
    "puede ser mañana o pasado?",
    "¿el 14 o el 15?",
])
def test_alternative_days_are_undecided(text):
    assert _date(text) is None


def test_a_choice_after_the_alternatives_is_kept():
    assert _date("el martes o el jueves... mejor el jueves") == "2026-11-26"


# ---- windows: "temprano" and "toda la noche" -----------------------------------------------
@pytest.mark.parametrize("text", [
    "estoy esperando desde temprano",
    "llegué temprano y no había nadie",
    "te escribo temprano para avisarte",
    "perdón por escribir tan temprano",
    "mañana cierro temprano",
    "gotea toda la noche",
    "el ruido del aire se escucha toda la noche",
    "estuve toda la mañana esperando",
])
def test_a_time_of_day_that_sets_no_visit(text):
    assert _when(text).window is None


@pytest.mark.parametrize(("text", "window"), [
    ("vengan temprano", "morning"),
    ("mañana temprano", "morning"),
    ("el jueves bien temprano", "morning"),
    ("¿pueden pasar temprano?", "morning"),
    ("estoy toda la tarde en casa", "afternoon"),
    ("gotea toda la noche, vengan mañana a la tarde", "afternoon"),
    ("a primera hora", "morning"),
])
def test_a_time_of_day_for_the_visit(text, window):
    assert _when(text).window == window


def test_find_windows_still_reads_plain_windows():
    assert [w for *_, w in find_windows("por la manana o a la noche")] == ["morning", "evening"]


# ---- signatures ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "name"), [
    ("Se rompió la canilla del baño.\nAtte. Ing. Roberto Funes", "Roberto Funes"),
    ("Necesito un presupuesto. Atentamente, Dra. Paula Ríos", "Paula Ríos"),
    ("Saludos, Lic. Marta Gómez", "Marta Gómez"),
    ("Atentamente,\nArq. Julia Sosa", "Julia Sosa"),
    ("¿Pueden venir el jueves? Gracias. Roberto Funes", "Roberto Funes"),
    ("no anda el termotanque. Muchas gracias!\nCarla", "Carla"),
    ("saludos cordiales, Sra. Elena Ruiz", "Elena Ruiz"),
    ("soy Marta Gómez, vivo en Mitre 450", "Marta Gómez"),
    # in lower case, a surname where the name ends (before: the first name alone)
    ("soy laura quiroga", "Laura Quiroga"),
    ("soy laura quiroga, av rivadavia 5230", "Laura Quiroga"),
    ("hola soy ana benitez y se me rompio el calefon", "Ana Benitez"),
    ("soy marcelo vivo en palermo", "Marcelo"),
    ("soy claudia necesito un plomero", "Claudia"),
])
def test_a_signature_is_the_writer(text, name):
    assert find_name(text) == name


@pytest.mark.parametrize("text", [
    "Gracias. Villa Urquiza",
    "gracias. Palermo",
    "Saludos, Plomería Gómez",
    "Gracias. Mañana los espero",
    "Gracias. Esperamos respuesta",
    "gracias. Hasta Luego",
    "Gracias, Electricidad Ruiz",
    "Gracias. Buenos Aires",
])
def test_places_trades_and_phrases_are_no_signature(text):
    assert find_name(text) is None


# ---- ETA: a cause after the duration, a bare number reckoned -------------------------------
@pytest.mark.parametrize(("text", "minutes"), [
    ("en media hora por el tránsito", 30),
    ("se me complicó, media hora por el tránsito", 30),
    ("20 min de demora, hay un piquete", 20),
    ("calculo 20", 20),
    ("calculo que 15", 15),
    ("en camino, calculo 25 más o menos", 25),
    ("llego en 15", 15),
    ("ya salí, en 10", 10),
    ("5 min y llego", 5),
])
def test_eta_said_on_the_way(text, minutes):
    assert _eta(text) == minutes


@pytest.mark.parametrize("text", [
    "hace media hora que espero",
    "terminé, calculo 2 horas de laburo mañana",
    "estoy en Mitre 450",
    "calculo 20 lucas de materiales",
])
def test_no_eta(text):
    assert _eta(text) in (None, 120)  # "2 horas" is a duration the old rule already read


# ---- amounts written with thousands and no unit, paid to someone ---------------------------
@pytest.mark.parametrize(("text", "amount"), [
    ("pagué en efectivo al técnico 45.000", 45000),
    ("le di 12.500 a Juan", 12500),
    ("transferí 30.000 al plomero ayer", 30000),
    ("45.000 le pagué al técnico", 45000),
    ("me cobró 1.500.000 por todo", 1500000),
    ("ya aboné la visita, 12.500 en efectivo al técnico", 12500),
    ("le pasé 30.000 al técnico", 30000),
    ("le dejé 8.500 a la chica de la limpieza para el plomero", 8500),
    # a comma after the figure ends the clause, it is no decimal
    ("le pagué en efectivo al técnico 18.000, me confirman que lo recibieron?", 18000),
])
def test_a_paid_figure_with_thousands(text, amount):
    assert find_amount(fold_aligned(text)) == amount


@pytest.mark.parametrize("text", [
    "le di mi DNI 30.456.789",
    "vivo en Av Directorio 3.120, ya pagué",
    "el depto mide 1.200 metros",
    "son 3.500 frigorías",
    "cobrale 999999999999999999 lucas",  # a slip of the keyboard, not a billion pesos
])
def test_figures_that_are_no_payment(text):
    assert find_amount(fold_aligned(text)) is None


# ---- streets: the words that led to them are not part of them -----------------------------
@pytest.mark.parametrize(("text", "street", "number"), [
    ("la casa de la calle Mitre 450", "calle Mitre", "450"),
    ("domicilio de Av. Rivadavia 3400", "Av. Rivadavia", "3400"),
    ("la obra de la calle Sarmiento 1200, Ramos Mejía", "calle Sarmiento", "1200"),
    ("el taller de Av. San Martín 2100", "Av. San Martín", "2100"),
    ("en la factura poné domicilio fiscal Av. Belgrano 2300", "Av. Belgrano", "2300"),
    ("Soy Ana de Av. Rivadavia 5400", "Av. Rivadavia", "5400"),
    ("la oficina de Lavalle 1200", "Lavalle", "1200"),
])
def test_street_without_lead_in_words(text, street, number):
    address = find_address(text)
    assert (address.street, address.number) == (street, number)


@pytest.mark.parametrize(("text", "street"), [
    ("dirección: Av. de Mayo 1370", "Av. de Mayo"),
    ("Av. de los Incas 3400", "Av. de los Incas"),
    ("en la casa de mi vieja, Av. Gral. Paz 10500", "Av. Gral. Paz"),
    ("Ciudad de la Paz 2450, Belgrano", "Ciudad de la Paz"),
    ("vivo en calle 12 n° 345", "Calle 12"),
    ("25 de Mayo 340", "25 de Mayo"),
    ("queda en Juan B. Justo 4500", "Juan B. Justo"),
])
def test_streets_that_were_right_stay_right(text, street):
    assert find_address(text).street == street


@pytest.mark.parametrize("text", [
    "el split necesita gas R410 y no tengo",
    "la factura tiene que llevar la OC 4587",
])
def test_codes_are_no_streets(text):
    assert find_address(text) is None


# ---- a new day written short must be read, or the ruled-out one would win ------------------
@pytest.mark.parametrize(("text", "date"), [
    ("el martes no puedo, pasalo para el jue", "2026-11-26"),
    ("no el mar, mejor el vie.", "2026-11-27"),
    ("para el dom a la tarde", "2026-11-29"),
    ("quiero mover lo del electricista del lun al mar", "2026-12-01"),
    ("me voy a Mar del Plata el jueves", "2026-11-26"),
    ("el mar de gente que había", None),
])
def test_weekdays_written_short(text, date):
    assert _date(text) == date


@pytest.mark.parametrize("text", [
    "perdón por escribir en domingo, se rompió el termo",
    "disculpe que le escriba siendo domingo",
    "les escribo un sábado, perdón",
])
def test_the_day_an_apology_names_is_no_date(text):
    assert _date(text) is None


def test_a_day_asked_for_after_thanks_is_still_a_date():
    assert _date("gracias, el martes los espero") == "2026-12-01"
    assert _when("mañana si pueden temprano").window == "morning"


@pytest.mark.parametrize(("text", "minutes"), [
    ("ahí voy, 15 y estoy", 15),
    ("no salgo todavía, salgo en 10 y llego en 40", 40),
    ("a las 10 y llego", None),
])
def test_a_number_then_the_arrival(text, minutes):
    assert _eta(text) == minutes


@pytest.mark.parametrize(("text", "name"), [
    ("se rompió el caño\nAv. Cabildo 300\nBelgrano", None),
    ("necesito un gasista\nPalermo", None),
    ("pierde la canilla\nPlomería", None),
    ("Hola\nVilla Crespo", None),
    ("se cortó la luz\nUrgente", None),
    ("hola\nse rompió todo\nRoberto Funes", "Roberto Funes"),
    ("hola\nse rompió el termo\nJulián", "Julián"),
])
def test_a_last_line_is_a_signature_only_when_no_place_or_trade(text, name):
    assert find_name(text) == name


@pytest.mark.parametrize(("text", "date"), [
    ("¿cuánto facturamos el martes?", "2026-11-24"),
    ("cuánto se cobró el lunes", "2026-11-23"),
    ("el martes te pagamos", "2026-12-01"),
])
def test_what_a_day_brought_in_is_the_last_one(text, date):
    assert _date(text) == date


# ---- parts of one charge, joined by "más" or "+", are added up -----------------------------
@pytest.mark.parametrize(("text", "amount"), [
    ("son 2 gambas de materiales mas 35 lucas la mano de obra", 35200),
    ("cobrale 15 lucas + 3 lucas de viático", 18000),
    ("cobrale $15.000 más $3.000 de materiales", 18000),
    ("40 lucas la mano de obra, aparte 12 lucas del repuesto", 52000),
    ("total 35 lucas: 20 de mano de obra más 15 de materiales", 35000),  # the total is said
    # one amount read by two grammars ("$15 mil": a dollar figure and thousands) is one part
    ("$15 mil más $3 mil de viático", 18000),
    ("cobrale $12 mil + 3 lucas de materiales", 15000),
    ("son $20.000, aparte $5.000 de repuestos", 25000),
    # a part written without its unit, before what it pays for, is in the unit of the one before
    ("cobrale 15 lucas + 3 de viático", 18000),
    ("20 mil más 5 de materiales", 25000),
    ("son 35 lucas, aparte 2 de repuestos", 37000),
    ("12 lucas mas 1,5 de materiales", 13500),
    ("quince lucas más tres de materiales", 18000),
    # after pesos, a small bare part is thousands too; hundreds or more are pesos
    ("$15.000 + 3 de viático", 18000),
    ("$15.000 + 500 de viático", 15500),
    ("son 12500 y 3 de materiales", 15500),
    # plain figures joined to a part, and parts for what they pay for joined by "y"
    ("cobrale 15000 + 3000 de materiales", 18000),
    ("terminé, 20 lucas más 2500 del flexible", 22500),
    ("12 lucas de mano de obra y 3 de materiales", 15000),
    ("cobrá 15 mil y 3 mil de viático", 18000),
    ("35 lucas la mano de obra y 2 los repuestos", 37000),
    # a part for something bought: "de un sifón", "por dos flexibles"
    ("cobrale veinticinco mil y aparte 3500 de un sifon nuevo", 28500),
    ("cobrale 18 mil mas 4 mil por dos flexibles", 22000),
    ("cobrale 15 lucas y 2 de una canilla", 17000),
    # a thing named and priced after the first part; a part for the work named
    ("terminé, son 30 lucas de mano de obra y el repuesto salió 12 mil", 42000),
    ("cobrale 15 lucas mas el flexible que son 2500", 17500),
    ("cobrale 10 lucas por la visita y 25 por el arreglo", 35000),
    # listed item by item with bare figures
    ("terminado. mano de obra 20000, materiales 8500", 28500),
    ("terminé: flexible 3000, canilla 15000, mano de obra 20000", 38000),
    # so much each, with how many
    ("listo 2 termotanques instalados, 60 lucas cada uno", 120000),
    ("terminé, fueron 3 horas a 10 mil la hora", 30000),
])
def test_parts_of_one_charge_add_up(text, amount):
    assert find_amount(fold_aligned(text)) == amount


@pytest.mark.parametrize(("text", "amount"), [
    ("cobrale 15 lucas, antes le había dicho 12 lucas", 15000),  # a correction, not a part
    ("cobrale 18 lucas, ya pagó 5 lucas de seña", 18000),
    ("15 lucas mas iva", 15000),
    ("le pagué $15.000 en efectivo", 15000),  # one figure, read as a payment and as pesos
    ("ya me pagó $15 mil, más tarde paso la factura", 15000),
    ("15 lucas más 3 cuotas", 15000),  # no unit and no charge after the bare number
    ("15 lucas más 2 horas de mano de obra", 15000),
    ("cobrale 15 lucas y mañana vuelvo", 15000),
    ("terminé en Mitre 4500 y cobré 15 lucas", 15000),  # a street number is no part
    ("cobrale 15 lucas, ya me pagó 5", 15000),
    ("cobrale 20 mil, son 2 de una hora extra", 20000),   # no joining word before the figure
    ("cobrale 15 lucas y 2 de unas cuadras de acá", 15000),
    ("cobrale 15 lucas y 3 por la tarde vuelvo", 15000),
    ("cobrale 20 mil por hora", 20000),                   # per hour, no count said
    ("cobrale 50 lucas por todo, materiales incluidos", 50000),
    ("me dio 2 billetes de 10 mil, cobrale 25 lucas", 25000),
    ("terminé en Mitre 4500, son 15 lucas", 15000),
])
def test_figures_that_are_not_parts_are_not_added(text, amount):
    assert find_amount(fold_aligned(text)) == amount
