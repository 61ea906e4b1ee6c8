"""Tokens and terms for themes and backtests: plain rules a person can read.

Lower-cased words (hyphenated words stay whole: "tone-deaf"), URLs and @mentions dropped,
#hashtags kept as words, a short English stop-word list plus social-media filler, and
bigrams built from the words that remain ("body shaming", "hostage video"). ``tokenize`` and
``copies`` (a simulated reply that parrots its source post) live in ``simnet.llm.words``, so the
quality gate below the engine applies the very same rule.
"""

from __future__ import annotations

from itertools import pairwise

from simnet.llm.words import copies, tokenize

__all__ = ["STOP_WORDS", "content_words", "copies", "terms", "tokenize", "word_count"]

# fmt: off
STOP_WORDS = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "every", "few", "for", "from",
    "further", "get", "gets", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "like",
    "me", "more", "most", "much", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "one",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "really", "same", "says", "see",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us",
    "very", "was", "way", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "yet", "you", "your", "yours", "yourself", "yourselves", "i'm", "it's", "don't",
    "can't", "won't", "isn't", "that's", "i've", "i'll", "you're", "we're", "they're", "let's", "didn't",
    "doesn't", "she's", "he's", "there's", "what's", "who's", "wasn't", "aren't", "ain't", "gonna", "wanna",
    "rt", "amp", "via", "im", "ive", "dont", "cant", "wont", "thats", "lot", "thing", "things", "make",
    "made", "know", "think", "go", "going", "want", "s", "t", "d", "ll", "re", "ve", "m",
))
# fmt: on


def content_words(text: str) -> list[str]:
    """Tokens that carry meaning: stop words and one-letter words removed."""
    return [w for w in tokenize(text) if len(w) > 1 and w not in STOP_WORDS]


def terms(text: str, bigrams: bool = True) -> list[str]:
    """Content words plus adjacent-word bigrams ("body shaming"), in order of appearance."""
    words = content_words(text)
    if not bigrams:
        return words
    return words + [f"{a} {b}" for a, b in pairwise(words) if a != b]


def word_count(text: str) -> int:
    return len(tokenize(text))
