"""Links into the back-office that messages to staff carry (the job an alert is about)."""

from __future__ import annotations

from core.settings import Settings


def job_link(settings: Settings, job_id: int) -> str:
    """`{public_base_url}/app/jobs/{id}`: the job's page, behind the back-office login."""
    return f"{settings.public_base_url.rstrip('/')}/app/jobs/{job_id}"
