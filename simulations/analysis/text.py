"""Tokens and terms for themes and backtests: plain rules a person can read.

Lower-cased words (hyphenated words stay whole: "tone-deaf"), URLs and @mentions dropped,
#hashtags kept as words, a short English stop-word list plus social-media filler, and
bigrams built from the words that remain ("body shaming", "hostage video"); ``copies`` tells
a simulated reply that parrots its source post from one that answers it.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from itertools import pairwise

URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@\w+")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)

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


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text`` without URLs and @mentions ("#Peloton" -> "peloton")."""
    cleaned = MENTION_RE.sub(" ", URL_RE.sub(" ", text)).replace("’", "'")
    return [w.lower() for w in WORD_RE.findall(cleaned)]


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


COPY_THRESHOLD = 0.6
COPY_MIN_TOKENS = 4


def copies(text: str, source: str) -> bool:
    """Whether ``text`` copies ``source`` rather than answering it.

    Two rules, because copying comes in two shapes: a shuffled or lightly edited repeat
    of the whole source shares most of its words (token Jaccard >= 0.6) without a long
    run in order, while a reply that pastes a sentence of a long post and adds a word has
    a low Jaccard (the rest of the post dilutes it) but a long common run (>= 60% of the
    shorter text's tokens). Under four tokens both rules fire on chance overlaps
    ("so true" vs "true"), so short texts count only as exact copies.
    """
    a, b = tokenize(text), tokenize(source)
    if not a or not b:
        return False
    if min(len(a), len(b)) < COPY_MIN_TOKENS:
        return a == b
    jaccard = len(set(a) & set(b)) / len(set(a) | set(b))
    run = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size
    return jaccard >= COPY_THRESHOLD or run >= COPY_THRESHOLD * min(len(a), len(b))
