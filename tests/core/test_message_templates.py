"""The WhatsApp message templates keep their line breaks.

Templates render with `trim_blocks`: the line break right after a block tag goes. A line with
words that ends in a tag ("📞 {{ phone }}{% endif %}") therefore ran into the next line's words
("…Bustos📞 +54 9…"); such a line ends its tag with "+%}" (the break kept) or writes the break
itself (`{{ "\\n" }}`)."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from core.messaging import texts

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "templates" / "whatsapp").glob("*.txt"))
_TAG_AT_END = re.compile(r"\{%-?\s*(?:if|elif|else|endif|for|endfor)\b[^%]*[^+]%\}$")


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_no_line_of_words_loses_its_break_to_a_tag(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    for n, (line, after) in enumerate(pairwise(lines), 1):
        words = re.sub(r"\{%.*?%\}", "", line).strip()
        if _TAG_AT_END.search(line) and words and after.strip() and not after.lstrip().startswith("{%"):
            pytest.fail(f"{path.name}:{n}: the break after {line[-40:]!r} is trimmed")


def test_a_contact_card_keeps_one_line_per_detail():
    body = texts.render("tech_job_contact", jobs=[
        {"number": 2, "customer": "Mirta Bustos", "phone": "+54 9 351 555-0301", "when": "mañana",
         "address": "Av. Colón 950", "maps": None},
        {"number": 3, "customer": "Julio Aguirre", "phone": None, "when": None,
         "address": "Bv. San Juan 1820", "maps": None}])
    assert body == ("📇 #2 · Mirta Bustos\n📞 +54 9 351 555-0301\n🗓️ mañana\n📍 Av. Colón 950\n\n"
                    "📇 #3 · Julio Aguirre\n📍 Bv. San Juan 1820")
