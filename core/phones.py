"""Phone numbers to one canonical form (E.164), so staff and customers match across channels."""

from __future__ import annotations

import functools

import phonenumbers

from core.errors import ValidationFailed

DEFAULT_REGION = "AR"


@functools.lru_cache(maxsize=16384)
def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'+54 9 11 5555-0101', '011 15 5555-0101', '5491155550101' → '+5491155550101'.

    WhatsApp ids arrive without '+' ('549' + area + number); those are international already.
    Argentine mobiles are kept with the 9 after the country code, the form WhatsApp uses.
    Remembered per process (the same senders write again and again; parsing costs more than
    storing their message); an invalid number is checked again each time.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed("Falta el teléfono.", {"phone": "required"})
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and digits.startswith("54") and len(digits) >= 12:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"Teléfono inválido: {raw}", {"phone": "invalid"}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(f"Teléfono inválido: {raw}", {"phone": "invalid"})
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if (
        number.country_code == 54
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        and not e164.startswith("+549")
    ):
        e164 = "+549" + e164[3:]
    return e164


def wa_id_for(e164: str) -> str:
    """The WhatsApp address for a canonical number: digits only, no '+'."""
    return e164.lstrip("+")
