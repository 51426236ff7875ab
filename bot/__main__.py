"""`python -m bot chat --phone 5491155550000 [--url http://127.0.0.1:8000] [--name Marta]`."""

from __future__ import annotations

import argparse
import os
import sys

from bot.chat import Chat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="CampoTech bot tools")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="chat with the running app's bot through the sandbox")
    chat.add_argument("--phone", default="5491155550000",
                      help="your WhatsApp id: 549 + area + number (default: a new customer)")
    chat.add_argument("--url", default=os.environ.get("PUBLIC_BASE_URL")
                      or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    chat.add_argument("--name", default=None, help="your WhatsApp profile name")
    args = parser.parse_args(argv)
    digits = "".join(ch for ch in args.phone if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        parser.error("--phone: 8 to 15 digits, with the country code (e.g. 5491155550000)")
    return Chat(args.url, digits, args.name).run()


if __name__ == "__main__":
    sys.exit(main())
