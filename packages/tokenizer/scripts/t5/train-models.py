#!/usr/bin/env python3
"""Trains the small T5-style SentencePiece Unigram models of models/fixtures/t5-tokenizer and
writes, beside each spiece.model, the tokenizer.json that transformers' T5Converter makes of it.

Follows: SentencePiece v0.1.97 (commit 58f256cf6f01bb86e6fa634a5cc560de5bd1667d; Debian
python3-sentencepiece, its trainer and model proto) and
transformers v4.36.0 src/transformers/convert_slow_tokenizer.py (SpmConverter, T5Converter) with
tokenizers 0.15's JSON layout, as T5TokenizerFast.from_pretrained(folder with spiece.model) saves it.
transformers cannot be installed here, so tokenizer.json is written the way T5Converter builds it.

The models are trained as T5's spiece.model was: unigram, nmt_nfkc, pad=0 <pad>, eos=1 </s>,
unk=2 <unk>, no <s>; `t5-nobf` without byte fallback (as T5), `t5-bf` with it (which the fast
converter of 4.36 drops: its tokenizer.json has "byte_fallback": false).

    /usr/bin/python3 packages/tokenizer/scripts/t5/make-corpus.py
    /usr/bin/python3 packages/tokenizer/scripts/t5/train-models.py
"""

import base64
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

SENTENCEPIECE_VERSION = "0.1.97"
FIXTURES = Path(__file__).resolve().parents[4] / "models" / "fixtures" / "t5-tokenizer"
EXTRA_IDS = 100  # T5Tokenizer's extra_ids: <extra_id_0> .. <extra_id_99>

MODELS = {
    "t5-nobf": {"vocab_size": 2000, "byte_fallback": False},
    "t5-bf": {"vocab_size": 2300, "byte_fallback": True},
}


def check_versions() -> None:
    if spm.__version__ != SENTENCEPIECE_VERSION or version("sentencepiece") != SENTENCEPIECE_VERSION:
        sys.exit(f"sentencepiece {spm.__version__} found; these fixtures follow {SENTENCEPIECE_VERSION} (Debian python3-sentencepiece)")


def train(name: str, vocab_size: int, byte_fallback: bool) -> bytes:
    # Trained in a scratch folder under relative names: the model records input and model_prefix.
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(FIXTURES / "train.txt", Path(tmp) / "train.txt")
        os.chdir(tmp)
        try:
            spm.SentencePieceTrainer.train(
                input="train.txt",
                model_prefix=name,
                model_type="unigram",
                vocab_size=vocab_size,
                character_coverage=0.9995,
                normalization_rule_name="nmt_nfkc",
                byte_fallback=byte_fallback,
                pad_id=0,
                eos_id=1,
                unk_id=2,
                bos_id=-1,
                pad_piece="<pad>",
                eos_piece="</s>",
                unk_piece="<unk>",
                num_threads=1,
                shuffle_input_sentence=False,
                minloglevel=2,
            )
            return Path(name + ".model").read_bytes()
        finally:
            os.chdir(cwd)


def added_token(token_id: int, content: str) -> dict:
    # PreTrainedTokenizerFast adds the special tokens as plain strings: tokenizers makes them
    # AddedToken(content, special=True), so not normalized and without any stripping.
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}


def tokenizer_json(proto: "model_pb2.ModelProto") -> dict:
    """What T5Converter(T5Tokenizer(spiece.model)).converted() serializes to (transformers 4.36)."""
    pieces = [(p.piece, p.score) for p in proto.pieces]
    vocab = pieces + [(f"<extra_id_{i}>", 0.0) for i in range(EXTRA_IDS - 1, -1, -1)]  # T5Converter.vocab
    ids = {piece: i for i, (piece, _) in enumerate(vocab)}
    normalizers = [
        {"type": "Strip", "strip_left": False, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"},
    ]
    charsmap = proto.normalizer_spec.precompiled_charsmap
    if charsmap:
        normalizers.insert(0, {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")})
    # SpmConverter.pre_tokenizer: add_prefix_space=True, legacy T5Tokenizer -> prepend_scheme "always".
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always"}
    eos = {"SpecialToken": {"id": "</s>", "type_id": 0}}
    # The specials in SPECIAL_TOKENS_ATTRIBUTES order (eos, unk, pad, then the extra ids), then sorted by id.
    specials = ["</s>", "<unk>", "<pad>"] + [f"<extra_id_{i}>" for i in range(EXTRA_IDS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": sorted((added_token(ids[s], s) for s in specials), key=lambda t: t["id"]),
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, eos],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, eos, {"Sequence": {"id": "B", "type_id": 0}}, eos],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [ids["</s>"]], "tokens": ["</s>"]}},
        },
        "decoder": dict(metaspace),
        # SpmConverter.tokenizer: Unigram(vocab_scores, unk_id), byte fallback not passed on.
        "model": {"type": "Unigram", "unk_id": proto.trainer_spec.unk_id, "vocab": [[p, s] for p, s in vocab], "byte_fallback": False},
    }


def main() -> None:
    check_versions()
    for name, options in MODELS.items():
        model = train(name, **options)
        proto = model_pb2.ModelProto()
        proto.ParseFromString(model)
        folder = FIXTURES / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "spiece.model").write_bytes(model)
        text = json.dumps(tokenizer_json(proto), ensure_ascii=False, separators=(",", ":"))
        (folder / "tokenizer.json").write_text(text + "\n", encoding="utf-8")
        print(f"{name}: {len(proto.pieces)} pieces, byte_fallback={proto.trainer_spec.byte_fallback}, {len(model)} bytes")


if __name__ == "__main__":
    main()
