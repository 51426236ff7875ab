"""Unit tests for the offline extractor's normalizers (numbers, money, dates, addresses, names)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from text_to_num import text2num

from nlu.extract import extract
from nlu.extract.address import find_address
from nlu.extract.eta import find_eta
from nlu.extract.money import find_amount
from nlu.extract.names import find_name
from nlu.extract.numbers import find_number_words, parse_digits, words_to_int
from nlu.extract.text import expand, fold_aligned
from nlu.extract.when import resolve
from nlu.schema import OrgContext


def _norm(text: str) -> str:
    return expand(fold_aligned(text))


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _when(text: str, now: str):
    return resolve(_norm(text), _at(now))


# ---- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phrase,value",
    [
        ("quince", 15),
        ("veinticinco", 25),
        ("cuarenta y cinco mil", 45000),
        ("dos mil quinientos", 2500),
        ("mil quinientos", 1500),
        ("ciento veinte mil", 120000),
        ("un millon", 1_000_000),
        ("una", 1),
        ("treinta cinco", None),
        ("hola", None),
    ],
)
def test_words_to_int(phrase, value):
    assert words_to_int(phrase) == value


@pytest.mark.parametrize("phrase", ["quince", "cuarenta y cinco mil", "dos mil quinientos"])
def test_words_to_int_agrees_with_text2num(phrase):
    assert words_to_int(phrase) == text2num(phrase, "es")


def test_find_number_words_spans():
    found = find_number_words("la sena de dos mil quinientos, en tres cuotas")
    assert [v for _, _, v in found] == [2500, 3]


@pytest.mark.parametrize(
    "s,value", [("15.000", 15000), ("1,5", 1.5), ("12.500", 12500), ("850", 850)]
)
def test_parse_digits(s, value):
    assert parse_digits(s) == value


# ---- money ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,amount",
    [
        ("son 15 lucas", 15000),
        ("quince lucas", 15000),
        ("15 mangos", 15000),
        ("eran 15k", 15000),
        ("$15.000", 15000),
        ("15.000 pesos", 15000),
        ("el cliente pago quince mil", 15000),
        ("cobrale los 1,5 palos", 1_500_000),
        ("un palo y medio", 1_500_000),
        ("una luca", 1000),
        ("la sena de dos mil quinientos", 2500),
        ("cobre cuarenta y cinco mil", 45000),
        ("cobrale 18.500", 18500),
        ("cobre 32 mil", 32000),
        ("$ 12.500 en efectivo", 12500),
        ("luca y media", 1500),
        ("son 15 mil 500", 15500),
    ],
)
def test_money_forms(text, amount):
    assert find_amount(fold_aligned(text)) == amount


@pytest.mark.parametrize(
    "text",
    [
        "mil gracias",
        "split de 3000 frigorias",
        "Av. Rivadavia 4500",
        "le deje tres copias de llave",
        "pintar 2 ambientes",
        "unos 20 m2",
    ],
)
def test_not_money(text):
    assert find_amount(fold_aligned(text)) is None


# ---- dates ---------------------------------------------------------------------------------
def test_bare_day_rolls_into_next_year():
    assert _when("el 2", "2026-12-30T10:00:00-03:00").date == date(2027, 1, 2)


def test_bare_day_later_this_month():
    assert _when("para el 20", "2026-11-05T10:00:00-03:00").date == date(2026, 11, 20)


def test_bare_day_next_month():
    assert _when("el 3", "2026-11-24T10:00:00-03:00").date == date(2026, 12, 3)


def test_tomorrow_on_new_years_eve():
    assert _when("mañana", "2026-12-31T10:00:00-03:00").date == date(2027, 1, 1)
    assert _when("mñn a la tarde", "2026-12-31T10:00:00-03:00").date == date(2027, 1, 1)


def test_day_after_tomorrow_across_year():
    assert _when("pasado mañana", "2026-12-31T13:40:00-03:00").date == date(2027, 1, 2)


def test_today_uses_the_org_zone():
    # 01:30 UTC on Dec 1 is still Nov 30 in Buenos Aires
    when = resolve("hoy", _at("2026-12-01T01:30:00+00:00"))
    assert when.date == date(2026, 11, 30)


@pytest.mark.parametrize(
    "text,now,expected",
    [
        ("el jueves", "2026-11-24T10:00:00-03:00", date(2026, 11, 26)),  # Tue -> Thu
        ("el lunes", "2026-10-31T16:20:00-03:00", date(2026, 11, 2)),  # Sat -> Mon
        ("el lunes que viene", "2026-12-10T08:15:00-03:00", date(2026, 12, 14)),
        ("el martes", "2026-11-24T10:00:00-03:00", date(2026, 12, 1)),  # same weekday: next week
        ("el próximo martes", "2026-11-24T10:00:00-03:00", date(2026, 12, 1)),
        ("el viernes", "2026-12-29T10:00:00-03:00", date(2027, 1, 1)),
        ("el lunes 21", "2026-12-18T21:10:00-03:00", date(2026, 12, 21)),
        ("el martes 5", "2026-12-31T13:40:00-03:00", date(2027, 1, 5)),
        ("el lunes pasado", "2026-12-10T08:15:00-03:00", date(2026, 12, 7)),
    ],
)
def test_weekdays(text, now, expected):
    assert _when(text, now).date == expected


@pytest.mark.parametrize(
    "text,now,expected",
    [
        ("el 3/12", "2026-11-30T18:30:00-03:00", date(2026, 12, 3)),
        ("el 5/1", "2026-12-29T09:15:00-03:00", date(2027, 1, 5)),
        ("5 de enero", "2026-12-29T09:15:00-03:00", date(2027, 1, 5)),
        ("15 de diciembre", "2026-11-24T10:00:00-03:00", date(2026, 12, 15)),
        ("el 1° de febrero", "2026-12-29T09:15:00-03:00", date(2027, 2, 1)),
        ("el 10/03/2027", "2026-12-29T09:15:00-03:00", date(2027, 3, 10)),
        ("ayer", "2026-12-29T09:15:00-03:00", date(2026, 12, 28)),
        # a day said in words, with its month
        ("el cuatro de enero a la mañana", "2026-12-29T09:15:00-03:00", date(2027, 1, 4)),
        ("vuelvo el cuatro de enero, así que mejor el cinco de enero",
         "2026-12-28T09:15:00-03:00", date(2027, 1, 5)),
        ("el veintitrés de diciembre", "2026-12-01T09:15:00-03:00", date(2026, 12, 23)),
        ("para el treinta y uno de diciembre", "2026-12-01T09:15:00-03:00", date(2026, 12, 31)),
        ("el dieciséis de enero", "2026-12-01T09:15:00-03:00", date(2027, 1, 16)),
    ],
)
def test_explicit_and_relative_dates(text, now, expected):
    assert _when(text, now).date == expected


def test_last_date_named_wins():
    when = _when(
        "lo de mañana no voy a poder, lo pasamos para el martes q viene?",
        "2026-12-18T21:10:00-03:00",
    )
    assert when.date == date(2026, 12, 22)


@pytest.mark.parametrize(
    "text,window",
    [
        ("mañana a la mañana", "morning"),
        ("por la tarde", "afternoon"),
        ("hoy a la noche", "evening"),
        ("en vez de a la mañana q venga a la tarde", "afternoon"),
        ("Buenas noches, pierde agua", None),
    ],
)
def test_windows(text, window):
    assert _when(text, "2026-12-10T08:15:00-03:00").window == window


@pytest.mark.parametrize(
    "text,time",
    [
        ("a las 5 de la tarde", "17:00"),
        ("a las 9 y media", "09:30"),
        ("a las 18hs", "18:00"),
        ("tipo 10", "10:00"),
        ("tipo 10 de la mañana", "10:00"),
        ("al mediodía", "12:00"),
        ("a las 20 hs", "20:00"),
        ("a las 8 de la noche", "20:00"),
        ("a las 10.30", "10:30"),
        ("a las 7 menos cuarto de la tarde", "18:45"),
        ("a las 3", "15:00"),
        ("a la 1 del mediodía", "13:00"),
        ("pintar 2 ambientes", None),
        ("le pague $12.500", None),
    ],
)
def test_times(text, time):
    assert _when(text, "2026-12-10T08:15:00-03:00").time == time


@pytest.mark.parametrize(
    "text,minutes",
    [
        ("llego en 20", 20),
        ("en media hora", 30),
        ("en una hora", 60),
        ("en 10 min", 10),
        ("en diez minutos estoy ahi", 10),
        ("calculo tres cuartos de hora", 45),
        ("calculo una hora y cuarto", 75),
        ("estoy a 15 minutos", 15),
        ("en 5 estoy", 5),
        ("llego en un toque", None),
        ("llegue hace 10 minutos", None),
    ],
)
def test_eta(text, minutes):
    assert find_eta(_norm(text)) == minutes


# ---- addresses -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,street,number",
    [
        ("estoy en Av. Rivadavia 4500 3B, Caballito", "Av. Rivadavia", "4500"),
        ("estoy en Gorriti al 3400", "Gorriti", "3400"),
        ("estoy en calle 12 n° 1345 La Plata", "Calle 12", "1345"),
        ("Pje. San Lorenzo 230, depto 2", "Pje. San Lorenzo", "230"),
        ("Soy Carla. Gral. Artigas 1320, Flores", "Gral. Artigas", "1320"),
        ("estoy en Quilmes, Mitre 560", "Mitre", "560"),
        ("ya estoy en la puerta de gorriti 3400", "Gorriti", "3400"),
        ("Av. 25 de Mayo 300, Ramos Mejía", "Av. 25 de Mayo", "300"),
        ("Av. Juan B. Justo 1234", "Av. Juan B. Justo", "1234"),
    ],
)
def test_addresses(text, street, number):
    addr = find_address(text)
    assert addr is not None and (addr.street, addr.number) == (street, number)


def test_address_unit_and_locality():
    addr = find_address("depto en Av. Cabildo 2230 5°A, Belgrano")
    assert addr.unit == "5°A" and addr.locality == "Belgrano"
    assert find_address("Tucumán 850 PB").unit == "PB"


@pytest.mark.parametrize(
    "text",
    [
        "split de 3000 frigorias, turno para el 3/12?",
        "pintar 2 ambientes",
        "el lunes 4",
        "mi cuit es 30-71234567-9",
        "cobrale 18.500",
        "tira error E01",
        "hace 20 años",
    ],
)
def test_not_addresses(text):
    assert find_address(text) is None


def test_known_street_spelling_from_org_context():
    addr = find_address("estoy en Pueyredon 1560", known_streets=("Av. Pueyrredón",))
    assert addr.street == "Av. Pueyrredón"


# ---- names ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,name",
    [
        ("buenas, soy Marta Gómez. Necesito un electricista", "Marta Gómez"),
        ("me llamo juan perez", "Juan Perez"),
        ("Mi nombre es Silvia Ferreyra, Bv. Oroño 1450", "Silvia Ferreyra"),
        ("habla Pedro, el del 3B", "Pedro"),
        ("Soy Carla. Gral. Artigas 1320", "Carla"),
        ("hola\nnecesito un plomero\nRoberto Díaz", "Roberto Díaz"),
        ("soy el dueño del depto", None),
        ("soy de Palermo", None),
        ("hola\nGracias", None),
    ],
)
def test_names(text, name):
    assert find_name(text) == name


# ---- the whole extractor -------------------------------------------------------------------
def test_extract_roles_and_fields():
    now = _at("2026-11-24T10:00:00-03:00")
    job = extract("hay olor a gas en la cocina!! estoy en Gorriti al 3400", "customer", now)
    assert (job.intent, job.service, job.urgency) == ("new_job", "gas", "emergency")
    tech = extract("listo termine el destape, cobre 25 lucas", "technician", now)
    assert (tech.intent, tech.service, tech.amount) == ("tech_job_done", "destapaciones", 25000)
    owner = extract("quien me debe plata?", "owner", now)
    assert owner.intent == "owner_unpaid"
    assert extract("holaa", "technician", now).intent == "greeting"


def test_extract_typos_and_whatsapp_spelling():
    now = _at("2026-11-24T10:00:00-03:00")
    got = extract("necesito un electrisista xq no tengo luz, x favor mñn", "customer", now)
    assert (got.service, got.date) == ("electricidad", "2026-11-25")


def test_extract_uses_price_book():
    ctx = OrgContext(price_book=("Destape de cloaca",))
    now = _at("2026-11-24T10:00:00-03:00")
    assert (
        extract("cuanto sale el destape de cloaca?", "customer", now, ctx).service
        == "destapaciones"
    )


def test_openai_backend_failure_falls_back_to_rules(monkeypatch, caplog):
    import sys
    import types

    fake = types.ModuleType("nlu.openai_backend")

    class OpenAIBackendError(Exception):
        pass

    def boom(*args, **kwargs):
        raise OpenAIBackendError("down")

    fake.OpenAIBackendError = OpenAIBackendError
    fake.extract = boom
    monkeypatch.setitem(sys.modules, "nlu.openai_backend", fake)
    settings = types.SimpleNamespace(nlu_extract_backend="openai")
    with caplog.at_level("WARNING", logger="campotech.nlu"):
        got = extract(
            "hola buen dia", "customer", _at("2026-11-24T10:00:00-03:00"), settings=settings
        )
    assert got.intent == "greeting"
    assert any("openai" in r.getMessage() for r in caplog.records)


def test_a_date_the_writer_rules_out_loses_to_the_one_offered():
    from datetime import datetime

    from nlu.extract import extract

    now = datetime.fromisoformat("2026-11-24T10:00:00-03:00")  # a Tuesday
    assert extract("¿lo pasamos al sábado a las 10? el viernes no estoy", "customer", now).date == "2026-11-28"
    assert extract("mañana no puedo, el jueves sí", "customer", now).date == "2026-11-26"
    assert extract("el viernes no puedo", "customer", now).date == "2026-11-27"  # nothing else offered


def test_a_dates_month_is_not_read_as_an_hour():
    from datetime import datetime

    from nlu.extract import extract

    now = datetime.fromisoformat("2026-11-24T10:00:00-03:00")
    got = extract("mejor el jueves 26/11 a la tarde", "customer", now)
    assert (got.date, got.window, got.time) == ("2026-11-26", "afternoon", None)


# A house number said in words (a voice note, a careful writer) is the address's number; a
# number in words elsewhere makes no address.
@pytest.mark.parametrize(("text", "street", "number"), [
    ("estoy en la calle rivadavia mil doscientos treinta en flores", "Calle Rivadavia", "1230"),
    ("la dirección es gorriti cuatro mil quinientos, palermo", "Gorriti", "4500"),
    ("vivo en la calle mitre al seiscientos", "Calle Mitre", "600"),
    ("es en el dos mil trescientos de san martín", "San Martín", "2300"),
    ("eh estoy en avenida la plata ochocientos cincuenta y dos eh tercero b", "Avenida la Plata", "852"),
])
def test_spoken_house_numbers(text, street, number):
    found = find_address(text)
    assert (found.street, found.number) == (street, number)


@pytest.mark.parametrize("text", [
    "hace tres días que gotea la canilla",
    "tengo dos baños y quince canillas para cambiar",
    "desde el dos mil veinte que no anda el termotanque",
    "son veinticinco lucas por la visita",
])
def test_numbers_in_words_are_no_address(text):
    assert find_address(text) is None


@pytest.mark.parametrize(("text", "name"), [
    # in capitals, when it begins with a first name people have
    ("NECESITO UN GASISTA PARA EL MEDIDOR. SOY ROSA PEREZ. ESTOY EN MITRE 550", "Rosa Perez"),
    ("SOY DE QUILMES Y NECESITO UN PLOMERO URGENTE", None),
    ("HOLA SOY EL ENCARGADO DEL EDIFICIO, SE TAPÓ LA CLOACA", None),
    # where the writer is from is no surname; a surname with "de" still is one
    ("Buen día, soy Norma de Av. Rivadavia 5400. ¿Sigue en pie lo del jueves?", "Norma"),
    ("soy Ana de Caballito, se me rompió el termotanque", "Ana"),
    ("soy Juan de la Fuente, necesito un electricista", "Juan de la Fuente"),
    ("soy María de los Ángeles Pérez", "María de los Ángeles Pérez"),
    # a signature: after a bare thanks, a first name people have; a last line with a title and a role
    ("¿Puede venir otro día? Gracias, Amalia.", "Amalia"),
    ("Necesito las facturas de noviembre del consorcio.\nLic. Marta Sosa - Administración", "Marta Sosa"),
    ("Necesito las facturas de noviembre.\nGracias.\nAdministración Sosa", None),
])
def test_name_categories(text, name):
    assert find_name(text) == name


@pytest.mark.parametrize("text", ["puede ser para el once?", "vivo en el tres", "el dos ambientes"])
def test_a_day_in_words_alone_is_no_date(text):
    assert _when(text, "2026-12-01T09:15:00-03:00").date is None


@pytest.mark.parametrize(("text", "minutes"), [
    ("en viaje, cuarto de hora", 15),
    ("voy para allá, en un cuarto de hora estoy", 15),
    ("en viaje, llego en 20", 20),
])
def test_eta_quarter_of_an_hour(text, minutes):
    assert find_eta(_norm(text)) == minutes


# The neighbourhood first, then the street ("villa crespo, padilla 850"), as people answer
@pytest.mark.parametrize(("text", "street", "number", "locality"), [
    ("villa crespo, padilla 850", "Padilla", "850", "Villa Crespo"),
    ("en palermo, gorriti 4500", "Gorriti", "4500", "Palermo"),
    ("estoy en caballito. rojas 120 2do A", "Rojas", "120", "Caballito"),
])
def test_the_neighbourhood_before_the_street(text, street, number, locality):
    found = find_address(text)
    assert (found.street, found.number, found.locality) == (street, number, locality)


@pytest.mark.parametrize("text", [
    "soy de caballito, llamame al 4555",
    "estoy en palermo, hace 3 días que gotea",
    "flores, 3 ambientes",
    "vivo en caballito, tengo 25 años acá",
])
def test_a_neighbourhood_before_other_numbers_is_no_address(text):
    assert find_address(text) is None
