"""Long lists a page at a time: `?page=N`, 50 rows a page, links that keep the other filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import Session

PER_PAGE = 50
MAX_PAGE = 10_000


def url_with(path: str | None = None, **changes: str | int | None) -> str:
    """This request's URL (or `path`) with some query arguments replaced; None drops one.
    Every other argument is kept, so filters survive a link to another page or column."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None]
    return (path or request.path) + ("?" + urlencode(args) if args else "")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    has_next: bool
    arg: str = "page"  # the query argument holding the number: two lists on one page use two
    anchor: str = ""  # where the browser lands on the new page ("trabajos" → "#trabajos")

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first_row(self) -> int:
        """1-based position of the first item on this page (for "rows 51–100")."""
        return (self.number - 1) * self.per_page + 1

    @property
    def past_the_end(self) -> bool:
        """A page number beyond the last page (an old link, a typed URL): nothing to show."""
        return not self.items and self.number > 1

    def url(self, number: int) -> str:
        """This page's URL with `page=number`, every other query argument kept."""
        link = url_with(**{self.arg: number if number > 1 else None})
        return link + (f"#{self.anchor}" if self.anchor else "")


def page_number(arg: str = "page") -> int:
    """The requested page; anything that is not a sane positive number is page 1."""
    raw = request.args.get(arg, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_PAGE else 1


def paginate(session: Session, stmt: Select, *, per_page: int = PER_PAGE,
             rows: Callable[[Session, Select], Sequence] | None = None,
             arg: str = "page", anchor: str = "") -> Page:
    """Run `stmt` (already ordered, with a unique last key so pages never overlap) for the
    requested page. One extra row tells whether there is a next page, so no COUNT(*) runs.
    `rows` overrides how the statement is executed (default: `session.scalars(...).all()`)."""
    number = page_number(arg)
    stmt = stmt.limit(per_page + 1).offset((number - 1) * per_page)
    found = list(rows(session, stmt) if rows else session.scalars(stmt).all())
    return Page(found[:per_page], number, per_page, len(found) > per_page, arg, anchor)


def paginate_list(items: Sequence, *, per_page: int = PER_PAGE, arg: str = "page",
                  anchor: str = "") -> Page:
    """The same over a list already in memory (ranked search results)."""
    number = page_number(arg)
    start = (number - 1) * per_page
    return Page(list(items[start:start + per_page]), number, per_page,
                len(items) > start + per_page, arg, anchor)
