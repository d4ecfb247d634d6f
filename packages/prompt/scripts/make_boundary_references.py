#!/usr/bin/env python3
"""Boundary cases of the rules webui and ComfyUI apply, as their own code answers them.

    PYTHONHASHSEED=0 /usr/bin/python3 scripts/make_boundary_references.py --webui DIR --comfy DIR \
        --vocab DIR --models ../../models/fixtures/models > test/fixtures/boundaries.json

--vocab DIR holds vocab.json, merges.txt and SD1's tokenizer_config.json (ComfyUI's SDTokenizer
looks for it), e.g. ../shared/golden/tokenizer's files with sd1-clip-vit-large-patch14's config.

Upstream, refused at any other version (originals.py hashes each file before it runs):
AUTOMATIC1111/stable-diffusion-webui modules/prompt_parser.py @ 28bd8e1, sd_hijack_clip.py @ 00e0938,
sd_emphasis.py @ f8391b8; comfyanonymous/ComfyUI comfy/sd1_clip.py @ 00728eb (full commits in
originals.py). The originals run unchanged: webui's FrozenCLIPEmbedderWithCustomWords.tokenize_line
and forward (Original / No norm emphasis), prompt_parser.get_learned_conditioning_prompt_schedules and
get_multicond_prompt_list; ComfyUI's SDTokenizer.tokenize_with_weights and SDClipModel.encode_token_weights.
What they get from transformers is part2_shims.py's (the torch CLIP checked against Hugging Face's
stored outputs, the BPE tokenizer on ASCII prompts).

Each rule with an edge, at the edge and one past it:
  - webui's comma backtrack (comma_padding_backtrack 20): a comma exactly 19, 20 and 21 tokens
    before a full chunk's end, at its last slot, as the 76th token, two commas, with emphasis, and
    the option at 0 / 19 / 21;
  - chunk lengths: exactly 75, 76, 77, 150, 151 tokens (webui and ComfyUI); ComfyUI's
    max_word_length (a 7- and an 8-token word across the edge, a 100-token word cut across two
    chunks); a word that is itself a vocabulary entry ("A</w>"), looked up as is;
  - BREAK at a chunk's edge (after 74, 75, 76 tokens, trailing, leading, doubled), empty chunks
    ("", "BREAK", "BREAK BREAK", "()");
  - weights at 0 and negative (webui Original and No norm emphasis, ComfyUI), AND weights 0 and -1;
    webui's empty_chunk (a shorter prompt's filler); ComfyUI's newlines (read as spaces);
    webui's emphasis itself (sd_emphasis after_transformers) on seeded z, every option, a batch,
    a repeated row;
  - schedule steps at 0, 1, steps - 1, steps, steps + 1 and the fractions 0.0 / 1.0, for 1, 2 and
    10 steps, hires and the old scheduling.
Needs python3-torch, python3-numpy, python3-regex, python3-lark (Debian 12).
"""
import argparse
import json
import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    # lark's Earley parser breaks ties by Python's string hash (see make_parser_fixtures.py): one seed, stated.
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_conditioning_references import f32  # noqa: E402
from originals import require_python_packages  # noqa: E402
from part2_shims import comfy, load_models, webui, webui_model  # noqa: E402

torch.set_grad_enabled(False)


def words(n, word="cat"):
    return " ".join([word] * n)


# (name, text, comma_padding_backtrack, emphasis): webui's tokenize_line. "cat", "dog" and "," are one token each.
A1111_CHUNKS = [
    ("exactly_75", words(75), 20, "Original"),
    ("exactly_76", words(76), 20, "Original"),
    ("exactly_77", words(77), 20, "Original"),
    ("exactly_150", words(150), 20, "Original"),
    ("exactly_151", words(151), 20, "Original"),
    # The comma at chunk position p: 75 - p tokens before the chunk's end when the 76th token comes.
    ("comma_back_19", words(56) + ", " + words(25, "dog"), 20, "Original"),
    ("comma_back_20", words(55) + ", " + words(25, "dog"), 20, "Original"),
    ("comma_back_21", words(54) + ", " + words(25, "dog"), 20, "Original"),
    ("comma_back_1", words(74) + ", " + words(5, "dog"), 20, "Original"),
    ("comma_is_76th", words(75) + ", " + words(5, "dog"), 20, "Original"),
    ("comma_is_75th", words(74) + ", " + words(5, "dog"), 20, "Original"),
    ("two_commas_back_20", words(50) + ", " + words(4, "dog") + ", " + words(25, "cow"), 20, "Original"),
    ("two_commas_back_21_and_26", words(49) + ", " + words(4, "dog") + ", " + words(25, "cow"), 20, "Original"),
    ("comma_back_20_emphasis", "(" + words(55) + ":1.2), (" + words(25, "dog") + ":0.8)", 20, "Original"),
    ("comma_back_20_twice", words(55) + ", " + words(74, "dog") + ", " + words(25, "cow"), 20, "Original"),
    ("comma_back_20_option_0", words(55) + ", " + words(25, "dog"), 0, "Original"),
    ("comma_back_20_option_19", words(55) + ", " + words(25, "dog"), 19, "Original"),
    ("comma_back_21_option_21", words(54) + ", " + words(25, "dog"), 21, "Original"),
    ("comma_back_20_then_break", words(55) + ", " + words(20, "dog") + " BREAK x", 20, "Original"),
    ("break_after_74", words(74) + " BREAK " + words(3, "dog"), 20, "Original"),
    ("break_after_75", words(75) + " BREAK " + words(3, "dog"), 20, "Original"),
    ("break_after_76", words(76) + " BREAK " + words(3, "dog"), 20, "Original"),
    ("break_trailing_after_75", words(75) + " BREAK", 20, "Original"),
    ("break_leading", "BREAK " + words(3), 20, "Original"),
    ("break_doubled", "cat BREAK BREAK dog", 20, "Original"),
    ("break_only", "BREAK", 20, "Original"),
    ("break_break", "BREAK BREAK", 20, "Original"),
    ("empty", "", 20, "Original"),
    ("space", " ", 20, "Original"),
    ("empty_parens", "()", 20, "Original"),
    ("empty_brackets_weighted", "(:1.2) cat", 20, "Original"),
    ("weight_0", "(cat:0) dog", 20, "Original"),
    ("weight_negative", "(cat:-1) dog, (cow:-0.5)", 20, "Original"),
    ("weight_0_at_edge", words(74) + " (dog:0) (cow:-1)", 20, "Original"),
    ("emphasis_none_brackets", "(cat:1.5) [dog] BREAK x", 20, "None"),
    ("emphasis_none_break_only", "BREAK", 20, "None"),
    ("emphasis_ignore_weights", "(cat:1.5) [dog] (cow:0)", 20, "Ignore"),
]

# (name, texts, emphasis): webui's forward on sd1-tiny, the conditioning the UNet gets.
A1111_CONDITIONING = [
    ("weight_0", ["(cat:0) dog"], "Original"),
    ("weight_negative", ["(cat:-1) dog, (cow:-0.5)"], "Original"),
    ("weight_0_phrase", ["(a photo of a cat:0)"], "Original"),
    ("weight_0_no_norm", ["(cat:0) dog"], "No norm"),
    ("weight_negative_no_norm", ["(cat:-1) dog, (cow:-0.5)"], "No norm"),
    ("comma_back_20", [words(55) + ", " + words(25, "dog")], "Original"),
    ("break_after_75_batch", [words(75) + " BREAK " + words(3, "dog"), "BREAK BREAK"], "Original"),
]

# (name, text, conditioning too): ComfyUI's SDTokenizer (SD1: pad_with_end) and SDClipModel on sd1-tiny.
COMFY_CASES = [
    ("exactly_75", words(75), True),
    ("exactly_76", words(76), True),
    ("exactly_77", words(77), False),
    ("exactly_150", words(150), False),
    ("exactly_151", words(151), False),
    ("empty", "", True),
    ("weight_0", "(cat:0) dog", True),
    ("weight_negative", "(cat:-1) dog, (cow:-0.5)", True),
    ("weight_0_at_edge", words(74) + " (dog:0) (cow:-1)", True),
    ("newlines", "cat\ndog\n\n(cow\nbird:1.2)", False),
    # A word that is itself a vocabulary entry is looked up as is: "A</w>" and "I</w>" are entries
    # (288, 296) that the tokenizer, lower-casing, would never produce.
    ("vocab_uppercase_words", "A photo of I and A cat", False),
    # A 100-token word ("x," 50 times) after 10 words: cut at the first chunk's end (65 tokens),
    # its last 35 tokens start the second chunk.
    ("word_of_100_across_chunks", words(10) + " " + "x," * 50 + " dog", False),
]

# Words of 7 and 8 tokens after this many one-token words (max_word_length 8: a word of 8 or more
# is split at the edge, a shorter one moves whole; 68 + 7 fills the 75 slots exactly).
LONG_WORD_PLACES = [66, 67, 68, 69, 74, 75]

SCHEDULE_PROMPTS = [
    "[a:b:0]", "[a:b:1]", "[a:b:2]", "[a:b:9]", "[a:b:10]", "[a:b:11]", "[a:b:19]", "[a:b:20]", "[a:b:21]",
    "[a:b:0.0]", "[a:b:1.0]", "[a:b:0.5]", "[a:b:0.99]", "[a:b:1.5]", "[a::1]", "[:b:1]", "[a::0]", "[:b:0]",
    "[a|b]", "[a|b|c]", "[[a:b:1]:c:2]", "[a:[b:c:1]:1]",
]
SCHEDULE_MODES = [(1, None, False), (2, None, False), (10, None, False), (10, 20, False), (10, 20, True), (1, 2, False)]

# (name, emphasis option, multipliers per row): webui's sd_emphasis after_transformers on a seeded
# z [B, 77, 8] alone (no encoder), rows repeated as a batch holding a text twice does.
def _row(**at):
    row = [1.0] * 77
    for i, m in at.items():
        row[int(i[1:])] = m
    return row


EMPHASIS_CASES = [
    ("ones", "Original", [_row()]),
    ("up", "Original", [_row(t1=1.1, t2=1.21)]),
    ("down", "Original", [_row(t3=0.9090909090909091)]),
    ("zero", "Original", [_row(t1=0.0)]),
    ("negative", "Original", [_row(t1=-1.0, t2=-0.5)]),
    ("batch", "Original", [_row(t1=1.3), _row(t5=0.5, t6=0.0)]),
    ("batch_repeated_row", "Original", [_row(t1=1.3), _row(t1=1.3), _row(t5=0.5)]),
    ("batch_repeated_row_strong", "Original", [[0.1] * 77, [3.0] * 77, [3.0] * 77]),
    ("no_norm_zero_negative", "No norm", [_row(t1=0.0, t2=-1.0, t3=1.5)]),
    ("ignore", "Ignore", [_row(t1=1.5)]),
    ("none", "None", [_row(t1=1.5)]),
]

MULTICOND_PROMPTS = ["a AND b :0", "a :0 AND b", "a AND b :-1", "a :-0.5", "a :0", "a AND b :-0"]


def comfy_word(tok, count):
    """The shortest lower-case word ComfyUI's tokenizer (BPE, no exact vocab entry) cuts into `count` tokens."""
    vocab = tok.tokenizer.get_vocab()
    for n in range(1, 200):
        word = "".join("zqxjkvw"[(i * 5 + n) % 7] for i in range(n))
        if f"{word}</w>" in vocab:
            continue
        if len(tok.tokenizer(word)["input_ids"]) - 2 == count:
            return word
    raise SystemExit(f"no word of {count} tokens")


def main():
    ap = argparse.ArgumentParser()
    for a in ("--webui", "--comfy", "--vocab", "--models"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    versions = require_python_packages()
    models, checks = load_models(args.models)

    w = webui(args.webui, args.vocab)
    model = webui_model(w, models, "sd1")
    embedder = model.cond_stage_model
    a1111_chunks = []
    for name, text, backtrack, emphasis in A1111_CHUNKS:
        w.opts.comma_padding_backtrack, w.opts.emphasis = backtrack, emphasis
        chunks, token_count = embedder.tokenize_line(text)
        a1111_chunks.append({"name": name, "text": text, "commaPaddingBacktrack": backtrack, "emphasis": emphasis,
                             "tokens": [c.tokens for c in chunks], "multipliers": [c.multipliers for c in chunks], "tokenCount": token_count})
    empty = embedder.empty_chunk()
    empty_chunk = {"tokens": empty.tokens, "multipliers": empty.multipliers}
    a1111_conditioning = []
    for name, texts, emphasis in A1111_CONDITIONING:
        w.opts.comma_padding_backtrack, w.opts.emphasis = 20, emphasis
        z = model.get_learned_conditioning(texts)
        a1111_conditioning.append({"name": name, "texts": texts, "emphasis": emphasis, "z": f32(z)})
    w.opts.comma_padding_backtrack, w.opts.emphasis = 20, "Original"

    sd_emphasis = sys.modules["modules.sd_emphasis"]
    generator = torch.Generator().manual_seed(20)
    emphasis = []
    for name, option, rows in EMPHASIS_CASES:
        z = torch.randn(len(rows), 77, 8, generator=generator) + 0.3
        if name.endswith("_strong"):
            z += torch.tensor([-1.0, 2.0, 2.0])[:, None, None]  # rows of unlike means: the batch mean's weighting shows
        for i in range(1, len(rows)):
            if rows[i] == rows[i - 1]:
                z[i] = z[i - 1]  # the same text twice in webui's batch: the same rows
        e = sd_emphasis.get_current_option(option)()
        e.tokens, e.multipliers, e.z = [[0] * 77 for _ in rows], torch.asarray(rows), z.clone()
        e.after_transformers()
        emphasis.append({"name": name, "emphasis": option, "multipliers": rows, "z": f32(z), "out": f32(e.z)})

    pp = w.prompt_parser
    schedules = []
    for prompt in SCHEDULE_PROMPTS:
        for steps, hires, old in SCHEDULE_MODES:
            got = pp.get_learned_conditioning_prompt_schedules([prompt], steps, hires, old)[0]
            schedules.append({"prompt": prompt, "steps": steps, "hiresSteps": hires, "useOldScheduling": old, "schedule": got})
    multicond = []
    for prompt in MULTICOND_PROMPTS:
        indexes, flat, _ = pp.get_multicond_prompt_list([prompt])
        multicond.append({"prompt": prompt, "indexes": indexes, "flatList": flat})

    cf = comfy(args.comfy, args.vocab, models)
    tok = cf.sd1_clip.SDTokenizer(tokenizer_path=args.vocab, pad_with_end=True)
    clip = cf.sd1_clip.SDClipModel()
    clip.reset_clip_options()
    long_words = {count: comfy_word(tok, count) for count in (7, 8)}
    comfy_cases = list(COMFY_CASES)
    for count, word in long_words.items():
        for place in LONG_WORD_PLACES:
            comfy_cases.append((f"word_of_{count}_after_{place}", words(place) + " " + word + " dog", False))
    comfy_out = []
    for name, text, conditioning in comfy_cases:
        pairs = tok.tokenize_with_weights(text)
        case = {"name": name, "text": text, "tokenWeights": [[[t, wt] for t, wt in row] for row in pairs]}
        if conditioning:
            z, pooled = clip.encode_token_weights(pairs)
            case.update(z=f32(z), pooled=f32(pooled))
        comfy_out.append(case)

    json.dump({"generator": "packages/prompt/scripts/make_boundary_references.py", "originals": w.ran + cf.ran, "python": versions,
               "torchModelMaxErrVsHF": checks, "longWords": long_words, "a1111Chunks": a1111_chunks, "emptyChunk": empty_chunk, "a1111Conditioning": a1111_conditioning, "emphasis": emphasis,
               "schedules": schedules, "multicond": multicond, "comfy": comfy_out}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
