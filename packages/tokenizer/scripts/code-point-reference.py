#!/usr/bin/env python3
"""Reference words and ids of every code point, for test/code-points-*.test.ts.

Reproduces the slow CLIPTokenizer of transformers 4.36 (which cannot be installed here) from the
parts it runs: added tokens split out of the raw text, then per chunk
`whitespace_clean(ftfy.fix_text(chunk)).lower()`, `regex.findall` with CLIP's pattern and
IGNORECASE, and byte-level BPE on Hugging Face's vocab.json + merges.txt.

Every code point (surrogates excepted) is tokenized in each context of CONTEXTS and each mode.
The output keeps one short hash of the words per block of code points, so the committed file
stays small, and one hash of the words and ids of a sample: every boundary between the classes of
CLIP's pattern (BPE is slow on a million new words, and words are what differ);
`--show MODE CONTEXT FIRST LAST` prints the reference words and ids of a range to find the code
point behind a failing block.

    /usr/bin/python3 packages/tokenizer/scripts/code-point-reference.py \
        --vocab ../shared/golden/tokenizer > packages/tokenizer/test/fixtures/code-points.json

Upstream: huggingface/transformers v4.36.0 (commit 815ea8e8a23a) models/clip/tokenization_clip.py,
which cannot be installed here (no PyPI): its steps are rebuilt above on the packages it imports.
Those are pinned and another version is refused: Python 3.11 (unicodedata 14.0.0), Debian's
python3-regex 2022.10.31, and ftfy 6.1.1 or 6.3.1. ftfy 6.1.1 (what transformers 4.36's golden
outputs were made with) cannot be installed here either: test/fixtures/code-points.json was made
with ftfy 6.3.1, which stands in for it; @sdtext/ftfy, golden-tested against 6.1.1's outputs
(packages/ftfy/test/golden.test.ts), gives 6.3.1's words on every code point here (the tests).
"""

import argparse
import hashlib
import json
import multiprocessing
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path

import ftfy
import regex

PINNED = {"python": "3.11", "unicodedata": "14.0.0", "regex": "2022.10.31", "ftfy": ("6.1.1", "6.3.1")}
for _name, _got in (("python", "%d.%d" % sys.version_info[:2]), ("unicodedata", unicodedata.unidata_version),
                    ("regex", version("regex")), ("ftfy", ftfy.__version__)):
    _want = PINNED[_name]
    if _got not in (_want if isinstance(_want, tuple) else (_want,)):
        raise SystemExit(f"{_name} {_got}: this reference is made with {_want} (another version changes the classes or the text)")

# Hugging Face's CLIPTokenizer: `self.pat` and `whitespace_clean`, both on the `regex` module.
CLIP_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
WHITESPACE = regex.compile(r"\s+")
SPECIALS = ("<|startoftext|>", "<|endoftext|>")

# Added tokens per mode: SD2's pad token "!" is one, so it is split out before cleaning.
MODES = {"sd2": SPECIALS + ("!",), "sd1": SPECIALS}

# Where the code point {c} sits: alone, after a letter, after an apostrophe (contractions), and
# between combining marks after a letter with no precomposed form (stacked marks, NFC reordering).
CONTEXTS = {
    "alone": "{c}",
    "afterLetter": "a{c}",
    "afterApostrophe": "'{c}",
    "betweenMarks": "q\u0301{c}\u0301",
}

BLOCK_SIZE = 4096
HASH_HEX_DIGITS = 8


def whitespace_clean(text: str) -> str:
    return WHITESPACE.sub(" ", text).strip()


def bytes_to_unicode() -> dict:
    """GPT-2's reversible byte -> printable character map."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars)))


class Bpe:
    """CLIPTokenizer.bpe: merge the best-ranked adjacent pair everywhere until none is left."""

    def __init__(self, folder: Path):
        self.vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        lines = (folder / "merges.txt").read_text(encoding="utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
        self.ranks = {tuple(line.split()): rank for rank, line in enumerate(lines)}
        self.byte_encoder = bytes_to_unicode()
        self.cache = {s: s for s in SPECIALS}

    def symbols(self, word: str) -> list:
        if word in self.cache:
            return self.cache[word].split(" ")
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            ranked = [(self.ranks.get(pair, float("inf")), pair) for pair in zip(parts, parts[1:])]
            rank, best = min(ranked, key=lambda r: r[0])
            if rank == float("inf"):
                break
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self.cache[word] = " ".join(parts)
        return parts

    def ids(self, word: str) -> list:
        encoded = "".join(self.byte_encoder[b] for b in word.encode("utf-8"))
        unk = self.vocab["<|endoftext|>"]
        return [self.vocab.get(symbol, unk) for symbol in self.symbols(encoded)]


def split_added(text: str, added: tuple) -> list:
    """Hugging Face's Trie.split for tokens of which none is inside another: longest match first."""
    pattern = "|".join(regex.escape(t) for t in sorted(added, key=len, reverse=True))
    return [p for p in regex.split(f"({pattern})", text) if p]


def tokenize(text: str, mode: str, bpe: Bpe) -> tuple:
    """(words, ids): added tokens count as words of their own."""
    added = MODES[mode]
    words, ids = [], []
    for piece in split_added(text, added):
        if piece in added:
            words.append(piece)
            ids.append(bpe.vocab[piece])
            continue
        for word in CLIP_PATTERN.findall(whitespace_clean(ftfy.fix_text(piece)).lower()):
            words.append(word)
            ids.extend(bpe.ids(word))
    return words, ids


def words_record(words: list) -> str:
    """No word holds a space, so one line per text is unambiguous."""
    return " ".join(words) + "\n"


def ids_record(words: list, ids: list) -> str:
    return words_record(words) + ",".join(map(str, ids)) + "\n"


def code_points(first: int, last: int):
    return (cp for cp in range(first, last + 1) if not 0xD800 <= cp <= 0xDFFF)


def class_runs() -> list:
    """Maximal runs of code points in each class of CLIP's pattern under IGNORECASE (no surrogates)."""
    classes = {
        "letter": regex.compile(r"[\p{L}]", regex.IGNORECASE),
        "number": regex.compile(r"[\p{N}]", regex.IGNORECASE),
        "space": regex.compile(r"[\s]", regex.IGNORECASE),
        "other": regex.compile(r"[^\s\p{L}\p{N}]", regex.IGNORECASE),
    }
    runs, previous = [], None
    for cp in code_points(0, 0x10FFFF):
        kind = next((name for name, p in classes.items() if p.match(chr(cp))), "dropped")
        if runs and kind == previous and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
        previous = kind
    return runs


def id_sample() -> list:
    """Every class boundary: the first and last code point of each run of a class and their neighbours."""
    sample = set()
    for first, last in class_runs():
        sample.update((first - 1, first, last, last + 1))
    return sorted(cp for cp in sample if 0 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF)


def text_of(template: str, cp: int) -> str:
    return template.replace("{c}", chr(cp))


def digest(records) -> str:
    h = hashlib.sha256()
    for r in records:
        h.update(r.encode("utf-8"))
    return h.hexdigest()[:HASH_HEX_DIGITS]


def context_hashes(args: tuple) -> dict:
    """Per mode: the words of every block, hashed per block, and the words and ids of the sample.
    The modes differ only where "!" is typed, so SD1's results stand in for SD2's elsewhere."""
    name, vocab, sample = args
    template, bpe = CONTEXTS[name], Bpe(vocab)

    def results(cp: int) -> dict:
        text = text_of(template, cp)
        sd1 = tokenize(text, "sd1", bpe)
        return {"sd1": sd1, "sd2": tokenize(text, "sd2", bpe) if "!" in text else sd1}

    words = {mode: [] for mode in MODES}
    for start in range(0, 0x110000, BLOCK_SIZE):
        block = [results(cp) for cp in code_points(start, start + BLOCK_SIZE - 1)]
        for mode in MODES:
            words[mode].append(digest(words_record(r[mode][0]) for r in block))
    sampled = [results(cp) for cp in sample]
    return {
        mode: {"words": "".join(words[mode]), "sample": digest(ids_record(*r[mode]) for r in sampled)} for mode in MODES
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab", type=Path, required=True, help="folder with HF vocab.json + merges.txt")
    parser.add_argument("--jobs", type=int, default=2, help="processes (one context each)")
    parser.add_argument("--show", nargs=4, metavar=("MODE", "CONTEXT", "FIRST", "LAST"))
    args = parser.parse_args()
    if args.show:
        bpe = Bpe(args.vocab)
        mode, context, first, last = args.show
        for cp in code_points(int(first, 16), int(last, 16)):
            words, ids = tokenize(text_of(CONTEXTS[context], cp), mode, bpe)
            print(json.dumps({"cp": f"{cp:04X}", "words": words, "ids": ids}, ensure_ascii=True))
        return
    sample = id_sample()
    with multiprocessing.Pool(args.jobs) as pool:
        jobs = [(name, args.vocab, sample) for name in CONTEXTS]
        per_context = dict(zip(CONTEXTS, pool.map(context_hashes, jobs)))
    reference = {
        "generatedBy": "packages/tokenizer/scripts/code-point-reference.py",
        "python": sys.version.split()[0],
        "unicodedata": unicodedata.unidata_version,
        "regex": version("regex"),
        "ftfy": ftfy.__version__,
        "blockSize": BLOCK_SIZE,
        "contexts": CONTEXTS,
        "idSample": f"{len(sample)} code points: each class run's first and last and their neighbours",
        "words": {mode: {name: per_context[name][mode]["words"] for name in CONTEXTS} for mode in MODES},
        "ids": {mode: {name: per_context[name][mode]["sample"] for name in CONTEXTS} for mode in MODES},
    }
    json.dump(reference, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
