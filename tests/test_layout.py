"""The README's layout table, enforced: what each top-level package may import of ours.

Every import counts, at module level or inside a function, TYPE_CHECKING blocks included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("core", "integrations", "nlu", "flows", "services", "bot", "workers", "backoffice", "web")

# package -> what it may import of ours besides itself (a module prefix: "core" admits
# "core.settings" and everything under core/, "core.settings" admits that module only).
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "core": (),
    "integrations": ("core.settings",),
    "nlu": ("core.settings",),
    "flows": ("core", "nlu"),
    "services": ("core", "integrations", "nlu", "flows"),
    "bot": ("core", "integrations", "flows", "services"),
    # Entry points call the application layer only; of core, just what a process is built from.
    "workers": ("core.db", "core.logging", "core.settings", "services"),
    "backoffice": ("core", "integrations", "services"),
    "web": ("core", "integrations", "services", "bot", "backoffice"),
}
# Outside libraries a package must not use: the domain stays free of the queue, Redis and the
# web framework (services take what they need through ports).
NEVER: dict[str, tuple[str, ...]] = {
    "core": ("redis", "rq", "flask", "werkzeug"),
    "services": ("flask", "werkzeug"),
    "flows": ("redis", "rq", "flask", "werkzeug"),
    "workers": ("flask", "werkzeug"),
}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from core import texts" imports core.texts: judge the submodule when it is one.
            names += [f"{node.module}.{alias.name}" if (ROOT / node.module.replace(".", "/")
                      / alias.name).exists() or (ROOT / node.module.replace(".", "/")
                      / f"{alias.name}.py").exists() else node.module for alias in node.names]
    return names


def _admits(allowed: tuple[str, ...], name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)


def _violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS and top != package and not _admits(MAY_IMPORT[package], name):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
            if top in NEVER.get(package, ()):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", OURS)
def test_package_imports_only_what_the_layout_allows(package):
    assert _violations(package) == []


def test_the_rules_have_no_cycle():
    """core < integrations, nlu < flows < services < bot, workers, backoffice < web."""
    seen: dict[str, int] = {}

    def depth(package: str, path: tuple[str, ...] = ()) -> int:
        assert package not in path, f"cycle: {' -> '.join((*path, package))}"
        if package not in seen:
            below = {prefix.split(".")[0] for prefix in MAY_IMPORT[package]}
            seen[package] = 1 + max((depth(p, (*path, package)) for p in below), default=0)
        return seen[package]

    for package in OURS:
        depth(package)


def test_the_readme_table_names_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout"):]
    for package in OURS:
        assert f"| `{package}/` |" in table
