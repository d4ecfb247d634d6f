#!/usr/bin/env python3
"""Reference outputs of transformers' slow T5Tokenizer for models/fixtures/t5-tokenizer: what
T5Tokenizer.from_pretrained(folder with only spiece.model) gives for every prompt of prompts.json.

Follows: transformers v4.36.0 (src/transformers/models/t5/tokenization_t5.py with legacy=True, the
default; tokenization_utils.py PreTrainedTokenizer.tokenize/_decode; tokenization_utils_base.py
prepare_for_model) on SentencePiece v0.1.97 (commit 58f256cf6f01bb86e6fa634a5cc560de5bd1667d,
Debian python3-sentencepiece), whose
SentencePieceProcessor is the slow tokenizer's engine. transformers cannot be installed here, so
its part is written out below, step by step:

- added tokens: <pad> </s> <unk> as AddedToken(special=True) (no stripping) with their spiece ids,
  and <extra_id_0..99> with lstrip=True, rstrip=True at ids piece_count + 99 - N; the text is split
  on them first (longest match at the leftmost position, as tokens_trie.split), the stripping
  applied with Python's str.lstrip/rstrip, then every other chunk goes to sp.encode(out_type=str);
- ids: added tokens by their id, pieces by sp.piece_to_id; </s> appended unless the ids end with it;
- truncation (max 256, 512): the text's ids cut to max - 1, then </s> appended unless present;
- decode: convert_ids_to_tokens (skipping all special ids if asked), the extra ids as separate
  pieces joined by spaces (legacy added tokens), convert_tokens_to_string (first token's leading
  "▁" stripped, specials outside sp.decode), then clean_up_tokenization.

    /usr/bin/python3 packages/tokenizer/scripts/t5/slow-reference.py
"""

import json
import os
import random
import re
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

SENTENCEPIECE_VERSION = "0.1.97"
FIXTURES = Path(__file__).resolve().parents[4] / "models" / "fixtures" / "t5-tokenizer"
MODELS = ("t5-nobf", "t5-bf")
EXTRA_IDS = 100
MAX_LENGTHS = (256, 512)
SPIECE_UNDERLINE = "\u2581"


class SlowT5Tokenizer:
    """transformers 4.36 T5Tokenizer(vocab_file, legacy=True) with its default special tokens."""

    def __init__(self, model_file: Path):
        self.sp = spm.SentencePieceProcessor()
        self.sp.Load(str(model_file))
        size = self.sp.get_piece_size()
        # content -> (id, lstrip, rstrip)
        self.added = {t: (self.sp.piece_to_id(t), False, False) for t in ("</s>", "<unk>", "<pad>")}
        for i in range(EXTRA_IDS):
            self.added[f"<extra_id_{i}>"] = (size - 1 + EXTRA_IDS - i, True, True)
        self.by_id = {token_id: content for content, (token_id, _, _) in self.added.items()}
        self.eos_id = self.added["</s>"][0]
        self.all_special_ids = set(self.by_id)
        self.all_special_tokens = set(self.added)
        # The extra ids lie past the spiece vocabulary: _decode keeps them out of convert_tokens_to_string.
        self.legacy_added = {c for c, (token_id, _, _) in self.added.items() if token_id >= size}
        alternatives = sorted(self.added, key=len, reverse=True)
        self.split_pattern = re.compile("|".join(re.escape(a) for a in alternatives))

    def split_added(self, text: str) -> list:
        pieces, last = [], 0
        for match in self.split_pattern.finditer(text):
            if match.start() > last:
                pieces.append(text[last : match.start()])
            pieces.append(match.group())
            last = match.end()
        if last < len(text):
            pieces.append(text[last:])
        return pieces

    def tokenize(self, text: str) -> list:
        tokens = self.split_added(text)
        for i, token in enumerate(tokens):
            if token in self.added:
                _, lstrip, rstrip = self.added[token]
                left = tokens[i - 1] if i > 0 else None
                right = tokens[i + 1] if i < len(tokens) - 1 else None
                if rstrip and right:
                    tokens[i + 1] = right.lstrip()
                if lstrip and left:
                    tokens[i - 1] = left.rstrip()
        out = []
        for token in tokens:
            if not token:
                continue
            if token in self.added:
                out.append(token)
            else:
                out.extend(self.sp.encode(token, out_type=str))
        return out

    def convert_tokens_to_ids(self, tokens: list) -> list:
        return [self.added[t][0] if t in self.added else self.sp.piece_to_id(t) for t in tokens]

    def with_eos(self, ids: list) -> list:
        return ids if ids and ids[-1] == self.eos_id else ids + [self.eos_id]

    def encode(self, text: str, max_length=None) -> list:
        ids = self.convert_tokens_to_ids(self.tokenize(text))
        if max_length is not None and len(ids) + 1 > max_length:
            ids = ids[: max_length - 1]
        return self.with_eos(ids)

    def convert_tokens_to_string(self, tokens: list) -> str:
        tokens = list(tokens)
        tokens[0] = tokens[0].lstrip(SPIECE_UNDERLINE)
        current, out, prev_is_special = [], "", False
        for token in tokens:
            if token in self.all_special_tokens:
                if not prev_is_special:
                    out += " "
                out += self.sp.decode(current) + token
                prev_is_special = True
                current = []
            else:
                current.append(token)
                prev_is_special = False
        out += self.sp.decode(current)
        return out.strip()

    def decode(self, ids: list, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool = True) -> str:
        tokens = [
            self.by_id[i] if i in self.by_id else self.sp.id_to_piece(i)
            for i in ids
            if not (skip_special_tokens and i in self.all_special_ids)
        ]
        sub_texts, current = [], []
        for token in tokens:
            if token in self.legacy_added:
                if current:
                    string = self.convert_tokens_to_string(current)
                    if len(string) > 0:
                        sub_texts.append(string)
                    current = []
                sub_texts.append(token)
            else:
                current.append(token)
        if current:
            sub_texts.append(self.convert_tokens_to_string(current))
        text = " ".join(sub_texts)
        return clean_up_tokenization(text) if clean_up_tokenization_spaces else text


def clean_up_tokenization(text: str) -> str:
    """PreTrainedTokenizerBase.clean_up_tokenization."""
    for old, new in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                     (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(old, new)
    return text


def decode_cases(tokenizer: SlowT5Tokenizer, encoded: list, rng: random.Random) -> list:
    """Id lists beyond encode's outputs: cut mid-character, shuffled, specials in the middle."""
    size = tokenizer.sp.get_piece_size() + EXTRA_IDS
    cases = [[], [0], [1], [2], [size - 1], [size - 100], [1, 1, 0, 0], [size - 1, 5, size - 2]]
    for ids in rng.sample(encoded, 60):
        ids = list(ids)
        kind = rng.randrange(4)
        if kind == 0:
            ids = ids[rng.randrange(len(ids)) :]
        elif kind == 1:
            rng.shuffle(ids)
        elif kind == 2:
            ids.insert(rng.randrange(len(ids) + 1), rng.choice([0, 1, 2, size - 1 - rng.randrange(EXTRA_IDS)]))
        else:
            ids = [rng.randrange(size) for _ in range(rng.randint(1, 12))]
        cases.append(ids[:80])
    return cases


# Random texts for the slow path beyond the corpus (ids only, to keep the file small): odd code
# points, what the normalizer and the added-token split treat specially, and words made of letters
# whose pieces tie ("m" + "mm" = "mm" + "m"), where float32 sums decide.
FRAGMENTS = ["a", "e", " ", "  ", "\t", "\n", "\r\n", "\u0301", "\u0308", "\u0323", "\u3099", "\uff21", "\uff76", "\uff9e",
             "\ufb01", "\u00e9", "\u200d", "\U0001f600", "\U0001f3fb", "\U0001f1ef", "<extra_id_1>", "</s>", "<pad>", "<unk>",
             "\u2581", "\u00a0", "\u3000", "\x00", "\x85", "\u2028", "\ufeff", "\u200b", "\u1100", "\u1161", "\u11a8",
             "\u0915", "\u094d", "\u0600", "\u30fc", "<", ">", "\uff1c", "\uff0f", "\uff53", "\uff1e", "<0x41>", "x\u00b2",
             "\u2460", "\u338f", "mm", "mmm", "hmm", "ll", "ss", "oo"]
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x52F), (0x590, 0x6FF), (0x900, 0xDFF), (0x1100, 0x11FF),
          (0x2000, 0x2BFF), (0x3000, 0x30FF), (0x3300, 0x33FF), (0x4E00, 0x4EFF), (0xAC00, 0xAD00), (0xFB00, 0xFB4F),
          (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F000, 0x1FAFF), (0xE0000, 0xE007F), (0x0, 0x10FFFF)]


def random_text(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 16)):
        kind = rng.random()
        if kind < 0.35:
            out.append(rng.choice(FRAGMENTS))
        elif kind < 0.55:
            out.append("".join(rng.choice("mwzrhqlp") for _ in range(rng.randint(2, 9))))
        else:
            lo, hi = rng.choice(RANGES)
            cp = rng.randint(lo, hi)
            while 0xD800 <= cp <= 0xDFFF:
                cp = rng.randint(lo, hi)
            out.append(chr(cp))
    return "".join(out)


def small_charsmap() -> bytes:
    """A precompiled charsmap of a few rules (full-width capitals, the fi ligature, ideographic
    space), compiled by SentencePiece's trainer from a rule TSV: small enough to keep."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        rules = [f"{0xFF21 + i:X}\t{0x41 + i:X}" for i in range(26)] + ["FB01\t66 69", "3000\t20"]
        Path(tmp, "rules.tsv").write_text("\n".join(rules) + "\n", encoding="utf-8")
        shutil.copy(FIXTURES / "train.txt", Path(tmp) / "train.txt")
        os.chdir(tmp)
        try:
            spm.SentencePieceTrainer.train(input="train.txt", model_prefix="rules", model_type="unigram", vocab_size=300,
                                           hard_vocab_limit=False, normalization_rule_tsv="rules.tsv", num_threads=1, minloglevel=2)
            proto = model_pb2.ModelProto()
            proto.ParseFromString(Path("rules.model").read_bytes())
            return proto.normalizer_spec.precompiled_charsmap
        finally:
            os.chdir(cwd)


def write_variant() -> Path:
    """A variant of t5-bf that exercises what T5's models do not have: user-defined pieces (kept
    out of normalization, matched whole and scored to always win, one of them full-width so the
    charsmap would change it) and unused pieces (never emitted), with a small charsmap of its own.
    Only the slow path reads it."""
    proto = model_pb2.ModelProto()
    proto.ParseFromString((FIXTURES / "t5-bf" / "spiece.model").read_bytes())
    proto.normalizer_spec.name = "user_defined_rules"
    proto.normalizer_spec.precompiled_charsmap = small_charsmap()
    for text in ("<lora>", "masterpiece", "\U0001f431", "mm", "\uff2d\uff21\uff38"):
        existing = [p for p in proto.pieces if p.piece == text]
        piece = existing[0] if existing else proto.pieces.add()
        piece.piece, piece.score, piece.type = text, 0.0, model_pb2.ModelProto.SentencePiece.USER_DEFINED
    for piece in proto.pieces:
        if piece.piece in ("\u2581a", "in", "\u2581t"):
            piece.type = model_pb2.ModelProto.SentencePiece.UNUSED
    folder = FIXTURES / "t5-variant"
    folder.mkdir(exist_ok=True)
    (folder / "spiece.model").write_bytes(proto.SerializeToString())
    return folder / "spiece.model"


def write_random(tokenizers: dict) -> None:
    rng = random.Random(97)
    texts = [random_text(rng) for _ in range(800)]
    texts += ["masterpiece, <lora> \U0001f431 mmm hmm a cat in a tin", "masterpieces", "<lora><lora>", " masterpiece ",
              "\uff2d\uff21\uff38 and MAX and \uff2d\uff21\uff38\uff29\uff2d\uff35\uff2d", "\ufb01sh\u3000\u3000\uff21"]
    out = {"reference": "transformers 4.36.0 T5Tokenizer (legacy=True) emulated on sentencepiece " + SENTENCEPIECE_VERSION, "texts": texts, "ids": {}}
    for name, tokenizer in tokenizers.items():
        out["ids"][name] = [tokenizer.encode(text) for text in texts]
    path = FIXTURES / "slow-random.json"
    path.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(texts)} random texts -> {path} ({path.stat().st_size} bytes)")


def main() -> None:
    if spm.__version__ != SENTENCEPIECE_VERSION or version("sentencepiece") != SENTENCEPIECE_VERSION:
        sys.exit(f"sentencepiece {spm.__version__} found; these references follow {SENTENCEPIECE_VERSION}")
    prompts = json.loads((FIXTURES / "prompts.json").read_text(encoding="utf-8"))
    out = {
        "reference": "transformers 4.36.0 T5Tokenizer (legacy=True) emulated on sentencepiece " + SENTENCEPIECE_VERSION,
        "prompts": len(prompts),
        "models": {},
    }
    rng = random.Random(36)
    for name in MODELS:
        tokenizer = SlowT5Tokenizer(FIXTURES / name / "spiece.model")
        cases = []
        for text in prompts:
            ids = tokenizer.encode(text)
            case = {"input_ids": ids}
            tokens = tokenizer.tokenize(text)
            # Tokens are kept where they are not the pieces of the ids (unknown text is its surface).
            if tokens != [tokenizer.sp.id_to_piece(i) if i not in tokenizer.by_id else tokenizer.by_id[i] for i in ids[: len(tokens)]]:
                case["tokens"] = tokens
            for max_length in MAX_LENGTHS:
                truncated = tokenizer.encode(text, max_length)
                if truncated != ids:
                    # Stored as the kept prefix of input_ids and what follows it.
                    keep = next(k for k in range(len(truncated), -1, -1) if truncated[:k] == ids[:k])
                    case[f"truncated_{max_length}"] = {"prefix": keep, "then": truncated[keep:]}
            case["decode"] = tokenizer.decode(ids)
            skip = tokenizer.decode(ids, skip_special_tokens=True)
            if skip != case["decode"]:
                case["decode_skip_special"] = skip
            raw = tokenizer.decode(ids, clean_up_tokenization_spaces=False)
            if raw != case["decode"]:
                case["decode_no_cleanup"] = raw
            cases.append(case)
        decodes = []
        for ids in decode_cases(tokenizer, [c["input_ids"] for c in cases], rng):
            decodes.append({"ids": ids, "decode": tokenizer.decode(ids), "decode_skip_special": tokenizer.decode(ids, skip_special_tokens=True)})
        out["models"][name] = {"cases": cases, "decodes": decodes}
    tokenizers = {name: SlowT5Tokenizer(FIXTURES / name / "spiece.model") for name in MODELS}
    tokenizers["t5-variant"] = SlowT5Tokenizer(write_variant())
    write_random(tokenizers)
    path = FIXTURES / "slow-expected.json"
    path.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(prompts)} prompts x {len(MODELS)} models -> {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
