"""Links into the back-office that messages to staff carry (the job an alert is about, the
conversation a customer waits in)."""

from __future__ import annotations

from core.settings import Settings


def job_link(settings: Settings, job_id: int) -> str:
    """`{public_base_url}/app/jobs/{id}`: the job's page, behind the back-office login."""
    return f"{settings.public_base_url.rstrip('/')}/app/jobs/{job_id}"


def jobs_link(settings: Settings) -> str:
    """`{public_base_url}/app/jobs`: the jobs board, where a job's state and amounts are corrected."""
    return f"{settings.public_base_url.rstrip('/')}/app/jobs"


def invoice_link(settings: Settings, invoice_id: int) -> str:
    """`{public_base_url}/app/invoices/{id}`: the invoice's page, where a payment is recorded."""
    return f"{settings.public_base_url.rstrip('/')}/app/invoices/{invoice_id}"


def back_office_link(settings: Settings, page: str) -> str:
    """`{public_base_url}/app/{page}`: a back-office page ("team", "settings", "price-book")."""
    return f"{settings.public_base_url.rstrip('/')}/app/{page}"


def conversation_link(settings: Settings, conversation_id: int) -> str:
    """`{public_base_url}/app/conversations/{id}`: the inbox page where staff answer it."""
    return f"{settings.public_base_url.rstrip('/')}/app/conversations/{conversation_id}"


MAPS_SEARCH = "https://www.google.com/maps/search/?api=1&query="
# The province a time zone stands for, when neither the address nor the business names a city.
_ZONE_REGION = {
    "America/Argentina/Buenos_Aires": "Buenos Aires", "America/Argentina/Cordoba": "Córdoba",
    "America/Argentina/Mendoza": "Mendoza", "America/Argentina/Salta": "Salta",
    "America/Argentina/Tucuman": "Tucumán", "America/Argentina/Jujuy": "Jujuy",
    "America/Argentina/San_Juan": "San Juan", "America/Argentina/San_Luis": "San Luis",
    "America/Argentina/Catamarca": "Catamarca", "America/Argentina/La_Rioja": "La Rioja",
    "America/Argentina/Rio_Gallegos": "Santa Cruz", "America/Argentina/Ushuaia": "Tierra del Fuego",
}


def map_link(street: str | None, number: str | None = None, locality: str | None = None, *,
             address_text: str | None = None, business_address: str | None = None,
             time_zone: str | None = None) -> str | None:
    """A Google Maps search for a visit's address that a phone finds on the first try: street
    and number, the locality (or, when the customer gave none, the business's own city, else the
    province of its time zone), and the country; never the unit ("3° B" only confuses the map).
    `address_text` stands in for the parts when only a typed line is known."""
    from urllib.parse import quote_plus

    if street:
        parts = [f"{street} {number or ''}".strip()]
    elif address_text:
        parts = [address_text.strip()]
    else:
        return None
    place = locality or _city(business_address) or _ZONE_REGION.get(time_zone or "", "Buenos Aires")
    if place and place.casefold() not in parts[0].casefold():
        parts.append(place)
    parts.append("Argentina")
    return MAPS_SEARCH + quote_plus(", ".join(parts))


def _city(business_address: str | None) -> str | None:
    """The last part of the business's address ("Av. Corrientes 1234, CABA" -> "CABA")."""
    if not business_address or "," not in business_address:
        return None
    tail = business_address.rsplit(",", 1)[1].strip()
    return tail if tail and not tail[:1].isdigit() else None
