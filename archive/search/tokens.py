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
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)", re.UNICODE)
_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')
MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
PREFIX_MIN = 3


def normalize(text):
    """Full-width letters and digits to ASCII, compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _cjk_tokens(run):
    return [run] if len(run) == 1 else _pairs(run) + [run[-1]]


def index_tokens(text):
    """The tokens a text is indexed as, in order."""
    tokens = []
    for cjk, word in _TOKEN.findall(normalize(text or "")):
        tokens.extend(_cjk_tokens(cjk) if cjk else [word])
    return tokens


def index_text(text):
    """The tokens as one space-separated string, ready for to_tsvector('simple') or FTS5."""
    return " ".join(index_tokens(text))


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
    parts = _TOKEN.findall(normalize(text))
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


def _ts_lexeme(token):
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term):
    parts = [_ts_lexeme(token) for token in term.tokens]
    if term.prefix:
        parts[-1] += ":*"
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


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
