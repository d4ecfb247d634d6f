#!/usr/bin/env python3
"""diffusers' clip_skip on the tiny models: what StableDiffusionPipeline.encode_prompt returns for clip_skip 1 and 2.

    /usr/bin/python3 packages/pipeline/scripts/make_clip_skip_references.py   # Debian 12's python3-torch, python3-numpy

Upstream: huggingface/diffusers StableDiffusionPipeline.encode_prompt (clip_skip, v0.22.0 onward) on
huggingface/transformers v4.36.0 CLIPTextModel (commit 815ea8e8a23a, the golden outputs' version).
diffusers and transformers cannot be installed here (no PyPI): encode_prompt's clip_skip lines,
quoted below, run on packages/prompt/scripts' torch CLIP, which stands in for CLIPTextModel and is
checked against transformers' stored outputs (hidden_states and last_hidden_state) first:

    prompt_embeds = self.text_encoder(text_input_ids.to(device), attention_mask=attention_mask, output_hidden_states=True)
    prompt_embeds = prompt_embeds[-1][-(clip_skip + 1)]
    prompt_embeds = self.text_encoder.text_model.final_layer_norm(prompt_embeds)

final_layer_norm is transformers' nn.LayerNorm(hidden_size, eps=config.layer_norm_eps) with the
checkpoint's weights. Writes packages/pipeline/test/fixtures/clip-skip.safetensors: per tiny model,
the golden case pad77's input_ids and prompt_embeds for clip_skip 1 and 2 (2 = the embeddings'
output on these 2-layer models). Refuses another torch (originals.py's pins).
"""
import os
import struct
import json
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "packages", "prompt", "scripts"))
from make_conditioning_references import CLIPTextModel, read_safetensors  # noqa: E402
from originals import require_python_packages  # noqa: E402

torch.set_grad_enabled(False)
MODELS = os.path.join(ROOT, "models", "fixtures", "models")
OUT = os.path.join(ROOT, "packages", "pipeline", "test", "fixtures", "clip-skip.safetensors")


class TextEncoder:
    """The parts of CLIPTextModel encode_prompt touches: __call__ returning (last_hidden_state, pooler_output, hidden_states), text_model.final_layer_norm."""

    def __init__(self, folder):
        self.model = CLIPTextModel(folder)
        self.text_model = self.model.text_model

    def __call__(self, input_ids, attention_mask=None, output_hidden_states=False):
        o = self.model(input_ids)
        return (o.last_hidden_state, o.pooler_output, tuple(o.hidden_states)) if output_hidden_states else (o.last_hidden_state, o.pooler_output)


def encode_prompt(text_encoder, text_input_ids, clip_skip, attention_mask=None):
    """diffusers' lines, verbatim but for `device`."""
    prompt_embeds = text_encoder(text_input_ids, attention_mask=attention_mask, output_hidden_states=True)
    prompt_embeds = prompt_embeds[-1][-(clip_skip + 1)]
    prompt_embeds = text_encoder.text_model.final_layer_norm(prompt_embeds)
    return prompt_embeds


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, (dtype, arr) in tensors.items():
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"generator": "packages/pipeline/scripts/make_clip_skip_references.py", "torch": torch.__version__}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    require_python_packages(("python", "torch", "numpy"))
    tensors = {}
    for model in ("sd1-tiny", "sd2-tiny"):
        golden = read_safetensors(os.path.join(MODELS, model, "outputs", "pad77.safetensors"))
        encoder = TextEncoder(os.path.join(MODELS, model, "text_model"))
        last, _, hidden = encoder(golden["input_ids"], output_hidden_states=True)
        err = max(float((last - golden["last_hidden_state"]).abs().max()),
                  max(float((h - g).abs().max()) for h, g in zip(hidden, golden["hidden_states"])))
        if err > 1e-5:
            raise SystemExit(f"{model}: the torch CLIP differs from transformers' outputs by {err}")
        print(f"{model}: torch CLIP vs transformers {err:.2e}", file=sys.stderr)
        tensors[f"{model}.input_ids"] = ("I64", golden["input_ids"].numpy().astype("<i8"))
        for clip_skip in (1, 2):
            embeds = encode_prompt(encoder, golden["input_ids"], clip_skip)
            tensors[f"{model}.clip_skip_{clip_skip}"] = ("F32", embeds.numpy().astype("<f4"))
    write_safetensors(OUT, tensors)


if __name__ == "__main__":
    main()
