"""The optional OpenAI-compatible backend: extraction by a chat model, transcription by Whisper.

Used when `NLU_EXTRACT_BACKEND=openai` / `NLU_TRANSCRIBE_BACKEND=openai` and `OPENAI_BASE_URL`
is set; the callers (nlu.extract, nlu.transcribe) fall back to the offline backends on any
`OpenAIBackendError`. Every failure here (not configured, timeout, HTTP error, refusal,
malformed or schema-violating answer, an intent the writer's role may not have) is raised as
that one exception with a one-line message; nothing is retried, the fallback is the retry.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from nlu.schema import Extraction, OrgContext, intents_for

DEFAULT_ZONE = "America/Argentina/Buenos_Aires"
# How much of the organization's vocabulary goes into the prompt (tokens cost time).
MAX_CONTEXT_ITEMS = 60


class OpenAIBackendError(Exception):
    """The OpenAI-compatible server could not give a usable answer."""


SYSTEM_PROMPT = """\
You read WhatsApp messages (Rioplatense Spanish, often informal, with typos and lunfardo) sent \
to a small Argentine field-service business (plumbers, electricians, gas fitters, locksmiths, \
AC technicians...) and return ONE JSON object describing the request, following the JSON \
schema exactly. Use null for every field the text does not say; never invent values.

Fields:
- intent: one of {intents} (only these are allowed for a {role}).
{intent_notes}
- service: the trade needed: plomeria (leaks, taps, water heaters, pipes), destapaciones \
(clogged drains/toilets/sewers), electricidad, gas (gas smell, gas appliances, matriculado \
work), aire_acondicionado, calefaccion (heating, radiators, boilers), cerrajeria (locks, \
keys, locked out), electrodomesticos (washing machines, fridges...), albanileria (masonry, \
damp walls), pintura.
- urgency: emergency = danger or damage happening now (gas smell, flooding / "se inunda", \
no power at all, locked out, sparks, fire); high = asks for today / as soon as possible / \
"urgente" / "cuanto antes"; normal = anything else that is a request; null if no request.
- address: {{"street", "number", "unit", "locality"}}: street name as written (keep "Av." \
etc.), door number as digits, unit like "3° B" or null, neighbourhood/locality or null.
- date: YYYY-MM-DD. Resolve relative dates ("hoy", "mañana", "pasado mañana", "el lunes", \
"el jueves que viene") against NOW in the organization's time zone ({zone}). Numeric dates \
are day/month as in Argentina: "5/12" is 5 December. A date without a year is the next such \
date on or after today.
- window: morning (08-12, "a la mañana"), afternoon (12-18, "a la tarde"), evening (18-21, \
"a la noche").
- time: HH:MM, 24-hour, when an hour is named ("a las 5 de la tarde" = 17:00, "a las 9" in \
the morning = 09:00).
- amount: a number in pesos. "15 lucas", "15 mangos mil", "quince mil", "$15.000", "15k", \
"15.000" are all 15000; "una luca" = 1000; "un palo" = 1000000. In Argentina "." separates \
thousands and "," decimals.
- eta_minutes: integer minutes until arrival ("llego en media hora" = 30, "en 10" = 10, \
"en una hora" = 60).
- name: the writer's own name only when they give it ("soy Marta Gómez").
- description: a short summary of the problem or update, in Spanish.
"""

INTENT_NOTES = {
    "customer": (
        "  new_job = asks for a service or reports a problem; job_status = asks where the "
        "technician is / when they come; reschedule = move an existing visit; cancel = cancel "
        "a visit; invoice_request = asks for a factura/invoice; payment = says they paid or "
        "asks how to pay (transferencia, alias, CBU); human = asks to talk to a person; "
        "greeting = only a greeting or thanks; other = anything else."
    ),
    "technician": (
        "  tech_on_the_way = leaving / on the way (\"voy para lo de García\", \"salgo\"); "
        "tech_arrived = at the address; tech_job_done = finished the job (often with the amount "
        "charged); tech_cannot_complete = cannot finish (missing part, customer absent, needs "
        "another visit); tech_agenda = asks for today's/tomorrow's jobs; human, greeting, other."
    ),
    "owner": (
        "  owner_summary = asks for a summary of the day/week (jobs, income); owner_unpaid = "
        "asks who has not paid / pending collections; human, greeting, other."
    ),
}


# -- the client, one per (base_url, key, timeout) ------------------------------------------

_clients: dict[tuple[str, str, float], Any] = {}
_clients_lock = threading.Lock()


def _client(settings) -> Any:
    base_url = (getattr(settings, "openai_base_url", None) or "").strip()
    if not base_url:
        raise OpenAIBackendError("OpenAI backend not configured: OPENAI_BASE_URL is not set")
    # Local OpenAI-compatible servers usually take no key, but the client insists on one.
    api_key = getattr(settings, "openai_api_key", None) or "none"
    timeout = float(settings.openai_timeout_seconds)
    key = (base_url.rstrip("/"), api_key, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            from openai import OpenAI

            client = OpenAI(base_url=key[0], api_key=api_key, timeout=timeout, max_retries=0)
            _clients[key] = client
        return client


def _describe(exc: Exception) -> str:
    """One line for any failure the openai client raises."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIStatusError):
        message = getattr(exc, "message", None) or str(exc)
        return f"HTTP {exc.status_code}: {message}"
    if isinstance(exc, openai.APIConnectionError):
        return f"connection failed: {exc.__cause__ or exc}"
    return f"{type(exc).__name__}: {exc}"


# -- extraction ---------------------------------------------------------------------------


def _strict(node: Any) -> Any:
    """Make a pydantic JSON schema acceptable to strict structured outputs: every property
    required (optional ones are already nullable), no defaults, no titles."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items() if k not in ("default", "title")}
    if out.get("type") == "object" and isinstance(out.get("properties"), dict):
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


_BASE_SCHEMA = _strict(Extraction.model_json_schema())


def response_schema(role: str) -> dict:
    """The JSON schema the model must fill, with `intent` narrowed to the role's intents."""
    schema = copy.deepcopy(_BASE_SCHEMA)
    schema["properties"]["intent"]["enum"] = list(intents_for(role))
    return schema


def _zone_name(org_context: OrgContext | None) -> str:
    name = org_context.time_zone if org_context else DEFAULT_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return name


def _user_message(text: str, role: str, now: datetime, org_context: OrgContext | None,
                  zone: str) -> str:
    local = now.astimezone(ZoneInfo(zone)) if now.tzinfo else now.replace(tzinfo=ZoneInfo(zone))
    lines = [
        f"ROLE: {role}",
        f"NOW: {local.isoformat(timespec='minutes')} ({local.strftime('%A')}, {zone})",
    ]
    if org_context is not None:
        for label, items in (("Price book items", org_context.price_book),
                             ("Known customers", org_context.customers),
                             ("Known streets", org_context.streets),
                             ("Technicians", org_context.technicians),
                             ("Writer's open jobs (customer)", tuple(org_context.open_jobs))):
            if items:
                lines.append(f"{label}: " + "; ".join(items[:MAX_CONTEXT_ITEMS]))
    lines += ["MESSAGES:", text.strip()]
    return "\n".join(lines)


def build_messages(text: str, role: str, now: datetime,
                   org_context: OrgContext | None = None) -> list[dict]:
    zone = _zone_name(org_context)
    allowed = intents_for(role)
    system = SYSTEM_PROMPT.format(intents=", ".join(allowed), role=role, zone=zone,
                                  intent_notes=INTENT_NOTES.get(role, ""))
    return [{"role": "system", "content": system},
            {"role": "user", "content": _user_message(text, role, now, org_context, zone)}]


def extract(text: str, role: str, now: datetime, org_context: OrgContext | None,
            settings) -> Extraction:
    """Ask the configured chat model for the extraction; raise OpenAIBackendError on failure."""
    client = _client(settings)
    model = settings.openai_chat_model
    try:
        completion = client.chat.completions.create(
            model=model,
            messages=build_messages(text, role, now, org_context),
            temperature=0,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "extraction", "strict": True,
                                "schema": response_schema(role)},
            },
            timeout=settings.openai_timeout_seconds,
        )
    except Exception as exc:  # every client failure becomes one error type
        raise OpenAIBackendError(f"chat completion ({model}) failed: {_describe(exc)}") from exc

    choices = getattr(completion, "choices", None) or []
    if not choices:
        raise OpenAIBackendError(f"chat completion ({model}) returned no choices")
    choice = choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise OpenAIBackendError(f"model refused: {refusal}")
    if choice.finish_reason == "length":
        raise OpenAIBackendError("answer cut off (finish_reason=length)")
    content = message.content
    if not content or not content.strip():
        raise OpenAIBackendError("empty answer")
    try:
        result = Extraction.model_validate_json(_strip_fences(content))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise OpenAIBackendError(f"answer does not fit the schema: {where}: {first['msg']}") from exc
    if result.intent not in intents_for(role):
        raise OpenAIBackendError(f"intent '{result.intent}' is not allowed for role '{role}'")
    return result


def _strip_fences(content: str) -> str:
    """Servers without structured outputs sometimes wrap the JSON in ``` fences."""
    body = content.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        if body.rstrip().endswith("```"):
            body = body.rstrip()[:-3]
    return body.strip()


# -- transcription ------------------------------------------------------------------------


def transcribe_file(path: Path, settings, prompt: str | None = None) -> str:
    """Transcribe one audio file (Spanish); raise OpenAIBackendError on failure."""
    client = _client(settings)
    model = settings.openai_transcribe_model
    path = Path(path)
    kwargs: dict[str, Any] = {"model": model, "language": "es"}
    if prompt:
        kwargs["prompt"] = prompt
    try:
        with path.open("rb") as fh:
            result = client.audio.transcriptions.create(
                file=(path.name, fh), timeout=settings.openai_timeout_seconds, **kwargs)
    except OSError as exc:
        raise OpenAIBackendError(f"cannot read {path.name}: {exc}") from exc
    except Exception as exc:  # every client failure becomes one error type
        raise OpenAIBackendError(f"transcription ({model}) failed: {_describe(exc)}") from exc
    text = result if isinstance(result, str) else getattr(result, "text", None)
    if not isinstance(text, str):
        raise OpenAIBackendError(f"transcription ({model}) returned no text")
    return text.strip()
