#!/usr/bin/env python3
"""Tiny random T5 encoders and their reference outputs: transformers' T5EncoderModel, followed line by line in torch.

    /usr/bin/python3 scripts/t5/make-t5-references.py     # Debian's python3-torch 1.13 and python3-numpy

transformers cannot be installed here (no PyPI), so this follows transformers v4.36.0's
src/transformers/models/t5/modeling_t5.py and activations.py (the release the CLIP fixtures were
made with, commit 815ea8e8a23a per models/fixtures/README.md; the T5 text was read at
huggingface/transformers@6b8b757dfcb582379a64f013cdce46c43629f2b0, whose encoder path is the
same): T5EncoderModel, T5Stack, T5Block, T5LayerSelfAttention, T5Attention (with
_relative_position_bucket and compute_bias), T5LayerFF, T5DenseActDense, T5DenseGatedActDense,
T5LayerNorm and NewGELUActivation, in eval mode (dropout is the identity), float32.

Writes models/fixtures/t5/:
- <model>/config.json and model.safetensors (F32), model.fp16.safetensors (F16),
  model.bf16.safetensors (BF16) in HF's key layout (shared.weight; no encoder.embed_tokens.weight,
  as save_pretrained drops the tied copy), plus for t5-relu-b model.fp8.safetensors (every tensor
  F8_E4M3, unscaled) and for t5-gated-a a ComfyUI-style single file
  t5-gated-a_fp8_e4m3fn_scaled.safetensors (Linear weights F8_E4M3 with per-layer scale_weight and
  scale_input, the "scaled_fp8" marker, everything else F16; no config.json of its own);
- <model>/outputs/<case>.safetensors: input_ids, attention_mask (I64, masked cases) and per
  weight file <dtype>.last_hidden_state [B, S, d_model] and <dtype>.hidden_states
  [layers + 1, B, S, d_model] (HF's hidden_states: each block's input, then the final norm's
  output), computed from that file's weights widened to float32 (scaled fp8: weight * scale);
- buckets.json: HF's _relative_position_bucket (bidirectional) for relative positions -600..600
  under several (num_buckets, max_distance), as torch computes it (float32 log, .to(long)).

Refuses to run on another torch than the one the fixtures were made with (float rounding of the
references depends on it).
"""
import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn

TORCH_VERSION = "1.13.0a0"  # Debian bookworm's python3-torch
if torch.__version__ != TORCH_VERSION:
    raise SystemExit(f"made with torch {TORCH_VERSION}; this is torch {torch.__version__}: the references would change")

torch.set_num_threads(1)  # one summation order
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "fixtures", "t5")


# --- transformers v4.36.0 activations.py -------------------------------------------------------

class NewGELUActivation(nn.Module):
    def forward(self, input):
        return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))


class GELUActivation(nn.Module):
    def forward(self, input):
        return nn.functional.gelu(input)


ACT2FN = {"relu": nn.ReLU, "gelu": GELUActivation, "gelu_new": NewGELUActivation}


# --- transformers v4.36.0 configuration_t5.py (the fields the encoder uses) ----------------------

class T5Config:
    def __init__(self, vocab_size, d_model, d_kv, d_ff, num_layers, num_heads, relative_attention_num_buckets,
                 relative_attention_max_distance, feed_forward_proj, layer_norm_epsilon=1e-6):
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.d_kv = d_kv
        self.d_ff = d_ff
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.relative_attention_num_buckets = relative_attention_num_buckets
        self.relative_attention_max_distance = relative_attention_max_distance
        self.dropout_rate = 0.1
        self.layer_norm_epsilon = layer_norm_epsilon
        self.feed_forward_proj = feed_forward_proj
        self.is_decoder = False
        act_info = self.feed_forward_proj.split("-")
        self.dense_act_fn = act_info[-1]
        self.is_gated_act = act_info[0] == "gated"
        if feed_forward_proj == "gated-gelu":
            self.dense_act_fn = "gelu_new"

    def to_json(self):
        return {
            "architectures": ["T5EncoderModel"], "model_type": "t5", "vocab_size": self.vocab_size, "d_model": self.d_model,
            "d_kv": self.d_kv, "d_ff": self.d_ff, "num_layers": self.num_layers, "num_decoder_layers": self.num_layers,
            "num_heads": self.num_heads, "relative_attention_num_buckets": self.relative_attention_num_buckets,
            "relative_attention_max_distance": self.relative_attention_max_distance, "dropout_rate": self.dropout_rate,
            "layer_norm_epsilon": self.layer_norm_epsilon, "initializer_factor": 1.0, "feed_forward_proj": self.feed_forward_proj,
            "dense_act_fn": self.dense_act_fn, "is_gated_act": self.is_gated_act, "is_encoder_decoder": True,
            "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0, "tie_word_embeddings": False,
            "torch_dtype": "float32", "transformers_version": "4.36.0", "use_cache": True,
        }


# --- transformers v4.36.0 modeling_t5.py ---------------------------------------------------------

class T5LayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in [torch.float16, torch.bfloat16]:
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class T5DenseActDense(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = ACT2FN[config.dense_act_fn]()

    def forward(self, hidden_states):
        hidden_states = self.wi(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.dropout(hidden_states)
        if isinstance(self.wo.weight, torch.Tensor) and hidden_states.dtype != self.wo.weight.dtype and self.wo.weight.dtype != torch.int8:
            hidden_states = hidden_states.to(self.wo.weight.dtype)
        hidden_states = self.wo(hidden_states)
        return hidden_states


class T5DenseGatedActDense(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = ACT2FN[config.dense_act_fn]()

    def forward(self, hidden_states):
        hidden_gelu = self.act(self.wi_0(hidden_states))
        hidden_linear = self.wi_1(hidden_states)
        hidden_states = hidden_gelu * hidden_linear
        hidden_states = self.dropout(hidden_states)
        if isinstance(self.wo.weight, torch.Tensor) and hidden_states.dtype != self.wo.weight.dtype and self.wo.weight.dtype != torch.int8:
            hidden_states = hidden_states.to(self.wo.weight.dtype)
        hidden_states = self.wo(hidden_states)
        return hidden_states


class T5LayerFF(nn.Module):
    def __init__(self, config):
        super().__init__()
        if config.is_gated_act:
            self.DenseReluDense = T5DenseGatedActDense(config)
        else:
            self.DenseReluDense = T5DenseActDense(config)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, hidden_states):
        forwarded_states = self.layer_norm(hidden_states)
        forwarded_states = self.DenseReluDense(forwarded_states)
        hidden_states = hidden_states + self.dropout(forwarded_states)
        return hidden_states


class T5Attention(nn.Module):
    def __init__(self, config, has_relative_attention_bias=False):
        super().__init__()
        self.is_decoder = config.is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.relative_attention_num_buckets = config.relative_attention_num_buckets
        self.relative_attention_max_distance = config.relative_attention_max_distance
        self.d_model = config.d_model
        self.key_value_proj_dim = config.d_kv
        self.n_heads = config.num_heads
        self.dropout = config.dropout_rate
        self.inner_dim = self.n_heads * self.key_value_proj_dim
        # Mesh TensorFlow initialization to avoid scaling before softmax
        self.q = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, self.d_model, bias=False)
        if self.has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.relative_attention_num_buckets, self.n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        # now relative_position is in the range [0, inf)

        # half of the buckets are for exact increments in positions
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact

        # The other half of the buckets are for logarithmically bigger bins in positions up to max_distance
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
        )

        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        """Compute binned relative position bias"""
        if device is None:
            device = self.relative_attention_bias.weight.device
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position  # shape (query_length, key_length)
        relative_position_bucket = self._relative_position_bucket(
            relative_position,  # shape (query_length, key_length)
            bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)  # shape (query_length, key_length, num_heads)
        values = values.permute([2, 0, 1]).unsqueeze(0)  # shape (1, num_heads, query_length, key_length)
        return values

    def forward(self, hidden_states, mask=None, position_bias=None):
        # Input is (batch_size, seq_length, dim); mask is (batch_size, 1, 1, key_length) for the encoder
        batch_size, seq_length = hidden_states.shape[:2]
        real_seq_length = seq_length
        key_length = real_seq_length

        def shape(states):
            """projection"""
            return states.view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)

        def unshape(states):
            """reshape"""
            return states.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)

        query_states = shape(self.q(hidden_states))  # (batch_size, n_heads, seq_length, dim_per_head)
        key_states = shape(self.k(hidden_states))
        value_states = shape(self.v(hidden_states))

        # compute scores
        scores = torch.matmul(query_states, key_states.transpose(3, 2))  # equivalent of torch.einsum("bnqd,bnkd->bnqk", query_states, key_states), compatible with onnx op>9

        if position_bias is None:
            if not self.has_relative_attention_bias:
                position_bias = torch.zeros((1, self.n_heads, real_seq_length, key_length), device=scores.device, dtype=scores.dtype)
            else:
                position_bias = self.compute_bias(real_seq_length, key_length, device=scores.device)

            if mask is not None:
                position_bias = position_bias + mask  # (batch_size, n_heads, seq_length, key_length)

        position_bias_masked = position_bias
        scores += position_bias_masked
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)  # (batch_size, n_heads, seq_length, key_length)
        attn_weights = nn.functional.dropout(attn_weights, p=self.dropout, training=self.training)

        attn_output = unshape(torch.matmul(attn_weights, value_states))  # (batch_size, seq_length, dim)
        attn_output = self.o(attn_output)

        outputs = (attn_output,) + (None,) + (position_bias,)
        return outputs


class T5LayerSelfAttention(nn.Module):
    def __init__(self, config, has_relative_attention_bias=False):
        super().__init__()
        self.SelfAttention = T5Attention(config, has_relative_attention_bias=has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, hidden_states, attention_mask=None, position_bias=None):
        normed_hidden_states = self.layer_norm(hidden_states)
        attention_output = self.SelfAttention(normed_hidden_states, mask=attention_mask, position_bias=position_bias)
        hidden_states = hidden_states + self.dropout(attention_output[0])
        outputs = (hidden_states,) + attention_output[1:]  # add attentions if we output them
        return outputs


class T5Block(nn.Module):
    def __init__(self, config, has_relative_attention_bias=False):
        super().__init__()
        self.layer = nn.ModuleList()
        self.layer.append(T5LayerSelfAttention(config, has_relative_attention_bias=has_relative_attention_bias))
        self.layer.append(T5LayerFF(config))

    def forward(self, hidden_states, attention_mask=None, position_bias=None):
        self_attention_outputs = self.layer[0](hidden_states, attention_mask=attention_mask, position_bias=position_bias)
        hidden_states, present_key_value_state = self_attention_outputs[:2]
        attention_outputs = self_attention_outputs[2:]  # Keep self-attention outputs and relative position weights
        # (the float16 clamp does not apply: float32)
        hidden_states = self.layer[-1](hidden_states)
        outputs = (hidden_states,)
        outputs = outputs + (present_key_value_state,) + attention_outputs
        return outputs  # hidden-states, present_key_value_states, (self-attention position bias)


class T5Stack(nn.Module):
    def __init__(self, config, embed_tokens=None):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.block = nn.ModuleList([T5Block(config, has_relative_attention_bias=bool(i == 0)) for i in range(config.num_layers)])
        self.final_layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, input_ids, attention_mask=None, output_hidden_states=True):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        inputs_embeds = self.embed_tokens(input_ids)
        batch_size, seq_length = input_shape
        mask_seq_length = seq_length
        if attention_mask is None:
            attention_mask = torch.ones(batch_size, mask_seq_length, device=inputs_embeds.device)
        # ModuleUtilsMixin.get_extended_attention_mask for a 2D encoder mask
        extended_attention_mask = attention_mask[:, None, None, :]
        extended_attention_mask = extended_attention_mask.to(dtype=inputs_embeds.dtype)  # fp16 compatibility
        extended_attention_mask = (1.0 - extended_attention_mask) * torch.finfo(inputs_embeds.dtype).min

        all_hidden_states = () if output_hidden_states else None
        position_bias = None
        hidden_states = self.dropout(inputs_embeds)
        for i, layer_module in enumerate(self.block):
            if output_hidden_states:
                all_hidden_states = all_hidden_states + (hidden_states,)
            layer_outputs = layer_module(hidden_states, attention_mask=extended_attention_mask, position_bias=position_bias)
            hidden_states, present_key_value_state = layer_outputs[:2]
            # We share the position biases between the layers - the first layer store them
            position_bias = layer_outputs[2]
        hidden_states = self.final_layer_norm(hidden_states)
        hidden_states = self.dropout(hidden_states)
        # Add last layer
        if output_hidden_states:
            all_hidden_states = all_hidden_states + (hidden_states,)
        return hidden_states, all_hidden_states


class T5EncoderModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, self.shared)

    def forward(self, input_ids, attention_mask=None):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)


# --- fixtures ------------------------------------------------------------------------------------

MODELS = {
    # T5 v1.1 / XXL kind: gated-gelu (gelu_new), 32 buckets up to 128; d_kv (16) != d_model / heads (32).
    "t5-gated-a": dict(config=T5Config(100, 64, 16, 32, 2, 2, 32, 128, "gated-gelu"), seed=1),
    # Original T5 kind: relu, not gated; 8 buckets up to 20 (so the long case saturates); 3 blocks.
    "t5-relu-b": dict(config=T5Config(200, 32, 8, 48, 3, 4, 8, 20, "relu"), seed=2),
    # Exact (erf) gelu, not gated, another width per head.
    "t5-gelu-c": dict(config=T5Config(150, 32, 16, 40, 2, 2, 32, 128, "gelu"), seed=3),
}

E4M3_BYTES = np.arange(256, dtype=np.uint8)


def e4m3_values():
    """float8_e4m3fn's 256 values (NaN at 0x7f and 0xff)."""
    b = E4M3_BYTES.astype(np.int64)
    sign = np.where(b & 0x80, -1.0, 1.0)
    exp = (b >> 3) & 0xF
    frac = b & 0x7
    value = np.where(exp == 0, sign * frac / 8.0 * 2.0 ** -6, sign * (1 + frac / 8.0) * 2.0 ** (exp - 7.0))
    value[(exp == 0xF) & (frac == 0x7)] = np.nan
    return value


def to_e4m3(x):
    """float32 -> float8_e4m3fn bytes, round to nearest (ties to even code), saturating at +-448 (as the converters clamp)."""
    values = e4m3_values()
    finite = np.where(np.isnan(values))[0]
    codes = np.array([c for c in range(256) if c not in finite], dtype=np.uint8)
    vals = values[codes]
    flat = np.clip(x.astype(np.float64).ravel(), -448.0, 448.0)
    dist = np.abs(flat[:, None] - vals[None, :])
    best = dist.min(axis=1, keepdims=True)
    candidates = dist == best
    # ties: the even code (mantissa LSB 0); among +0/-0 the sign of x
    choice = np.empty(flat.shape[0], dtype=np.uint8)
    for i in range(flat.shape[0]):
        cs = codes[candidates[i]]
        if len(cs) > 1:
            even = [c for c in cs if c % 2 == 0]
            cs = even or cs
            if len(cs) > 1:
                cs = [c for c in cs if (c >= 0x80) == (flat[i] < 0 or (flat[i] == 0 and np.signbit(flat[i])))] or cs
        choice[i] = cs[0]
    return choice.reshape(x.shape)


def init_weights(model, config, seed):
    """HF's T5PreTrainedModel._init_weights (factor 1), with norms and the bias table moved off their init values so they matter."""
    g = torch.Generator().manual_seed(seed)
    normal = lambda t, std: t.data.copy_(torch.randn(t.shape, generator=g) * std)
    d, dkv, h, dff = config.d_model, config.d_kv, config.num_heads, config.d_ff
    normal(model.shared.weight, 1.0)
    for block in model.encoder.block:
        attn = block.layer[0].SelfAttention
        normal(attn.q.weight, (d * dkv) ** -0.5)
        normal(attn.k.weight, d ** -0.5)
        normal(attn.v.weight, d ** -0.5)
        normal(attn.o.weight, (h * dkv) ** -0.5)
        if attn.has_relative_attention_bias:
            normal(attn.relative_attention_bias.weight, 1.0)  # larger than d**-0.5 so the bias shapes the attention
        ff = block.layer[1].DenseReluDense
        for name in ("wi", "wi_0", "wi_1"):
            if hasattr(ff, name):
                normal(getattr(ff, name).weight, d ** -0.5)
        normal(ff.wo.weight, dff ** -0.5)
        for norm in (block.layer[0].layer_norm, block.layer[1].layer_norm):
            norm.weight.data.copy_(1.0 + 0.2 * torch.randn(d, generator=g))
    model.encoder.final_layer_norm.weight.data.copy_(1.0 + 0.2 * torch.randn(d, generator=g))


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (dtype, bytes, shape), in the order given."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, raw, shape) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def stored(t, dtype):
    """A float32 tensor in a safetensors dtype: (dtype, bytes, shape) and its values widened back to float32."""
    t = t.detach().contiguous()
    if dtype == "F32":
        return ("F32", t.numpy().astype("<f4").tobytes(), t.shape), t.clone()
    if dtype == "F16":
        h = t.to(torch.float16)
        return ("F16", h.numpy().astype("<f2").tobytes(), t.shape), h.to(torch.float32)
    if dtype == "BF16":
        b = t.to(torch.bfloat16)
        return ("BF16", b.view(torch.int16).numpy().astype("<i2").tobytes(), t.shape), b.to(torch.float32)
    if dtype == "F8_E4M3":
        codes = to_e4m3(t.numpy())
        return ("F8_E4M3", codes.tobytes(), t.shape), torch.from_numpy(e4m3_values()[codes].astype(np.float32))
    raise ValueError(dtype)


LINEAR = (".q.weight", ".k.weight", ".v.weight", ".o.weight", ".wi.weight", ".wi_0.weight", ".wi_1.weight", ".wo.weight")


def weight_files(model):
    """Per weight file: its name, its tensors as written, and the float32 weights a loader computes with."""
    state = {k: v for k, v in model.state_dict().items() if k != "encoder.embed_tokens.weight"}  # save_pretrained drops the tied copy
    files = {}
    for label, dtype, fname in (("fp32", "F32", "model.safetensors"), ("fp16", "F16", "model.fp16.safetensors"), ("bf16", "BF16", "model.bf16.safetensors")):
        written, used = {}, {}
        for k, v in state.items():
            written[k], used[k] = stored(v, dtype)
        files[label] = (fname, written, used, None)
    return state, files


def fp8_file(state):
    written, used = {}, {}
    for k, v in state.items():
        written[k], used[k] = stored(v, "F8_E4M3")
    return written, used


def scaled_fp8_file(state):
    """ComfyUI's layout: Linear weights F8_E4M3 with scale_weight = max|w| / 448 (float32 scalar) and scale_input = 1; the rest F16; the marker."""
    written, used = {}, {}
    for k, v in state.items():
        if k.endswith(LINEAR):
            scale = torch.tensor(float(v.abs().max()) / 448.0, dtype=torch.float32)
            (dtype, raw, shape), widened = stored(v / scale, "F8_E4M3")
            written[k] = (dtype, raw, shape)
            used[k] = widened * scale  # comfy/ops.py: weight.to(float32) * scale_weight
            layer = k[: -len(".weight")]
            written[layer + ".scale_weight"] = ("F32", scale.numpy().astype("<f4").tobytes(), ())
            written[layer + ".scale_input"] = ("F32", np.float32(1.0).astype("<f4").tobytes(), ())
        else:
            written[k], used[k] = stored(v, "F16")
    written["scaled_fp8"] = ("F8_E4M3", b"", (0,))
    return written, used


def cases(config, seed):
    g = torch.Generator().manual_seed(100 + seed)
    ids = lambda b, s: torch.randint(0, config.vocab_size, (b, s), generator=g)
    masked = torch.ones(3, 12, dtype=torch.long)
    masked[1, 7:] = 0  # right padding
    masked[2, :3] = 0  # left padding
    long_len = config.relative_attention_max_distance + 10  # past max_distance: the saturated buckets
    return {
        "masked": (ids(3, 12), masked, True),
        "nomask": (ids(2, 9), None, True),
        "long": (ids(1, long_len), None, False),
    }


def run(model, used, ids, mask):
    model.load_state_dict({**used, "encoder.embed_tokens.weight": used["shared.weight"]})
    with torch.no_grad():
        last, hidden = model(ids, mask)
    return last, torch.stack(hidden)


def f32(t):
    return ("F32", t.detach().contiguous().numpy().astype("<f4").tobytes(), t.shape)


def i64(t):
    return ("I64", t.contiguous().numpy().astype("<i8").tobytes(), t.shape)


def main():
    os.makedirs(ROOT, exist_ok=True)
    for name, spec in MODELS.items():
        config, seed = spec["config"], spec["seed"]
        model = T5EncoderModel(config).eval()
        init_weights(model, config, seed)
        out = os.path.join(ROOT, name)
        os.makedirs(os.path.join(out, "outputs"), exist_ok=True)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config.to_json(), f, indent=2)
            f.write("\n")
        state, files = weight_files(model)
        used_by = {}
        for label, (fname, written, used, _) in files.items():
            write_safetensors(os.path.join(out, fname), written, {"format": "pt"})
            used_by[label] = used
        if name == "t5-relu-b":
            written, used = fp8_file(state)
            write_safetensors(os.path.join(out, "model.fp8.safetensors"), written, {"format": "pt"})
            used_by["fp8"] = used
        if name == "t5-gated-a":
            written, used = scaled_fp8_file(state)
            write_safetensors(os.path.join(out, f"{name}_fp8_e4m3fn_scaled.safetensors"), written)
            used_by["scaled_fp8"] = used
        for case, (ids, mask, with_hidden) in cases(config, seed).items():
            tensors = {"input_ids": i64(ids)}
            if mask is not None:
                tensors["attention_mask"] = i64(mask)
            for label, used in used_by.items():
                last, hidden = run(model, used, ids, mask)
                tensors[f"{label}.last_hidden_state"] = f32(last)
                if with_hidden:
                    tensors[f"{label}.hidden_states"] = f32(hidden)
            write_safetensors(os.path.join(out, "outputs", f"{case}.safetensors"), tensors)
        print(name, "written")

    rel = torch.arange(-600, 601)
    tables = []
    for buckets, distance in ((32, 128), (8, 20), (16, 32), (24, 100), (64, 256), (4, 8)):
        values = T5Attention._relative_position_bucket(rel, bidirectional=True, num_buckets=buckets, max_distance=distance)
        tables.append({"num_buckets": buckets, "max_distance": distance, "buckets": values.tolist()})
    with open(os.path.join(ROOT, "buckets.json"), "w") as f:
        json.dump({"relative_positions": [-600, 600], "tables": tables}, f, separators=(",", ":"))
        f.write("\n")
    print("buckets.json written")


if __name__ == "__main__":
    main()
