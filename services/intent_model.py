"""The NLU's intent model, made ready in a process before its first job."""

from __future__ import annotations

from datetime import UTC, datetime

from nlu.extract import extract_rules
from nlu.extract.spoken import spanish_words
from nlu.intent.model import default_model

# Read once at start, so the first customer's burst does not pay for what extraction builds
# lazily (vocabularies, patterns). The Spanish word list (~85,000 words folded, read by voice
# repairs and the keyboard-mash check) is built by its own call: the mash check skips a message
# with digits, as this one has.
_WARM_UP = "hola buenas, se me tapó la pileta de la cocina, estoy en Gorriti 4500, ¿pueden mañana?"


def load_intent_model() -> None:
    """Load the intent model, training it when this corpus has no saved model yet (a deploy that
    skipped `python -m nlu train`), and understand one message with it."""
    default_model()
    spanish_words()
    extract_rules(_WARM_UP, "customer", datetime.now(UTC))
