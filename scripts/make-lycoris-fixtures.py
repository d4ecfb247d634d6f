#!/usr/bin/env python3
"""LyCORIS on the text encoder (issue 21 item 6): LoHa, LoKr, LoCon and DoRA files and their reference outputs.

Run with Debian's torch (python3-torch 1.13), pointing at a LyCORIS checkout of the recorded commit:
  /usr/bin/python3 scripts/make-lycoris-fixtures.py /path/to/LyCORIS

The reference is LyCORIS's own code (github.com/KohakuBlueleaf/LyCORIS at LYCORIS_COMMIT, version
3.2.0.post2): its network modules (lycoris/modules/locon.py, loha.py, lokr.py, base.py) and their
functional helpers, imported from the checkout; each file it imports is checked against the git
blob id recorded below, so another version is refused. LyCORIS's package imports a few things the
modules never use here; they are not installable on the project's machines, so small stand-ins are
put in sys.modules first: `safetensors` / `safetensors.torch` (lycoris.utils imports them for file
I/O), `tqdm` (progress bars), `einops` (used by the BOFT module only). None of them is called.

What is made, per case, on the tiny CLIP models (hidden 32, intermediate 128, 2 layers):
  1. random LyCORIS modules are built with LyCORIS's own constructors on the model's nn.Linear
     layers (the algorithm's options below), their weights randomized, and saved in float16 under
     kohya names (lora_te_<module with _>.<param>, SDXL lora_te1_ / lora_te2_) or diffusers names
     (text_encoder.<module>.<param>), beside UNet entries holding NaN (never read);
  2. the saved file is loaded back the way LyCORIS loads weights (lycoris.modules.get_module +
     make_module: make_module_from_state_dict), each module given the user's multiplier and
     applied to its Linear (apply_to, which stacks on earlier ones), and the CLIP text model is
     run: its forward goes through LyCORIS's forward (`base + op(x, new_weight - base_weight)`);
  3. saved as the reference: input_ids, last_hidden_state, pooler_output (text_embeds with a
     projection), and each adapted Linear's merged weight as LyCORIS's forward makes it
     (forward(I) - bias, transposed).
dora_scale [1, in] (LyCORIS's wd_on_out=False) cannot be loaded by make_module_from_state_dict
(which makes the [out, 1] parameter); that module is built with the constructor's
wd_on_out=False and load_state_dict instead.
LyCORIS's merge utility (merge_to -> get_merged_weight -> get_diff_weight) multiplies LoHa's and
LoKr's weight, which already holds alpha / r, by alpha / r again; the script measures it and
asserts that the forward (followed here) and the merge differ exactly by that factor.
"""
import hashlib, importlib.util, json, os, sys, types, zlib
import numpy as np
import torch

import torch.nn as nn
import torch.nn.functional as F

if torch.__version__ != "1.13.0a0":
    raise SystemExit(f"torch {torch.__version__}: these fixtures are made with Debian 12's python3-torch (1.13.0a0)")

LYCORIS_COMMIT = 'f49d30d670591ec8841d241d79aaa8449b30a715'
# git blob ids (sha1 of "blob <size>\0" + content) of the files the reference runs, at LYCORIS_COMMIT.
LYCORIS_BLOBS = {
    "lycoris/__init__.py": "f292d71e25206653347c136d412ad0e952da06a0",
    "lycoris/modules/__init__.py": "9d0c8bde2ef50c0f9499e92198135e64d772c349",
    "lycoris/modules/base.py": "740010fe1dd7b505cb06988290ff6a70183f7b12",
    "lycoris/modules/locon.py": "dc71405c7af367de8c4447457f9c855e203bbfc7",
    "lycoris/modules/loha.py": "56aa9a24bf68e1a5877bae3ba0c32a80d9330a3c",
    "lycoris/modules/lokr.py": "9b86948f8e64d49d62c8c1619919bd6b75e8a9d9",
    "lycoris/functional/__init__.py": "a489a16f19602fcab4a94bd2207576d078c3d050",
    "lycoris/functional/general.py": "dc0f8a04dfa6d692b518b5f1a210a25bd1098ee0",
    "lycoris/functional/loha.py": "042e56bdeedb84592949a112c109b777d5f8f27c",
    "lycoris/functional/lokr.py": "8302f2624f29e69aadc8dd7f5bbea591d6b4e004",
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'models', 'fixtures', 'checkpoint-extras')
FIX = os.path.join(ROOT, 'models', 'fixtures', 'models')


def git_blob_id(path):
    data = open(path, 'rb').read()
    return hashlib.sha1(b'blob %d\0' % len(data) + data).hexdigest()


def import_lycoris(src):
    for rel, blob in LYCORIS_BLOBS.items():
        path = os.path.join(src, rel)
        if not os.path.exists(path):
            sys.exit(f'{src}: no {rel}: not a LyCORIS checkout')
        got = git_blob_id(path)
        if got != blob:
            sys.exit(f'{path} is blob {got}, not {blob} of LyCORIS {LYCORIS_COMMIT}: refusing another version')
    # Stand-ins for imports the modules never call (see the docstring).
    st = types.ModuleType('safetensors'); st_torch = types.ModuleType('safetensors.torch')
    st_torch.save_file = st_torch.load_file = st_torch.safe_open = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('stand-in'))
    st.torch = st_torch; st.safe_open = st_torch.safe_open
    tq = types.ModuleType('tqdm'); tq.tqdm = lambda it=None, *a, **k: it
    ei = types.ModuleType('einops'); ei.rearrange = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('stand-in'))
    sys.modules.update({'safetensors': st, 'safetensors.torch': st_torch, 'tqdm': tq, 'einops': ei})
    sys.path.insert(0, src)
    import lycoris.modules as modules
    return modules


def load_extras_script():
    spec = importlib.util.spec_from_file_location('extras', os.path.join(ROOT, 'scripts', 'make-checkpoint-extras-fixtures.py'))
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


X = None  # the checkpoint-extras script (load_st, save_st, clip_forward, model)
MODULES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'mlp.fc1', 'mlp.fc2']


def linears(w, cfg):
    """The model's Linear layers as nn.Linear, keyed by HF module name."""
    out = {}
    for i in range(cfg['num_hidden_layers']):
        for m in MODULES:
            name = f'text_model.encoder.layers.{i}.{m}'
            o, n = w[name + '.weight'].shape
            lin = nn.Linear(n, o)
            with torch.no_grad():
                lin.weight.copy_(w[name + '.weight']); lin.bias.copy_(w[name + '.bias'])
            out[name] = lin
    return out


def clip_forward_modules(w, cfg, lin, input_ids, with_projection=False):
    """transformers 4.36 CLIPTextModel's forward (as make-checkpoint-extras-fixtures.py), each Linear called as a module."""
    H, nh = cfg['hidden_size'], cfg['num_attention_heads']; hd = H // nh; scale = hd ** -0.5
    bsz, seq = input_ids.shape
    position_ids = torch.arange(cfg['max_position_embeddings'])[None, :seq]
    h = F.embedding(input_ids, w['text_model.embeddings.token_embedding.weight']) + F.embedding(position_ids, w['text_model.embeddings.position_embedding.weight'])
    mn = torch.finfo(torch.float32).min
    causal = torch.full((seq, seq), mn).triu(1)[None, None].expand(bsz, 1, seq, seq)
    act = (lambda x: x * torch.sigmoid(1.702 * x)) if cfg['hidden_act'] == 'quick_gelu' else F.gelu
    for i in range(cfg['num_hidden_layers']):
        p = f'text_model.encoder.layers.{i}.'
        L = lambda x, n: lin[p + n](x)
        residual = h
        h = F.layer_norm(h, (H,), w[p + 'layer_norm1.weight'], w[p + 'layer_norm1.bias'], cfg['layer_norm_eps'])
        q = L(h, 'self_attn.q_proj') * scale
        shape = lambda t: t.view(bsz, seq, nh, hd).transpose(1, 2).contiguous()
        k = shape(L(h, 'self_attn.k_proj')); v = shape(L(h, 'self_attn.v_proj'))
        proj = (bsz * nh, -1, hd)
        q = shape(q).view(*proj); k = k.view(*proj); v = v.view(*proj)
        aw = torch.bmm(q, k.transpose(1, 2)).view(bsz, nh, seq, seq) + causal
        aw = F.softmax(aw.view(bsz * nh, seq, seq), dim=-1)
        ao = torch.bmm(aw, v).view(bsz, nh, seq, hd).transpose(1, 2).reshape(bsz, seq, H)
        h = residual + L(ao, 'self_attn.out_proj')
        residual = h
        h = F.layer_norm(h, (H,), w[p + 'layer_norm2.weight'], w[p + 'layer_norm2.bias'], cfg['layer_norm_eps'])
        h = residual + L(act(L(h, 'mlp.fc1')), 'mlp.fc2')
    last = F.layer_norm(h, (H,), w['text_model.final_layer_norm.weight'], w['text_model.final_layer_norm.bias'], cfg['layer_norm_eps'])
    pooled = last[torch.arange(bsz), input_ids.to(torch.int).argmax(dim=-1)]  # eos_token_id 2: legacy argmax
    out = {'last_hidden_state': last, 'pooler_output': pooled}
    if with_projection:
        out['text_embeds'] = F.linear(pooled, w['text_projection.weight'])
    return out


def randomize(module, dora_jitter=0.2):
    """LyCORIS initializes one factor to zero (no change at first): give every parameter values."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name == 'dora_scale':
                p.mul_(1 + dora_jitter * torch.randn_like(p))  # the weight norms it starts from, changed
            else:
                p.copy_(torch.randn_like(p) * (0.5 if 'w1' in name or 'up' in name else 0.3))


def key_name(naming, encoder, module):
    if naming == 'kohya':
        prefix = {'': 'lora_te', 'te1': 'lora_te1', 'te2': 'lora_te2'}[encoder]
        return f'{prefix}_{module.replace(".", "_")}'
    return f'{"text_encoder_2" if encoder == "te2" else "text_encoder"}.{module}'


def build_file(modules, w, cfg, specs, naming, encoder, path_tensors):
    """Builds each spec's module with LyCORIS's constructor, randomized, and adds its state dict to path_tensors."""
    lin = linears(w, cfg)
    for module, (cls, kwargs) in specs.items():
        m = cls('x', lin[module], **kwargs)
        randomize(m)
        for k, v in m.state_dict().items():
            path_tensors[f'{key_name(naming, encoder, module)}.{k}'] = v.detach().half()


def load_and_apply(modules, w, cfg, sd, naming, encoder, multiplier, lin, manual=None):
    """LyCORIS's loading: get_module + make_module per Linear, the multiplier set, applied (stacking)."""
    used = []
    for module in lin:
        name = key_name(naming, encoder, module)
        if manual and module in manual:
            cls, kwargs = manual[module]
            m = cls(name, lin[module], multiplier=multiplier, **kwargs)
            prefix = name + '.'
            m.load_state_dict({k[len(prefix):]: v.float() for k, v in sd.items() if k.startswith(prefix)})
        else:
            # get_module matches on `lora_name.param` keys: give it this module's entries under a kohya-style name.
            local = {f'lyco.{k[len(name) + 1:]}': v.float() for k, v in sd.items() if k.startswith(name + '.')}
            if not local:
                continue
            cls, params = modules.get_module(local, 'lyco')
            assert cls is not None, name
            m = modules.make_module(cls, params, name, lin[module])
            m.multiplier = multiplier
        m.apply_to()
        used.append((module, m))
    return used


def merged_weight(linear):
    """The weight the Linear now computes with, through its (wrapped) forward: forward(I) with the bias zeroed, transposed."""
    with torch.no_grad():
        bias = linear.bias.clone()
        linear.bias.zero_()
        out = linear(torch.eye(linear.in_features)).T.contiguous()
        linear.bias.copy_(bias)
        return out


def merge_util_weight(m, multiplier):
    """What LyCORIS's merge utility would write: get_merged_weight (merge_to) for one module."""
    with torch.no_grad():
        return m.get_merged_weight(multiplier, m.org_weight.shape, m.org_weight.device)[0]


def run_case(modules, name, model_name, proj, files, nan_unet=True):
    """files: [(naming, encoder, specs, multiplier, manual)]; each becomes one LoRA file applied in order."""
    w, cfg = X.model(model_name, proj)
    w = {k: v.float() for k, v in w.items() if k != 'text_model.embeddings.position_ids'}
    lin = linears(w, cfg)
    ids = X.load_st(os.path.join(FIX, model_name, 'outputs', 'pad77.safetensors'))['input_ids']
    plain = clip_forward_modules(w, cfg, lin, ids, proj)
    base = X.clip_forward(w, cfg, ids, with_projection=proj)
    d = (plain['last_hidden_state'] - base['last_hidden_state']).abs().max().item()
    assert d < 1e-5, d  # the module-based forward is the checked functional one
    merged = {}
    adapted = set()
    for index, (naming, encoder, specs, multiplier, manual) in enumerate(files):
        tensors = {}
        torch.manual_seed(zlib.crc32(f'{name}:{index}'.encode()))
        build_file(modules, w, cfg, specs, naming, encoder, tensors)
        if nan_unet:
            tensors['lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a' if naming == 'kohya' else 'unet.down_blocks.0.attentions.0.proj_in.lokr_w1'] = torch.full((4, 2), float('nan')).half()
        fname = f'lycoris-{name}{"-" + str(index) if len(files) > 1 else ""}.safetensors'
        X.save_st(os.path.join(OUT, fname), tensors)
        sd = X.load_st(os.path.join(OUT, fname))  # what the file holds (float16)
        used = load_and_apply(modules, w, cfg, sd, naming, encoder, multiplier, lin, manual)
        adapted.update(module for module, _ in used)
        for module, m in used:
            if m.__class__.__name__ in ('LohaModule', 'LokrModule') and not getattr(m, 'wd', False) and abs(m.scale - 1) > 1e-6:
                # The merge utility applies alpha / r twice: W + mult * s^2 * dW, the forward W + mult * s * dW.
                fwd_delta = (m.get_weight(m.shape) * m.scalar) * multiplier
                util_delta = merge_util_weight(m, multiplier) - m.org_weight
                ratio = (util_delta.norm() / fwd_delta.norm()).item()
                assert abs(ratio - m.scale) < 1e-4 * m.scale, (module, ratio, m.scale)
                print(f'    {fname} {module}: merge utility / forward = {ratio:.4f} = alpha / r = {m.scale:.4f}')
        print(f'  {fname}: {len(used)} modules, multiplier {multiplier}')
    out = clip_forward_modules(w, cfg, lin, ids, proj)
    for module in sorted(adapted):
        merged[f'merged.{module}.weight'] = merged_weight(lin[module])
    ref = {'input_ids': ids.long(), 'last_hidden_state': out['last_hidden_state'], 'pooler_output': out['pooler_output'], **merged}
    if proj:
        ref['text_embeds'] = out['text_embeds']
    X.save_st(os.path.join(OUT, f'lycoris-{name}.reference.safetensors'), {k: v.detach() for k, v in ref.items()})
    change = (out['last_hidden_state'] - plain['last_hidden_state']).abs().max().item()
    print(f'  lycoris-{name}.reference: {len(merged)} merged weights, max |output change| {change:.3f}')
    assert change > 1e-2
    return {'model': model_name, 'projection': proj, 'files': [
        {'file': f'lycoris-{name}{"-" + str(i) if len(files) > 1 else ""}.safetensors', 'multiplier': f[3], 'naming': f[0], 'encoder': f[1] or 'te'} for i, f in enumerate(files)]}


def main():
    global X
    if len(sys.argv) != 2:
        sys.exit(__doc__.split('\n\n')[1])
    src = sys.argv[1]
    modules = import_lycoris(src)
    from lycoris.modules.loha import LohaModule
    from lycoris.modules.lokr import LokrModule
    from lycoris.modules.locon import LoConModule
    X = load_extras_script()
    print('torch', torch.__version__, 'LyCORIS', LYCORIS_COMMIT)
    L0, L1 = 'text_model.encoder.layers.0.', 'text_model.encoder.layers.1.'
    cases = {}
    # LoHa, rank 4, alpha 2 (scale 0.5), every Linear of sd1-tiny; DoRA ([out, 1]) on layer 1's attention.
    loha = {L0 + m: (LohaModule, {'lora_dim': 4, 'alpha': 2}) for m in MODULES}
    loha.update({L1 + m: (LohaModule, {'lora_dim': 4, 'alpha': 2, 'weight_decompose': m.startswith('self_attn')}) for m in MODULES})
    cases['loha-sd1'] = run_case(modules, 'loha-sd1', 'sd1-tiny', False, [('kohya', '', loha, 0.8, None)])
    # LoKr, diffusers names, on sd1-tiny: each way its two factors are stored.
    lokr = {
        L0 + 'self_attn.q_proj': (LokrModule, {'lora_dim': 2, 'alpha': 1}),                                  # w1 [4, 4] full, w2 = w2_a [8, 2] @ w2_b [2, 8]
        L0 + 'self_attn.k_proj': (LokrModule, {'lora_dim': 2, 'alpha': 1, 'full_matrix': True}),             # both full: scale 1
        L0 + 'self_attn.v_proj': (LokrModule, {'lora_dim': 1, 'alpha': 3, 'decompose_both': True}),         # w1_a @ w1_b and w2_a @ w2_b
        L0 + 'self_attn.out_proj': (LokrModule, {'lora_dim': 2, 'alpha': 1, 'factor': 2}),                  # w1 [2, 2], w2 [16, 16] as a pair
        L0 + 'mlp.fc1': (LokrModule, {'lora_dim': 2, 'alpha': 4, 'decompose_both': True}),                  # [128, 32]: w1 [8, 4] pair, w2 [16, 8] pair
        L0 + 'mlp.fc2': (LokrModule, {'lora_dim': 2, 'alpha': 1, 'factor': 8}),                             # [32, 128]: w1 [4, 8], w2 [8, 16] pair
        L1 + 'mlp.fc1': (LokrModule, {'lora_dim': 2, 'alpha': 1, 'weight_decompose': True}),                # DoRA [out, 1]
    }
    cases['lokr-sd1'] = run_case(modules, 'lokr-sd1', 'sd1-tiny', False, [('diffusers', '', lokr, 0.7, None)])
    # LoCon (LoRA keys) with DoRA on sd2-tiny, kohya names, multiplier 0.6 (DoRA's m * (s - 1) + 1):
    # [out, 1] through make_module_from_state_dict, and [1, in] (wd_on_out=False) through the constructor.
    locon = {L0 + m: (LoConModule, {'lora_dim': 4, 'alpha': 8, 'weight_decompose': True}) for m in ['self_attn.q_proj', 'mlp.fc1']}
    locon[L1 + 'self_attn.v_proj'] = (LoConModule, {'lora_dim': 4, 'alpha': 8, 'weight_decompose': True, 'wd_on_out': False})
    locon[L1 + 'mlp.fc2'] = (LoConModule, {'lora_dim': 2, 'alpha': 1})
    manual = {L1 + 'self_attn.v_proj': (LoConModule, {'lora_dim': 4, 'alpha': 8, 'weight_decompose': True, 'wd_on_out': False})}
    cases['locon-dora-sd2'] = run_case(modules, 'locon-dora-sd2', 'sd2-tiny', False, [('kohya', '', locon, 0.6, manual)])
    # Two files stacked on sd1-tiny's layer 0: a LoHa and a LoKr on the same Linears (LyCORIS wrappers each add theirs).
    stack_a = {L0 + m: (LohaModule, {'lora_dim': 2, 'alpha': 1}) for m in ['self_attn.q_proj', 'mlp.fc1']}
    stack_b = {L0 + m: (LokrModule, {'lora_dim': 2, 'alpha': 2}) for m in ['self_attn.q_proj', 'mlp.fc2']}
    cases['stack-sd1'] = run_case(modules, 'stack-sd1', 'sd1-tiny', False, [('kohya', '', stack_a, 0.9, None), ('diffusers', '', stack_b, 1.3, None)])
    # SDXL names: lora_te1_ on text_encoder (sd1-tiny), lora_te2_ on text_encoder_2 (sd2-tiny with projection).
    xl1 = {L0 + m: (LohaModule, {'lora_dim': 2, 'alpha': 1}) for m in ['self_attn.k_proj', 'mlp.fc2']}
    xl2 = {L1 + m: (LokrModule, {'lora_dim': 2, 'alpha': 1}) for m in ['self_attn.out_proj', 'mlp.fc1']}
    cases['sdxl-te1'] = run_case(modules, 'sdxl-te1', 'sd1-tiny', False, [('kohya', 'te1', xl1, 1.0, None)])
    cases['sdxl-te2'] = run_case(modules, 'sdxl-te2', 'sd2-tiny', True, [('kohya', 'te2', xl2, 1.0, None)])
    # One SDXL file holds both encoders' keys, as kohya saves it.
    both = {**X.load_st(os.path.join(OUT, 'lycoris-sdxl-te1.safetensors')), **X.load_st(os.path.join(OUT, 'lycoris-sdxl-te2.safetensors'))}
    X.save_st(os.path.join(OUT, 'lycoris-sdxl.safetensors'), both)
    for part in ['te1', 'te2']:
        os.remove(os.path.join(OUT, f'lycoris-sdxl-{part}.safetensors'))
        cases[f'sdxl-{part}']['files'][0]['file'] = 'lycoris-sdxl.safetensors'
    manifest = {'reference': {'torch': torch.__version__, 'lycoris': LYCORIS_COMMIT, 'how': __doc__.strip().splitlines()[0]}, 'cases': cases}
    json.dump(manifest, open(os.path.join(OUT, 'lycoris-manifest.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
