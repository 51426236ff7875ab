"""Small factories that build real objects through the real services."""

from __future__ import annotations

from core.db import Database
from core.organizations import create_organization


def create_org(db: Database, name: str, slug: str, **fields) -> int:
    with db.system_session() as session:
        org = create_organization(session, {"name": name, "slug": slug, **fields})
        return org.id
