#!/usr/bin/env python3
"""Reference prompt embeddings from the original front ends' own conditioning code.

    python3 scripts/make_conditioning_references.py --webui DIR --comfy DIR \
        --vocab DIR_WITH_vocab.json_AND_merges.txt --models ../../models/fixtures/models \
        > test/fixtures/conditioning.json

The originals run unchanged (webui modules/sd_hijack_clip.py @ 00e0938 + sd_emphasis.py @ f8391b8 +
prompt_parser.py @ 28bd8e1, ComfyUI comfy/sd1_clip.py @ 00728eb: hashed by originals.py before they
run, another version refused, the commits recorded in the output); what they would get from
transformers is supplied by shims here:
  - a CLIP tokenizer port (HF CLIPTokenizer's BPE; prompts here are ASCII, which ftfy leaves alone),
  - a CLIP text model in plain torch equal to HF CLIPTextModel (checked against the HF outputs in
    models/fixtures/models/*/outputs to 1e-5 before anything is written).
Needs python3-torch, python3-numpy, python3-regex, python3-lark (Debian 12's versions, checked).
"""
import argparse
import base64
import importlib
import json
import math
import os
import struct
import sys
import types

import numpy as np
import regex
import torch

torch.set_grad_enabled(False)

# ----------------------------------------------------------------------------- safetensors


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if info["dtype"] != "I64" else arr.copy())
    return out

# ----------------------------------------------------------------------------- CLIP text model (HF 4.36 math)


class CLIPTextModel:
    """transformers' CLIPTextModel forward, in plain torch (no dropout, causal mask, legacy argmax pooling)."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        self.w = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.text_model = types.SimpleNamespace(final_layer_norm=lambda x: self.layer_norm(x, "text_model.final_layer_norm"))

    def layer_norm(self, x, key):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], self.w[key + ".weight"], self.w[key + ".bias"], self.config["layer_norm_eps"])

    def linear(self, x, key):
        return torch.nn.functional.linear(x, self.w[key + ".weight"], self.w[key + ".bias"])

    def act(self, x):
        if self.config["hidden_act"] == "quick_gelu":
            return x * torch.sigmoid(1.702 * x)
        return torch.nn.functional.gelu(x)

    def __call__(self, input_ids, output_hidden_states=False, **_):
        ids = torch.as_tensor(input_ids).long()
        b, s = ids.shape
        c = self.config
        h = self.w["text_model.embeddings.token_embedding.weight"][ids] + self.w["text_model.embeddings.position_embedding.weight"][:s]
        mask = torch.full((s, s), torch.finfo(torch.float32).min).triu(1)
        heads = c["num_attention_heads"]
        dh = c["hidden_size"] // heads
        hidden_states = [h]
        for i in range(c["num_hidden_layers"]):
            p = f"text_model.encoder.layers.{i}."
            r = h
            x = self.layer_norm(h, p + "layer_norm1")
            q = (self.linear(x, p + "self_attn.q_proj") * dh ** -0.5).view(b, s, heads, dh).transpose(1, 2)
            k = self.linear(x, p + "self_attn.k_proj").view(b, s, heads, dh).transpose(1, 2)
            v = self.linear(x, p + "self_attn.v_proj").view(b, s, heads, dh).transpose(1, 2)
            a = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1) @ v
            h = r + self.linear(a.transpose(1, 2).reshape(b, s, -1), p + "self_attn.out_proj")
            r = h
            h = r + self.linear(self.act(self.linear(self.layer_norm(h, p + "layer_norm2"), p + "mlp.fc1")), p + "mlp.fc2")
            hidden_states.append(h)
        last = self.text_model.final_layer_norm(h)
        pooled = last[torch.arange(b), ids.argmax(dim=-1)]
        return types.SimpleNamespace(last_hidden_state=last, hidden_states=hidden_states, pooler_output=pooled)


def check_model(model, outputs_dir):
    g = read_safetensors(os.path.join(outputs_dir, "pad77.safetensors"))
    o = model(g["input_ids"])
    errs = [float((o.last_hidden_state - g["last_hidden_state"]).abs().max()),
            float((o.pooler_output - g["pooler_output"]).abs().max()),
            max(float((a - e).abs().max()) for a, e in zip(o.hidden_states, g["hidden_states"]))]
    if max(errs) > 1e-5:
        raise SystemExit(f"torch CLIP differs from HF outputs in {outputs_dir}: {errs}")
    return max(errs)

# ----------------------------------------------------------------------------- CLIP tokenizer (HF slow CLIPTokenizer)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class CLIPTokenizerShim:
    """The parts of transformers.CLIPTokenizer the originals call: __call__, get_vocab, bos/eos ids."""

    PAT = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)

    def __init__(self, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            merges = f.read().split("\n")[1:49152 - 256 - 2 + 1]
        self.ranks = {tuple(m.split()): i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.bos_token_id = self.encoder["<|startoftext|>"]
        self.eos_token_id = self.encoder["<|endoftext|>"]
        self.cache = {}

    @classmethod
    def from_pretrained(cls, folder):
        return cls(folder)

    def get_vocab(self):
        return dict(self.encoder)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            new, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    new.append(first + second)
                    i += 2
                else:
                    new.append(word[i])
                    i += 1
            word = tuple(new)
        self.cache[token] = word
        return word

    def ids(self, text):
        text = " ".join(text.split()).lower()  # whitespace_clean(fix_text(text)).lower() on ASCII
        out = []
        for tok in self.PAT.findall(text):
            if tok in ("<|startoftext|>", "<|endoftext|>"):
                out.append(self.encoder[tok])
                continue
            tok = "".join(self.byte_encoder[b] for b in tok.encode("utf-8"))
            out.extend(self.encoder[t] for t in self.bpe(tok))
        return out

    def __call__(self, texts, truncation=False, add_special_tokens=True, **_):
        one = isinstance(texts, str)
        rows = [self.ids(t) for t in ([texts] if one else texts)]
        if add_special_tokens:
            rows = [[self.bos_token_id] + r + [self.eos_token_id] for r in rows]
        return {"input_ids": rows[0] if one else rows}

# ----------------------------------------------------------------------------- the originals


def load_webui(root, opts):
    sys.path.insert(0, root)
    shared = types.ModuleType("modules.shared")
    shared.opts = opts
    devices = types.ModuleType("modules.devices")
    devices.device = torch.device("cpu")
    devices.torch_npu_set_device = lambda: None
    sd_hijack = types.ModuleType("modules.sd_hijack")
    sd_hijack.StableDiffusionModelHijack = object
    for name, mod in (("shared", shared), ("devices", devices), ("sd_hijack", sd_hijack)):
        sys.modules["modules." + name] = mod
    import modules
    for name, mod in (("shared", shared), ("devices", devices), ("sd_hijack", sd_hijack)):
        setattr(modules, name, mod)
    return importlib.import_module("modules.sd_hijack_clip"), importlib.import_module("modules.prompt_parser")


def load_comfy(root):
    sys.modules["transformers"] = types.SimpleNamespace(CLIPTokenizer=CLIPTokenizerShim)
    pkg = types.ModuleType("comfy")
    pkg.__path__ = [os.path.join(root, "comfy")]
    sys.modules["comfy"] = pkg
    mm = types.ModuleType("comfy.model_management")
    mm.intermediate_device = lambda: torch.device("cpu")
    sys.modules["comfy.model_management"] = mm
    # sd1_clip imports these for its own CLIP, which is not run here (part2_shims may have set them first).
    sys.modules.setdefault("comfy.ops", types.SimpleNamespace(manual_cast=None))
    sys.modules.setdefault("comfy.clip_model", types.SimpleNamespace(CLIPTextModel=object))
    return importlib.import_module("comfy.sd1_clip")


def f32(t):
    arr = t.detach().to(torch.float32).contiguous().numpy()
    return {"dims": list(arr.shape), "base64": base64.b64encode(arr.astype("<f4").tobytes()).decode("ascii")}


LONG_COMMAS = ", ".join(f"word{i} thing" for i in range(40))
LONG_PLAIN = " ".join(["masterpiece best quality detailed portrait of a woman in a garden"] * 12)
EMPH_LONG = "(" + ", ".join(f"red{i} flower" for i in range(30)) + ":1.2), [blurry background], " + ", ".join(f"tree{i}" for i in range(20))

A1111_CASES = [
    # (name, model, texts, clip_skip, sd2_pad)
    ("issue", "sd1-tiny", ["a (red:1.3) cat, [blurry] BREAK masterpiece"], 1, False),
    ("issue_sd2pad", "sd2-tiny", ["a (red:1.3) cat, [blurry] BREAK masterpiece"], 1, True),
    ("plain", "sd2-tiny", ["a photo of a cat"], 1, False),
    ("nested", "sd1-tiny", ["a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."], 1, False),
    ("clip_skip2", "sd1-tiny", ["a (red:1.3) cat, ((detailed)), [[blurry]]"], 2, False),
    ("long_commas", "sd1-tiny", [LONG_COMMAS], 1, False),
    ("long_plain", "sd2-tiny", [LONG_PLAIN], 1, True),
    ("long_emphasis", "sd1-tiny", [EMPH_LONG], 1, False),
    ("breaks", "sd2-tiny", ["BREAK a BREAK BREAK (b:0.5) BREAK"], 1, False),
    ("empty", "sd1-tiny", [""], 1, False),
    ("batch_fillers", "sd1-tiny", ["a (short:1.5) one", LONG_PLAIN, "mid, (length:0.8) BREAK prompt"], 1, False),
]

MULTICOND_CASES = [
    # (name, model, prompt, steps): webui's get_multicond_learned_conditioning, schedules and AND
    ("schedules_and", "sd1-tiny", "a [red:blue:0.5] (cat:1.2) AND a [dog|wolf] :0.7 AND [(a:1.3)::2] fox", 4),
]

COMFY_CASES = [
    # (name, model, text, layer_idx or None, pad_with_end)
    ("issue", "sd1-tiny", "a (red:1.3) cat, [blurry] BREAK masterpiece", None, True),
    ("nested", "sd1-tiny", "a ((house:1.3)) (on) a (hill:0.5), sun, (((sky)))", None, True),
    ("escapes", "sd2-tiny", "a \\(literal\\) (word:1.2) and (inner (deep:0.7) x:1.5)", None, False),
    ("plain", "sd2-tiny", "a photo of a cat", None, False),
    ("layer_m2", "sd1-tiny", "a (red:1.3) cat, (detailed)", -2, True),
    ("long_plain", "sd1-tiny", "(" + LONG_PLAIN + ":1.1)", None, True),
    ("long_words", "sd2-tiny", " ".join(["supercalifragilisticexpialidocious"] * 12) + " (end:1.4)", None, False),
    ("empty", "sd1-tiny", "", None, True),
]


class Opts(types.SimpleNamespace):
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webui", required=True)
    ap.add_argument("--comfy", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--models", required=True)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from originals import COMFY, WEBUI, check_files, require_python_packages
    ran = check_files({WEBUI: args.webui, COMFY: args.comfy}, [(WEBUI, "modules/prompt_parser.py"), (WEBUI, "modules/sd_hijack_clip.py"),
                                                             (WEBUI, "modules/sd_emphasis.py"), (COMFY, "comfy/sd1_clip.py")])
    versions = require_python_packages()

    tokenizer = CLIPTokenizerShim(args.vocab)
    models, model_check = {}, {}
    for name in ("sd1-tiny", "sd2-tiny"):
        models[name] = CLIPTextModel(os.path.join(args.models, name, "text_model"))
        model_check[name] = check_model(models[name], os.path.join(args.models, name, "outputs"))

    opts = Opts(emphasis="Original", comma_padding_backtrack=20, CLIP_stop_at_last_layers=1,
                use_old_emphasis_implementation=False, textual_inversion_add_hashes_to_infotext=False)
    sd_hijack_clip, prompt_parser = load_webui(args.webui, opts)

    class Embedder(sd_hijack_clip.FrozenCLIPEmbedderWithCustomWords):
        def encode_with_transformers(self, tokens):
            z = super().encode_with_transformers(tokens)
            z.pooled = self.wrapped.transformer(input_ids=tokens).pooler_output  # SDXL-style pooled, first chunk
            return z

    hijack = types.SimpleNamespace(fixes=None, extra_generation_params={},
                                   embedding_db=types.SimpleNamespace(find_embedding_at_position=lambda tokens, pos: (None, None)))
    a1111 = []
    for name, model, texts, clip_skip, sd2_pad in A1111_CASES:
        opts.CLIP_stop_at_last_layers = clip_skip
        wrapped = types.SimpleNamespace(tokenizer=tokenizer, transformer=models[model], return_pooled=True)
        embedder = Embedder(wrapped, hijack)
        if sd2_pad:
            embedder.id_pad = 0  # open_clip's pad, as webui's FrozenOpenCLIPEmbedderWithCustomWords sets it
        z, pooled = embedder.forward(texts)
        chunks, _ = embedder.process_texts(texts)
        a1111.append({"name": name, "model": model, "texts": texts, "clipSkip": clip_skip, "padTokenId": 0 if sd2_pad else None,
                      "chunkTokens": [[c.tokens for c in row] for row in chunks],
                      "chunkMultipliers": [[c.multipliers for c in row] for row in chunks],
                      "z": f32(z), "pooled": f32(pooled)})

    multicond = []
    for name, model, prompt, steps in MULTICOND_CASES:
        opts.CLIP_stop_at_last_layers = 1
        embedder = Embedder(types.SimpleNamespace(tokenizer=tokenizer, transformer=models[model], return_pooled=False), hijack)
        sd_model = types.SimpleNamespace(get_learned_conditioning=embedder.forward)
        c = prompt_parser.get_multicond_learned_conditioning(sd_model, [prompt], steps)
        multicond.append({"name": name, "model": model, "prompt": prompt, "steps": steps,
                          "parts": [{"weight": part.weight,
                                     "schedule": [{"endAtStep": s.end_at_step, "cond": f32(s.cond)} for s in part.schedules]}
                                    for part in c.batch[0]]})

    sd1_clip = load_comfy(args.comfy)

    class ComfyClip(sd1_clip.ClipTokenWeightEncoder):
        def __init__(self, model, special_tokens, layer_idx):
            self.model, self.special_tokens, self.layer_idx = model, special_tokens, layer_idx

        def encode(self, tokens):
            out = self.model(input_ids=tokens)
            # comfy: layer "hidden" runs final_layer_norm on the intermediate output (layer_norm_hidden_state=True)
            z = out.last_hidden_state if self.layer_idx is None else self.model.text_model.final_layer_norm(out.hidden_states[self.layer_idx])
            return z.float(), out.pooler_output.float()

    comfy = []
    for name, model, text, layer_idx, pad_with_end in COMFY_CASES:
        tok = sd1_clip.SDTokenizer(tokenizer_path=args.vocab, pad_with_end=pad_with_end)
        pairs = tok.tokenize_with_weights(text)
        special = {"start": 49406, "end": 49407, "pad": 49407 if pad_with_end else 0}
        z, pooled = ComfyClip(models[model], special, layer_idx).encode_token_weights(pairs)
        comfy.append({"name": name, "model": model, "text": text, "layerIdx": layer_idx, "padWithEnd": pad_with_end,
                      "tokenWeights": [[[t, w] for t, w in row] for row in pairs], "z": f32(z), "pooled": f32(pooled)})

    json.dump({"generator": "packages/prompt/scripts/make_conditioning_references.py", "originals": ran, "python": versions,
               "torchModelMaxErrVsHF": model_check, "a1111": a1111, "a1111Multicond": multicond, "comfy": comfy}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
