"""Finding keywords in normalised text: many posts, one regular-expression pass.

A keyword matches whole words of the normalised post (case-folded, accents removed,
punctuation dropped, so write "donnees" or "données" alike); a trailing ``*`` makes it match
the start of a word (``lawyer*`` matches "lawyers"); a space matches any run of spaces or
punctuation. The lists themselves are data: ``keywords/<kind>/<language>.txt``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from socialcare._triage._fastpaths import NUMPY_SCAN
from socialcare._triage._text import _PUNCT_RE

__all__ = ["KeywordMatcher", "ScanMatcher"]

Hit = tuple[str, str]  # (kind, the words of the post that matched)


class KeywordMatcher:
    """Finds keywords in normalised text, many posts in one regular-expression pass.

    The keywords are compiled into one trie-shaped expression (alternatives share their
    prefixes), which the regex engine can reject at the first character.

    >>> m = KeywordMatcher({"legal": ("lawyer*", "sue", "legal action"), "media": ("press",)})
    >>> m.first("my lawyers will sue!")
    ('legal', 'lawyers')
    >>> m.first("pressure"), m.first("the press."), m.first("legal-action")
    (None, ('media', 'press'), ('legal', 'legal-action'))

    Where keywords start at the same place, the longest wins ("on hold for" over "on hold"),
    whatever their kinds; give each list that must never hide another its own matcher
    (`ScanMatcher` runs several in one scan).

    >>> KeywordMatcher({"a": ("on hold",), "b": ("on hold for",)}).first("on hold for hours")
    ('b', 'on hold for')
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        from socialcare._triage._text import normalise

        self._kind: dict[str, str] = {}
        self._rank = {kind: i for i, kind in enumerate(groups)}
        words: list[str] = []
        for kind, keywords in groups.items():
            for keyword in keywords:
                prefix = keyword.endswith("*")
                body = normalise(keyword.rstrip("*"))
                if not body:
                    continue
                self._kind.setdefault(body, kind)
                words.append(body + ("" if prefix else _WHOLE))
        self._words = sorted(set(words))
        self._body = _trie(self._words) if words else None
        self._pattern = re.compile("(?<!\\w)" + self._body) if self._body else None

    def first(self, text: str) -> tuple[str, str] | None:
        """(kind, matched word) of the highest-ranked kind found in one normalised post."""
        return self.find_all(f" {text} ", 1)[0]

    def find_all(self, normalised: str, n_docs: int) -> list[tuple[str, str] | None]:
        """Per post of a ``normalise_batch`` string: the best (kind, word) or None."""
        out: list[tuple[str, str] | None] = [None] * n_docs
        if self._pattern is None:
            return out
        doc = 0
        position = 0
        for match in self._pattern.finditer(normalised):
            start = match.start()
            doc += normalised.count("\x00", position, start)
            position = start
            self._record(out, doc, normalised, match)
        return out

    def _record(
        self,
        out: list[tuple[str, str] | None],
        doc: int,
        normalised: str,
        match: re.Match[str],
    ) -> None:
        """Keep ``match`` as post ``doc``'s hit if its kind outranks the one found so far."""
        key = match.group()
        kind = self._kind.get(key)
        if kind is None:  # several words, or an emoji, with punctuation or spaces between
            kind = self._kind.get(" ".join(_PUNCT_RE.sub(" ", key).split()))  # (as normalise)
            if kind is None:
                return
        best = out[doc]
        if best is None or self._rank[kind] < self._rank[best[0]]:
            tail = _WORD_TAIL.match(normalised, match.end())
            out[doc] = (kind, match.group() + (tail.group() if tail else ""))


class ScanMatcher:
    """Several keyword matchers run in one scan of the text; same hits as running each alone.

    No matcher's keywords can hide another's: each finds what it would find on its own.

    A keyword can only start where a word starts, and there only if the word begins with the
    keyword's first eight characters (or all of a shorter keyword). numpy finds those places:
    word starts (a space or a separator followed by anything else, once punctuation is made
    spaces as the featuriser does) whose first characters hash like a keyword's. Each
    matcher's expression is then tried at each place, unless that matcher's previous match
    covers it: exactly what ``finditer`` of each matcher alone would find, without the
    regular-expression engine stepping through every character. Short texts are scanned by
    one expression instead (a dozen numpy calls cost more there).

    >>> a = KeywordMatcher({"legal": ("lawyer*", "legal action")})
    >>> b = KeywordMatcher({"private": ("action", "order*")})
    >>> text = " my lawyer: legal action on my order \\x00 action "
    >>> ScanMatcher(a, b).find_all(text, 2) == (a.find_all(text, 2), b.find_all(text, 2))
    True
    """

    def __init__(self, *matchers: KeywordMatcher) -> None:
        import numpy as np

        if not 1 <= len(matchers) <= 8:
            raise ValueError(f"a ScanMatcher runs 1 to 8 matchers, got {len(matchers)}")
        self.matchers = matchers
        self._all = (1 << len(matchers)) - 1
        words = sorted({w for matcher in matchers for w in matcher._words})
        self._scan = re.compile("[^\\w](?:" + _trie(words) + ")") if words else None
        # per bit set, the matchers to try there (a place is most often one matcher's only)
        live = [(i, m, m._pattern) for i, m in enumerate(matchers) if m._pattern is not None]
        self._tried = [[e for e in live if bits >> e[0] & 1] for bits in range(self._all + 1)]
        heads: list[dict[int, int]] = [{} for _ in range(_HEAD)]  # first 1.._HEAD characters
        # for short text: which matchers have a keyword starting with a character, or with two
        # word characters (a keyword's second character may be a space, which matches any run
        # of spaces and punctuation: such keywords are listed by their first character only)
        self._first: dict[str, int] = {}
        self._first_two: dict[str, int] = {}
        for index, matcher in enumerate(matchers):
            bit = 1 << index
            for word in matcher._words:
                body = word.rstrip(_WHOLE)[:_HEAD]
                key = _head_key([ord(ch) for ch in body])
                heads[len(body) - 1][key] = heads[len(body) - 1].get(key, 0) | bit
                if len(word) > 1 and word[1].isalnum():
                    self._first_two[word[:2]] = self._first_two.get(word[:2], 0) | bit
                else:
                    self._first[word[0]] = self._first.get(word[0], 0) | bit
        # per head length, a table of 2**_TABLE_BITS bit sets indexed by a hash of the head key:
        # a collision only adds a place to try (the expression then decides)
        # (two tables with different hashes: a head must be in both, so collisions are rare)
        self._heads: list[tuple[Any, Any] | None] = []
        for h in heads:
            tables = np.zeros((2, 1 << _TABLE_BITS), dtype=np.uint8)
            for key, bit in h.items():
                tables[0, _slot(key, _SLOT_MIX[0])] |= bit
                tables[1, _slot(key, _SLOT_MIX[1])] |= bit
            self._heads.append((tables[0], tables[1]) if h else None)

    def _candidates(self, cp: Any) -> tuple[list[int], list[int]]:
        """Where a keyword may start (ascending), and which matchers' (bit ``1 << i``: the
        ``i``-th matcher's).

        ``cp``: the code points with punctuation and white space as spaces (``_codepoints``:
        every code point up to 32 is then a space or a post separator).
        """
        import numpy as np

        # A space in a keyword matches any run of spaces and punctuation ("angst, was ich"):
        # heads are read with each run made one space, then mapped back to their places.
        space = cp == 32
        repeat = np.zeros(cp.shape[0], dtype=bool)
        repeat[1:] = space[1:] & space[:-1]
        places = None
        if repeat.any():
            places = (~repeat).nonzero()[0]
            cp = cp[places]
        length = cp.shape[0]
        token = cp > 32
        # A keyword may start after any character that is not a word character, as in the
        # expression of `_scanned`: a space, or a mark the tidying left (astral symbols...).
        starts = token.copy()
        starts[1:] &= _non_word(cp[:-1])
        at = starts.nonzero()[0]
        padded = np.zeros(length + _HEAD, dtype=np.uint64)
        padded[:length] = cp
        base = np.uint64(_HEAD_BASE)
        key = padded[at]
        which = np.zeros(at.shape[0], dtype=np.uint8)
        mix_a, mix_b = np.uint64(_SLOT_MIX[0]), np.uint64(_SLOT_MIX[1])
        shift = np.uint64(64 - _TABLE_BITS)
        for n, tables in enumerate(self._heads):
            if n:
                key = key * base + padded[at + n]
            if tables is not None:
                which |= tables[0][((key * mix_a) >> shift).astype(np.intp)] & tables[1][
                    ((key * mix_b) >> shift).astype(np.intp)
                ]
        wanted = which.nonzero()[0]
        found = at[wanted] if places is None else places[at[wanted]]
        return found.tolist(), which[wanted].tolist()

    def find_all(
        self, normalised: str, n_docs: int, cp: Any = None
    ) -> tuple[list[tuple[str, str] | None], ...]:
        """``(m.find_all(normalised, n_docs) for m in matchers)``, in one scan.

        ``cp``: ``_codepoints(normalised)`` if the caller has it already.
        """
        outs: list[list[tuple[str, str] | None]] = [[None] * n_docs for _ in self.matchers]
        tried = self._tried
        if self._scan is None:  # (no matcher has keywords)
            return tuple(outs)
        if len(normalised) < NUMPY_SCAN:  # a few posts: a dozen numpy calls cost more
            places: Iterable[tuple[int, int]] = self._scanned(normalised)
        else:
            if cp is None:
                from socialcare._triage._features import _codepoints

                cp = _codepoints(normalised)
            places = zip(*self._candidates(cp), strict=True)
        resume = [0] * len(self.matchers)  # where each matcher alone would resume its scan
        doc = 0
        position = 0
        for start, bits in places:
            doc += normalised.count("\x00", position, start)
            position = start
            for k, matcher, pattern in tried[bits]:
                if start >= resume[k]:
                    match = pattern.match(normalised, start)
                    if match is not None:
                        matcher._record(outs[k], doc, normalised, match)
                        resume[k] = match.end()
        return tuple(outs)

    def _scanned(self, normalised: str) -> Iterator[tuple[int, int]]:
        """The places of `_candidates` found by a regular expression (for short text).

        It finds the keywords of any matcher that follow a character that is not a word
        character, and the very start of the text (every matcher is tried there); at each place
        found, the matchers with a keyword that starts like the text there.
        """
        if self._scan is None:
            return
        search = self._scan.search
        first, first_two = self._first, self._first_two
        yield 0, self._all
        start = 0
        while True:
            found = search(normalised, start)
            if found is None:
                return
            start = found.start() + 1
            yield start, first.get(normalised[start], 0) | first_two.get(
                normalised[start : start + 2], 0
            )





@functools.cache
def _non_word_table() -> Any:
    """For each code point of the Basic Multilingual Plane (and one more, False): whether it
    is not a word character (built once, read-only)."""
    import numpy as np

    table = np.array(
        [not (chr(c).isalnum() or c == 95) for c in range(0x10000)] + [False], dtype=bool
    )
    table.flags.writeable = False
    return table


def _non_word(cp: Any) -> Any:
    """Which code points are not word characters as ``\\w`` reads them (``str.isalnum`` or
    ``_``): a table for the Basic Multilingual Plane, Python for the rare code point above it.

    >>> import numpy as np
    >>> _non_word(np.array([32, 97, 95, 176, 0x1D400, 0xF0F01], dtype=np.uint32)).tolist()
    [True, False, False, True, False, True]
    """
    import numpy as np

    out = _non_word_table()[np.minimum(cp, 0x10000)]
    if cp.shape[0] and int(cp.max()) >= 0x10000:
        astral = (cp >= 0x10000).nonzero()[0]
        out[astral] = [not chr(c).isalnum() for c in cp[astral].tolist()]
    return out


def _head_key(codes: Sequence[int]) -> int:
    """The key of a word's first (up to ``_HEAD``) code points, as ``_candidates`` makes it.

    A polynomial hash: different heads rarely share a key, and when they do, that only adds
    a place to try.

    >>> _head_key([1, 2]) == _HEAD_BASE + 2
    True
    """
    key = 0
    for code in codes:
        key = (key * _HEAD_BASE + code) % (1 << 64)
    return key


_HEAD = 8  # a word is tried when it starts like a keyword (up to this many characters)
_TABLE_BITS = 16  # head tables of 65,536 bit sets (64 KiB each)
_SLOT_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)


def _slot(key: int, mix: int) -> int:
    """The table slot of a head key (as ``_candidates`` computes it with numpy).

    >>> 0 <= _slot(_head_key([108, 97, 119]), _SLOT_MIX[0]) < 1 << _TABLE_BITS
    True
    """
    return ((key * mix) % (1 << 64)) >> (64 - _TABLE_BITS)
_HEAD_BASE = 0x100000001B3


_WHOLE = "\x01"  # marks the end of a whole-word keyword inside the trie
_WORD_TAIL = re.compile(r"\w*")


def _trie(words: list[str]) -> str:
    """A regex matching any of ``words``, factored by common prefixes (longest first).

    A space in a keyword matches any run of spaces or punctuation; ``_WHOLE`` at the end of a
    keyword requires the word to end there.
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def atom(ch: str) -> str:
        if ch == _WHOLE:
            return "(?!\\w)"
        if ch == " ":
            return "[^\\w\\x00]+"
        return re.escape(ch)

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        # the end of a whole word is tried last: the regex engine takes the first branch that
        # matches, and "on hold" must not win over "on hold for"
        order = sorted(node.items(), key=lambda item: (item[0] == _WHOLE, item[0]))
        branches = [atom(ch) + build(child) for ch, child in order if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(tree)

