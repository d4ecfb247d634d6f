#!/usr/bin/env python3
"""SDXL conditioning references from the originals' own code, on an SDXL-like pair of tiny models.

    /usr/bin/python3 scripts/make_sdxl_references.py --webui DIR --comfy DIR --compel DIR \
        --vocab DIR_WITH_vocab.json_AND_merges.txt --models ../../models/fixtures/models \
        > test/fixtures/sdxl.json

CLIP-L is models/sd1-tiny/text_model, CLIP-G is models/sd2-tiny/text_model_with_projection (the
pipeline's 'sdxl' fixture repo). Run unchanged:
  - webui: modules/sd_hijack_clip.py FrozenCLIPEmbedderForSDXLWithCustomWords and
    modules/sd_hijack_open_clip.py FrozenOpenCLIPEmbedder2WithCustomWords, their results joined as
    sgm's GeneralConditioner joins them (crossattn: cat on dim 2, vector: the pooled output).
    The wrapped sgm embedders are shims: FrozenCLIPEmbedder(layer "hidden", layer_idx) over the
    torch CLIP, FrozenOpenCLIPEmbedder2(layer "penultimate", always_return_pooled, legacy=False)'s
    encode_with_transformer (penultimate = input of the last block, pooled = ln_final(last)[argmax]
    @ text_projection). SDXL's layer_idx 11 of 12 layers is hidden_states[-2]: -2 here (2 layers).
  - ComfyUI: comfy/sdxl_clip.py SDXLTokenizer + SDXLClipModel over sd1_clip's tokenizer and
    ClipTokenWeightEncoder; SDClipModel is a shim with its layer rules ("last" / "hidden" with
    layer_idx, layer_norm_hidden_state, projected pooled, set_clip_options) over the torch CLIP.
    (SDClipModel asserts |layer_idx| < num_layers, which -2 cannot meet on a 2-layer model: skipped.)
  - compel: CompelForSDXL(pipe)(prompts, negative_prompt=...) (compel's README SDXL usage: two
    Compels with PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED, truncate_long_prompts=False, the second
    requires_pooled; the multi-encoder Compel(tokenizer=[...]) form is deprecated there, and pads
    batches through an `empty_z` its EmbeddingsProviderMulti lacks).
Shims and torch CLIP come from make_conditioning_references.py / make_compel_references.py
(imported); the projection is checked against HF's stored text_embeds before anything is written.
Upstream, hashed by originals.py before anything runs: webui modules/sd_hijack_clip.py @ 00e0938,
sd_hijack_open_clip.py @ 01a40c6, sd_emphasis.py @ f8391b8, prompt_parser.py @ 28bd8e1; ComfyUI
comfy/sd1_clip.py @ 00728eb, comfy/sdxl_clip.py @ 565d674; compel @ c60b9fb (recorded in the output).
"""
import argparse
import contextlib
import importlib
import json
import os
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_conditioning_references import CLIPTokenizerShim, Opts, f32, load_comfy, load_webui, read_safetensors  # noqa: E402
from make_compel_references import CompelTokenizer, MaskedCLIPTextModel, load_compel_package  # noqa: E402

torch.set_grad_enabled(False)


class WithProjection:
    """CLIPTextModelWithProjection's output: last_hidden_state, hidden_states, text_embeds (no pooler_output)."""

    def __init__(self, base):
        self.base, self.w, self.text_model, self.config = base, base.w, base.text_model, base.config
        self.device, self.dtype = base.device, base.dtype

    def __call__(self, *args, **kwargs):
        o = self.base(*args, **kwargs)
        return types.SimpleNamespace(last_hidden_state=o.last_hidden_state, hidden_states=o.hidden_states,
                                     text_embeds=o.pooler_output @ self.w["text_projection.weight"].T)


def check_projection(model, outputs_dir):
    g = read_safetensors(os.path.join(outputs_dir, "pad77.safetensors"))
    err = float((model(g["input_ids"]).text_embeds - g["text_embeds"]).abs().max())
    if err > 1e-5:
        raise SystemExit(f"torch CLIP projection differs from HF outputs: {err}")
    return err


LONG_COMMAS = ", ".join(f"word{i} thing" for i in range(40))
LONG_SENTENCES = " ".join(f"sentence number {i} has several words in it." for i in range(14))

A1111_CASES = [
    # (name, texts, CLIP_stop_at_last_layers, sdxl_clip_l_skip)
    ("issue", ["a (red:1.3) cat, [blurry] BREAK masterpiece"], 1, False),
    ("clip_skip_ignored", ["a (red:1.3) cat, ((detailed)), [[blurry]]"], 2, False),
    ("clip_l_skip1", ["a (red:1.3) cat, ((detailed)), [[blurry]]"], 1, True),
    ("batch_long", [LONG_COMMAS, "a (short:1.5) one"], 1, False),
]

COMFY_CASES = [
    # (name, text, CLIPSetLastLayer or None)
    ("issue", "a (red:1.3) cat, [blurry] BREAK masterpiece", None),
    ("nested", "a ((house:1.3)) (on) a (hill:0.5), sun, (((sky)))", None),
    ("set_last_layer_m1", "a (red:1.3) cat, (detailed)", -1),
    ("plain", "a photo of a cat", None),
]

COMPEL_CASES = [
    # (name, prompts, negative prompts): CompelForSDXL(pipe)(prompts, negative_prompt=...)
    ("weights", ["a cat+ in a (red hat)1.3, (blurry background)0.5"], None),
    ("and", ['("a cat playing", "an oil painting--").and()'], None),
    ("long_with_negative", [LONG_SENTENCES + " (x)0.7"], ["ugly, (deformed)1.3"]),
]


def main():
    ap = argparse.ArgumentParser()
    for a in ("--webui", "--comfy", "--compel", "--vocab", "--models"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    from originals import COMFY, COMPEL_FILES, WEBUI, check_files, require_python_packages
    ran = check_files({WEBUI: args.webui, COMFY: args.comfy, "damian0815/compel": args.compel},
                      [(WEBUI, p) for p in ("modules/prompt_parser.py", "modules/sd_hijack_clip.py", "modules/sd_hijack_open_clip.py", "modules/sd_emphasis.py")]
                      + [(COMFY, "comfy/sd1_clip.py"), (COMFY, "comfy/sdxl_clip.py"), *COMPEL_FILES])
    versions = require_python_packages(("python", "torch", "numpy", "regex", "lark", "pyparsing"))

    vocab_tok = CLIPTokenizerShim(args.vocab)
    l_model = MaskedCLIPTextModel(os.path.join(args.models, "sd1-tiny", "text_model"))
    g_model = WithProjection(MaskedCLIPTextModel(os.path.join(args.models, "sd2-tiny", "text_model_with_projection")))
    projection_err = check_projection(g_model, os.path.join(args.models, "sd2-tiny", "outputs"))

    # ---- webui
    open_clip = types.ModuleType("open_clip")
    open_clip.tokenizer = types.SimpleNamespace(_tokenizer=types.SimpleNamespace(
        encoder={**vocab_tok.encoder, "<start_of_text>": vocab_tok.bos_token_id, "<end_of_text>": vocab_tok.eos_token_id},
        encode=vocab_tok.ids))
    sys.modules["open_clip"], sys.modules["open_clip.tokenizer"] = open_clip, open_clip.tokenizer
    opts = Opts(emphasis="Original", comma_padding_backtrack=20, CLIP_stop_at_last_layers=1, sdxl_clip_l_skip=False,
                use_old_emphasis_implementation=False, textual_inversion_add_hashes_to_infotext=False)
    sd_hijack_clip, _ = load_webui(args.webui, opts)
    sd_hijack_open_clip = importlib.import_module("modules.sd_hijack_open_clip")
    hijack = types.SimpleNamespace(fixes=None, extra_generation_params={},
                                   embedding_db=types.SimpleNamespace(find_embedding_at_position=lambda tokens, pos: (None, None)))

    def open_clip2_encode(tokens):  # sgm FrozenOpenCLIPEmbedder2.encode_with_transformer, legacy=False
        o = g_model(tokens, output_hidden_states=True)
        return {"penultimate": o.hidden_states[-2], "last": o.hidden_states[-1], "pooled": o.text_embeds}

    wrapped_l = types.SimpleNamespace(tokenizer=vocab_tok, transformer=l_model, layer="hidden", layer_idx=-2, return_pooled=False)
    wrapped_g = types.SimpleNamespace(encode_with_transformer=open_clip2_encode, layer="penultimate", return_pooled=True)
    embedders = [sd_hijack_clip.FrozenCLIPEmbedderForSDXLWithCustomWords(wrapped_l, hijack),
                 sd_hijack_open_clip.FrozenOpenCLIPEmbedder2WithCustomWords(wrapped_g, hijack)]

    def conditioner(texts):  # sgm GeneralConditioner.forward for the two text embedders
        output = {}
        for embedder in embedders:
            emb_out = embedder(texts)
            for emb in (emb_out if isinstance(emb_out, (list, tuple)) else [emb_out]):
                key = {2: "vector", 3: "crossattn"}[emb.dim()]
                output[key] = torch.cat((output[key], emb), {"vector": 1, "crossattn": 2}[key]) if key in output else emb
        return output

    a1111 = []
    for name, texts, clip_skip, l_skip in A1111_CASES:
        opts.CLIP_stop_at_last_layers, opts.sdxl_clip_l_skip = clip_skip, l_skip
        c = conditioner(texts)
        chunks, _ = embedders[0].process_texts(texts)
        a1111.append({"name": name, "texts": texts, "clipSkip": clip_skip, "sdxlClipLSkip": l_skip,
                      "chunkTokens": [[ch.tokens for ch in row] for row in chunks],
                      "z": f32(c["crossattn"]), "pooled": f32(c["vector"])})

    # ---- ComfyUI
    sd1_clip = load_comfy(args.comfy)
    tokenizer_dir = os.path.join(args.comfy, "comfy", "sd1_tokenizer")
    if not os.path.exists(tokenizer_dir):
        os.symlink(os.path.abspath(args.vocab), tokenizer_dir)

    class SDClipModelShim(torch.nn.Module, sd1_clip.ClipTokenWeightEncoder):
        """SDClipModel's layer rules over the torch CLIP (comfy.clip_model: intermediate_output, final_layer_norm_intermediate)."""

        def __init__(self, layer="last", layer_idx=None, textmodel_json_config=None, special_tokens=None,
                     layer_norm_hidden_state=True, return_projected_pooled=True, **_):
            super().__init__()
            g = textmodel_json_config is not None and textmodel_json_config.endswith("clip_config_bigg.json")
            self.model = g_model if g else l_model
            self.num_layers = self.model.config["num_hidden_layers"]
            self.special_tokens = special_tokens or {"start": 49406, "end": 49407, "pad": 49407}
            self.layer, self.layer_idx = layer, None
            self.layer_norm_hidden_state = layer_norm_hidden_state
            if layer == "hidden":
                self.set_clip_options({"layer": layer_idx})

        def set_clip_options(self, options):
            layer_idx = options.get("layer", self.layer_idx)
            if layer_idx is None or abs(layer_idx) > self.num_layers:
                self.layer = "last"
            else:
                self.layer, self.layer_idx = "hidden", layer_idx

        def encode(self, tokens):
            o = self.model(torch.LongTensor(tokens), output_hidden_states=True)
            if self.layer == "last":
                z = o.last_hidden_state
            else:
                z = o.hidden_states[self.layer_idx]
                if self.layer_norm_hidden_state:
                    z = self.model.text_model.final_layer_norm(z)
            pooled = getattr(o, "text_embeds", None)
            return z.float(), (pooled if pooled is not None else o.pooler_output).float()

    sd1_clip.SDClipModel = SDClipModelShim
    sdxl_clip = importlib.import_module("comfy.sdxl_clip")
    comfy = []
    for name, text, last_layer in COMFY_CASES:
        tok = sdxl_clip.SDXLTokenizer()
        pairs = tok.tokenize_with_weights(text)
        model = sdxl_clip.SDXLClipModel()
        if last_layer is not None:
            model.set_clip_options({"layer": last_layer})  # CLIP.encode_from_tokens after CLIPSetLastLayer
        z, pooled = model.encode_token_weights(pairs)
        comfy.append({"name": name, "text": text, "clipSkip": None if last_layer is None else -last_layer,
                      "tokenWeights": {k: [[[t, w] for t, w in row] for row in pairs[k]] for k in ("l", "g")},
                      "z": f32(z), "pooled": f32(pooled)})

    # ---- compel: CompelForSDXL, compel's documented SDXL entry (two Compels, concatenated)
    compel_mod, ep, _ = load_compel_package(args.compel)
    pkg = sys.modules["compel"]
    pkg.Compel, pkg.ReturnedEmbeddingsType, pkg.BaseTextualInversionManager = compel_mod.Compel, ep.ReturnedEmbeddingsType, ep.BaseTextualInversionManager
    sys.modules["diffusers"] = types.SimpleNamespace(FluxPipeline=object, StableDiffusionXLPipeline=object, StableDiffusionPipeline=object)
    wrappers = importlib.import_module("compel.convenience_wrappers")
    pipe = types.SimpleNamespace(tokenizer=CompelTokenizer(args.vocab, 49407), text_encoder=l_model,
                                 tokenizer_2=CompelTokenizer(args.vocab, 0), text_encoder_2=g_model)
    compel_cases = []
    with contextlib.redirect_stdout(sys.stderr):  # compel prints deprecation notes
        # compel at c60b9fb: an .and() part weighted != 1 builds the empty conditioning with
        # build_conditioning_tensor(''), which returns (conditioning, pooled) under requires_pooled: recorded.
        try:
            wrappers.CompelForSDXL(pipe)('("a", "b").and(1, 0.5)')
            and_weights = {"ok": None}
        except Exception as e:  # noqa: BLE001 -- what compel raises is part of its behaviour
            and_weights = {"error": type(e).__name__}
        for name, prompts, negatives in COMPEL_CASES:
            out = wrappers.CompelForSDXL(pipe)(prompts, negative_prompt=negatives)
            case = {"name": name, "prompts": prompts, "negativePrompts": negatives, "z": f32(out.embeds), "pooled": f32(out.pooled_embeds)}
            if negatives is not None:
                case["negativeZ"], case["negativePooled"] = f32(out.negative_embeds), f32(out.negative_pooled_embeds)
            compel_cases.append(case)

    json.dump({"generator": "packages/prompt/scripts/make_sdxl_references.py", "originals": ran, "python": versions, "clipL": "sd1-tiny/text_model",
               "clipG": "sd2-tiny/text_model_with_projection", "projectionMaxErrVsHF": projection_err,
               "a1111": a1111, "comfy": comfy, "compel": compel_cases, "compelAndWeightsWithPooled": and_weights}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
