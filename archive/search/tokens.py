"""Search tokens for Chinese and English alike, and the query language readers type.

No Django here. Text is indexed as a stream of tokens:

- a run of Han (and kana/hangul) characters becomes its overlapping character pairs, then its
  last character alone: ``中文大模型`` → ``中文 文大 大模 模型 型``. A query for any substring of
  two or more characters is the phrase of its pairs (``大模型`` → ``大模 <-> 模型``), which the
  index finds exactly where those characters stand together; one character is a prefix (``芯*``
  matches ``芯片`` and a final ``芯``). Every substring is found, which word segmentation
  (jieba) cannot promise;
- anything else is split into lower-cased letters-and-digits words: ``PostgreSQL`` →
  ``postgresql``, and the last query word, of three or more letters, also matches as a prefix
  (``postgr`` finds it).

Queries: several words mean all of them, ``"exact phrase"``, ``-excluded``, ``OR``. The last
word is also a prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af"
    "\U00020000-\U0002fa1f"
)
# A Han run goes on across spaces: Chinese puts none between words, so one typed there is
# layout, and ``数据 库`` reads as 数据库.
_TOKEN = re.compile(rf"([{_CJK}]+(?:[ \t]+[{_CJK}]+)*)|([^\W_{_CJK}]+)", re.UNICODE)
_SPACE = re.compile(r"[ \t]+")
_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')
MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
PREFIX_MIN = 3


def normalize(text):
    """Full-width letters and digits to ASCII, compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _cjk_tokens(run):
    return [run] if len(run) == 1 else _pairs(run) + [run[-1]]


def _parts(text):
    """[(Han run, word)] of a normalised text, one of each pair empty; spaces inside a Han
    run are dropped."""
    return [
        (_SPACE.sub("", cjk) if " " in cjk or "\t" in cjk else cjk, word)
        for cjk, word in _TOKEN.findall(text)
    ]


def index_tokens(text):
    """The tokens a text is indexed as, in order."""
    return analyse(text)[0]


# PostgreSQL also indexes, without positions, what lets GIN answer prefixes and two-word
# phrases directly (a prefix query would otherwise read every posting of every word it expands
# to, and a phrase recheck every row that holds both words): the prefixes of each word, of
# PREFIX_MIN to PREFIX_MAX characters, as ``>prefix``, and each pair of adjacent words as
# ``first second``. Neither can be spelled by a token, which has no ``>`` and no space.
PREFIX_MAX = 10


def prefix_lexeme(prefix):
    return ">" + prefix


def pair_lexeme(first, second):
    return f"{first} {second}"


MAX_TOKEN = 200  # longer tokens (a pasted hash, say) are not indexed
_CJK_CHAR = re.compile(rf"[{_CJK}]")


def is_han(token):
    return _CJK_CHAR.match(token) is not None


def analyse(text, prefixes=True):
    """The tokens a text is indexed as, in order, and its pair lexemes and (unless told not
    to) prefix lexemes. Numbers have no prefixes."""
    tokens, pairs, words = [], set(), set()
    previous = None
    for cjk, word in _parts(normalize(text or "")):
        if cjk:
            tokens.extend(_cjk_tokens(cjk))
            previous = None
            continue
        tokens.append(word)
        if len(word) > MAX_TOKEN:
            previous = None
            continue
        if previous is not None:
            pairs.add(pair_lexeme(previous, word))
        previous = word
        words.add(word)
    if not prefixes:
        return tokens, pairs
    return tokens, pairs.union(
        prefix_lexeme(word[:end])
        for word in words
        if not word.isdigit()
        for end in range(PREFIX_MIN, min(len(word), PREFIX_MAX + 1))
    )


@dataclass
class Term:
    """One thing to find: a phrase of tokens. ``prefix`` lets the last token match a prefix."""

    tokens: list[str]
    prefix: bool = False


@dataclass
class Query:
    """All ``groups`` must match (each group is alternatives joined by OR); no ``excluded``."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # what to highlight

    def __bool__(self):
        return bool(self.groups)


def _pairs(run):
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _term(text, quoted):
    """The term a query word or quoted phrase stands for, or None when it holds no token.

    A Han run is its character pairs; inside a longer phrase a run also keeps its final
    character, as the index does, so that the tokens after it stay adjacent."""
    parts = _parts(normalize(text))
    if not parts:
        return None
    tokens = []
    for index, (cjk, word) in enumerate(parts):
        last = index == len(parts) - 1
        if not cjk:
            tokens.append(word)
        elif len(cjk) == 1:
            tokens.append(cjk)
        else:
            tokens.extend(_pairs(cjk) + ([] if last else [cjk[-1]]))
    cjk, word = parts[-1]
    prefix = len(cjk) == 1 or (not quoted and len(word) >= PREFIX_MIN)
    return Term(tokens, prefix=prefix)


def parse_query(text):
    """A :class:`Query` from what a reader typed. Never fails: unknown syntax is text."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    query = Query()
    pending_or = False
    for match in _QUERY_PART.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(query.groups)
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            raw, quoted = bare.lstrip("-") if negated else bare, False
        else:
            raw, quoted = phrase, True
        term = _term(raw, quoted)
        if term is None:
            continue
        if negated:
            # An excluded word is that word, not every word starting like it.
            term.prefix = term.prefix and _single_han(term)
            query.excluded.append(term)
        elif pending_or:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        if not negated:
            query.words.append(raw.strip())
        pending_or = False
        if len(query.groups) + len(query.excluded) >= MAX_TERMS:
            break
    # Only the last word typed is a prefix, as in search-as-you-type: ``postgr`` finds
    # PostgreSQL, while the words before it match whole, which keeps a query of common words
    # from expanding each into every word that starts like it.
    terms = [term for group in query.groups for term in group]
    for term in terms[:-1]:
        if term.prefix and not _single_han(term):
            term.prefix = False
    return query


def _single_han(term):
    token = term.tokens[0]
    return len(term.tokens) == 1 and len(token) == 1 and not token.isascii()


# Compiling a Query for each engine ---------------------------------------------------------


def ts_lexeme(token):
    """A lexeme quoted for PostgreSQL's tsvector and tsquery text forms."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term):
    """A term for PostgreSQL, using the prefix and pair lexemes (see ``extra_lexemes``) where
    they answer it: a prefix as ``('data' | '>data')``, a phrase of two words as one lexeme,
    a longer phrase as its pairs and then the phrase itself, checked on the rows holding them.
    """
    tokens = term.tokens
    last = tokens[-1]
    if len(tokens) == 1:
        if term.prefix and not is_han(last) and len(last) <= PREFIX_MAX:
            return f"({ts_lexeme(last)} | {ts_lexeme(prefix_lexeme(last))})"
        return ts_lexeme(last) + (":*" if term.prefix else "")
    adjacent = list(zip(tokens, tokens[1:], strict=False))
    if term.prefix:
        adjacent = adjacent[:-1]  # the last word is not whole
    pairs = [
        ts_lexeme(pair_lexeme(first, second))
        for first, second in adjacent
        if not is_han(first) and not is_han(second)
    ]
    if len(tokens) == 2 and len(pairs) == 1:
        return pairs[0]
    phrase = [ts_lexeme(token) for token in tokens]
    if term.prefix:
        phrase[-1] += ":*"
    phrase = "(" + " <-> ".join(phrase) + ")"
    return "(" + " & ".join([*pairs, phrase]) + ")" if pairs else phrase


def _any_of(alternatives, operator):
    if len(alternatives) == 1:
        return alternatives[0]
    return "(" + f" {operator} ".join(alternatives) + ")"


def to_tsquery(query):
    """The query as text for PostgreSQL's ``to_tsquery('simple', …)``."""
    groups = [_any_of([_ts_term(term) for term in group], "|") for group in query.groups]
    groups += ["!" + _ts_term(term) for term in query.excluded]
    return " & ".join(groups)


def _fts_term(term):
    phrase = " ".join(term.tokens).replace('"', '""')
    return f'"{phrase}"' + ("*" if term.prefix else "")


def to_fts5(query):
    """The query as an SQLite FTS5 MATCH expression."""
    groups = [_any_of([_fts_term(term) for term in group], "OR") for group in query.groups]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_fts_term(term)}"
    return expression
