#!/usr/bin/env python3
"""Fixtures for textual inversion, text-encoder LoRA and single-file checkpoints (issue 11).

Run with Debian's torch (python3-torch 1.13): /usr/bin/python3 scripts/make-checkpoint-extras-fixtures.py

transformers/diffusers/peft/safetensors cannot be installed on the project's machines, so the
reference is written here in torch, following the originals line by line:
  * CLIPTextModel's forward: transformers 4.36 models/clip/modeling_clip.py (CLIPTextEmbeddings,
    CLIPAttention, CLIPMLP, CLIPEncoderLayer, CLIPTextTransformer incl. the legacy argmax pooling).
    Checked first against the committed transformers outputs of the tiny models (must agree to 1.5e-5, about 3x the 4.7e-6 measured: float32 summation order).
  * textual inversion: diffusers loaders/textual_inversion.py (_retrieve_tokens_and_embeddings,
    _extend_tokens_and_embeddings, resize_token_embeddings(len(tokenizer) + len(tokens)), rows set
    at the new ids) and maybe_convert_prompt (the ids below are what the tokenizer makes of its output).
  * LoRA: diffusers fuse_lora / peft LoraLayer.get_delta_weight: W + scale * (B @ A) * (alpha / r);
    kohya keys (lora_te_<module with _>.lora_down/lora_up/alpha), peft keys (text_encoder.<module>.lora_A/lora_B).
  * single files: diffusers single_file_utils (convert_ldm_clip_checkpoint, convert_open_clip_checkpoint):
    the tiny models written in the LDM / OpenCLIP layouts and converted back here; the conversion must
    give back exactly the HF tensors (asserted), so the reference outputs of a single file are the
    tiny model's committed transformers outputs. The single files themselves are made by the tests
    (packages/pipeline/test/helpers/single-file.ts) from the committed weights: 6 MB each, too big to commit.
Upstream: transformers v4.36.0 (commit 815ea8e8a23a), diffusers and peft: none can be installed here
(no PyPI), so the torch code below, written after theirs and checked against transformers' stored
outputs, stands in. Refuses another torch than Debian 12's python3-torch (1.13.0a0).
"""
import json, os, struct, sys
import numpy as np
import torch

if torch.__version__ != "1.13.0a0":
    raise SystemExit(f"torch {torch.__version__}: these fixtures are made with Debian 12's python3-torch (1.13.0a0)")
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, 'models', 'fixtures', 'models')
OUT = os.path.join(ROOT, 'models', 'fixtures', 'checkpoint-extras')
torch.manual_seed(11)

# --- minimal safetensors I/O (the safetensors package is not installable here) -------------------
DT = {'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'F64': np.float64}
def load_st(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], dtype=DT[v['dtype']]).reshape(v['shape']).copy())
    return out
def save_st(path, tensors, metadata=None):
    header = {}; blobs = []; off = 0
    for k, t in tensors.items():
        a = t.detach().contiguous().numpy()
        d = {np.dtype(np.float32): 'F32', np.dtype(np.float16): 'F16', np.dtype(np.int64): 'I64'}[a.dtype]
        raw = a.tobytes(); header[k] = {'dtype': d, 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    if metadata: header['__metadata__'] = metadata
    hb = json.dumps(header, separators=(',', ':')).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hb))); f.write(hb)
        for r in blobs: f.write(r)

# --- transformers 4.36 CLIPTextModel forward, line by line --------------------------------------
def clip_forward(w, cfg, input_ids, attention_mask=None, with_projection=False):
    w = {k: v.float() for k, v in w.items()}
    H, nh = cfg['hidden_size'], cfg['num_attention_heads']; hd = H // nh; scale = hd ** -0.5
    bsz, seq = input_ids.shape
    # CLIPTextEmbeddings
    position_ids = torch.arange(cfg['max_position_embeddings'])[None, :seq]
    h = F.embedding(input_ids, w['text_model.embeddings.token_embedding.weight']) + F.embedding(position_ids, w['text_model.embeddings.position_embedding.weight'])
    # _create_4d_causal_attention_mask
    mn = torch.finfo(torch.float32).min
    causal = torch.full((seq, seq), mn).triu(1)[None, None].expand(bsz, 1, seq, seq)
    am = None
    if attention_mask is not None:  # _prepare_4d_attention_mask
        inv = 1.0 - attention_mask[:, None, None, :].expand(bsz, 1, seq, seq).float()
        am = inv.masked_fill(inv.to(torch.bool), mn)
    act = (lambda x: x * torch.sigmoid(1.702 * x)) if cfg['hidden_act'] == 'quick_gelu' else F.gelu
    hidden_states = [h]
    for i in range(cfg['num_hidden_layers']):
        p = f'text_model.encoder.layers.{i}.'
        lin = lambda x, n: F.linear(x, w[p + n + '.weight'], w[p + n + '.bias'])
        residual = h
        h = F.layer_norm(h, (H,), w[p + 'layer_norm1.weight'], w[p + 'layer_norm1.bias'], cfg['layer_norm_eps'])
        q = lin(h, 'self_attn.q_proj') * scale
        shape = lambda t: t.view(bsz, seq, nh, hd).transpose(1, 2).contiguous()
        k = shape(lin(h, 'self_attn.k_proj')); v = shape(lin(h, 'self_attn.v_proj'))
        proj = (bsz * nh, -1, hd)
        q = shape(q).view(*proj); k = k.view(*proj); v = v.view(*proj)
        aw = torch.bmm(q, k.transpose(1, 2))
        aw = aw.view(bsz, nh, seq, seq) + causal
        aw = aw.view(bsz * nh, seq, seq)
        if am is not None:
            aw = (aw.view(bsz, nh, seq, seq) + am).view(bsz * nh, seq, seq)
        aw = F.softmax(aw, dim=-1)
        ao = torch.bmm(aw, v).view(bsz, nh, seq, hd).transpose(1, 2).reshape(bsz, seq, H)
        h = residual + lin(ao, 'self_attn.out_proj')
        residual = h
        h = F.layer_norm(h, (H,), w[p + 'layer_norm2.weight'], w[p + 'layer_norm2.bias'], cfg['layer_norm_eps'])
        h = residual + lin(act(lin(h, 'mlp.fc1')), 'mlp.fc2')
        hidden_states.append(h)
    last = F.layer_norm(h, (H,), w['text_model.final_layer_norm.weight'], w['text_model.final_layer_norm.bias'], cfg['layer_norm_eps'])
    if cfg['eos_token_id'] == 2:
        pooled = last[torch.arange(bsz), input_ids.to(torch.int).argmax(dim=-1)]
    else:
        pooled = last[torch.arange(bsz), (input_ids.to(torch.int) == cfg['eos_token_id']).int().argmax(dim=-1)]
    out = {'last_hidden_state': last, 'pooler_output': pooled, 'hidden_states': torch.stack(hidden_states)}
    if with_projection:
        out['text_embeds'] = F.linear(pooled, w['text_projection.weight'])
    return out

def model(name, proj=False):
    d = os.path.join(FIX, name, 'text_model_with_projection' if proj else 'text_model')
    return load_st(os.path.join(d, 'model.safetensors')), json.load(open(os.path.join(d, 'config.json')))

def check_against_transformers(name, proj=False):
    w, cfg = model(name, proj)
    g = load_st(os.path.join(FIX, name, 'outputs', 'pad77.safetensors'))
    o = clip_forward(w, cfg, g['input_ids'], with_projection=proj)
    for k in ['last_hidden_state', 'pooler_output', 'hidden_states'] + (['text_embeds'] if proj else []):
        d = (o[k] - g[k].float()).abs().max().item()
        print(f'  {name}{" proj" if proj else ""} {k}: max |torch reimplementation - transformers| = {d:.2e}')
        assert d < 1.5e-5, d  # float32 summation order (this BLAS vs the fixtures'); measured 4.7e-6

# --- single-file layouts (diffusers' conversion, inverted to write, then run forward to check) ----
def to_ldm_clip(w, prefix):  # convert_ldm_clip_checkpoint strips `prefix`
    return {prefix + k: v for k, v in w.items()}
def to_open_clip(w, cfg, prefix, extra_block, projection):
    o = {}; L = cfg['num_hidden_layers']; H = cfg['hidden_size']
    o[prefix + 'token_embedding.weight'] = w['text_model.embeddings.token_embedding.weight']
    o[prefix + 'positional_embedding'] = w['text_model.embeddings.position_embedding.weight']
    o[prefix + 'ln_final.weight'] = w['text_model.final_layer_norm.weight']; o[prefix + 'ln_final.bias'] = w['text_model.final_layer_norm.bias']
    for i in range(L + (1 if extra_block else 0)):
        s = f'text_model.encoder.layers.{i}.'; t = f'{prefix}transformer.resblocks.{i}.'
        g = (lambda n: w[s + n]) if i < L else (lambda n: torch.randn_like(w['text_model.encoder.layers.0.' + n]))
        o[t + 'attn.in_proj_weight'] = torch.cat([g('self_attn.q_proj.weight'), g('self_attn.k_proj.weight'), g('self_attn.v_proj.weight')])
        o[t + 'attn.in_proj_bias'] = torch.cat([g('self_attn.q_proj.bias'), g('self_attn.k_proj.bias'), g('self_attn.v_proj.bias')])
        for a, b in [('attn.out_proj', 'self_attn.out_proj'), ('ln_1', 'layer_norm1'), ('ln_2', 'layer_norm2'), ('mlp.c_fc', 'mlp.fc1'), ('mlp.c_proj', 'mlp.fc2')]:
            o[t + a + '.weight'] = g(b + '.weight'); o[t + a + '.bias'] = g(b + '.bias')
    o[prefix + 'text_projection'] = (w['text_projection.weight'].T.contiguous() if projection else torch.randn(H, H))
    o[prefix + 'logit_scale'] = torch.tensor(4.6052)
    return o
def from_open_clip(ckpt, prefix, L, H, with_projection):  # diffusers convert_open_clip_checkpoint
    d = {}
    m = {'text_model.embeddings.position_embedding.weight': 'positional_embedding', 'text_model.embeddings.token_embedding.weight': 'token_embedding.weight',
         'text_model.final_layer_norm.weight': 'ln_final.weight', 'text_model.final_layer_norm.bias': 'ln_final.bias', 'text_projection.weight': 'text_projection'}
    ignore = {f'{prefix}transformer.resblocks.{L}.' + n for n in ['attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias', 'ln_1.weight', 'ln_1.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias']}
    if not with_projection: ignore.add(prefix + 'text_projection')
    for dk, lk in m.items():
        lk = prefix + lk
        if lk not in ckpt or lk in ignore: continue
        d[dk] = ckpt[lk].T.contiguous() if lk.endswith('text_projection') else ckpt[lk]
    tr = {'text_model.encoder.layers.': 'resblocks.', 'layer_norm1': 'ln_1', 'layer_norm2': 'ln_2', '.fc1.': '.c_fc.', '.fc2.': '.c_proj.', '.self_attn': '.attn'}
    for key in ckpt:
        if key in ignore or not key.startswith(prefix + 'transformer.'): continue
        dkey = key.replace(prefix + 'transformer.', '')
        for new, old in tr.items():
            dkey = dkey.replace(old, new).replace('.in_proj_weight', '').replace('.in_proj_bias', '')
        if key.endswith('.in_proj_weight'):
            v = ckpt[key]; d[dkey + '.q_proj.weight'] = v[:H]; d[dkey + '.k_proj.weight'] = v[H:2 * H]; d[dkey + '.v_proj.weight'] = v[2 * H:]
        elif key.endswith('.in_proj_bias'):
            v = ckpt[key]; d[dkey + '.q_proj.bias'] = v[:H]; d[dkey + '.k_proj.bias'] = v[H:2 * H]; d[dkey + '.v_proj.bias'] = v[2 * H:]
        else:
            d[dkey] = ckpt[key]
    return d

def check_single_files():
    for name, proj, drop in [('sd2-tiny', False, True), ('sd2-tiny', True, False)]:
        w, cfg = model(name, proj)
        w = {k: v.float() for k, v in w.items() if k != 'text_model.embeddings.position_ids'}
        prefix = 'cond_stage_model.model.' if drop else 'conditioner.embedders.1.model.'
        ck = to_open_clip(w, cfg, prefix, drop, proj)
        back = from_open_clip(ck, prefix, cfg['num_hidden_layers'], cfg['hidden_size'], proj)
        assert set(back) == set(w), set(back) ^ set(w)
        assert all(torch.equal(back[k], w[k]) for k in w)
        print(f'  {prefix}: diffusers convert_open_clip_checkpoint gives back the {name}{" proj" if proj else ""} weights exactly')

# --- textual inversion ------------------------------------------------------------------------
def textual_inversion(D):
    cat = torch.randn(2, D) * 0.5      # diffusers format, multi-vector: <cat-toy>, <cat-toy>_1
    style = torch.randn(3, D) * 0.5    # A1111 .pt: name "my-style", string_to_param['*']
    dog = torch.randn(D) * 0.5         # diffusers .bin, one vector [D]
    save_st(os.path.join(OUT, 'ti-cat-toy.safetensors'), {'<cat-toy>': cat})
    torch.save({'string_to_token': {'*': 265}, 'string_to_param': {'*': torch.nn.Parameter(style)}, 'name': 'my-style', 'step': 500,
                'sd_checkpoint': 'e1441589', 'sd_checkpoint_name': 'tiny'}, os.path.join(OUT, 'ti-my-style.pt'))
    torch.save({'<dog>': dog}, os.path.join(OUT, 'ti-dog.bin'))
    # SDXL file (clip_l, clip_g), both 32 wide here: read as such by the tests
    save_st(os.path.join(OUT, 'ti-sdxl.safetensors'), {'clip_l': torch.randn(2, D) * 0.5, 'clip_g': torch.randn(2, D) * 0.5})
    # _extend_tokens_and_embeddings: tokens in file order, multi-vector tokens tok, tok_1, ...
    rows = [cat[0], cat[1], style[0], style[1], style[2], dog]
    return torch.stack(rows)

def lora_pair(w, module, r):
    out_f, in_f = w[module + '.weight'].shape
    return torch.randn(out_f, r) * 0.3, torch.randn(r, in_f) * 0.3  # up (B), down (A)

MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'mlp.fc1', 'mlp.fc2']

def main():
    os.makedirs(OUT, exist_ok=True)
    print('torch', torch.__version__)
    for n in ['sd1-tiny', 'sd2-tiny']:
        check_against_transformers(n)
    check_against_transformers('sd2-tiny', True)
    check_single_files()

    cases = {}
    # SD1: textual inversion (3 files, 3 formats) + kohya LoRA
    w1, cfg1 = model('sd1-tiny'); w1 = {k: v.float() for k, v in w1.items()}
    rows = textual_inversion(cfg1['hidden_size'])
    # maybe_convert_prompt("a photo of <cat-toy>") = "a photo of <cat-toy> <cat-toy>_1"; "my-style <dog>" = "my-style my-style_1 my-style_2 <dog>"
    def pad(ids, pad_id): return ids + [pad_id] * (77 - len(ids))
    ti_ids = torch.tensor([pad([49406, 320, 1125, 539, 49408, 49409, 49407], 49407), pad([49406, 49410, 49411, 49412, 49413, 49407], 49407)])
    wt = dict(w1); wt['text_model.embeddings.token_embedding.weight'] = torch.cat([w1['text_model.embeddings.token_embedding.weight'], rows])
    cfg_t = dict(cfg1, vocab_size=49408 + rows.shape[0])
    cases['sd1_ti'] = ('sd1-tiny', ti_ids, clip_forward(wt, cfg_t, ti_ids), {'prompts': ['a photo of <cat-toy>', 'my-style <dog>']})

    kohya = {}; merged = dict(w1); r, alpha, scale = 2, 1.0, 0.7
    for i in range(cfg1['num_hidden_layers']):
        for m in MODULES:
            module = f'text_model.encoder.layers.{i}.{m}'
            up, down = lora_pair(w1, module, r)
            k = 'lora_te_' + module.replace('.', '_')
            kohya[k + '.lora_up.weight'] = up.half(); kohya[k + '.lora_down.weight'] = down.half(); kohya[k + '.alpha'] = torch.tensor(alpha).half()
            merged[module + '.weight'] = w1[module + '.weight'] + scale * (up.half().float() @ down.half().float()) * (alpha / r)
    kohya['lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight'] = torch.full((2, 4), float('nan')).half()  # never read
    kohya['lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight'] = torch.full((4, 2), float('nan')).half()
    save_st(os.path.join(OUT, 'lora-kohya-sd1.safetensors'), kohya, {'ss_network_dim': '2', 'ss_network_alpha': '1.0'})
    pad_ids = load_st(os.path.join(FIX, 'sd1-tiny', 'outputs', 'pad77.safetensors'))['input_ids']
    cases['sd1_lora_kohya'] = ('sd1-tiny', pad_ids, clip_forward(merged, cfg1, pad_ids), {'lora_scale': scale})
    mt = dict(merged); mt['text_model.embeddings.token_embedding.weight'] = wt['text_model.embeddings.token_embedding.weight']
    cases['sd1_ti_lora'] = ('sd1-tiny', ti_ids, clip_forward(mt, cfg_t, ti_ids), {'lora_scale': scale, 'prompts': ['a photo of <cat-toy>', 'my-style <dog>']})

    # SD2: peft LoRA (rank 2, no alpha: scaling 1), layer 1 attention only, scale 1
    w2, cfg2 = model('sd2-tiny'); w2 = {k: v.float() for k, v in w2.items() if k != 'text_model.embeddings.position_ids'}
    peft = {}; merged2 = dict(w2)
    for m in ['self_attn.q_proj', 'self_attn.v_proj', 'mlp.fc2']:
        module = f'text_model.encoder.layers.1.{m}'
        up, down = lora_pair(w2, module, 2)
        peft[f'text_encoder.{module}.lora_A.weight'] = down; peft[f'text_encoder.{module}.lora_B.weight'] = up
        merged2[module + '.weight'] = w2[module + '.weight'] + 1.0 * (up @ down) * (2 / 2)
    peft['unet.down_blocks.0.attentions.0.proj_in.lora_A.weight'] = torch.zeros(2, 4)
    peft['unet.down_blocks.0.attentions.0.proj_in.lora_B.weight'] = torch.zeros(4, 2)
    save_st(os.path.join(OUT, 'lora-peft-sd2.safetensors'), peft)
    pad2 = load_st(os.path.join(FIX, 'sd2-tiny', 'outputs', 'pad77.safetensors'))['input_ids']
    cases['sd2_lora_peft'] = ('sd2-tiny', pad2, clip_forward(merged2, cfg2, pad2), {'lora_scale': 1.0})

    manifest = {'reference': {'torch': torch.__version__, 'how': __doc__.strip().splitlines()[0]}, 'cases': {}}
    for name, (mdl, ids, o, extra) in cases.items():
        save_st(os.path.join(OUT, f'{name}.safetensors'), {'input_ids': ids.long(), 'last_hidden_state': o['last_hidden_state'], 'pooler_output': o['pooler_output']})
        manifest['cases'][name] = {'model': mdl, **extra}
    json.dump(manifest, open(os.path.join(OUT, 'manifest.json'), 'w'), indent=1)
    print('wrote', sorted(os.listdir(OUT)))

if __name__ == '__main__':
    main()
