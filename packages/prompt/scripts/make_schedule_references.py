#!/usr/bin/env python3
"""What webui conditions the UNet on at each sampling step: prompt editing, alternation, AND, the
negative prompt with and without "Pad prompt/negative prompt", clip skip (SD 2.x ignores it), SD1,
SD2 and SDXL; and ComfyUI's CLIPSetLastLayer on SD1 and SD2.

    /usr/bin/python3 scripts/make_schedule_references.py --webui DIR --comfy DIR \
        --vocab DIR_WITH_vocab.json_AND_merges.txt --models ../../models/fixtures/models \
        > test/fixtures/schedules.json

webui, as processing.py drives it: c = prompt_parser.get_multicond_learned_conditioning(sd_model,
prompts, steps, hires_steps), uc = prompt_parser.get_learned_conditioning(sd_model, negatives
(is_negative_prompt), ...); then at each step of the sampler (CFGDenoiser.step from 0), as
CFGDenoiser.forward does: reconstruct_multicond_batch(c, step), reconstruct_cond_batch(uc, step),
and pad_cond_uncond when opts.pad_cond_uncond is on and the lengths differ. Every step's tensors
are recorded (each distinct one once). The files must be the versions pinned in originals.py.
Shims (part2_shims.py): the torch CLIP, the tokenizer, ldm's FrozenOpenCLIPEmbedder (SD2
"penultimate" = the diffusers-layout model, which dropped OpenCLIP's last block), sgm's
GeneralConditioner for SDXL's two text embedders.
"""
import argparse
import json
import sys

import torch

from part2_shims import comfy, load_models, webui, webui_model
from make_conditioning_references import f32

LONG = ", ".join(f"word{i}" for i in range(40))

WEBUI_CASES = [
    # (name, model, prompts, negatives, steps, hires_steps, Clip skip, Pad prompt/negative prompt)
    ("issue", "sd1", ["a [cat:dog:0.5] AND a tree:0.5"], [""], 10, None, 1, False),
    ("alternate_emphasis", "sd1", ["a (red:1.3) [cat|dog|bird] in a [garden:city:3]"], ["blurry"], 7, None, 1, False),
    ("edits", "sd1", ["[a:b:10] [c::0.3] [:d:0.6] [[e:f:0.3]:g:0.7] [h:i:25] [j:k:]"], [""], 20, None, 1, False),
    ("hires", "sd1", ["a [cat:dog:1.5] [red:blue:0.5] [x:y:15]"], ["[ugly:bad:1.5]"], 10, 20, 1, False),
    ("and_lengths", "sd1", [LONG + " [end:finish:0.5] AND short one :0.8"], ["blurry"], 6, None, 1, False),
    ("and_lengths_pad", "sd1", [LONG + " [end:finish:0.5] AND short one :0.8"], ["blurry"], 6, None, 1, True),
    ("negative_longer", "sd1", ["a (cat:1.2)"], [LONG + ", (ugly:1.3)"], 4, None, 1, False),
    ("negative_longer_pad", "sd1", ["a (cat:1.2)"], [LONG + ", (ugly:1.3)"], 4, None, 1, True),
    ("batch", "sd1", ["a [cat:dog:0.5] (sitting:1.2)", "a bird AND a [tree|bush]"], ["blurry", "(ugly:0.8)"], 5, None, 1, False),
    ("clip_skip2", "sd1", ["a [red:blue:0.5] (cat:1.3), ((detailed))"], ["blurry"], 6, None, 2, False),
    ("plain_long_prompt", "sd1", [LONG], ["blurry"], 1, None, 1, False),
    ("plain_long_prompt_pad", "sd1", [LONG], ["blurry"], 1, None, 1, True),
    ("sd2_clip_skip_ignored", "sd2", ["a [red:blue:0.5] (cat:1.3) AND a [tree|bush] :0.6"], ["[blurry:ugly:0.3]"], 6, None, 2, False),
    ("sd2_pad", "sd2", [LONG + " AND x"], ["blurry"], 3, None, 1, True),
    ("sdxl_schedule", "sdxl", ["a [cat:dog:0.5] (red:1.2) AND a [tree|bush] :0.7"], ["[blurry:ugly:0.5]"], 6, None, 1, False),
    ("sdxl_zero_negative", "sdxl", ["a [cat:dog:0.5]"], [""], 4, None, 1, False),
    ("sdxl_pad", "sdxl", [LONG + " AND [a|b]"], ["blurry"], 3, None, 1, True),
]

COMFY_CASES = [
    # (name, model, text, CLIPSetLastLayer or None): CLIP.encode_from_tokens sets it, or resets to the model's default
    ("sd1_default", "sd1", "a (red:1.3) cat, (detailed)", None),
    ("sd1_last_layer_m1", "sd1", "a (red:1.3) cat, (detailed)", -1),
    ("sd1_last_layer_m2", "sd1", "a (red:1.3) cat, (detailed)", -2),
    ("sd2_default", "sd2", "a (red:1.3) cat, (detailed)", None),
    ("sd2_last_layer_m2", "sd2", "a (red:1.3) cat, (detailed)", -2),
    ("sd2_last_layer_m3", "sd2", "a (red:1.3) cat, (detailed)", -3),
]


class Blobs:
    """Each distinct tensor once; steps refer to them by index."""

    def __init__(self):
        self.items, self.index = [], {}

    def add(self, t):
        t = t.detach().to(torch.float32).contiguous()
        key = (tuple(t.shape), t.numpy().tobytes())
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(f32(t))
        return self.index[key]


def webui_case(w, models, name, kind, prompts, negatives, steps, hires, clip_skip, pad):
    pp = w.prompt_parser
    w.opts.CLIP_stop_at_last_layers, w.opts.pad_cond_uncond = clip_skip, pad
    model = webui_model(w, models, kind)
    w.shared.sd_model = model
    c = pp.get_multicond_learned_conditioning(model, pp.SdConditioning(prompts), steps, hires)
    uc = pp.get_learned_conditioning(model, pp.SdConditioning(negatives, is_negative_prompt=True), steps, hires)
    _, flat, _ = pp.get_multicond_prompt_list(prompts)
    denoiser = w.ns["CFGDenoiser"]()
    blobs, per_step = Blobs(), []
    for step in range(hires or steps):
        conds_list, tensor = pp.reconstruct_multicond_batch(c, step)
        uncond = pp.reconstruct_cond_batch(uc, step)
        if w.opts.pad_cond_uncond and tensor.shape[1] != uncond.shape[1]:
            tensor, uncond = denoiser.pad_cond_uncond(tensor, uncond)
        entry = {"condsList": [[[i, wt] for i, wt in conds] for conds in conds_list]}
        if isinstance(tensor, dict):
            entry.update(cond=blobs.add(tensor["crossattn"]), condPooled=blobs.add(tensor["vector"]),
                         uncond=blobs.add(uncond["crossattn"]), uncondPooled=blobs.add(uncond["vector"]))
        else:
            entry.update(cond=blobs.add(tensor), uncond=blobs.add(uncond))
        per_step.append(entry)
    return {"name": name, "model": kind, "prompts": prompts, "negativePrompts": negatives, "steps": steps, "hiresSteps": hires,
            "clipSkip": clip_skip, "padCondUncond": pad,
            "partSchedules": pp.get_learned_conditioning_prompt_schedules(flat, steps, hires),
            "negativeSchedules": pp.get_learned_conditioning_prompt_schedules(negatives, steps, hires),
            "perStep": per_step, "tensors": blobs.items}


def comfy_case(cf, vocab_dir, name, kind, text, last_layer):
    if kind == "sd1":
        tok, clip = cf.sd1_clip.SDTokenizer(tokenizer_path=vocab_dir, pad_with_end=True), cf.sd1_clip.SDClipModel()
    else:
        tok, clip = cf.sd2_clip.SD2ClipHTokenizer(tokenizer_path=vocab_dir), cf.sd2_clip.SD2ClipHModel()
    if last_layer is None:
        clip.reset_clip_options()
    else:
        clip.set_clip_options({"layer": last_layer})
    pairs = tok.tokenize_with_weights(text)
    z, _ = clip.encode_token_weights(pairs)
    return {"name": name, "model": kind, "text": text, "clipSetLastLayer": last_layer, "z": f32(z)}


def main():
    ap = argparse.ArgumentParser()
    for a in ("--webui", "--comfy", "--vocab", "--models"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    models, checks = load_models(args.models)
    w = webui(args.webui, args.vocab)
    webui_cases = [webui_case(w, models, *case) for case in WEBUI_CASES]
    cf = comfy(args.comfy, args.vocab, models)
    comfy_cases = [comfy_case(cf, args.vocab, *case) for case in COMFY_CASES]
    json.dump({"generator": "packages/prompt/scripts/make_schedule_references.py", "originals": w.ran + cf.ran,
               "torchModelMaxErrVsHF": checks, "webui": webui_cases, "comfy": comfy_cases}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
