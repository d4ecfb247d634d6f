"""What webui and ComfyUI get from transformers, ldm, sgm and ComfyUI's own CLIP, for the part-2 references.

Built on make_conditioning_references.py's torch CLIP (checked against Hugging Face's stored
outputs): here its token lookup is a module that the originals can wrap (webui's
EmbeddingsWithFixes) or replace (ComfyUI's set_up_textual_embeddings), checked again to give the
same outputs. Nothing here decides what the references test: webui's and ComfyUI's code does.
The originals are the versions pinned in originals.py (another is refused), as are the Python packages.
"""
import importlib
import os
import shutil
import sys
import tempfile
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_conditioning_references import CLIPTextModel, CLIPTokenizerShim, check_model, load_comfy, load_webui, read_safetensors  # noqa: E402
from make_sdxl_references import WithProjection, check_projection  # noqa: E402
from originals import COMFY, WEBUI, check_files, load_definitions, require_python_packages  # noqa: E402

torch.set_grad_enabled(False)


class LookupCLIP(CLIPTextModel):
    """transformers' CLIPTextModel whose token lookup is `text_model.embeddings.token_embedding`, a module."""

    device = torch.device("cpu")
    dtype = torch.float32

    def __init__(self, folder):
        super().__init__(folder)
        self.table = torch.nn.Embedding(*self.w["text_model.embeddings.token_embedding.weight"].shape)
        self.table.weight.data = self.w["text_model.embeddings.token_embedding.weight"].clone()
        self.text_model.embeddings = types.SimpleNamespace(token_embedding=self.table)

    def __call__(self, input_ids, output_hidden_states=False, lookup=None, **_):
        ids = torch.as_tensor(input_ids).long()
        b, s = ids.shape
        c = self.config
        tokens = (lookup if lookup is not None else self.text_model.embeddings.token_embedding)(ids)
        h = tokens + self.w["text_model.embeddings.position_embedding.weight"][:s]
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
        out = types.SimpleNamespace(last_hidden_state=last, hidden_states=hidden_states, pooler_output=pooled)
        if "text_projection.weight" in self.w:
            out.text_embeds = pooled @ self.w["text_projection.weight"].T
        return out


def load_models(models_dir):
    """The tiny models, each checked against Hugging Face's outputs with the lookup as a module."""
    models, checks = {}, {}
    for name, variant in (("sd1-tiny", "text_model"), ("sd2-tiny", "text_model"), ("sd2-tiny-proj", "text_model_with_projection")):
        folder = os.path.join(models_dir, name.replace("-proj", ""), variant)
        model = LookupCLIP(folder)
        checks[name] = check_model(model, os.path.join(models_dir, name.replace("-proj", ""), "outputs"))
        models[name] = model
    checks["sd2-tiny-proj text_embeds"] = check_projection(WithProjection(models["sd2-tiny-proj"]), os.path.join(models_dir, "sd2-tiny", "outputs"))
    return models, checks


def safetensors_module():
    """`safetensors.torch.load_file`, what the originals read .safetensors embeddings with."""
    st = types.ModuleType("safetensors")
    st.torch = types.SimpleNamespace(load_file=lambda path, device="cpu": read_safetensors(path))
    sys.modules["safetensors"], sys.modules["safetensors.torch"] = st, st.torch
    return st


class Opts(types.SimpleNamespace):
    pass


class WebuiTokenizer(CLIPTokenizerShim):
    """The transformers CLIPTokenizer calls webui makes, `return_tensors="pt"` included (encode_embedding_init_text)."""

    def __call__(self, texts, truncation=False, add_special_tokens=True, max_length=None, return_tensors=None, **_):
        out = super().__call__(texts, truncation=truncation, add_special_tokens=add_special_tokens)
        if return_tensors == "pt":
            rows = [out["input_ids"]] if isinstance(texts, str) else out["input_ids"]
            out["input_ids"] = torch.tensor([r[:max_length] if max_length else r for r in rows])
        return out


def webui(root, vocab_dir):
    """webui's modules (pinned versions), loaded with the stubs of make_conditioning_references.load_webui."""
    require_python_packages()
    ran = check_files({WEBUI: root}, [(WEBUI, p) for p in ("modules/prompt_parser.py", "modules/sd_hijack_clip.py", "modules/sd_emphasis.py", "modules/sd_hijack_open_clip.py")])
    opts = Opts(emphasis="Original", comma_padding_backtrack=20, CLIP_stop_at_last_layers=1, sdxl_clip_l_skip=False,
                use_old_emphasis_implementation=False, textual_inversion_add_hashes_to_infotext=False, pad_cond_uncond=False,
                pad_cond_uncond_v0=False, sdxl_refiner_low_aesthetic_score=2.5, sdxl_refiner_high_aesthetic_score=6.0,
                sdxl_crop_top=0, sdxl_crop_left=0, textual_inversion_print_at_load=False)
    vocab = WebuiTokenizer(vocab_dir)
    open_clip = types.ModuleType("open_clip")
    open_clip.tokenizer = types.SimpleNamespace(_tokenizer=types.SimpleNamespace(
        encoder={**vocab.encoder, "<start_of_text>": vocab.bos_token_id, "<end_of_text>": vocab.eos_token_id}, encode=vocab.ids))
    sys.modules["open_clip"], sys.modules["open_clip.tokenizer"] = open_clip, open_clip.tokenizer
    sd_hijack_clip, prompt_parser = load_webui(root, opts)
    devices = sys.modules["modules.devices"]
    devices.cond_cast_unet = lambda x: x
    devices.dtype_inference = torch.float32
    sd_hijack_open_clip = importlib.import_module("modules.sd_hijack_open_clip")
    shared = sys.modules["modules.shared"]
    ns = {"torch": torch, "os": os, "shared": shared, "devices": devices, "prompt_parser": prompt_parser,
          "safetensors": safetensors_module(), "hashes": types.SimpleNamespace(sha256=lambda *a, **k: None),
          "errors": types.SimpleNamespace(report=lambda message, exc_info=False: (_ for _ in ()).throw(RuntimeError(message)))}
    ran += load_definitions(root, WEBUI, "modules/textual_inversion/textual_inversion.py", ["Embedding", "DirWithTextualInversionEmbeddings", "EmbeddingDatabase"], ns)
    ran += load_definitions(root, WEBUI, "modules/sd_hijack.py", ["EmbeddingsWithFixes"], ns)
    ran += load_definitions(root, WEBUI, "modules/sd_models_xl.py", ["get_learned_conditioning"], ns)
    ran += load_definitions(root, WEBUI, "modules/sd_samplers_cfg_denoiser.py", ["pad_cond", "CFGDenoiser.pad_cond_uncond"], ns)
    return types.SimpleNamespace(opts=opts, vocab=vocab, shared=shared, sd_hijack_clip=sd_hijack_clip, sd_hijack_open_clip=sd_hijack_open_clip,
                                 prompt_parser=prompt_parser, ns=ns, ran=ran)


class Hijack(types.SimpleNamespace):
    """The parts of webui's StableDiffusionModelHijack the embedders read: fixes, embedding_db."""


def webui_model(w, models, kind, embedding_db=None):
    """A webui sd_model for `kind` ('sd1', 'sd2', 'sdxl'): its hijacked cond_stage_model and get_learned_conditioning.

    The token lookups are wrapped in webui's EmbeddingsWithFixes, as sd_hijack.hijack does."""
    hijack = Hijack(fixes=None, extra_generation_params={}, comments=[],
                    embedding_db=embedding_db or types.SimpleNamespace(find_embedding_at_position=lambda tokens, pos: (None, None)))
    Fixes = w.ns["EmbeddingsWithFixes"]

    def wrapped_lookup(model):
        model.text_model.embeddings.token_embedding = Fixes(model.table, hijack)
        return model

    if kind == "sd1":
        clip = wrapped_lookup(models["sd1-tiny"])
        cond = w.sd_hijack_clip.FrozenCLIPEmbedderWithCustomWords(types.SimpleNamespace(tokenizer=w.vocab, transformer=clip), hijack)
        model = types.SimpleNamespace(cond_stage_model=cond, get_learned_conditioning=cond.forward)
    elif kind == "sd2":
        # ldm's FrozenOpenCLIPEmbedder(layer="penultimate") runs every block but OpenCLIP's last, then ln_final: the
        # diffusers-layout model (which dropped that block) with its final norm.
        clip = wrapped_lookup(models["sd2-tiny"])
        wrapped = types.SimpleNamespace(model=types.SimpleNamespace(token_embedding=clip.text_model.embeddings.token_embedding),
                                        encode_with_transformer=lambda tokens: clip(tokens).last_hidden_state)
        cond = w.sd_hijack_open_clip.FrozenOpenCLIPEmbedderWithCustomWords(wrapped, hijack)
        model = types.SimpleNamespace(cond_stage_model=cond, get_learned_conditioning=cond.forward)
    else:
        l_model, g_model = wrapped_lookup(models["sd1-tiny"]), wrapped_lookup(models["sd2-tiny-proj"])

        def open_clip2_encode(tokens):  # sgm FrozenOpenCLIPEmbedder2.encode_with_transformer, legacy=False
            o = g_model(tokens, output_hidden_states=True)
            return {"penultimate": o.hidden_states[-2], "last": o.hidden_states[-1], "pooled": o.text_embeds}

        wrapped_l = types.SimpleNamespace(tokenizer=w.vocab, transformer=l_model, layer="hidden", layer_idx=-2, return_pooled=False)
        wrapped_g = types.SimpleNamespace(encode_with_transformer=open_clip2_encode, layer="penultimate", return_pooled=True)
        embedders = [w.sd_hijack_clip.FrozenCLIPEmbedderForSDXLWithCustomWords(wrapped_l, hijack),
                     w.sd_hijack_open_clip.FrozenOpenCLIPEmbedder2WithCustomWords(wrapped_g, hijack)]

        def conditioner(batch, force_zero_embeddings=()):  # sgm GeneralConditioner.forward, its text embedders
            output = {}
            for embedder in embedders:
                emb_out = embedder(batch[embedder.input_key])
                for emb in (emb_out if isinstance(emb_out, (list, tuple)) else [emb_out]):
                    if embedder.input_key in force_zero_embeddings:
                        emb = torch.zeros_like(emb)
                    key = {2: "vector", 3: "crossattn"}[emb.dim()]
                    output[key] = torch.cat((output[key], emb), {"vector": 1, "crossattn": 2}[key]) if key in output else emb
            return output

        call = types.SimpleNamespace(conditioner=_Callable(conditioner, embedders))
        model = types.SimpleNamespace(cond_stage_model=embedders[0], get_learned_conditioning=lambda batch: w.ns["get_learned_conditioning"](call, batch))
    model.hijack = hijack
    empty = model.get_learned_conditioning([""])
    model.cond_stage_model_empty_prompt = empty["crossattn"] if isinstance(empty, dict) else empty  # sd_models.get_empty_cond
    return model


class _Callable:
    def __init__(self, fn, embedders):
        self.fn, self.embedders = fn, embedders

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def comfy(root, vocab_dir, models):
    """ComfyUI's sd1_clip / sd2_clip (pinned versions), copied to a temporary folder beside the config files
    the CLIP shim reads (ComfyUI's own sd2_clip_config.json describes ViT-H: here, the tiny model)."""
    ran = check_files({COMFY: root}, [(COMFY, "comfy/sd1_clip.py"), (COMFY, "comfy/sd2_clip.py")])
    work = tempfile.mkdtemp(prefix="sdtext-comfy-")
    os.makedirs(os.path.join(work, "comfy"))
    for name in ("sd1_clip.py", "sd2_clip.py"):
        shutil.copy(os.path.join(root, "comfy", name), os.path.join(work, "comfy", name))
    for name, model, extra in (("sd1_clip_config.json", "sd1-tiny", 0), ("sd2_clip_config.json", "sd2-tiny", 1)):
        with open(os.path.join(work, "comfy", name), "w") as f:
            f.write('{"sdtext_model": "%s", "dropped_last_blocks": %d}' % (model, extra))
    os.symlink(os.path.abspath(vocab_dir), os.path.join(work, "comfy", "sd1_tokenizer"))
    sys.modules["comfy.ops"] = types.SimpleNamespace(manual_cast=None)
    sys.modules["comfy.clip_model"] = types.SimpleNamespace(CLIPTextModel=comfy_transformer(models))  # SDClipModel's default model_class
    sd1_clip = load_comfy(work)
    sd2_clip = importlib.import_module("comfy.sd2_clip")
    safetensors_module()
    return types.SimpleNamespace(sd1_clip=sd1_clip, sd2_clip=sd2_clip, dir=work, ran=ran)


def comfy_transformer(models):
    """comfy.clip_model.CLIPTextModel's interface over the torch CLIP: (tokens, attention_mask,
    intermediate_output, final_layer_norm_intermediate) -> (x, intermediate, projected pooled, pooled),
    get/set_input_embeddings, num_layers. SD 2.x is OpenCLIP's full tower in ComfyUI: one block more than
    the diffusers layout holds, so the last block (and "last" itself) is out of reach and raises."""

    class ComfyCLIP(torch.nn.Module):
        def __init__(self, config, dtype, device, operations):
            super().__init__()
            self.clip = models[config["sdtext_model"]]
            self.dropped = config["dropped_last_blocks"]
            self.num_layers = self.clip.config["num_hidden_layers"] + self.dropped
            self.token_embedding = self.clip.table

        def get_input_embeddings(self):
            return self.token_embedding

        def set_input_embeddings(self, embeddings):
            self.token_embedding = embeddings

        def forward(self, tokens, attention_mask=None, intermediate_output=None, final_layer_norm_intermediate=True):
            o = self.clip(tokens, output_hidden_states=True, lookup=self.token_embedding)
            nan = torch.full_like(o.last_hidden_state, float("nan"))
            x = nan if self.dropped else o.last_hidden_state
            i = None
            if intermediate_output is not None:
                index = intermediate_output + self.num_layers if intermediate_output < 0 else intermediate_output
                if index >= self.clip.config["num_hidden_layers"]:
                    raise ValueError(f"layer {intermediate_output} is the block the diffusers layout dropped")
                i = o.hidden_states[index + 1]
                if final_layer_norm_intermediate:
                    i = self.clip.text_model.final_layer_norm(i)
            pooled = x[torch.arange(x.shape[0]), tokens.to(dtype=torch.int).argmax(dim=-1)]
            return x, i, pooled, pooled

    return ComfyCLIP
