"""Field categories an independent set showed we missed: each a kind of phrase, several ways."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract
from nlu.extract.address import find_address
from nlu.intent.model import Context

NOW = datetime.fromisoformat("2026-11-30T08:40:00-03:00")  # a Monday


@pytest.mark.parametrize(("text", "minutes"), [
    ("voy en camino, hora y media x lo menos", 90),
    ("ya arranqué para La Plata, calculo 1 h 15 de viaje", 75),
    ("voy para allá, media horita", 30),
    ("arranco para lo de Paraguay 2455, tres cuartos de hora", 45),
    ("salgo ahora, una hora y cuarto", 75),
    ("llego en 1 hora 20", 80),
])
def test_durations_on_the_way(text, minutes):
    assert extract(text, "technician", NOW).eta_minutes == minutes


def test_a_duration_not_said_on_the_way_is_no_eta():
    assert extract("hace media hora que espero", "customer", NOW).eta_minutes is None
    assert extract("llego en 2 hs, estoy a 3 cuadras", "technician", NOW).eta_minutes == 120


@pytest.mark.parametrize(("text", "date", "window", "time"), [
    ("el martes 8 a la mañana?", "2026-12-08", "morning", None),  # 8 is the day, not the hour
    ("el miércoles 23 a la mañana", "2026-12-23", "morning", None),
    ("el martes 1 a las 10", "2026-12-01", None, "10:00"),
    ("el jueves después del mediodía", "2026-12-03", "afternoon", None),
    ("lo podemos pasar para la noche?", None, "evening", None),
    ("el martes 10 hs", "2026-12-01", None, "10:00"),
])
def test_days_windows_and_hours(text, date, window, time):
    got = extract(text, "customer", NOW)
    assert (str(got.date) if got.date else None, got.window, got.time) == (date, window, time)


@pytest.mark.parametrize(("text", "amount"), [
    ("listo, quedó andando la caldera. 85.000 por transferencia", 85000),
    ("ya aboné la visita, 12.500 en efectivo al técnico", 12500),
    ("terminé, era una pavada, le cobré una gamba y media nomás", 150),
    ("salió 2 gambas", 200),
])
def test_amounts(text, amount):
    role = "customer" if "aboné" in text else "technician"
    assert extract(text, role, NOW).amount == amount


@pytest.mark.parametrize(("text", "street", "number"), [
    ("el miércoles a la mañana? 25 de Mayo 340, San Isidro", "25 de Mayo", "340"),
    ("se inunda todo, Av Directorio 3.120", "Av Directorio", "3120"),
    ("estoy en eh Donato Alvarez 780 departamento 4", "Donato Alvarez", "780"),
    ("Ciudad de la Paz 2450, Belgrano", "Ciudad de la Paz", "2450"),
])
def test_addresses(text, street, number):
    address = find_address(text)
    assert (address.street, address.number) == (street, number)


def test_a_street_named_after_a_date_is_not_a_date():
    got = extract("necesito un gasista el miércoles. 25 de Mayo 340, San Isidro", "customer", NOW)
    assert str(got.date) == "2026-12-02"
    assert str(extract("el 25 de mayo 2027", "customer", NOW).date) == "2027-05-25"


@pytest.mark.parametrize(("text", "urgency"), [
    ("necesito un electricista HOY, no tengo luz en la mitad de la casa", "high"),
    ("se cortó la luz en una parte del depto", "normal"),
    ("no tengo luz en toda la casa", "emergency"),
])
def test_part_of_the_house_without_power_is_no_emergency(text, urgency):
    assert extract(text, "customer", NOW).urgency == urgency


@pytest.mark.parametrize(("text", "urgency"), [
    # a toilet's tank or a tap that keeps running is a repair; water running over the floor is not
    ("el inodoro pierde agua del depósito todo el tiempo, no para de correr. me mandan un plomero?", "normal"),
    ("la mochila no para de correr, necesito plomero", "normal"),
    ("se rompió un caño y el agua no para de correr por el piso", "emergency"),
    ("no para de salir agua del inodoro, se inunda el baño", "emergency"),
])
def test_water_that_keeps_running_in_a_tank_is_no_emergency(text, urgency):
    assert extract(text, "customer", NOW).urgency == urgency


@pytest.mark.parametrize("text", ["mi CUIT es 20-12345678-3", "cuit 30712345671", "CUIT: 30-71234567-1"])
def test_a_customer_giving_a_cuit_wants_an_invoice(text):
    got = extract(text, "customer", NOW)
    assert got.intent == "invoice_request" and got.confidence >= 0.9


@pytest.mark.parametrize(("text", "unit", "locality"), [
    ("estoy en av cabildo 2100 7mo B, belgrano", "7mo B", "Belgrano"),
    ("Gorriti 3400 3ero A, palermo", "3ero A", "Palermo"),
    ("vivo en Cabildo 2100 2do piso dto 4, villa urquiza, pierde el calefón", "2do piso dto 4",
     "Villa Urquiza"),
    ("es en Rivadavia 5000 4to C", "4to C", None),
    ("Gorriti 3400 1ro", "1ro", None),
    ("Av. Corrientes 1234 5° B, Almagro", "5° B", "Almagro"),
    ("Gorriti 3400 piso 2 depto A, Palermo", "piso 2 depto A", "Palermo"),
    ("es en Rivadavia 5000, caballito", None, "Caballito"),
    ("es en Rivadavia 5000, a la vuelta", None, None),  # lowercase words that are no place
])
def test_a_floor_said_as_an_ordinal_and_a_barrio_in_lowercase(text, unit, locality):
    address = find_address(text)
    assert (address.unit, address.locality) == (unit, locality)


@pytest.mark.parametrize(("text", "unit", "locality"), [
    # the flat written after the place: the technician needs it to ring the right bell
    ("Av. Rivadavia 5400, Caballito, 3B", "3B", "Caballito"),
    ("Rivadavia 5400, caballito 3b, el timbre no anda", "3b", "Caballito"),
    ("vivo en Corrientes 1234, Almagro, dpto 5", "dpto 5", "Almagro"),
    ("Rivadavia 5400 (Caballito) piso 4 dto C", "piso 4 dto C", "Caballito"),
    ("Rivadavia 5400, Caballito. 2do A", "2do A", "Caballito"),
    ("Corrientes 1234 PB A", "PB A", None),
    ("Corrientes 1234 planta baja 2, Almagro", "planta baja 2", "Almagro"),
    # an hour span after the address is no flat
    ("estoy en Rivadavia 5400 3 a 5 de la tarde", None, None),
    ("Rivadavia 5400, Caballito, 3 a 5 puedo", None, "Caballito"),
    ("Corrientes 1234, Almagro 2 personas", None, "Almagro"),
])
def test_the_flat_after_the_place_and_no_flat_in_an_hour_span(text, unit, locality):
    address = find_address(text)
    assert (address.unit, address.locality) == (unit, locality)


@pytest.mark.parametrize(("text", "street", "number", "locality"), [
    # lowercase names with connectors, led to by "vivo en", "la dirección es", "queda en la calle"
    ("vivo en juan de garay 345", "Juan de Garay", "345", None),
    ("la direccion es pje. el lazo 123", "Pje. el Lazo", "123", None),
    ("queda en la calle de la paz 450", "Calle de la Paz", "450", None),
    ("estamos en av de los incas 3400, villa urquiza", "Av. de los Incas", "3400", "Villa Urquiza"),
    ("vivo en fray justo santa maria de oro 2150, palermo", "Fray Justo Santa Maria de Oro", "2150",
     "Palermo"),  # a long name: not "Oro", which the barrio after it would have let through
    # no cue, but a place people name right after the number
    ("hipolito yrigoyen 4500, lanus", "Hipolito Yrigoyen", "4500", "Lanús"),
    ("donato alvarez 780 4to B, flores", "Donato Alvarez", "780", "Flores"),
    # written in capitals, shown as streets are written
    ("CALLE AV DE MAYO 1200", "Av. de Mayo", "1200", None),
])
def test_addresses_written_in_lowercase_or_capitals(text, street, number, locality):
    address = find_address(text)
    assert (address.street, address.number, address.locality) == (street, number, locality)


@pytest.mark.parametrize("text", [
    "somos 4, en flores",  # a one-digit figure before a place is no street number
    "compre 12 caños, quilmes",
    "tengo 25 años, palermo",
    "rompi 3 vidrios en palermo",
    "el de la 1200 de abajo no anda",
])
def test_figures_before_a_place_are_no_address(text):
    assert find_address(text) is None


def test_a_street_the_customer_capitalized_keeps_its_spelling():
    assert find_address("estoy en Av Directorio 3.120").street == "Av Directorio"
    assert find_address("vivo en McKenna 450").street == "McKenna"


@pytest.mark.parametrize(("text", "street", "number"), [
    ("juan de garay 345", "Juan de Garay", "345"),
    ("hipolito yrigoyen 4500", "Hipolito Yrigoyen", "4500"),
    ("pasaje el lazo 123", "Pasaje el Lazo", "123"),
])
def test_an_answer_to_the_address_question_needs_no_cue(text, street, number):
    asked = extract(text, "customer", NOW, context=Context(asked="address"))
    assert (asked.address.street, asked.address.number) == (street, number)
    # the same words out of the blue are not taken for an address
    assert extract(text, "customer", NOW).address is None


def test_a_figure_answering_the_address_question_is_no_address_without_a_name():
    got = extract("tengo 2 perros, no muerden", "customer", NOW, context=Context(asked="address"))
    assert got.address is None


@pytest.mark.parametrize(("text", "locality", "description"), [
    # a message in capitals: capitalized words after the number are no place unless they are one
    ("CALLE AV DE MAYO 1200 PIERDE EL TERMOTANQUE", None, "PIERDE EL TERMOTANQUE"),
    ("NECESITO UN PLOMERO YA, GORRITI 3400 VILLA CRESPO, SE INUNDA TODO", "Villa Crespo",
     "SE INUNDA TODO"),
    ("rivadavia 5000, caba, se me tapo el inodoro", "CABA", "Se me tapo el inodoro"),
])
def test_a_message_in_capitals_keeps_its_problem_out_of_the_address(text, locality, description):
    got = extract(text, "customer", NOW)
    assert (got.address.locality, got.description) == (locality, description)


@pytest.mark.parametrize("text", [
    "se me saltan los tapones cuando prendo el horno. estoy en av san juan 2300 2do A, san cristobal",
    "vivo en juan de garay 345 y se me saltan los tapones cuando prendo el horno",
])
def test_an_address_written_in_lowercase_is_cut_from_the_problem(text):
    # the street comes back as streets are written ("Av. San Juan"): the cut must still find it
    assert extract(text, "customer", NOW).description == \
        "Se me saltan los tapones cuando prendo el horno"


@pytest.mark.parametrize(("text", "locality"), [
    ("gorriti 3400, nuñez", "Núñez"),  # a barrio typed without its accents gets them back
    ("av san juan 2300 2do A, san cristobal", "San Cristóbal"),
    ("Cabildo 2100, villa del parque", "Villa del Parque"),
    ("mitre 300, la boca", "La Boca"),
])
def test_a_barrio_typed_in_lowercase_is_written_as_its_name(text, locality):
    assert find_address(text).locality == locality


@pytest.mark.parametrize(("text", "street", "number", "locality"), [
    # the block first, as people give it ("en el 1200 de …"), led to by a cue
    ("mi vieja vive en el 1200 de juan b justo", "Juan B Justo", "1200", None),
    ("es en el 300 de la calle Gorriti, timbre 2", "Gorriti", "300", None),
    ("vivo en el 4500 de Rivadavia, caballito", "Rivadavia", "4500", "Caballito"),
    ("estoy en el 1200 de av cabildo y no anda el termo", "Av. Cabildo", "1200", None),
])
def test_an_address_given_number_first(text, street, number, locality):
    address = find_address(text)
    assert (address.street, address.number, address.locality) == (street, number, locality)


@pytest.mark.parametrize("text", [
    "en el 2020 de marzo se rompio",  # no cue: a year, a day, a list
    "el 300 de la lista",
    "nos vemos en el 15 de mayo",
])
def test_a_figure_before_de_is_no_address_without_a_cue(text):
    assert find_address(text) is None


def test_number_first_answers_the_address_question_and_leaves_the_problem():
    asked = extract("el 1200 de juan b justo", "customer", NOW, context=Context(asked="address"))
    assert (asked.address.street, asked.address.number) == ("Juan B Justo", "1200")
    got = extract("estoy en el 1200 de av cabildo y no anda el termotanque", "customer", NOW)
    assert got.description == "No anda el termotanque"


@pytest.mark.parametrize(("text", "description"), [
    # whoever lives there goes with the address: the technician reads the problem only
    ("se me rompio la canilla, pierde todo el tiempo. mi vieja vive en el 1200 de juan b justo",
     "Se me rompio la canilla, pierde todo el tiempo"),
    ("mi mama vive en Gorriti 3400 y no le anda el termotanque", "No le anda el termotanque"),
])
def test_who_lives_at_the_address_is_cut_with_it(text, description):
    assert extract(text, "customer", NOW).description == description


@pytest.mark.parametrize(("text", "place"), [
    ("Sería para reemplazar uno viejo de 80 litros. Estoy en Villa Devoto", "Villa Devoto"),
    ("es zona belgrano", "Belgrano"),
    ("estoy por Caballito", "Caballito"),
    ("en la plata", "La Plata"),
    ("en san isidro, cerca de la estación", "San Isidro"),
    ("a las once", None),                       # eleven, no cue of a place
    ("tengo flores en el balcón", None),
    ("la pérdida está en el baño", None),
])
def test_a_barrio_said_without_a_street(text, place):
    from nlu.extract.address import named_locality

    assert named_locality(text) == place



@pytest.mark.parametrize(("text", "hour"), [
    ("mañana hasta las 9 no hay nadie en casa eh", "09:00"),
    ("no estoy hasta las 10", "10:00"),
    ("recién a partir de las 11 puedo", "11:00"),
    ("no llego hasta las 6", "18:00"),              # a visit's hour: the afternoon's
    ("hasta las 9:30 estoy trabajando", "09:30"),
    ("vengan hasta las 5", None),                   # a limit the other way: no hour from
    ("estoy hasta las 12", None),
])
def test_the_hour_from_which_a_visit_can_be_received(text, hour):
    from core.es_ar import folded
    from nlu.extract.when import available_from

    found = available_from(folded(text))
    assert (found.isoformat(timespec="minutes") if found else None) == hour


@pytest.mark.parametrize(("text", "answering", "street", "unit", "locality"), [
    ("estoy en Corrientes y Pueyrredón", False, "Corrientes y Pueyrredón", None, None),
    ("Av Corrientes esquina Pueyrredon, Balvanera. 5to A", False, "Av Corrientes y Pueyrredon", "5to A", "Balvanera"),
    ("en la esquina de Rivadavia y Acoyte, Caballito", False, "Rivadavia y Acoyte", None, "Caballito"),
    ("Corrientes y Pueyrredón", True, "Corrientes y Pueyrredón", None, None),   # the answer to "¿dónde?"
    ("Marta y Juan", False, None, None, None),                              # no cue: no corner
    ("vino Carlos y Diego", True, None, None, None),
    # in lowercase, as most people write: a name no common word, the word "esquina", or the
    # answer to "¿dónde?" says they are streets; written as streets are written
    ("se me tapó la pileta, estoy en gorriti y thames, palermo", False, "Gorriti y Thames", None, "Palermo"),
    ("pierde el calefon, estoy en gorriti y cabildo belgrano", False, "Gorriti y Cabildo", None, "Belgrano"),
    ("en la esquina de juramento y cabildo", False, "Juramento y Cabildo", None, None),
    ("av cabildo esq juramento, 3B", False, "Av. Cabildo y Juramento", "3B", None),
    ("queda en av santa fe y pueyrredon, recoleta", False, "Av. Santa Fe y Pueyrredon", None, "Recoleta"),
    ("juramento y cabildo", True, "Juramento y Cabildo", None, None),
    ("estoy en juramento y cabildo", False, None, None, None),       # two common words: unsure
    ("estoy en casa y trabajo", False, None, None, None),
    ("estoy en lavalle y hace calor", False, None, None, None),
    ("estoy en la oficina y vuelvo a las 6", False, None, None, None),
    ("estoy en belgrano y palermo", False, None, None, None),         # places, not streets
    ("tengo una perdida en el baño y la cocina", False, None, None, None),
])
def test_a_corner_given_for_the_address(text, answering, street, unit, locality):
    from nlu.extract.address import find_corner

    corner = find_corner(text, answering=answering)
    got = (corner.street, corner.unit, corner.locality) if corner else (None, None, None)
    assert got == (street, unit, locality)


@pytest.mark.parametrize(("text", "locality"), [
    ("calle 7 n° 1234 e/ 56 y 57, La Plata", "La Plata"),      # past the cross streets
    ("Mitre 450 entre Alsina y Moreno, Quilmes", "Quilmes"),
    ("Mitre 450, gracias", None),
])
def test_the_place_written_after_the_cross_streets(text, locality):
    assert find_address(text).locality == locality


@pytest.mark.parametrize(("text", "street"), [
    ("gorriti", "Gorriti"),                       # no common word: a street
    ("en la calle gorriti", "Gorriti"),
    ("calle cabildo", "Cabildo"),                 # a common word after "calle"
    ("perdón, av cabildo", "Av. Cabildo"),
    ("Juan de Garay", "Juan de Garay"),           # a capital past the first word
    ("Cabildo", None),                            # phones capitalize the first word: unsure
    ("Perdón", None),
    ("palermo", None),                            # a barrio, not a street
    ("ok", None),
    ("no sé", None),
    ("gorriti 3400", None),                       # with its height: a whole address
    ("Marta", None),                              # a first name, not a street
])
def test_a_street_sent_without_its_height(text, street):
    from nlu.extract.address import street_alone

    assert street_alone(text) == street


@pytest.mark.parametrize(("text", "height"), [
    ("3400", True), ("al 3400", True), ("altura 3400, 2B", True), ("n° 3400", True),
    ("tres mil", False), ("mañana", False),
])
def test_the_height_sent_after_a_street(text, height):
    from nlu.extract.address import HEIGHT

    assert bool(HEIGHT.match(text)) is height


@pytest.mark.parametrize(("text", "place"), [
    ("palermo", "Palermo"), ("en Villa Urquiza.", "Villa Urquiza"), ("barrio belgrano", "Belgrano"),
    ("palermo soho queda lindo", None), ("gorriti", None),
])
def test_a_barrio_that_is_the_whole_message(text, place):
    from nlu.extract.address import locality_alone

    assert locality_alone(text) == place
