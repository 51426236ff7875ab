"""The NLU's intent model, made ready in a process before its first job."""

from __future__ import annotations

from nlu.intent.model import default_model


def load_intent_model() -> None:
    """Load the intent model, training it when this corpus has no saved model yet (a deploy that
    skipped `python -m nlu train`)."""
    default_model()
