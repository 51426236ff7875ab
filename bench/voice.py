"""Voice notes: transcription speed, accuracy and memory, and a voice note answered end to end (JSON).

- transcription: a fresh child process does what the transcription worker does (import
  faster-whisper, load the model, warm it), then transcribes each dev voice clip
  (`../shared/nlu/audio.jsonl`) through `nlu.whisper_local.transcribe_file`: seconds, CPU
  seconds, real-time factor (seconds taken per second of audio: below 1 is faster than real
  time), and word error rate against the spoken text, per clip and overall (pooled: all edits
  over all reference words; and the mean of the clips), with the repetition guard
  (`collapse_repeats`) and without it (the model's raw text). Then the child's RSS, PSS and
  peak RSS.
- `--sweep`: decoding options compared on the same clips in one child, interleaved (each clip
  is decoded by every variant in turn, `--rounds` times) so the machine's load falls on all of
  them alike; speed as CPU seconds and as a ratio to the production options in the same run.
- end to end (unless `--skip-stack`): gunicorn in sandbox mode, the general worker, the
  transcription worker and the burst clock on PostgreSQL and Redis. Voice notes (the dev clips
  nearest 15 s, one shorter and one longer) and the same words typed as one text message, each
  from a new sender, alternate; the latency is from the webhook POST to the first reply
  recorded by the Graph stand-in (read from its feed in Redis, so the bench does not load the
  app it measures), in seconds and as a ratio to the text bursts of the same run. Then each
  process's PSS (`/proc/<pid>/smaps_rollup`) and whether it maps CTranslate2 (holds a Whisper
  model). `--quiet` sets the burst quiet window (default 4 s, the settings').

The machine has 2 cores shared with others: the load average is printed before and after, and
CPU seconds are given beside wall seconds (CPU time is what the load does not inflate much).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.voice_e2e import bench_end_to_end
from bench.voice_sweep import (
    VARIANTS,
    _child_production,
    _child_sweep,
    bench_sweep,
    bench_transcription,
)
from bench.voice_wer import cases

TARGETS = {"wer_max": 0.40, "voice_note_15s_seconds_max": 4.0, "pss_mb_max_but_transcription": 400}


def _config(args: argparse.Namespace, clips: list[dict]) -> dict:
    from importlib.metadata import version

    from core.settings import get_settings

    settings = get_settings()
    return {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "faster_whisper": version("faster-whisper"), "ctranslate2": version("ctranslate2"),
        "whisper_beam_size": settings.whisper_beam_size, "whisper_threads": settings.whisper_threads,
        "transcript_wait_seconds": settings.transcript_wait_seconds,
        "clips": len(clips), "clip_seconds": round(sum(c["duration"] for c in clips), 2),
        "args": vars(args),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sweep", nargs="*", metavar="VARIANT",
                        help=f"compare decoding options (all, or some of: {', '.join(VARIANTS)})")
    parser.add_argument("--rounds", type=int, default=2, help="--sweep: decodes per clip and variant")
    parser.add_argument("--skip-transcription", action="store_true")
    parser.add_argument("--skip-stack", action="store_true")
    parser.add_argument("--stack-rounds", type=int, default=4,
                        help="end to end: rounds of (text burst, voice note) per note clip")
    parser.add_argument("--quiet", type=float, default=None,
                        help="end to end: the burst quiet window (default: the settings', 4 s)")
    args = parser.parse_args()
    if args.child:
        spec = json.loads(sys.stdin.read())
        result = _child_production(spec) if args.child == "production" else _child_sweep(spec)
        print(json.dumps(result, ensure_ascii=False))
        return

    from core.settings import get_settings
    from nlu.whisper_local import probe_duration

    clips = cases()
    for clip in clips:
        clip["duration"] = round(probe_duration(clip["path"]), 3)
    result: dict[str, Any] = {"benchmark": "voice", "config": _config(args, clips),
                              "load_average_before": [round(x, 2) for x in os.getloadavg()],
                              "targets": TARGETS}
    if not args.skip_transcription:
        result["transcription"] = bench_transcription(clips)
    if args.sweep is not None:
        names = args.sweep or list(VARIANTS)
        if "production" not in names:
            names = ["production", *names]
        result["sweep"] = bench_sweep(clips, names, args.rounds)
    if not args.skip_stack:
        # The clips nearest 15 s on either side: a voice note of that length is the target's.
        notes = [max((c for c in clips if c["duration"] <= 15), key=lambda c: c["duration"]),
                 min((c for c in clips if c["duration"] > 15), key=lambda c: c["duration"])]
        quiet = args.quiet if args.quiet is not None else get_settings().burst_quiet_seconds
        result["end_to_end"] = bench_end_to_end(notes, args.stack_rounds, quiet)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
