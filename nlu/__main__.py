"""`python -m nlu transcribe FILE [--json]` and `python -m nlu extract --jsonl` (the contract's CLI)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

_BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")  # the contract's zone when none is told


def _transcribe(args: argparse.Namespace) -> int:
    from nlu.transcribe import transcribe

    result = transcribe(args.file)
    if args.json:
        print(json.dumps({"text": result.text, "status": result.status, "reason": result.reason,
                          "language": result.language, "duration": result.duration,
                          "seconds": round(result.seconds, 3)}, ensure_ascii=False))
    elif result.status == "done":
        print(result.text)
    else:
        print(f"no transcript ({result.status}): {result.reason}", file=sys.stderr)
        return 1
    return 0


def _extract(args: argparse.Namespace) -> int:
    from nlu.extract import extract
    from nlu.intent.model import Context
    from nlu.schema import Extraction

    if not args.jsonl:
        text = sys.stdin.read()
        print(extract(text, args.role, datetime.now().astimezone()).model_dump_json(indent=2))
        return 0
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except ValueError:
            case = None
        if not isinstance(case, dict):  # one answer a line still, so the lines stay aligned
            print(f"line is not a JSON object: {line[:80]!r}", file=sys.stderr)
            out.write(json.dumps(Extraction().answer(None), ensure_ascii=False) + "\n")
            continue
        try:
            now = _now(case.get("now"))
            # `context` is an optional extra: {"open_job": "scheduled", "asked": "day"}.
            context = Context.from_dict(case["context"]) if case.get("context") else None
            result = extract(case.get("text") or "", case.get("role") or "customer", now,
                             context=context)
        except Exception as exc:  # noqa: BLE001 - one bad case must not sink the batch
            print(f"case {case.get('id')}: {exc}", file=sys.stderr)
            result = Extraction()
        out.write(json.dumps(result.answer(case.get("id")), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def _now(value: object) -> datetime:
    """The case's `now`; without one (or unreadable), this moment in Buenos Aires."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            print(f"unreadable now {value[:40]!r}: using the current time", file=sys.stderr)
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=_BUENOS_AIRES)
    return datetime.now(_BUENOS_AIRES)


def _train(args: argparse.Namespace) -> int:
    from nlu.intent.model import build

    print(build())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu", description="CampoTech NLU tools")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("transcribe", help="transcribe a voice note (OGG/Opus, MP3, M4A, WAV)")
    t.add_argument("file")
    t.add_argument("--json", action="store_true")
    e = sub.add_parser("extract", help="extract a structured request from text")
    e.add_argument("--jsonl", action="store_true", help="cases as JSON lines on stdin (CONTRACT.md)")
    e.add_argument("--role", default="customer", choices=["customer", "technician", "owner"])
    sub.add_parser("train", help="train the intent model on nlu/data/ and save it under var/nlu/")
    args = parser.parse_args(argv)
    commands = {"transcribe": _transcribe, "extract": _extract, "train": _train}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
