#!/usr/bin/env python3
"""A folder of textual inversion files as A1111 and ComfyUI users keep them, for the tiny models (32 wide).

    /usr/bin/python3 scripts/make_embedding_fixtures.py test/fixtures/embeddings

Seeded random vectors in the formats people download: a civitai file whose only key is
`emb_params` (easynegative.safetensors), webui's own .pt (string_to_param, with a `name` that is
not the file's), a one-vector diffusers .bin in a nested folder, two names where one is a prefix of
the other (bad / bad-hands: webui matches the longest first), a 70-vector embedding (crosses a
75-token chunk), and an SDXL file (clip_l + clip_g).
Upstream: none; seeded torch 1.13 (Debian 12, pinned in originals.py) writes the formats webui's
textual_inversion.py and ComfyUI's load_embed read (make_embedding_references.py runs those).
"""
import json
import os
import struct
import sys

import torch


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from originals import require_python_packages
    require_python_packages(("python", "torch"))
    out = sys.argv[1]
    g = torch.Generator().manual_seed(21)
    vec = lambda *shape: torch.randn(*shape, generator=g) * 0.6  # noqa: E731 -- the tiny models' token rows are of this size
    os.makedirs(os.path.join(out, "styles"), exist_ok=True)
    os.makedirs(os.path.join(out, "sub", "deep"), exist_ok=True)
    os.makedirs(os.path.join(out, "sdxl"), exist_ok=True)
    write_safetensors(os.path.join(out, "easynegative.safetensors"), {"emb_params": vec(3, 32)})
    torch.save({"string_to_token": {"*": 265}, "string_to_param": {"*": vec(2, 32)}, "name": "watercolor-v2", "step": 1500},
               os.path.join(out, "styles", "watercolor.pt"))
    torch.save({"<neg-hands>": vec(32)}, os.path.join(out, "sub", "deep", "neg-hands.bin"))
    write_safetensors(os.path.join(out, "bad.safetensors"), {"emb_params": vec(1, 32)})
    write_safetensors(os.path.join(out, "bad-hands.safetensors"), {"emb_params": vec(2, 32)})
    write_safetensors(os.path.join(out, "longvec.safetensors"), {"emb_params": vec(70, 32)})
    write_safetensors(os.path.join(out, "sdxl", "xl-style.safetensors"), {"clip_g": vec(2, 32), "clip_l": vec(2, 32)})


if __name__ == "__main__":
    main()
