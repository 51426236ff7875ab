"""The bot's words: every WhatsApp text is a template in templates/whatsapp/, reworded without code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.es_ar import with_article

TEXTS_DIR = Path(__file__).resolve().parents[2] / "templates" / "whatsapp"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # StrictUndefined: a missing value is a bug to see in tests, not a blank in a customer's chat.
    return Environment(
        loader=FileSystemLoader(TEXTS_DIR), autoescape=False, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )


def render(template: str, /, **context: object) -> str:
    """`render("ack", name="Marta")` → the text of templates/whatsapp/ack.txt, trimmed.

    Spanish contractions are applied to the result, so a template's "a {{ when }}" with
    "el jueves" reads "al jueves", never "a el jueves".
    """
    text = _environment().get_template(f"{template}.txt").render(**context).strip()
    return with_article(text)
