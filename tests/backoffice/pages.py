"""Walking a paged back-office list the way a person does: following "Siguientes →" to the end."""

from __future__ import annotations

import html as html_lib
import re

from flask.testing import FlaskClient

_LINK = r'<a href="([^"]+)" rel="{}">'
MAX_PAGES = 40


def link(html: str, rel: str) -> str | None:
    """The href of the page's `rel` link ("next" or "prev"), unescaped, or None."""
    found = re.search(_LINK.format(rel), html)
    return html_lib.unescape(found.group(1)) if found else None


def walk(client: FlaskClient, url: str) -> list[str]:
    """Every page's HTML, from `url` through each "next" link until there is none."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.get_data(as_text=True))
        assert len(pages) <= MAX_PAGES, f"{url}: the next links never end"
        url = link(pages[-1], "next")
    return pages
