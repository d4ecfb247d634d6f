#!/usr/bin/env python3
"""Tiny SD3- and Flux-shaped text stacks and what diffusers' and ComfyUI's own code make of prompts on them.

    /usr/bin/python3 scripts/sd3/make-sd3-flux-references.py --diffusers DIR --comfy DIR --vocab DIR

--diffusers / --comfy: folders holding the upstream files of scripts/sd3/sd3_originals.py at their pinned
commits (diffusers 58eb52c, ComfyUI a220d11; each file's sha256 is checked); --vocab: a folder with
the CLIP vocab.json and merges.txt (the bundled vocabulary, as packages/prompt/scripts take it).
Needs Debian's python3-torch 1.13, python3-numpy, python3-regex, python3-sentencepiece 0.1.97.

The stacks (CLIP widths 32 + 32 = 64, T5 width 80, so "the CLIP pair zero-padded to the T5 width"
pads 16 columns; the real widths are 768 + 1280 = 2048 and 4096):
  SD3:  text_encoder   = models/fixtures/models/sd1-tiny/text_model_with_projection (CLIP-L, quick_gelu, projection 24)
        text_encoder_2 = models/fixtures/models/sd2-tiny/text_model_with_projection (CLIP-G, gelu, pad "!", projection 16)
        text_encoder_3 = a new tiny T5 (gated-gelu, d_model 80), written to models/fixtures/sd3/text_encoder_3 (F16)
  Flux: text_encoder   = models/fixtures/models/sd1-tiny/text_model (CLIPTextModel)
        text_encoder_2 = another tiny T5 of that shape, models/fixtures/flux/text_encoder_2 (BF16)
  T5 tokenizer: models/fixtures/t5-tokenizer/t5-nobf (2000 Unigram pieces + 100 sentinels).

What runs, and what is a shim:
  - diffusers: StableDiffusion3Pipeline._get_t5_prompt_embeds / _get_clip_prompt_embeds /
    encode_prompt and FluxPipeline's three, compiled from the pinned files and run unchanged on an
    object holding the tiny stack (their module globals: torch, a logger whose warnings are
    recorded, and the LoRA mixins as empty classes: no LoRA is loaded).
  - ComfyUI: sd1_clip.py, sdxl_clip.py, text_encoders/sd3_clip.py and flux.py imported unchanged,
    except three literals of SD3ClipModel.encode_token_weights: the real widths 768 (CLIP-L), 1280
    (CLIP-G) and 4096 (T5) become the tiny stack's (recorded in the output). SDClipModel is a shim
    with its layer rules (last / hidden + layer_norm_hidden_state, projected or unprojected pooled)
    over the torch models below, as packages/prompt/scripts/make_sdxl_references.py does for SDXL.
  - transformers: CLIPTextModel(WithProjection) and CLIPTokenizer from packages/prompt/scripts (plain
    torch, checked against transformers' stored outputs there); T5EncoderModel from
    scripts/t5/make-t5-references.py (transformers 4.36's modeling_t5.py line by line); T5TokenizerFast
    by SentencePiece on the fixture's spiece.model (the prompts here are ASCII, where the slow and fast
    tokenizers give the same ids; the tests check ours against the recorded ids), its decode by the
    tokenizer.json's Metaspace decoder and transformers' clean_up_tokenization.

Weights are used as stored (the T5 files widened from F16 / BF16 to float32); everything computes in float32.
Writes models/fixtures/sd3/ and models/fixtures/flux/: the T5 folders, references.json (every case's
inputs, the warnings, the originals' files) and references.safetensors (the tensors, F32).
"""
import argparse
import ast
import importlib.util
import json
import logging
import os
import sys
import types

import numpy as np
import sentencepiece
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(REPO, "models", "fixtures")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "packages", "prompt", "scripts"))

from sd3_originals import COMFY, DIFFUSERS, read_pinned  # noqa: E402


def load_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


t5ref = load_path("make_t5_references", os.path.join(REPO, "scripts", "t5", "make-t5-references.py"))  # refuses another torch
from make_compel_references import MaskedCLIPTextModel  # noqa: E402
from make_conditioning_references import CLIPTokenizerShim  # noqa: E402

torch.set_grad_enabled(False)
torch.set_num_threads(1)

T5_WIDTH = 80
T5_CONFIGS = {
    # T5 v1.1 / XXL kind (gated gelu_new), vocab past the tokenizer's 2100 as T5-XXL's 32128 is past 32100.
    "sd3": dict(config=t5ref.T5Config(2128, T5_WIDTH, 16, 48, 2, 2, 32, 128, "gated-gelu"), seed=31, dtype="F16",
                folder=os.path.join(FIXTURES, "sd3", "text_encoder_3")),
    "flux": dict(config=t5ref.T5Config(2128, T5_WIDTH, 16, 48, 2, 2, 32, 128, "gated-gelu"), seed=32, dtype="BF16",
                 folder=os.path.join(FIXTURES, "flux", "text_encoder_2")),
}
T5_TOKENIZER = os.path.join(FIXTURES, "t5-tokenizer", "t5-nobf")
CLIP_L_PROJ = os.path.join(FIXTURES, "models", "sd1-tiny", "text_model_with_projection")
CLIP_L = os.path.join(FIXTURES, "models", "sd1-tiny", "text_model")
CLIP_G = os.path.join(FIXTURES, "models", "sd2-tiny", "text_model_with_projection")


# ----------------------------------------------------------------------------- models as transformers returns them

class HFOutput(dict):
    """transformers' ModelOutput: attribute access, and [i] over the fields that are set, in order."""

    def __getattr__(self, name):
        return self[name]

    def __getitem__(self, key):
        if isinstance(key, int):
            return [v for v in self.values() if v is not None][key]
        return dict.__getitem__(self, key)


class CLIP:
    """CLIPTextModel / CLIPTextModelWithProjection(input_ids, output_hidden_states) (transformers' math, see packages/prompt/scripts)."""

    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self, folder, projection):
        self.model = MaskedCLIPTextModel(folder)
        self.projection = self.model.w["text_projection.weight"] if projection == "stored" else None
        self.identity = projection == "identity"  # diffusers' single-file CLIP-L: text_projection = eye(hidden)
        self.width = self.model.config["hidden_size"]
        self.layers = self.model.config["num_hidden_layers"]

    def final_layer_norm(self, x):
        return self.model.text_model.final_layer_norm(x)

    def __call__(self, input_ids, output_hidden_states=False, **_):
        o = self.model(torch.as_tensor(input_ids), output_hidden_states=True)
        hidden = tuple(o.hidden_states)  # HF's: the embeddings, then each layer's output (the last before final_layer_norm)
        if self.projection is not None or self.identity:
            embeds = o.pooler_output @ self.projection.T if self.projection is not None else o.pooler_output @ torch.eye(self.width).T
            return HFOutput(text_embeds=embeds, last_hidden_state=o.last_hidden_state, hidden_states=hidden if output_hidden_states else None, pooler_output_unprojected=o.pooler_output)
        return HFOutput(last_hidden_state=o.last_hidden_state, pooler_output=o.pooler_output, hidden_states=hidden if output_hidden_states else None)


class T5:
    """T5EncoderModel(input_ids) with the weights of one stored file widened to float32."""

    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self, name):
        spec = T5_CONFIGS[name]
        self.config = spec["config"]
        model = t5ref.T5EncoderModel(self.config).eval()
        t5ref.init_weights(model, self.config, spec["seed"])
        state = {k: v for k, v in model.state_dict().items() if k != "encoder.embed_tokens.weight"}
        self.written, used = {}, {}
        for k, v in state.items():
            self.written[k], used[k] = t5ref.stored(v, spec["dtype"])
        model.load_state_dict({**used, "encoder.embed_tokens.weight": used["shared.weight"]})
        self.model = model

    def save(self, folder):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(self.config.to_json(), f, indent=2)
            f.write("\n")
        t5ref.write_safetensors(os.path.join(folder, "model.safetensors"), self.written, {"format": "pt"})

    def __call__(self, input_ids, output_hidden_states=False, **_):
        last, hidden = self.model(torch.as_tensor(input_ids).long())
        return HFOutput(last_hidden_state=last, hidden_states=hidden if output_hidden_states else None)


# ----------------------------------------------------------------------------- tokenizers as transformers runs them

def pt_or_dict(rows, return_tensors):
    if return_tensors == "pt":
        return types.SimpleNamespace(input_ids=torch.tensor(rows, dtype=torch.long))
    return {"input_ids": rows}


def pad_rows(rows, padding, max_length, pad_id):
    if padding == "max_length":
        return [r + [pad_id] * (max_length - len(r)) for r in rows]
    if padding == "longest" or padding is True:
        n = max(len(r) for r in rows)
        return [r + [pad_id] * (n - len(r)) for r in rows]
    return rows


class CLIPTokenizer(CLIPTokenizerShim):
    """transformers.CLIPTokenizer's __call__ (padding, truncation to max_length keeping BOS/EOS), on the shim's BPE."""

    model_max_length = 77

    def __init__(self, folder, pad_token_id=None):
        super().__init__(folder)
        self.pad_token_id = self.eos_token_id if pad_token_id is None else pad_token_id
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}

    def __call__(self, texts, padding=False, max_length=None, truncation=False, add_special_tokens=True, return_tensors=None, **_):
        one = isinstance(texts, str)
        rows = [self.ids(t) for t in ([texts] if one else texts)]
        if truncation:
            rows = [r[: max_length - 2] for r in rows]
        if add_special_tokens:
            rows = [[self.bos_token_id] + r + [self.eos_token_id] for r in rows]
        rows = pad_rows(rows, padding, max_length, self.pad_token_id)
        if one and return_tensors is None:
            return {"input_ids": rows[0]}
        return pt_or_dict(rows, return_tensors)

    def batch_decode(self, rows):
        """CLIPTokenizer.decode: tokens joined, bytes decoded, </w> as spaces, stripped (clean-up changes nothing on these)."""
        out = []
        for row in rows.tolist():
            text = "".join(self.decoder[i] for i in row)
            text = bytearray(self.byte_decoder[c] for c in text).decode("utf-8", errors="replace").replace("</w>", " ").strip()
            out.append(text)
        return out


class T5TokenizerFast:
    """The T5TokenizerFast calls the originals make, on the fixture's spiece.model (ASCII prompts) and tokenizer.json's vocabulary."""

    def __init__(self):
        self.sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(T5_TOKENIZER, "spiece.model"))
        with open(os.path.join(T5_TOKENIZER, "tokenizer.json"), encoding="utf-8") as f:
            spec = json.load(f)
        self.vocab = {piece: i for i, (piece, _) in enumerate(spec["model"]["vocab"])}
        for t in spec["added_tokens"]:
            self.vocab[t["content"]] = t["id"]
        self.pieces = {i: p for p, i in self.vocab.items()}
        self.eos, self.pad = self.vocab["</s>"], self.vocab["<pad>"]

    @classmethod
    def from_pretrained(cls, _path, **_):
        return cls()

    def get_vocab(self):
        return dict(self.vocab)

    def ids(self, text):
        if not all(ord(c) < 128 for c in text):
            raise SystemExit(f"the T5 shim covers ASCII prompts only: {text!r}")
        return self.sp.encode(text)

    def __call__(self, texts, padding=False, max_length=None, truncation=False, add_special_tokens=True, return_tensors=None, **_):
        one = isinstance(texts, str)
        rows = [self.ids(t) for t in ([texts] if one else texts)]
        if truncation:
            rows = [r[: max_length - 1] for r in rows]  # room for </s>
        if add_special_tokens:
            rows = [r + [self.eos] for r in rows]
        rows = pad_rows(rows, padding, max_length, self.pad)
        if one and return_tensors is None:
            return {"input_ids": rows[0]}
        return pt_or_dict(rows, return_tensors)

    def batch_decode(self, rows):
        """decode(skip_special_tokens=False): the Metaspace decoder (▁ -> space, the first token's dropped), then clean_up_tokenization."""
        out = []
        for row in rows.tolist():
            tokens = [self.pieces[i].replace("▁", " ") for i in row]
            if tokens and tokens[0].startswith(" "):
                tokens[0] = tokens[0][1:]
            text = "".join(tokens)
            for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
                text = text.replace(a, b)
            out.append(text)
        return out


# ----------------------------------------------------------------------------- diffusers' pipelines, run on the tiny stacks

class RecordingLogger:
    def __init__(self):
        self.messages = []

    def warning(self, message):
        self.messages.append(message)


def pipeline_class(root, path, class_name, methods, logger):
    text, record = read_pinned(root, DIFFUSERS, path)
    tree = ast.parse(text)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    namespace = {
        "torch": torch, "logger": logger, "USE_PEFT_BACKEND": False,
        "SD3LoraLoaderMixin": type("SD3LoraLoaderMixin", (), {}), "FluxLoraLoaderMixin": type("FluxLoraLoaderMixin", (), {}),
        "TextualInversionLoaderMixin": type("TextualInversionLoaderMixin", (), {}),
        "scale_lora_layers": None, "unscale_lora_layers": None,
    }
    body = {}
    for name in methods:
        node = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name)
        segment = ast.get_source_segment(text, node)
        source = "\n".join(line[4:] if line.startswith("    ") else line for line in segment.splitlines())
        local = {}
        exec(compile("from __future__ import annotations\n" + source, f"{path}:{class_name}.{name}", "exec"), namespace, local)
        body[name] = local[name]
    return type(class_name, (), body), record


def sd3_pipe(cls, t5, identity_l=False, vocab=None):
    pipe = cls()
    pipe.tokenizer = CLIPTokenizer(vocab)
    pipe.tokenizer_2 = CLIPTokenizer(vocab, pad_token_id=0)  # SD3's tokenizer_2 pads with "!"
    pipe.tokenizer_3 = T5TokenizerFast()
    pipe.text_encoder = CLIP(CLIP_L if identity_l else CLIP_L_PROJ, "identity" if identity_l else "stored")
    pipe.text_encoder_2 = CLIP(CLIP_G, "stored")
    pipe.text_encoder_3 = t5
    pipe.tokenizer_max_length = pipe.tokenizer.model_max_length
    pipe.transformer = types.SimpleNamespace(config=types.SimpleNamespace(joint_attention_dim=T5_WIDTH))
    pipe._execution_device = torch.device("cpu")
    return pipe


def flux_pipe(cls, t5, vocab):
    pipe = cls()
    pipe.tokenizer = CLIPTokenizer(vocab)
    pipe.tokenizer_2 = T5TokenizerFast()
    pipe.text_encoder = CLIP(CLIP_L, None)
    pipe.text_encoder_2 = t5
    pipe.tokenizer_max_length = pipe.tokenizer.model_max_length
    pipe.transformer = types.SimpleNamespace(config=types.SimpleNamespace(joint_attention_dim=T5_WIDTH), dtype=torch.float32)
    pipe._execution_device = torch.device("cpu")
    return pipe


LONG = ", ".join(f"a very detailed painting number {i} of a quiet harbor at dawn" for i in range(12))
LONG_T5 = " ".join(["masterpiece best quality detailed portrait of a woman in a garden"] * 30)

SD3_CASES = [
    # name, kwargs of encode_prompt, stack variant
    ("basic", dict(prompt="a photo of a cat", prompt_2=None, prompt_3=None), {}),
    ("batch_prompts23_negatives_n2_clipskip", dict(
        prompt=["a red fox in the snow", "an astronaut riding a horse"], prompt_2=["oil painting of a fox", ""],
        prompt_3=["a fox, photographed at night", "astronaut on the moon"], negative_prompt=["blurry", "ugly, deformed"],
        negative_prompt_3="low quality", num_images_per_prompt=2, clip_skip=1, max_sequence_length=32), {}),
    ("long_truncated", dict(prompt=LONG, prompt_2=None, prompt_3=None, negative_prompt="watermark", max_sequence_length=64), {}),
    ("no_guidance", dict(prompt="a lighthouse on a cliff", prompt_2=None, prompt_3=None, do_classifier_free_guidance=False), {}),
    ("no_t5", dict(prompt="a photo of a cat", prompt_2=None, prompt_3=None, negative_prompt="blurry", max_sequence_length=40), {"t5": False}),
    ("single_file_clip_l", dict(prompt="a photo of a cat", prompt_2=None, prompt_3=None, negative_prompt="blurry", max_sequence_length=48), {"identity_l": True}),
]

FLUX_CASES = [
    ("basic", dict(prompt="a photo of a cat", prompt_2=None)),
    ("batch_prompt2_n2", dict(prompt=["a red fox in the snow", "an astronaut riding a horse"], prompt_2=["a fox at night", "on the moon"],
                               num_images_per_prompt=2, max_sequence_length=64)),
    ("long_truncated", dict(prompt=LONG, prompt_2=LONG_T5, max_sequence_length=128)),
]


# ----------------------------------------------------------------------------- ComfyUI, imported unchanged

class WidthLiterals(ast.NodeTransformer):
    """SD3ClipModel.encode_token_weights' widths 768 / 1280 / 4096 as the tiny stack's."""

    def __init__(self, widths):
        self.widths = widths
        self.replaced = {}

    def visit_Constant(self, node):
        if type(node.value) is int and node.value in self.widths:
            self.replaced[node.value] = self.widths[node.value]
            return ast.copy_location(ast.Constant(self.widths[node.value]), node)
        return node


def load_comfy(root, vocab, models):
    records = []

    def module(name, path=None, attrs=None):
        m = types.ModuleType(name)
        parent, _, leaf = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], leaf, m)  # `import comfy.x` finds it as an attribute, as the import system would set it
        if path is not None:
            m.__path__ = [path]
        for k, v in (attrs or {}).items():
            setattr(m, k, v)
        sys.modules[name] = m
        return m

    module("transformers", attrs={"CLIPTokenizer": types.SimpleNamespace(from_pretrained=lambda _p, **_: CLIPTokenizer(vocab)),
                                  "T5TokenizerFast": T5TokenizerFast})
    module("comfy", os.path.join(root, "comfy"))
    module("comfy.text_encoders", os.path.join(root, "comfy", "text_encoders"))
    module("comfy.model_management", attrs={"intermediate_device": lambda: torch.device("cpu"), "pick_weight_dtype": lambda d, *_: d})
    module("comfy.ops", attrs={"manual_cast": None, "scaled_fp8_ops": None})
    module("comfy.clip_model", attrs={"CLIPTextModel": None})
    module("comfy.text_encoders.t5", attrs={"T5": None})

    def run_file(path, name, transform=None):
        text, record = read_pinned(root, COMFY, path)
        tree = ast.parse(text)
        if transform is not None:
            cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SD3ClipModel")
            fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "encode_token_weights")
            transform.visit(fn)
            ast.fix_missing_locations(tree)
        m = module(name)
        m.__file__ = os.path.join(root, path)
        m.__package__ = name.rpartition(".")[0]
        exec(compile(tree, m.__file__, "exec"), m.__dict__)
        records.append(record)
        return m

    sd1_clip = run_file("comfy/sd1_clip.py", "comfy.sd1_clip")

    class SDClipModel(torch.nn.Module, sd1_clip.ClipTokenWeightEncoder):
        """sd1_clip.SDClipModel's layer rules (__init__, set_clip_options, forward) over the torch models."""

        def __init__(self, device="cpu", max_length=77, freeze=True, layer="last", layer_idx=None, textmodel_json_config=None, dtype=None,
                     model_class=None, special_tokens={"start": 49406, "end": 49407, "pad": 49407}, layer_norm_hidden_state=True,
                     enable_attention_masks=False, zero_out_masked=False, return_projected_pooled=True, return_attention_masks=False, model_options={}):
            super().__init__()
            config = os.path.basename(textmodel_json_config or "sd1_clip_config.json")
            self.kind = "t5" if config.startswith("t5_config") else "g" if config == "clip_config_bigg.json" else "l"
            self.model = models[self.kind]
            self.num_layers = self.model.config.num_layers if self.kind == "t5" else self.model.layers
            self.special_tokens = special_tokens
            assert not (enable_attention_masks or zero_out_masked or return_attention_masks), "masks are off in the SD3/Flux defaults"
            self.layer, self.layer_idx = layer, None
            self.layer_norm_hidden_state = layer_norm_hidden_state
            self.return_projected_pooled = return_projected_pooled
            if layer == "hidden":
                # ComfyUI asserts abs(layer_idx) < num_layers: SD3's -2 on the real 12/32-layer CLIPs. On the
                # 2-layer tiny ones -2 is still hidden_states[-2], the penultimate layer's output.
                assert layer_idx is not None
                self.set_clip_options({"layer": layer_idx})
            self.options_default = (self.layer, self.layer_idx, self.return_projected_pooled)

        def set_clip_options(self, options):
            layer_idx = options.get("layer", self.layer_idx)
            self.return_projected_pooled = options.get("projected_pooled", self.return_projected_pooled)
            if layer_idx is None or abs(layer_idx) > self.num_layers:
                self.layer = "last"
            else:
                self.layer = "hidden"
                self.layer_idx = layer_idx

        def reset_clip_options(self):
            self.layer, self.layer_idx, self.return_projected_pooled = self.options_default

        def encode(self, tokens):
            ids = torch.LongTensor(tokens)
            if self.kind == "t5":
                assert self.layer == "last", "CLIPSetLastLayer on T5 is not among the cases"
                return self.model(ids)[0].float(), None
            o = self.model(ids, output_hidden_states=True)
            if self.layer == "last":
                z = o.last_hidden_state
            else:
                z = o.hidden_states[self.layer_idx]
                if self.layer_norm_hidden_state:
                    z = self.model.final_layer_norm(z)
            if "text_embeds" in o and self.return_projected_pooled:
                pooled = o.text_embeds
            else:
                pooled = o.get("pooler_output", o.get("pooler_output_unprojected"))
            return z.float(), pooled.float()

    sd1_clip.SDClipModel = SDClipModel
    run_file("comfy/sdxl_clip.py", "comfy.sdxl_clip")
    widths = WidthLiterals({768: models["l"].width, 1280: models["g"].width, 4096: models["t5"].config.d_model})
    sd3_clip = run_file("comfy/text_encoders/sd3_clip.py", "comfy.text_encoders.sd3_clip", widths)
    flux = run_file("comfy/text_encoders/flux.py", "comfy.text_encoders.flux")
    return sd3_clip, flux, records, {str(k): v for k, v in widths.replaced.items()}


COMFY_SD3_CASES = [
    # name, text, t5 present
    ("weights", "a (red:1.3) cat, (blurry:0.8) photo", True),
    ("plain", "a photo of a cat", True),
    ("nested_escapes", "a \\(literal\\) ((house:1.3)) (on) a (hill:0.5), sun", True),
    ("long", "(" + ", ".join(f"word{i} thing" for i in range(40)) + ":1.1), tail", True),
    ("empty", "", True),
    ("no_t5", "a (red:1.3) cat", False),
]
COMFY_FLUX_CASES = [
    ("weights", "a (red:1.3) cat, (blurry:0.8) photo"),
    ("plain", "a photo of a cat"),
    ("long", "(" + LONG_T5 + ":1.1) end"),
    ("empty", ""),
]


# ----------------------------------------------------------------------------- output

def main():
    ap = argparse.ArgumentParser()
    for a in ("--diffusers", "--comfy", "--vocab"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()

    t5s = {name: T5(name) for name in T5_CONFIGS}
    for name, t5 in t5s.items():
        t5.save(T5_CONFIGS[name]["folder"])

    logger = RecordingLogger()
    sd3_cls, sd3_record = pipeline_class(args.diffusers, "src/diffusers/pipelines/stable_diffusion_3/pipeline_stable_diffusion_3.py",
                                         "StableDiffusion3Pipeline", ["_get_t5_prompt_embeds", "_get_clip_prompt_embeds", "encode_prompt"], logger)
    flux_cls, flux_record = pipeline_class(args.diffusers, "src/diffusers/pipelines/flux/pipeline_flux.py",
                                           "FluxPipeline", ["_get_t5_prompt_embeds", "_get_clip_prompt_embeds", "encode_prompt"], logger)

    outputs = {"sd3": {}, "flux": {}}
    manifest = {"sd3": {"diffusers": [], "comfy": []}, "flux": {"diffusers": [], "comfy": []}}

    def tensor(stack, key, t):
        outputs[stack][key] = t.detach().to(torch.float32).contiguous()
        return key

    for name, kwargs, variant in SD3_CASES:
        pipe = sd3_pipe(sd3_cls, t5s["sd3"] if variant.get("t5", True) else None, variant.get("identity_l", False), args.vocab)
        logger.messages.clear()
        call = dict(device=torch.device("cpu"), **kwargs)
        pe, npe, pooled, npooled = pipe.encode_prompt(**call)
        case = {"name": name, "options": kwargs, "t5": variant.get("t5", True), "clipL": "identity projection" if variant.get("identity_l") else "stored projection",
                "warnings": list(logger.messages), "promptEmbeds": tensor("sd3", f"{name}.prompt_embeds", pe),
                "pooledPromptEmbeds": tensor("sd3", f"{name}.pooled_prompt_embeds", pooled)}
        if npe is not None:
            case["negativePromptEmbeds"] = tensor("sd3", f"{name}.negative_prompt_embeds", npe)
            case["negativePooledPromptEmbeds"] = tensor("sd3", f"{name}.negative_pooled_prompt_embeds", npooled)
        manifest["sd3"]["diffusers"].append(case)

    for name, kwargs in FLUX_CASES:
        pipe = flux_pipe(flux_cls, t5s["flux"], args.vocab)
        logger.messages.clear()
        pe, pooled, text_ids = pipe.encode_prompt(device=torch.device("cpu"), **kwargs)
        manifest["flux"]["diffusers"].append({
            "name": name, "options": kwargs, "warnings": list(logger.messages),
            "promptEmbeds": tensor("flux", f"{name}.prompt_embeds", pe), "pooledPromptEmbeds": tensor("flux", f"{name}.pooled_prompt_embeds", pooled),
            "textIds": tensor("flux", f"{name}.text_ids", text_ids)})

    # ComfyUI: CLIP-L unprojected in both (return_projected_pooled=False), CLIP-G projected.
    models = {"l": CLIP(CLIP_L_PROJ, "stored"), "g": CLIP(CLIP_G, "stored"), "t5": t5s["sd3"].model}
    models["t5"].config = t5s["sd3"].config
    sd3_clip, flux, comfy_records, replaced = load_comfy(args.comfy, args.vocab, models)
    for name, text, with_t5 in COMFY_SD3_CASES:
        tok = sd3_clip.SD3Tokenizer()
        pairs = tok.tokenize_with_weights(text)
        model = sd3_clip.SD3ClipModel(clip_l=True, clip_g=True, t5=with_t5)
        out, pooled, _extra = model.encode_token_weights(pairs)
        manifest["sd3"]["comfy"].append({
            "name": name, "text": text, "t5": with_t5,
            "tokenWeights": {k: [[[int(t), float(w)] for t, w in row] for row in pairs[k]] for k in ("l", "g", "t5xxl")},
            "cond": tensor("sd3", f"comfy.{name}.cond", out), "pooled": tensor("sd3", f"comfy.{name}.pooled", pooled)})
    models["l"] = CLIP(CLIP_L, None)
    models["t5"] = t5s["flux"].model
    models["t5"].config = t5s["flux"].config
    for name, text in COMFY_FLUX_CASES:
        tok = flux.FluxTokenizer()
        pairs = tok.tokenize_with_weights(text)
        out, pooled = flux.FluxClipModel().encode_token_weights(pairs)
        manifest["flux"]["comfy"].append({
            "name": name, "text": text,
            "tokenWeights": {k: [[[int(t), float(w)] for t, w in row] for row in pairs[k]] for k in ("l", "t5xxl")},
            "cond": tensor("flux", f"comfy.{name}.cond", out), "pooled": tensor("flux", f"comfy.{name}.pooled", pooled)})

    for stack, record in (("sd3", sd3_record), ("flux", flux_record)):
        folder = os.path.join(FIXTURES, stack)
        t5_folder = os.path.relpath(T5_CONFIGS[stack]["folder"], folder)
        meta = {
            "generator": "scripts/sd3/make-sd3-flux-references.py",
            "originals": [record, *comfy_records],
            "comfyWidthLiterals": replaced if stack == "sd3" else None,
            "stack": {
                "sd3": {"text_encoder": "models/sd1-tiny/text_model_with_projection", "text_encoder_2": "models/sd2-tiny/text_model_with_projection",
                        "text_encoder_3": f"sd3/{t5_folder}", "tokenizer_3": "t5-tokenizer/t5-nobf", "joint_attention_dim": T5_WIDTH},
                "flux": {"text_encoder": "models/sd1-tiny/text_model", "text_encoder_2": f"flux/{t5_folder}", "tokenizer_2": "t5-tokenizer/t5-nobf"},
            }[stack],
            **manifest[stack],
        }
        with open(os.path.join(folder, "references.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        t5ref.write_safetensors(os.path.join(folder, "references.safetensors"), {k: t5ref.f32(v) for k, v in outputs[stack].items()})
        size = sum(v.numel() for v in outputs[stack].values()) * 4
        print(f"{stack}: {len(outputs[stack])} tensors, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    main()
