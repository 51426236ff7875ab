"""Map links a technician can tap: the locality (or the business's city) and the country ride along."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from core.links import map_link


def _query(url: str) -> str:
    return parse_qs(urlsplit(url).query)["query"][0]


def test_street_number_locality_and_country_without_the_unit():
    url = map_link("Av. Rivadavia", "4500", "Caballito")
    assert url.startswith("https://www.google.com/maps/search/?api=1&query=")
    assert _query(url) == "Av. Rivadavia 4500, Caballito, Argentina"


def test_no_locality_takes_the_business_city_then_the_province_of_its_zone():
    assert _query(map_link("Gorriti", "3400", business_address="Av. Corrientes 1234, CABA")) == (
        "Gorriti 3400, CABA, Argentina")
    assert _query(map_link("Belgrano", "100", time_zone="America/Argentina/Cordoba")) == (
        "Belgrano 100, Córdoba, Argentina")
    assert _query(map_link("Belgrano", "100")) == "Belgrano 100, Buenos Aires, Argentina"


def test_a_typed_line_is_used_when_there_are_no_parts_and_not_repeated():
    assert _query(map_link(None, address_text="Gorriti 3400, Palermo", business_address="X 1, Palermo")) == (
        "Gorriti 3400, Palermo, Argentina")
    assert map_link(None) is None
