"""The intent corpus (`nlu/data/*.jsonl`): loading, rule-made variants, and a split by family.

Each line is one labelled message: `text`, `role`, `intent`, `family` (every phrasing of one
situation shares it) and an optional `context` (`open_job`: the state of the writer's open job;
`asked`: what the bot last asked). Variants are made by rule on top of the written messages —
accents dropped, WhatsApp abbreviations, letter slips, voice-transcript style — and always stay
on their family's side of a split, so a held-out score is never flattered by a near copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from nlu.schema import intents_for

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "nlu"  # trained models, family groups


@dataclass(frozen=True)
class Example:
    text: str
    role: str
    intent: str
    family: str
    context: dict = field(default_factory=dict, hash=False, compare=False)
    variant: str = "written"  # or the augmentation that made it


def load(data_dir: Path = DATA_DIR) -> list[Example]:
    """Every written example, checked against the contract's intents for its role."""
    examples: list[Example] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            role, intent = row.get("role", "customer"), row["intent"]
            if intent not in intents_for(role):
                raise ValueError(f"{path.name}:{n}: {intent!r} is not an intent of a {role}")
            examples.append(Example(row["text"], role, intent, f"{path.stem}:{row['family']}",
                                    row.get("context") or {}))
    return examples


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """A hash of the corpus files: a trained model is only reused for the same corpus."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.glob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


NEAR_COPY = 88  # two texts of different families this alike (rapidfuzz ratio) tie the families


_GROUPS: dict[str, dict[str, str]] = {}  # the groups of a corpus already compared, by its digest


def linked_families(examples: list[Example]) -> dict[str, str]:
    """family -> the family group it belongs to. Families written by different hands can hold
    near copies of one message; a group keeps them on one side of a split, so a held-out score
    is never flattered by a copy in training.

    Comparing every message with every other costs 15 s of both cores on a 24,000-line corpus
    (over a minute under a test run's load): the same examples are compared once per process,
    and once per checkout, the groups kept in `CACHE_DIR` under the digest of what was compared."""
    digest = hashlib.sha256(f"{NEAR_COPY}\n".encode() + "\n".join(
        f"{ex.family}\t{ex.text}" for ex in examples).encode()).hexdigest()
    if (known := _GROUPS.get(digest)) is not None:
        return dict(known)
    path = CACHE_DIR / f"families-{digest[:24]}.json"
    try:
        groups = json.loads(path.read_text())
    except (OSError, ValueError):
        groups = _linked_families(examples)
        try:
            write_cache(path, json.dumps(groups).encode())
        except OSError:  # a read-only checkout: compared again by the next process
            pass
    _GROUPS[digest] = groups
    return dict(groups)


def write_cache(path: Path, data: bytes) -> None:
    """Write a file of `CACHE_DIR` whole or not at all (two processes may write it at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _linked_families(examples: list[Example]) -> dict[str, str]:
    from rapidfuzz import fuzz, process

    texts = [" ".join(re.findall(r"[a-z0-9ñ]+", strip_accents(ex.text.lower()))) for ex in examples]
    parent = {ex.family: ex.family for ex in examples}

    def root(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR_COPY,
                           dtype="uint8", workers=-1)
    for i, j in zip(*scores.nonzero(), strict=True):
        a, b = root(examples[i].family), root(examples[j].family)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {f: root(f) for f in parent}


def split_by_family(examples: list[Example], holdout: float = 0.2,
                    seed: int = 7) -> tuple[list[Example], list[Example]]:
    """(train, held out): whole family groups on one side (families with near copies of each
    other form one group), about `holdout` of them held out.

    A group's side depends only on its own name (a hash), never on which other families exist:
    a new corpus file adds held-out families of its own but moves no old family across, so a
    score before and after it compares the same old families."""
    group = linked_families(examples)

    def held(root: str) -> bool:
        digest = hashlib.sha256(f"{seed}:{root}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < holdout

    held_out = {root for root in set(group.values()) if held(root)}
    return ([ex for ex in examples if group[ex.family] not in held_out],
            [ex for ex in examples if group[ex.family] in held_out])


# ---- variants by rule ----------------------------------------------------------------------

_ABBREVIATIONS = (
    (r"\bque\b", "q"), (r"\bporque\b", "xq"), (r"\bpor\b", "x"), (r"\btambién\b", "tb"),
    (r"\bmañana\b", "mñn"), (r"\bdespués\b", "dsp"), (r"\bpor favor\b", "porfa"),
    (r"\bsaludos\b", "slds"), (r"\bmensaje\b", "msj"), (r"\bminutos\b", "min"),
    (r"\bestoy\b", "toy"), (r"\bbien\b", "bn"), (r"\bcuando\b", "cdo"), (r"\bpara\b", "pa"),
)
_FILLERS = ("eh", "este", "bueno", "o sea", "nada", "mirá", "che")
# Letters a phone keyboard or a transcriber confuses.
_SOUNDS = (("v", "b"), ("b", "v"), ("ll", "y"), ("y", "ll"), ("z", "s"), ("ce", "se"),
           ("ci", "si"), ("h", ""), ("qu", "k"))


def strip_accents(text: str) -> str:
    """"Cañería rota, ¿podés?" → "Caneria rota, ¿podes?" (as typed on a phone in a hurry)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _abbreviate(text: str, rng: random.Random) -> str:
    for pattern, short in _ABBREVIATIONS:
        if rng.random() < 0.6:
            text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    return text


def _slips(text: str, rng: random.Random, count: int = 2) -> str:
    """A swapped, dropped or doubled letter in a few longer words."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for i in rng.sample(long, min(count, len(long))):
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif kind == "drop":
            w = w[:j] + w[j + 1:]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def _spoken(text: str, rng: random.Random) -> str:
    """Voice-transcript style: no punctuation or capitals, a filler or two, a sound confused."""
    words = re.sub(r"[¿?¡!.,;:()\"'…]+", " ", text).lower().split()
    if not words:
        return text
    for _ in range(rng.randint(1, 2)):
        words.insert(rng.randrange(0, len(words) + 1), rng.choice(_FILLERS))
    spoken = " ".join(words)
    old, new = rng.choice(_SOUNDS)
    if old in spoken and rng.random() < 0.5:
        spoken = spoken.replace(old, new, 1)
    return spoken


def variants(example: Example, rng: random.Random) -> list[Example]:
    """Two or three rule-made variants of a written example."""
    text = example.text
    made = {
        "typed": _slips(_abbreviate(strip_accents(text).lower(), rng), rng),
        "spoken": _spoken(text, rng),
    }
    if rng.random() < 0.5:
        made["shouted"] = strip_accents(text).upper()
    return [replace(example, text=t, variant=kind) for kind, t in made.items() if t != text]


def augmented(examples: Iterable[Example], seed: int = 11) -> list[Example]:
    """The written examples, their rule-made variants, and a copy without context of each one
    whose context is only the writer's open job: the text alone must say "is it still on?" or
    "better on Friday" too, since the open job is not always known (a customer writing from
    another phone, the contract's command line) — trained only with the marker, the model
    read those messages right half the time without it.

    Each example's variants depend on that example alone (its own random generator): the rows
    made for part of the corpus are the rows made for it within the whole, so the install reads
    each row's features once for the app's model and the held-out one (`model.build`)."""
    out: list[Example] = []
    for ex in examples:
        out.append(ex)
        out.extend(variants(ex, random.Random(f"{seed}\t{ex.family}\t{ex.role}\t{ex.text}")))
        if ex.context.get("open_job") and not ex.context.get("asked"):
            out.append(replace(ex, context={}, variant="no_context"))
    return out
