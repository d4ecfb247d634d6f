#!/usr/bin/env python3
"""A random T5 encoder checkpoint in Hugging Face's layout, for memory and speed measurements (never for tests).

    /usr/bin/python3 scripts/t5/make-random-t5.py OUT_DIR [--preset xxl|xl|large|base] [--dtype bf16|f16|f32]

Writes OUT_DIR/config.json and OUT_DIR/model.safetensors (one file, written tensor by tensor):
T5EncoderModel keys (shared.weight, encoder.block.N.layer.M...), weights drawn as HF's
_init_weights draws them (normal, std d_model**-0.5 and friends), so activations stay finite.
The xxl preset is SD3's / Flux's T5-XXL (d_model 4096, d_ff 10240, 64 heads, 24 blocks,
gated-gelu): 4.76e9 weights, 9.5 GB in bf16. Needs only numpy.
"""
import argparse
import json
import os
import struct

import numpy as np

PRESETS = {
    "xxl": dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64),
    "xl": dict(d_model=2048, d_kv=64, d_ff=5120, num_layers=24, num_heads=32),
    "large": dict(d_model=1024, d_kv=64, d_ff=2816, num_layers=24, num_heads=16),
    "base": dict(d_model=768, d_kv=64, d_ff=2048, num_layers=12, num_heads=12),
}


def shapes(c):
    d, inner, dff = c["d_model"], c["num_heads"] * c["d_kv"], c["d_ff"]
    out = [("shared.weight", (c["vocab_size"], d), 1.0)]
    for i in range(c["num_layers"]):
        a = f"encoder.block.{i}.layer.0.SelfAttention"
        out += [(f"{a}.q.weight", (inner, d), (d * c["d_kv"]) ** -0.5), (f"{a}.k.weight", (inner, d), d ** -0.5),
                (f"{a}.v.weight", (inner, d), d ** -0.5), (f"{a}.o.weight", (d, inner), inner ** -0.5)]
        if i == 0:
            out.append((f"{a}.relative_attention_bias.weight", (c["relative_attention_num_buckets"], c["num_heads"]), d ** -0.5))
        out.append((f"encoder.block.{i}.layer.0.layer_norm.weight", (d,), None))
        f = f"encoder.block.{i}.layer.1.DenseReluDense"
        out += [(f"{f}.wi_0.weight", (dff, d), d ** -0.5), (f"{f}.wi_1.weight", (dff, d), d ** -0.5), (f"{f}.wo.weight", (d, dff), dff ** -0.5)]
        out.append((f"encoder.block.{i}.layer.1.layer_norm.weight", (d,), None))
    out.append(("encoder.final_layer_norm.weight", (d,), None))
    return out


def encode(values, dtype):
    if dtype == "f32":
        return values.astype("<f4").tobytes()
    if dtype == "f16":
        return values.astype("<f2").tobytes()
    bits = values.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2").tobytes()  # round to nearest even


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--preset", default="xxl", choices=sorted(PRESETS))
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    config = dict(vocab_size=32128, relative_attention_num_buckets=32, relative_attention_max_distance=128,
                  layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", dense_act_fn="gelu_new", is_gated_act=True,
                  model_type="t5", architectures=["T5EncoderModel"], **PRESETS[args.preset])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    st = {"bf16": "BF16", "f16": "F16", "f32": "F32"}[args.dtype]
    size = {"bf16": 2, "f16": 2, "f32": 4}[args.dtype]
    header, offset = {}, 0
    tensors = shapes(config)
    for name, shape, _ in tensors:
        n = int(np.prod(shape)) * size
        header[name] = {"dtype": st, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(args.seed)
    path = os.path.join(args.out, "model.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape, std in tensors:
            if std is None:
                values = 1.0 + 0.1 * rng.standard_normal(shape, dtype=np.float32)
            else:
                values = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
            f.write(encode(values, args.dtype))
    print(f"{path}: {offset / 1e9:.2f} GB of {st} weights ({args.preset})")


if __name__ == "__main__":
    main()
