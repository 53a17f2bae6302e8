"""Text normalisation for short social-media posts, in any script.

The normaliser works on a whole batch at once: the texts are joined with a NUL separator and
each regular expression runs once over the joined string, which is far faster than calling the
expressions once per post. The rules:

- Unicode compatibility form (NFKD), accents and Hebrew/Arabic vowel points dropped
  (``não`` -> ``nao``), invisible joiners and direction marks removed, then case-folded.
- Links are dropped: ``https://...``, ``www....`` and bare ``host.tld/path`` links
  (``pic.twitter.com/...``, ``t.co/...``). A link is evidence of nothing by itself: on Twitter
  every photo is one, and customers attach screenshots to complaints as often as spammers
  attach offers. E-mail addresses -> ``xemail``, @mentions -> ``xmention``, numbers of five
  or more digits (order, account, phone numbers) -> ``xlongnum``.
- ``#hashtags`` -> ``xhashtag`` plus the tag's words (``#NeverAgain`` -> ``xhashtag never
  again``).
- Letters repeated three or more times are squeezed to two (``soooo`` -> ``soo``), and so are
  repeated punctuation marks and emoji.
- ``?``, ``!`` and each emoji become tokens of their own; other punctuation becomes a space.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from socialcare._triage._fastpaths import NUMPY_SQUEEZE

__all__ = ["SEPARATOR", "normalise", "normalise_batch"]

SEPARATOR = "\x00"

_EMOJI = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats
    "\u2b00-\u2bff"  # arrows and stars
    "\u2190-\u21ff"  # arrows
    "\u2300-\u23ff"  # technical (watch, hourglass)
)
_MARKS = "\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_INVISIBLE = "\ufe0e\ufe0f\u200b-\u200f\u202a-\u202e\u2060-\u2069\u00ad\u0640"

_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}{_MARKS}]")
_HASHTAG_RE = re.compile(r"#(\w+)")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_URL_RE = re.compile(
    r"https?://[^\s\x00]+|www\.[^\s\x00]+|(?<![\w.@])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s\x00]*"
)
_AT_RE = re.compile(r"@[\w.-]*")
_DIGITS5_RE = re.compile(r"\d\d\d\d\d+")
_REPEAT_RE = re.compile(r"(\D)\1\1+")
_TOKEN_MARK_RE = re.compile(f"([¿¡؟{_EMOJI}])")
_PUNCT_RE = re.compile(f"[^\\w\\s\\x00?!¿¡؟{_EMOJI}]|_")


def _hashtag(match: re.Match[str]) -> str:
    words = _CAMEL_RE.sub(" ", match.group(1))
    return f" xhashtag {words} "


def _at(match: re.Match[str]) -> str:
    start = match.start()
    before = match.string[start - 1] if start else " "
    if before.isalnum() and "." in match.group():
        return " xemail "  # the local part before the @ stays as ordinary words
    return " xmention "


def _drop_links(text: str) -> str:
    """``_URL_RE.sub(" ", text)``, run only over the posts that hold a ``/`` or ``www.``.

    The expression has no literal to search for, so it is tried at every position; most posts
    hold no link. No link spans a separator, so post by post gives the same text.

    >>> posts = ["see pic.twitter.com/x1", "a/b www.x.io", "no link"]
    >>> _drop_links(SEPARATOR.join(posts)).split(SEPARATOR)
    ['see  ', 'a/b  ', 'no link']
    """
    sub = _URL_RE.sub
    posts = text.split(SEPARATOR)
    return SEPARATOR.join([sub(" ", p) if "/" in p or "www." in p else p for p in posts])


def normalise_batch(texts: Sequence[str], *, tidy: bool = True) -> str:
    """Normalise many texts at once; the result joins them with ``" \\x00 "``.

    Each text in the result is surrounded by single spaces and holds single-space separated
    tokens, so the caller can split it by the separator or hash it directly. With
    ``tidy=False`` the last two steps (punctuation to spaces, collapsing white space) are left
    to the featuriser, which does them on code points (see `blank_table`); the tokens
    it sees are the same.

    >>> normalise_batch(["Hi @Acme!!!", "Soooo slow 😡😡😡 #NeverAgain"]).split(SEPARATOR)
    [' hi xmention ! ! ', ' soo slow 😡 😡 xhashtag never again ']
    """
    joined = " \x00 ".join(texts)
    if joined.count(SEPARATOR) != max(len(texts) - 1, 0):
        joined = " \x00 ".join(t.replace(SEPARATOR, " ") for t in texts)
    text = joined
    if "#" in text:
        text = _HASHTAG_RE.sub(_hashtag, text)
    ascii_only = text.isascii()
    if not ascii_only:
        if _SURROGATE_RE.search(text):  # a lone surrogate (JSON allows one): a placeholder
            text = _SURROGATE_RE.sub("\ufffd", text)
        text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKD", text))
    text = text.casefold()
    if "/" in text or "www." in text:
        text = _drop_links(text)
    if "@" in text:
        text = _AT_RE.sub(_at, text)
    text = _DIGITS5_RE.sub(" xlongnum ", text)
    text = _squeeze(text) if len(text) >= NUMPY_SQUEEZE else _REPEAT_RE.sub(r"\1\1", text)
    if not ascii_only:
        text = _TOKEN_MARK_RE.sub(r" \1 ", text)
    text = text.replace("?", " ? ").replace("!", " ! ")
    if not tidy:
        return f" {text} "
    text = _PUNCT_RE.sub(" ", text)
    return " " + " ".join(text.split()) + " "


@functools.cache
def bmp_table(test: Callable[[str], bool]) -> Any:
    """``test`` of every code point of the Basic Multilingual Plane, as a read-only bool array.

    The last entry (index 0x10000) stands for every higher code point and is False: look up
    ``table[np.minimum(cp, 0x10000)]``, then ask ``test`` about the few higher code points.
    Computed on first use (a constant for each ``test``).

    >>> bool(bmp_table(str.isdecimal)[ord("7")]), bool(bmp_table(str.isdecimal)[0x10000])
    (True, False)
    """
    import numpy as np

    table = np.zeros(0x10001, dtype=bool)
    every = "".join(map(chr, range(0x10000)))
    table[:0x10000] = np.frombuffer(bytes(map(test, every)), dtype=np.uint8).astype(bool)
    table.flags.writeable = False
    return table


def _squeeze(text: str) -> str:
    """``_REPEAT_RE.sub(r"\\1\\1", text)`` on code points: runs of 3+ non-digits -> 2.

    >>> _squeeze("soooo!!! 1111 ~~~") == _REPEAT_RE.sub(r"\\1\\1", "soooo!!! 1111 ~~~")
    True
    """
    import numpy as np

    cp = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    same = cp[1:] == cp[:-1]
    triple = same[1:] & same[:-1]  # triple[i]: cp[i] == cp[i + 1] == cp[i + 2]
    if not triple.any():
        return text
    at = triple.nonzero()[0] + 2
    chars = cp[at]
    digit = bmp_table(str.isdecimal)[np.minimum(chars, 0x10000)]
    high = (chars > 0xFFFF).nonzero()[0]
    digit[high] = [chr(c).isdecimal() for c in chars[high].tolist()]
    at = at[~digit]
    if not at.shape[0]:
        return text
    keep = np.ones(cp.shape[0], dtype=bool)
    keep[at] = False
    return cp[keep].tobytes().decode("utf-32-le")


def blank_chars() -> str:
    """Every character of the Basic Multilingual Plane that tidying turns into a space."""
    every = "".join(map(chr, range(0x10000))).replace(SEPARATOR, "")
    return "".join(ch for ch in _PUNCT_RE.findall(every)) + "".join(
        ch for ch in every if ch.isspace()
    )


def normalise(text: str) -> str:
    """Normalise one post the way the classifier sees it (tokens separated by single spaces).

    >>> normalise("Sooooo happy with @Acme 😍😍😍 https://t.co/x #BestService")
    'soo happy with xmention 😍 😍 xhashtag best service'
    >>> normalise("still broken pic.twitter.com/Ab12 24/7 support?")
    'still broken 24 7 support ?'
    >>> normalise("Mi pedido NO llegó!!! ¿Dónde está? #12345678")
    'mi pedido no llego ! ! ¿ donde esta ? xhashtag xlongnum'
    """
    return normalise_batch([text]).strip()
