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


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first_row(self) -> int:
        """1-based position of the first item on this page (for "rows 51–100")."""
        return (self.number - 1) * self.per_page + 1

    def url(self, number: int) -> str:
        """This page's URL with `page=number`, every other query argument kept."""
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        if number > 1:
            args.append(("page", str(number)))
        return request.path + ("?" + urlencode(args) if args else "")


def page_number(arg: str = "page") -> int:
    """The requested page; anything that is not a sane positive number is page 1."""
    raw = request.args.get(arg, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_PAGE else 1


def paginate(session: Session, stmt: Select, *, per_page: int = PER_PAGE,
             rows: Callable[[Session, Select], Sequence] | None = None) -> Page:
    """Run `stmt` (already ordered) for the requested page. One extra row tells whether there
    is a next page, so no COUNT(*) runs. `rows` overrides how the statement is executed
    (default: `session.scalars(...).all()`)."""
    number = page_number()
    stmt = stmt.limit(per_page + 1).offset((number - 1) * per_page)
    found = list(rows(session, stmt) if rows else session.scalars(stmt).all())
    return Page(found[:per_page], number, per_page, len(found) > per_page)


def paginate_list(items: Sequence, *, per_page: int = PER_PAGE) -> Page:
    """The same over a list already in memory (ranked search results)."""
    number = page_number()
    start = (number - 1) * per_page
    return Page(list(items[start:start + per_page]), number, per_page, len(items) > start + per_page)
