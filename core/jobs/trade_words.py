"""The trade's words a price book is matched with: the actions done to things ("cambio",
"service"), which of them are the same work, and the other names of a few parts (folded)."""

from __future__ import annotations

from collections.abc import Iterable

# An action as said, and the other words a price book may name it with
ACTIONS: dict[str, tuple[str, ...]] = {
    "cambio": ("reemplazo",), "reemplazo": ("cambio",),
    "instalacion": ("colocacion",), "colocacion": ("instalacion",), "conexion": (), "armado": (),
    "service": ("mantenimiento",), "mantenimiento": ("service",),
    "reparacion": ("arreglo", "service"), "arreglo": ("reparacion", "service"),
    "revision": ("service",), "limpieza": (), "ajuste": (), "sellado": (), "purga": (),
    "destapacion": ("desobstruccion",), "desobstruccion": ("destapacion",),
    "carga": (), "deteccion": (), "apertura": (),
}

# Actions that are the same work for a price: changing a part is fitting a new one, a repair is
# a service. Installing a termotanque is no service of one, nor a service an installation.
_FAMILIES = (
    frozenset({"cambio", "reemplazo", "instalacion", "colocacion", "conexion", "armado"}),
    frozenset({"service", "mantenimiento", "reparacion", "arreglo", "revision", "limpieza",
               "ajuste", "sellado", "purga"}),
    frozenset({"destapacion", "desobstruccion"}),
)

# The other names of a part ("interruptor diferencial" is the disyuntor; an "enchufe" is a
# tomacorriente), both ways
_NAMES = (
    ("disyuntor", "diferencial"),
    ("termica", "termomagnetica"),
    ("enchufe", "tomacorriente"),
    ("canilla", "griferia"),
)
SYNONYMS: dict[str, tuple[str, ...]] = {
    word: tuple(other for other in pair if other != word) for pair in _NAMES for word in pair}


def family(action: str) -> frozenset[str]:
    return next((f for f in _FAMILIES if action in f), frozenset({action}))


def same_work(said: Iterable[str], listed: Iterable[str]) -> bool:
    """Whether an item whose name has the actions `listed` prices the work of the actions
    `said`: when both name some, one of each is the same work (an item with none is a part,
    whatever the work; a question with none asks of the thing, whatever is done)."""
    said, listed = frozenset(said), frozenset(listed)
    if not said or not listed:
        return True
    return any(family(action) & listed for action in said)
