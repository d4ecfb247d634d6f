#!/usr/bin/env python3
"""Fixtures for older checkpoint files (issue 21 item 5): SD .ckpt as pytorch_lightning saved them, and legacy torch.save.

Run with Debian's torch (python3-torch 1.13): /usr/bin/python3 scripts/make-older-files-fixtures.py

Every file here is written by real torch.save, small:
  * ckpt-sd1-lightning.ckpt: an SD 1.x .ckpt as the CompVis / Lightning trainers left them:
    {'state_dict': {cond_stage_model.transformer.text_model.* (float16), its position_ids (a
    LongStorage), model.diffusion_model.* and first_stage_model.* (UNet, VAE: a few tensors, one a
    view into another's storage at an offset), model_ema.decay / num_updates (an IntStorage)},
    'global_step', 'epoch', 'pytorch-lightning_version', 'callbacks': {ModelCheckpoint (the class
    as a key, as pytorch_lightning 1.4 pickled it): {..., numpy float64 scores}}, 'optimizer_states',
    'lr_schedulers', 'hparams' with a set and torch.float32}: the globals webui's modules/safe.py
    allows for real SD checkpoints. pytorch_lightning is not installed here: a stand-in module of the
    same name gives the class the module path the pickle records (a GLOBAL names it; nothing of
    the class is pickled but its name).
  * ckpt-sd1-lightning-legacy.ckpt: the same object with _use_new_zipfile_serialization=False
    (the legacy stream: magic number, protocol, sys_info, object, storage keys, raw storages).
  * ckpt-sd1-lightning.reference.safetensors: the text encoder as diffusers' from_single_file
    gives it (convert_ldm_clip_checkpoint: the prefix stripped), float16 as stored; and the two
    views of one UNet storage under their own names.
  * ti-my-style-legacy.pt: ti-my-style.pt (A1111 embedding) loaded and saved again in the legacy format.
The zip files are the same on every run; the legacy ones are not (torch names each legacy storage
by its memory address, str(storage._cdata)), their tensors are.
The text encoder is a small CLIP (vocab 100, hidden 32, 4 heads, 2 layers, 16 positions): the
multi-GB .ckpt and the parity runs are built by the tests from the tiny models' weights.
"""
import json, os, struct, sys, types
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'models', 'fixtures', 'checkpoint-extras')
torch.manual_seed(21)

if not torch.__version__.startswith('1.13'):
    sys.exit(f'torch {torch.__version__}: these fixtures are made with torch 1.13 (python3-torch), whose legacy writer they record')

# pytorch_lightning stand-in: only the class's module path and name end up in the pickle.
pl = types.ModuleType('pytorch_lightning'); cb = types.ModuleType('pytorch_lightning.callbacks')
mc = types.ModuleType('pytorch_lightning.callbacks.model_checkpoint')
class ModelCheckpoint: pass
ModelCheckpoint.__module__ = 'pytorch_lightning.callbacks.model_checkpoint'
mc.ModelCheckpoint = ModelCheckpoint; cb.model_checkpoint = mc; pl.callbacks = cb
sys.modules.update({'pytorch_lightning': pl, 'pytorch_lightning.callbacks': cb, 'pytorch_lightning.callbacks.model_checkpoint': mc})

def save_st(path, tensors):
    header = {}; blobs = []; off = 0
    for k, t in tensors.items():
        a = t.detach().contiguous().numpy()
        d = {np.dtype(np.float32): 'F32', np.dtype(np.float16): 'F16', np.dtype(np.int64): 'I64'}[a.dtype]
        raw = a.tobytes(); header[k] = {'dtype': d, 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    hb = json.dumps(header, separators=(',', ':')).encode(); hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hb))); f.write(hb)
        for r in blobs: f.write(r)

V, H, I, L, P = 100, 32, 64, 2, 16
def clip_weights():
    w = {'text_model.embeddings.token_embedding.weight': torch.randn(V, H), 'text_model.embeddings.position_embedding.weight': torch.randn(P, H)}
    for i in range(L):
        p = f'text_model.encoder.layers.{i}.'
        for proj in ['k_proj', 'v_proj', 'q_proj', 'out_proj']:
            w[p + f'self_attn.{proj}.weight'] = torch.randn(H, H) * 0.2; w[p + f'self_attn.{proj}.bias'] = torch.randn(H) * 0.1
        w[p + 'layer_norm1.weight'] = 1 + 0.1 * torch.randn(H); w[p + 'layer_norm1.bias'] = 0.1 * torch.randn(H)
        w[p + 'mlp.fc1.weight'] = torch.randn(I, H) * 0.2; w[p + 'mlp.fc1.bias'] = torch.randn(I) * 0.1
        w[p + 'mlp.fc2.weight'] = torch.randn(H, I) * 0.2; w[p + 'mlp.fc2.bias'] = torch.randn(H) * 0.1
        w[p + 'layer_norm2.weight'] = 1 + 0.1 * torch.randn(H); w[p + 'layer_norm2.bias'] = 0.1 * torch.randn(H)
    w['text_model.final_layer_norm.weight'] = 1 + 0.1 * torch.randn(H); w['text_model.final_layer_norm.bias'] = 0.1 * torch.randn(H)
    return {k: v.half() for k, v in w.items()}

def main():
    te = clip_weights()
    sd = {}
    unet = torch.randn(8, 4, 3, 3).half()
    sd['model.diffusion_model.input_blocks.0.0.weight'] = unet
    sd['model.diffusion_model.input_blocks.0.0.bias'] = torch.randn(8).half()
    base = torch.randn(64).half()
    sd['model.diffusion_model.out.2.weight'] = base[:32].view(8, 4)   # two views of one storage,
    sd['model.diffusion_model.out.2.bias'] = base[40:48]              # the second at offset 40
    sd['model_ema.decay'] = torch.tensor(0.9999)
    sd['model_ema.num_updates'] = torch.tensor(470000, dtype=torch.int32)
    sd['cond_stage_model.transformer.text_model.embeddings.position_ids'] = torch.arange(P)[None]
    for k, v in te.items():
        sd['cond_stage_model.transformer.' + k] = v
    sd['first_stage_model.decoder.conv_in.weight'] = torch.randn(4, 4, 3, 3).half()
    obj = {
        'state_dict': sd,
        'global_step': 470000,
        'epoch': 5,
        'pytorch-lightning_version': '1.4.2',
        'callbacks': {ModelCheckpoint: {'monitor': None, 'best_model_score': np.float64(0.125), 'best_model_path': '/logs/last.ckpt',
                                         'current_score': np.float32(0.5), 'dirpath': '/logs/checkpoints', 'best_k_models': {}}},
        'optimizer_states': [],
        'lr_schedulers': [],
        'hparams': {'tags': {'sd', 'v1'}, 'dtype': torch.float32},
    }
    torch.save(obj, os.path.join(OUT, 'ckpt-sd1-lightning.ckpt'))
    torch.save(obj, os.path.join(OUT, 'ckpt-sd1-lightning-legacy.ckpt'), _use_new_zipfile_serialization=False)
    views = {k: sd[k] for k in ['model.diffusion_model.out.2.weight', 'model.diffusion_model.out.2.bias']}
    save_st(os.path.join(OUT, 'ckpt-sd1-lightning.reference.safetensors'), {**te, **views})
    # Read back through torch, to be sure the files are what torch loads.
    for f in ['ckpt-sd1-lightning.ckpt', 'ckpt-sd1-lightning-legacy.ckpt']:
        back = torch.load(os.path.join(OUT, f))
        assert all(torch.equal(back['state_dict'][k], v) for k, v in sd.items()), f
        assert back['callbacks'][ModelCheckpoint]['best_model_score'] == 0.125
    ti = torch.load(os.path.join(OUT, 'ti-my-style.pt'))
    torch.save(ti, os.path.join(OUT, 'ti-my-style-legacy.pt'), _use_new_zipfile_serialization=False)
    print('torch', torch.__version__, 'wrote', [f for f in sorted(os.listdir(OUT)) if 'lightning' in f or 'legacy' in f])

if __name__ == '__main__':
    main()
