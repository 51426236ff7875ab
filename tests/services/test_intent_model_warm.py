"""A worker makes the NLU ready before its first job: the first customer's burst does not pay for
the model, the word lists or the patterns."""

from nlu.extract.spoken import is_spanish, spanish_words
from services.intent_model import load_intent_model


def test_the_word_list_is_built_before_the_first_job():
    spanish_words.cache_clear()
    is_spanish.cache_clear()
    load_intent_model()
    assert spanish_words.cache_info().currsize == 1
    assert "pileta" in spanish_words()
