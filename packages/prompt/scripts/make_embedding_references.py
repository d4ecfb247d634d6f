#!/usr/bin/env python3
"""Textual inversion by name, as webui and ComfyUI find and apply it, on the tiny SD1 and SD2 models.

    /usr/bin/python3 scripts/make_embedding_references.py --webui DIR --comfy DIR \
        --vocab DIR_WITH_vocab.json_AND_merges.txt --models ../../models/fixtures/models \
        --embeddings test/fixtures/embeddings > test/fixtures/embedding-names.json

webui: an EmbeddingDatabase (textual_inversion.py) loads the folder as webui does at start
(load_textual_inversion_embeddings: every file, named by its stem, webui's expected-shape check);
the embedders tokenize with its find_embedding_at_position and sd_hijack's EmbeddingsWithFixes
puts the vectors in; recorded: the forward of each prompt (and one schedule through
get_learned_conditioning). ComfyUI: SDTokenizer(embedding_directory=...) finds `embedding:name`
with load_embed, SDClipModel.forward puts the vectors in (set_up_textual_embeddings); recorded:
the tokens (an embedding's rows as their values), ComfyUI's warnings, and the conditioning.
"""
import argparse
import json
import logging
import os
import sys

import torch

from part2_shims import comfy, load_models, webui, webui_model
from make_conditioning_references import f32

WEBUI_CASES = [
    # (name, model, texts)
    ("sd1_by_stem", "sd1", ["a photo, easynegative, (easynegative:1.2)"]),
    ("sd1_longest_first", "sd1", ["watercolor painting of a cat BREAK bad-hands, bad anatomy, neg-hands"]),
    ("sd1_chunk_boundary", "sd1", ["a house, " * 22 + "longvec, tail"]),
    ("sd1_skipped_shape", "sd1", ["xl-style, emb_params, watercolor-v2"]),
    ("sd1_batch", "sd1", ["a cat, [easynegative]", "(watercolor:1.3) dog"]),
    ("sd2_by_stem", "sd2", ["a photo, easynegative, (watercolor:0.8) BREAK bad-hands"]),
    # tokenize_line's `len(chunk.tokens) + emb_len > self.chunk_length`: an embedding ending exactly on
    # a chunk's 75th token stays in it (5 words + longvec's 70 vectors; 72 words + easynegative's 3),
    # one ending on the 76th moves whole to the next chunk.
    ("sd1_embedding_ends_on_75", "sd1", ["a red house on hill longvec tail"]),
    ("sd1_embedding_ends_on_76", "sd1", ["a red house on the hill longvec tail"]),
    ("sd1_short_embedding_ends_on_75", "sd1", ["house " * 72 + "easynegative cat"]),
    ("sd2_short_embedding_ends_on_75", "sd2", ["house " * 72 + "easynegative cat"]),
]
WEBUI_SCHEDULES = [
    # (name, model, prompt, steps)
    ("sd1_schedule", "sd1", "[easynegative:watercolor:0.5] cat AND bad-hands :0.5", 4),
]

COMFY_CASES = [
    # (name, model, text)
    ("sd1_name", "sd1", "a photo, embedding:easynegative (embedding:easynegative:1.2)"),
    ("sd1_subfolder", "sd1", "embedding:styles/watercolor painting"),
    ("sd1_found_in_subfolder", "sd1", "embedding:watercolor painting, embedding:neg-hands"),
    ("sd1_extension", "sd1", "embedding:watercolor.pt style, embedding:easynegative.safetensors"),
    ("sd1_trailing_comma", "sd1", "embedding:easynegative, cat"),
    ("sd1_missing", "sd1", "a embedding:missing cat, embedding:../elsewhere/easynegative dog"),
    ("sd1_long", "sd1", "a house, " * 24 + "embedding:longvec cat"),
    ("sd1_sdxl_file", "sd1", "embedding:sdxl/xl-style cat"),
    ("sd1_weights", "sd1", "(embedding:easynegative:0.5) (cat:1.2) embedding:neg-hands"),
    ("sd2_name", "sd2", "a photo, embedding:easynegative (embedding:watercolor:1.2) dog"),
    # tokenize_with_weights' `len(t_group) + len(batch) > self.max_length - 1`: an embedding shorter than
    # max_word_length (easynegative, 3 vectors) ending on the 75th token stays, on the 76th moves whole.
    ("sd1_embedding_ends_on_75", "sd1", "house " * 72 + "embedding:easynegative cat"),
    ("sd1_embedding_ends_on_76", "sd1", "house " * 73 + "embedding:easynegative cat"),
    # _try_get_embedding's strip(","): commas only at the ends are cut (a comma inside stays, so
    # the name is unknown), all of them, and the leftover is the name from len(stripped) on.
    ("sd1_comma_inside", "sd1", "embedding:easy,negative cat"),
    ("sd1_leading_commas", "sd1", "embedding:,,easynegative cat"),
    ("sd1_trailing_commas", "sd1", "embedding:easynegative,, cat"),
]


def webui_db(w, models, kind, folder):
    db = w.ns["EmbeddingDatabase"]()
    db.add_embedding_dir(folder)
    model = webui_model(w, models, kind, db)
    w.shared.sd_model = model
    db.load_textual_inversion_embeddings(force_reload=True)
    return db, model


def chunks_of(embedder, texts):
    batch, _ = embedder.process_texts(texts)
    return [[{"tokens": c.tokens, "multipliers": c.multipliers, "fixes": [[f.offset, f.embedding.name] for f in c.fixes]} for c in row] for row in batch]


def webui_cases(w, models, folder):
    out = []
    loaded = {}
    for kind in ("sd1", "sd2"):
        db, _ = webui_db(w, models, kind, folder)
        loaded[kind] = {"loaded": sorted(db.word_embeddings), "skipped": sorted(db.skipped_embeddings)}
    for name, kind, texts in WEBUI_CASES:
        db, model = webui_db(w, models, kind, folder)
        z = model.get_learned_conditioning(texts)
        out.append({"name": name, "model": kind, "texts": texts, "chunks": chunks_of(model.cond_stage_model, texts), "z": f32(z)})
    for name, kind, prompt, steps in WEBUI_SCHEDULES:
        db, model = webui_db(w, models, kind, folder)
        pp = w.prompt_parser
        c = pp.get_multicond_learned_conditioning(model, pp.SdConditioning([prompt]), steps)
        parts = [{"weight": part.weight, "schedule": [{"endAtStep": s.end_at_step, "cond": f32(s.cond)} for s in part.schedules]} for part in c.batch[0]]
        out.append({"name": name, "model": kind, "prompt": prompt, "steps": steps, "parts": parts})
    return out, loaded


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def comfy_cases(cf, vocab_dir, folder):
    out = []
    handler = Warnings()
    logging.getLogger().addHandler(handler)
    for name, kind, text in COMFY_CASES:
        handler.messages = []
        if kind == "sd1":
            tok = cf.sd1_clip.SDTokenizer(tokenizer_path=vocab_dir, pad_with_end=True, embedding_directory=folder)
            clip = cf.sd1_clip.SDClipModel()
        else:
            tok = cf.sd2_clip.SD2ClipHTokenizer(tokenizer_path=vocab_dir, embedding_directory=folder)
            clip = cf.sd2_clip.SD2ClipHModel()
        clip.reset_clip_options()
        pairs = tok.tokenize_with_weights(text)
        z, _ = clip.encode_token_weights(pairs)
        tokens = [[[t if isinstance(t, int) else {"vector": [float(v) for v in t]}, w] for t, w in row] for row in pairs]
        out.append({"name": name, "model": kind, "text": text, "tokenWeights": tokens, "warnings": list(handler.messages), "z": f32(z)})
    logging.getLogger().removeHandler(handler)
    return out


def main():
    ap = argparse.ArgumentParser()
    for a in ("--webui", "--comfy", "--vocab", "--models", "--embeddings"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    folder = os.path.abspath(args.embeddings)
    models, checks = load_models(args.models)
    w = webui(args.webui, args.vocab)
    webui_out, loaded = webui_cases(w, models, folder)
    cf = comfy(args.comfy, args.vocab, models)
    comfy_out = comfy_cases(cf, args.vocab, folder)
    json.dump({"generator": "packages/prompt/scripts/make_embedding_references.py", "originals": w.ran + cf.ran,
               "torchModelMaxErrVsHF": checks, "webuiDatabase": loaded, "webui": webui_out, "comfy": comfy_out},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
