#!/usr/bin/env python3
"""Reference attention probabilities (HF's output_attentions) for the tiny fixture models.

    /usr/bin/python3 scripts/make-attention-references.py    # Debian's python3-torch and python3-numpy

transformers cannot be installed here, so this follows transformers 4.36's CLIPTextTransformer line by
line in torch: the causal mask (finfo.min above the diagonal) and the padding mask
((1 - attention_mask) * finfo.min) added to (q * scale) @ k^T, then softmax over the keys. Before
writing, the same forward's hidden states are checked against the golden HF outputs in
models/fixtures/models/<model>/outputs/pad77_masked.safetensors (max error printed, must be < 1e-5).
Writes models/fixtures/models/<model>/outputs/attentions.safetensors: input_ids and attention_mask
(the first two rows of pad77_masked) and attentions [layers, 2, heads, 77, 77] float32.
Upstream: huggingface/transformers v4.36.0 (commit 815ea8e8a23a) models/clip/modeling_clip.py, which
cannot be installed here (no PyPI): the torch code below stands in, checked against its stored outputs.
Refuses another torch than Debian 12's python3-torch (1.13.0a0).
"""
import json
import os
import struct

import numpy as np
import torch

if torch.__version__ != "1.13.0a0":
    raise SystemExit(f"torch {torch.__version__}: these references are made with Debian 12's python3-torch (1.13.0a0)")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "fixtures", "models")
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if info["dtype"] != "I64" else arr.copy())
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def forward(model_dir, ids, attention_mask):
    """transformers 4.36 CLIPTextTransformer.forward with output_hidden_states and output_attentions."""
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    ln = lambda x, k: torch.nn.functional.layer_norm(x, x.shape[-1:], w[k + ".weight"], w[k + ".bias"], c["layer_norm_eps"])
    lin = lambda x, k: torch.nn.functional.linear(x, w[k + ".weight"], w[k + ".bias"])
    act = (lambda x: x * torch.sigmoid(1.702 * x)) if c["hidden_act"] == "quick_gelu" else torch.nn.functional.gelu
    b, s = ids.shape
    heads = c["num_attention_heads"]
    dh = c["hidden_size"] // heads
    minimum = torch.finfo(torch.float32).min
    causal = torch.full((s, s), minimum).triu(1)[None, None]  # _create_4d_causal_attention_mask
    padding = ((1.0 - attention_mask[:, None, None, :].float()) * minimum).expand(b, 1, s, s)  # _prepare_4d_attention_mask
    h = w["text_model.embeddings.token_embedding.weight"][ids] + w["text_model.embeddings.position_embedding.weight"][:s]
    hidden, attentions = [h], []
    for i in range(c["num_hidden_layers"]):
        p = f"text_model.encoder.layers.{i}."
        x = ln(h, p + "layer_norm1")
        q = (lin(x, p + "self_attn.q_proj") * dh ** -0.5).view(b, s, heads, dh).transpose(1, 2)
        k = lin(x, p + "self_attn.k_proj").view(b, s, heads, dh).transpose(1, 2)
        v = lin(x, p + "self_attn.v_proj").view(b, s, heads, dh).transpose(1, 2)
        scores = q @ k.transpose(-1, -2)
        scores = scores + causal  # CLIPAttention adds the causal mask, then the padding mask
        scores = scores + padding
        probs = torch.softmax(scores, dim=-1)
        attentions.append(probs)
        h = h + lin((probs @ v).transpose(1, 2).reshape(b, s, -1), p + "self_attn.out_proj")
        h = h + lin(act(lin(ln(h, p + "layer_norm2"), p + "mlp.fc1")), p + "mlp.fc2")
        hidden.append(h)
    return hidden, attentions


def main():
    for model in ("sd2-tiny", "sd1-tiny"):
        golden = read_safetensors(os.path.join(ROOT, model, "outputs", "pad77_masked.safetensors"))
        ids, mask = golden["input_ids"][:2].long(), golden["attention_mask"][:2].long()
        hidden, attentions = forward(os.path.join(ROOT, model, "text_model"), ids, mask)
        err = max(float((a - e).abs().max()) for a, e in zip(hidden, golden["hidden_states"][:, :2]))
        print(f"{model}: hidden states vs HF golden, max err {err:.2e}")
        if err > 1e-5:
            raise SystemExit(f"{model}: the torch forward does not match HF's outputs")
        out = os.path.join(ROOT, model, "outputs", "attentions.safetensors")
        write_safetensors(out, {
            "input_ids": ("I64", ids.numpy()),
            "attention_mask": ("I64", mask.numpy()),
            "attentions": ("F32", torch.stack(attentions).numpy().astype(np.float32)),
        })
        print(f"wrote {out}")


if __name__ == "__main__":
    with torch.no_grad():
        main()
