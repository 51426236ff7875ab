"""Where stored media lives (one folder per organization) and how it may be handed back out."""

from __future__ import annotations

from pathlib import Path

# Shown in the browser; anything else is only offered as a download. SVG is left out on purpose:
# it can carry scripts, and it would run on our origin.
INLINE_PREFIXES = ("image/", "video/")
INLINE_EXACT = frozenset({"application/pdf"})
NEVER_INLINE = frozenset({"image/svg+xml"})


def org_folder(media_dir: str | Path, org_id: int) -> Path:
    """The organization's media folder (services.media stores under <media_dir>/<org_id>/YYYY/MM)."""
    return Path(media_dir) / str(org_id)


def stored_file(media_dir: str | Path, org_id: int, media_path: str | None) -> Path | None:
    """The stored file for `media_path`, only if it really is inside the organization's folder
    (after resolving `..` and symlinks) and exists; None otherwise."""
    if not media_path or "\x00" in media_path:
        return None
    root = org_folder(media_dir, org_id).resolve()
    try:
        path = Path(media_path).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def shown_inline(mime: str | None) -> bool:
    """Whether a browser may show this type in place rather than download it."""
    base = (mime or "").split(";")[0].strip().lower()
    if base in NEVER_INLINE:
        return False
    return base in INLINE_EXACT or base.startswith(INLINE_PREFIXES)
