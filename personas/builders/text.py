"""Small text helpers shared by profiling and cards (no NLP downloads, no Django).

Everything here is deliberately simple and explainable: regexes for URLs, hashtags,
mentions and emoji, short built-in stop-word lists, and a plain TF-IDF. The UI shows how
each figure was computed, so the rules must be ones a person can read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9_])")
EMOJI_RE = re.compile(
    "[\U0001f300-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b50\u2b55\u203c\u2049\u2764]"
)
SHOUT_RE = re.compile(r"\b[A-Z]{3,}\b")
WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)

# fmt: off
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset((
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as",
        "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
        "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
        "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
        "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my",
        "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
        "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
        "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
        "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where",
        "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
        "yourselves", "i'm", "it's", "don't", "can't", "won't", "isn't", "that's", "i've", "i'll", "you're",
        "we're", "they're", "let's"
    )),
    "es": frozenset((
        "de", "la", "que", "el", "en", "y", "a", "los", "del", "se", "las", "por", "un", "para", "con", "no",
        "una", "su", "al", "lo", "como", "más", "pero", "sus", "le", "ya", "o", "este", "sí", "porque",
        "esta", "entre", "cuando", "muy", "sin", "sobre", "también", "me", "hasta", "hay", "donde", "quien",
        "desde", "todo", "nos", "durante", "todos", "uno", "les", "ni", "contra", "otros", "ese", "eso",
        "ante", "ellos", "e", "esto", "mí", "antes", "algunos", "qué", "unos", "yo", "otro", "otras", "otra",
        "él", "tanto", "esa", "estos", "mucho", "quienes", "nada", "muchos", "cual", "poco", "ella", "estar",
        "estas", "es", "son"
    )),
    "fr": frozenset((
        "le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "à", "au", "aux", "ce", "ces", "dans",
        "par", "pour", "sur", "pas", "plus", "ne", "que", "qui", "quoi", "est", "sont", "été", "être", "avec",
        "il", "elle", "ils", "elles", "nous", "vous", "je", "tu", "on", "mais", "ou", "où", "donc", "car",
        "ni", "leur", "leurs", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos",
        "votre", "vos", "cette", "cet", "se", "sa", "y", "très", "aussi", "comme", "tout"
    )),
    "de": frozenset((
        "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "einen", "einem", "einer", "zu", "den",
        "dem", "des", "mit", "von", "auf", "für", "im", "in", "sich", "auch", "es", "an", "als", "wie", "wir",
        "ich", "du", "er", "sie", "ihr", "aber", "oder", "wenn", "noch", "nach", "bei", "aus", "so", "dass",
        "nur", "schon", "über", "um", "sind", "war", "hat", "haben", "wird", "werden", "kein", "keine",
        "mein", "dein", "sein", "unser", "euer", "diese", "dieser"
    )),
    "pt": frozenset((
        "de", "a", "o", "que", "e", "do", "da", "em", "um", "para", "é", "com", "não", "uma", "os", "no",
        "se", "na", "por", "mais", "as", "dos", "como", "mas", "foi", "ao", "ele", "das", "tem", "à", "seu",
        "sua", "ou", "ser", "quando", "muito", "há", "nos", "já", "está", "eu", "também", "só", "pelo",
        "pela", "até", "isso", "ela", "entre", "era", "depois", "sem", "mesmo", "aos", "ter", "seus", "quem",
        "nas", "me", "esse", "eles", "estão", "você", "tinha", "foram", "essa", "num", "nem"
    )),
    "it": frozenset((
        "di", "e", "il", "la", "che", "è", "per", "un", "una", "in", "non", "sono", "del", "della", "le",
        "si", "con", "lo", "gli", "dei", "delle", "al", "alla", "ma", "come", "anche", "ci", "più", "io",
        "tu", "lui", "lei", "noi", "voi", "loro", "questo", "questa", "quello", "quella", "mi", "ti", "ha",
        "hanno", "nel", "nella", "sul", "sulla", "da", "dal", "dalla", "se", "perché", "cosa", "molto",
        "tutto", "tutti", "già", "ancora"
    )),
    "nl": frozenset((
        "de", "het", "een", "en", "van", "ik", "te", "dat", "die", "in", "is", "niet", "zijn", "op", "aan",
        "met", "als", "voor", "er", "maar", "om", "hij", "ze", "zich", "bij", "ook", "tot", "je", "mij",
        "uit", "der", "daar", "haar", "naar", "heb", "hoe", "heeft", "hebben", "deze", "u", "want", "nog",
        "zal", "me", "zij", "nu", "ge", "geen", "omdat", "iets", "worden", "toch", "al", "waren", "veel",
        "meer", "doen", "toen", "moet", "ben", "zonder", "kan", "hun", "dus"
    )),
}
# Words people use constantly on social media that say nothing about interests.
FILLER = frozenset((
    "just", "like", "get", "got", "really", "today", "one", "also", "would", "could", "still", "even", "much",
    "many", "lot", "lots", "gonna", "going", "know", "think", "thing", "things", "people", "yes", "yeah",
    "ok", "okay", "lol", "new", "good", "great", "time", "day", "way", "make", "want", "see", "need", "well",
    "back", "right", "via", "amp", "rt"
))
# fmt: on
ALL_STOPWORDS = frozenset().union(*STOPWORDS.values()) | FILLER
MAX_TERM_CHARS = 30  # longer "words" are URLs, keyboard mashing or unspaced scripts, not interests


def strip_links_and_handles(text: str) -> str:
    """Text without URLs, @mentions and #hashtags (they are counted separately)."""
    text = URL_RE.sub(" ", text)
    text = MENTION_RE.sub(" ", text)
    return HASHTAG_RE.sub(" ", text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` after removing URLs, mentions and hashtags."""
    return [w.lower().strip("'’-") for w in WORD_RE.findall(strip_links_and_handles(text))]


def content_terms(text: str) -> list[str]:
    """Words that can describe an interest: no stop words, no filler, 3 to 30 letters."""
    out = []
    for word in words(text):
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if 3 <= len(word) <= MAX_TERM_CHARS and word not in ALL_STOPWORDS:
            out.append(word)
    return out


def hashtags(text: str) -> list[str]:
    return ["#" + tag.lower() for tag in HASHTAG_RE.findall(text)]


def mentions(text: str) -> list[str]:
    return ["@" + handle.lower() for handle in MENTION_RE.findall(text)]


def guess_language(text: str) -> str:
    """ISO code of the language whose stop words occur most in ``text``; "" if none clearly does.

    Needs at least two stop-word hits and a strict winner, so short or mixed text stays unknown.
    """
    tokens = words(text)
    hits = {lang: sum(1 for t in tokens if t in stop) for lang, stop in STOPWORDS.items()}
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    best, best_hits = ranked[0]
    if best_hits >= 2 and best_hits > ranked[1][1]:
        return best
    return ""


def top_counts(items: Iterable[str], limit: int) -> tuple[tuple[str, int], ...]:
    """The ``limit`` most common items, ties broken alphabetically (deterministic)."""
    ranked = sorted(Counter(items).items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(ranked[:limit])


SparseVector = dict[str, float]


def tfidf_vectors(documents: Sequence[Sequence[str]]) -> list[SparseVector]:
    """L2-normalised TF-IDF vectors (smoothed idf) of already tokenised documents."""
    n_docs = len(documents)
    doc_freq: Counter[str] = Counter()
    for doc in documents:
        doc_freq.update(set(doc))
    vectors = []
    for doc in documents:
        counts = Counter(doc)
        vec = {term: tf * (math.log((1 + n_docs) / (1 + doc_freq[term])) + 1) for term, tf in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        vectors.append({t: v / norm for t, v in vec.items()} if norm else {})
    return vectors


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors (plain dot product when both are normalised)."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    norm_a = math.sqrt(sum(v * v for v in a.values()))
    norm_b = math.sqrt(sum(v * v for v in b.values()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


def centroid(vectors: Sequence[Mapping[str, float]]) -> SparseVector:
    total: Counter[str] = Counter()
    for vec in vectors:
        total.update(vec)
    return {t: v / len(vectors) for t, v in total.items()} if vectors else {}
