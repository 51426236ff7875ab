"""The owner's words to pass on, read apart from the person they are for."""

from __future__ import annotations

import pytest

from flows.relay import Ask, parse


@pytest.mark.parametrize(("text", "ask"), [
    ("decile a marta q carlos va a llegar una hora tarde xq se le complico el anterior",
     Ask("marta", "carlos va a llegar una hora tarde xq se le complico el anterior", False)),
    ("Avisale a la Sra. de Gorriti que mañana no vamos",
     Ask("la sra. de gorriti", "mañana no vamos", False)),
    ("preguntale a Graciela Pérez si puede mañana a las 9",
     Ask("graciela perez", "si puede mañana a las 9", True)),
    ("mandale un msj a juan diciendo que el presupuesto está listo",
     Ask("juan", "el presupuesto está listo", False)),
    ("le podés decir a Diego: que pase por el taller", Ask("diego", "pase por el taller", False)),
    ("avisale que sí", Ask("", "sí", False)),
    ("mandale un mensaje a Marta García", Ask("marta garcia", "", False)),
    ("escribile a los Fernández, que el lunes arrancamos", Ask("los fernandez", "el lunes arrancamos", False)),
    # the person before the verb
    ("a la señora de medina de mañana decile q le despeje abajo de la mesada",
     Ask("la senora de medina de manana", "le despeje abajo de la mesada", False)),
    ("che, al de Gorriti avisale que llego tarde", Ask("de gorriti", "llego tarde", False)),
    # an hour or a day before the verb is no person
    ("a las 5 decile que llego", Ask("", "llego", False)),
    ("para el lunes avisale que no voy", Ask("", "no voy", False)),
    # a request of the sender's keeps its "que" (without it, "Me llame." reads as his own deed);
    # his own news does not
    ("decile a Juan que me llame", Ask("juan", "que me llame", False)),
    ("decile a carlos q me lo pase hoy sin falta", Ask("carlos", "que me lo pase hoy sin falta", False)),
    ("decile a Marta que me voy a demorar", Ask("marta", "me voy a demorar", False)),
])
def test_the_person_and_the_words_apart(text, ask):
    assert parse(text) == ask


@pytest.mark.parametrize("text", [
    "pasame el resumen", "quién me debe?", "pasale lo de Graciela a Diego",
    "mandale el link de pago", "¿qué le dijo Carlos a la señora?", "decime cuánto facturamos",
])
def test_what_asks_no_passing_on(text):
    assert parse(text) is None


def test_the_words_first_and_the_verb_last():
    ask = parse("lo de marta no se cobra la visita de hoy, solo el trabajo terminado. avisale")
    assert ask == Ask("", "lo de marta no se cobra la visita de hoy, solo el trabajo terminado", False,
                      named_inside=True)
    assert parse("mañana no vamos, avisale porfa").named_inside

