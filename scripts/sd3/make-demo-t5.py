#!/usr/bin/env python3
"""The site's demo T5 (apps/site, page "Beyond CLIP"): a tiny Unigram tokenizer and a tiny random T5 encoder.

    /usr/bin/python3 scripts/sd3/make-demo-t5.py     # Debian's python3-torch 1.13, python3-sentencepiece 0.1.97

Writes models/fixtures/t5-demo/ (110 kB, the weights 81 kB; apps/site/scripts/prepare-static.mjs serves it):
- spiece.model: SentencePiece Unigram, 320 pieces, trained as T5's was (pad/eos/unk 0/1/2, no
  bos) on the ASCII lines of models/fixtures/t5-tokenizer/train.txt, with the identity
  normalization (T5's nmt_nfkc charsmap alone is 240 kB); tokenizer_config.json: no sentinels
  (extra_ids 0), so the vocabulary is the 320 pieces;
- config.json + model.safetensors (F16): a T5 v1.1-style encoder (gated-gelu), d_model 72 (wider
  than the demo CLIP twice, 2 x 32, so SD3's "CLIP pair zero-padded to T5's width" shows), 2
  heads x 8, d_ff 16, 2 blocks, 32 buckets up to 128; HF's initialization as
  scripts/t5/make-t5-references.py does it (that script's modules are reused, not copied);
- outputs/demo.safetensors + manifest.json: transformers' T5EncoderModel (the same torch code) on
  the demo's prompts tokenized by SentencePiece (ids, mask, last_hidden_state), for the
  page's cells to check against.
"""
import importlib.util
import json
import os

import sentencepiece as spm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "models", "fixtures", "t5-demo")
SPEC = importlib.util.spec_from_file_location("make_t5_references", os.path.join(REPO, "scripts", "t5", "make-t5-references.py"))
t5ref = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(t5ref)  # refuses another torch

PIECES = 320
CONFIG = t5ref.T5Config(PIECES, 72, 8, 16, 2, 2, 32, 128, "gated-gelu")
PROMPTS = ["a lighthouse on a cliff at dawn", "a photo of a cat", "a photo of a dog"]


def main():
    os.makedirs(os.path.join(OUT, "outputs"), exist_ok=True)
    corpus = os.path.join(OUT, "train-ascii.txt")
    with open(os.path.join(REPO, "models", "fixtures", "t5-tokenizer", "train.txt"), encoding="utf-8") as f:
        lines = [line for line in f if all(ord(c) < 128 for c in line)]
    with open(corpus, "w", encoding="utf-8") as f:
        f.writelines(lines)
    try:
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=os.path.join(OUT, "spiece"), vocab_size=PIECES, model_type="unigram",
            normalization_rule_name="identity", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
            num_threads=1, minloglevel=2)
    finally:
        os.remove(corpus)
    os.remove(os.path.join(OUT, "spiece.vocab"))
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "extra_ids": 0, "model_max_length": 512,
                   "legacy": True, "tokenizer_class": "T5Tokenizer"}, f, indent=2)
        f.write("\n")

    model = t5ref.T5EncoderModel(CONFIG).eval()
    t5ref.init_weights(model, CONFIG, 7)
    state = {k: v for k, v in model.state_dict().items() if k != "encoder.embed_tokens.weight"}
    written, used = {}, {}
    for k, v in state.items():
        written[k], used[k] = t5ref.stored(v, "F16")
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG.to_json(), f, indent=2)
        f.write("\n")
    t5ref.write_safetensors(os.path.join(OUT, "model.safetensors"), written, {"format": "pt"})

    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, "spiece.model"))
    rows = [sp.encode(p) + [1] for p in PROMPTS]  # T5TokenizerFast: </s> appended
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    last, _hidden = t5ref.run(model, used, ids, mask)
    t5ref.write_safetensors(os.path.join(OUT, "outputs", "demo.safetensors"), {
        "input_ids": t5ref.i64(ids), "attention_mask": t5ref.i64(mask), "last_hidden_state": t5ref.f32(last)})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/sd3/make-demo-t5.py", "prompts": PROMPTS,
                   "pieces": [sp.encode(p, out_type=str) for p in PROMPTS], "config": CONFIG.to_json()}, f, indent=1)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"models/fixtures/t5-demo: {size / 1000:.0f} kB")


if __name__ == "__main__":
    main()
