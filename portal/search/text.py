"""Chinese text as the search index and the search box both see it (P1).

One function, `terms`, turns text into index terms, and the query side (`query_parse`) uses the
same segmentation, dictionary and synonyms, so a word is found exactly when the page holds it.

- Segmentation: jieba 0.42 (it ships its own dictionary; nothing is downloaded), with the
  bureau's words (`data/dictionary.txt`), the districts and streets (`data/places.txt`) and
  every synonym added as whole words. HMM guessing of unknown words is off: it depends on the
  surrounding text, so the same word could be cut one way in a page and another in a query.
- Indexing cuts "for search" (a long word also yields the dictionary words inside it:
  最低生活保障 gives 最低, 生活, 保障 and itself); a query is cut plainly.
- Synonyms (`data/synonyms.txt`, `data/places.txt`): each word of a group is replaced by the
  group's first word on both sides, so 低保 finds 最低生活保障 and 东城 finds 东城区.
- Document numbers (文号) are recognised however they are typed: 京民核发〔2018〕195号, [2018],
  【2018】, (2018), 2018年195号, 195号; they become `docno:` terms.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
DOMAIN_WORD_FREQ = 200_000  # high enough that jieba keeps a domain word whole
MAX_TERM_LENGTH = 64

# 文号: issuer code (机关代字), the year in 〔〕 (typed also as [] 【】 () （） ［］), number, 号.
_OPEN = "〔\\[【(（［"
_CLOSE = "〕\\]】)）］"
DOCNO = re.compile(
    rf"(?P<issuer>[\u4e00-\u9fff]{{1,12}}[A-Za-z]{{0,4}})?\s*[{_OPEN}]\s*(?P<year>(?:19|20)\d{{2}})"
    rf"\s*[{_CLOSE}]\s*第?\s*(?P<number>\d{{1,5}})\s*号"
)
# 2018年195号 (year and number without the issuer), and 195号 alone (queries only).
YEAR_NUMBER = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*第?\s*(?P<number>\d{1,5})\s*号")
NUMBER_ONLY = re.compile(r"(?<![\d.])第?(?P<number>\d{1,5})\s*号")
# A validated 文号 as the notice form stores it.
DOCNO_CANONICAL = re.compile(
    r"^(?P<issuer>[\u4e00-\u9fff]{2,12}[A-Za-z]{0,4})〔(?P<year>(?:19|20)\d{2})〕(?P<number>\d{1,5})号$"
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class DocNumber:
    issuer: str
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.issuer}〔{self.year}〕{self.number}号"

    def terms(self, *, own: bool) -> list[str]:
        """Index terms: issuer+year+number and year+number; the bare number only for a
        page's own 文号 (a cited 文号 should not answer a search for "195号")."""
        found = [f"docno:{self.year}-{self.number}"]
        if self.issuer:
            found.insert(0, f"docno:{self.issuer}{self.year}-{self.number}")
        if own:
            found.append(f"docno:{self.number}")
        return found


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def docno_parse(text: str) -> DocNumber | None:
    """The 文号 in `text` typed any common way, or None. Brackets of any kind become 〔〕."""
    text = normalise(text).strip()
    match = DOCNO.search(text)
    if match:
        return DocNumber(
            issuer=match.group("issuer") or "",
            year=int(match.group("year")),
            number=int(match.group("number")),
        )
    match = YEAR_NUMBER.search(text)
    if match:
        return DocNumber(
            issuer="", year=int(match.group("year")), number=int(match.group("number"))
        )
    return None


def docno_canonical(text: str) -> str | None:
    """The stored form of a 文号 (京民核发〔2018〕195号), or None when it is not one."""
    text = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    text = re.sub(rf"[{_OPEN}]", "〔", text)
    text = re.sub(rf"[{_CLOSE}]", "〕", text)
    match = DOCNO_CANONICAL.match(text)
    if not match or int(match.group("number")) == 0:
        return None
    return f"{match.group('issuer')}〔{match.group('year')}〕{int(match.group('number'))}号"


class _Vocabulary:
    """The jieba tokenizer with the bureau's dictionary, synonyms and stop words, loaded once
    per process (about 0.7 s with jieba's own cache)."""

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.canonical: dict[str, str] = {}
        self.variants: dict[str, set[str]] = {}
        for line in _lines("synonyms.txt"):
            words = [normalise(word) for word in line.split()]
            self._group(words)
        ambiguous: set[str] = set()
        short_to_full: dict[str, str] = {}
        for line in _lines("places.txt"):
            full, *short = line.split()
            self.tokenizer.add_word(full, DOMAIN_WORD_FREQ)
            for word in short:
                if word in short_to_full and short_to_full[word] != full:
                    ambiguous.add(word)  # 城关: several streets; the short form stays a word
                short_to_full.setdefault(word, full)
        for short, full in short_to_full.items():
            self.tokenizer.add_word(short, DOMAIN_WORD_FREQ)
            if short not in ambiguous:
                self._group([full, short])
        for word in _lines("dictionary.txt"):
            self.tokenizer.add_word(normalise(word), DOMAIN_WORD_FREQ)
        # The bureau's own long words (dictionary and synonyms), looked for in the text itself:
        # 城乡低保标准 is cut as 城乡低保 + 标准, and the page must still hold 低保标准.
        long_words = {normalise(w) for w in _lines("dictionary.txt")} | set(self.canonical)
        self.long_words = tuple(sorted(w for w in long_words if len(w) >= 3))
        self.stopwords = frozenset(
            normalise(word) for line in _lines("stopwords.txt") for word in line.split()
        )
        self.tokenizer.initialize()

    def _group(self, words: list[str]) -> None:
        head = self.canonical.get(words[0], words[0])
        for word in words:
            self.tokenizer.add_word(word, DOMAIN_WORD_FREQ)
            self.canonical.setdefault(word, head)
            self.variants.setdefault(head, {head}).add(word)


def _lines(name: str) -> Iterator[str]:
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


_lock = threading.Lock()


@cache
def vocabulary() -> _Vocabulary:
    with _lock:
        return _Vocabulary()


def _keep(word: str, stopwords: frozenset[str]) -> bool:
    return (
        bool(word)
        and len(word) <= MAX_TERM_LENGTH
        and bool(_WORD.search(word))
        and (word not in stopwords)
    )


def words(text: str, *, for_index: bool) -> list[str]:
    """Segmented words of `text` (normalised, stop words and punctuation dropped), before
    synonyms. For the index, long words also yield the dictionary words inside them."""
    vocab = vocabulary()
    text = normalise(text)
    cut = vocab.tokenizer.cut_for_search if for_index else vocab.tokenizer.cut
    found = [w.strip() for w in cut(text, HMM=False) if _keep(w.strip(), vocab.stopwords)]
    if for_index:
        # A long word of the bureau's that the cut split across two words is held too.
        held = set(found)
        found.extend(w for w in vocab.long_words if w not in held and w in text)
    return found


def canonical(word: str) -> str:
    return vocabulary().canonical.get(word, word)


def terms(text: str) -> list[str]:
    """Index terms of `text`, in order, with repeats (term frequency counts)."""
    return list(_terms(text))


@lru_cache(maxsize=512)
def _terms(text: str) -> tuple[str, ...]:
    # A page is saved several times as it is published (and indexed by Wagtail each time):
    # the same text is segmented once.
    found = [canonical(word) for word in words(text, for_index=True)]
    for match in DOCNO.finditer(normalise(text)):
        number = DocNumber(
            issuer=match.group("issuer") or "",
            year=int(match.group("year")),
            number=int(match.group("number")),
        )
        found.extend(number.terms(own=False))
    return tuple(found)


def surface_forms(term: str) -> set[str]:
    """The words a page may hold for `term` (its synonyms), to highlight in snippets."""
    if term.startswith("docno:"):
        return set()
    return set(vocabulary().variants.get(term, {term}))


@dataclass(frozen=True)
class Query:
    """A parsed query: groups of terms; a page matches a group when it holds any of them."""

    groups: tuple[tuple[str, ...], ...]
    highlights: tuple[str, ...]
    docno: DocNumber | None = None

    @property
    def all_terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for group in self.groups for t in group))

    def __bool__(self) -> bool:
        return bool(self.groups)


def query_parse(text: str) -> Query:
    """What the search box means: a 文号 typed any way, then the remaining words."""
    text = normalise(text)[:200]
    groups: list[tuple[str, ...]] = []
    highlights: list[str] = []
    docno = None
    match = DOCNO.search(text) or YEAR_NUMBER.search(text)
    if match:
        docno = DocNumber(
            issuer=match.groupdict().get("issuer") or "",
            year=int(match.group("year")),
            number=int(match.group("number")),
        )
        groups.append(tuple(docno.terms(own=False)))
        highlights.append(match.group(0).strip())
        text = text[: match.start()] + " " + text[match.end() :]
    else:
        match = NUMBER_ONLY.search(text)
        if match:
            groups.append((f"docno:{int(match.group('number'))}",))
            highlights.append(match.group(0).strip())
            text = text[: match.start()] + " " + text[match.end() :]
    for word in words(text, for_index=False):
        term = canonical(word)
        if (term,) not in groups:
            groups.append((term,))
        highlights.extend(sorted(surface_forms(term) | {word}, key=len, reverse=True))
    return Query(groups=tuple(groups), highlights=tuple(dict.fromkeys(highlights)), docno=docno)


def segmented(text: str) -> str:
    """`text` as space-separated index terms: what Wagtail's own search backend (the admin's
    page search, or Elasticsearch for a larger site) indexes and is asked."""
    return " ".join(_backend_safe(term) for term in terms(text))


def segmented_query(text: str) -> str:
    query = query_parse(text)
    # A 文号 group's last term (year and number) is held by the document and by its citations.
    return " ".join(_backend_safe(group[-1]) for group in query.groups)


def _backend_safe(term: str) -> str:
    # Search backends split on ':' and '-'; a 文号 term stays one token as letters and digits.
    return term.replace("docno:", "docno").replace("-", "n")


def contains_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def plain_text(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part)
