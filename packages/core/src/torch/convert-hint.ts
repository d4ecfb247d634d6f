/**
 * How to turn a torch file this reader refuses into safetensors, with torch itself: the command
 * quoted in those refusals. torch.load runs the file's pickle, so it is only for a file one trusts
 * (a checkpoint's own, or one that loads here already).
 */
export function safetensorsConversionHint(file: string): string {
  const name = file.replace(/\\/g, '/').split('/').pop() ?? file;
  const py = name.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const out = py.replace(/\.(ckpt|pt|pth|bin)$/i, '') + '.safetensors';
  return (
    `convert it with torch (torch.load runs the file's pickle: only for a file you trust): python -c "import torch; from safetensors.torch import save_file; ` +
    `sd = torch.load('${py}', map_location='cpu', weights_only=False); sd = sd.get('state_dict', sd); ` +
    `save_file({k: v.clone() for k, v in sd.items() if isinstance(v, torch.Tensor)}, '${out}')"`
  );
}
