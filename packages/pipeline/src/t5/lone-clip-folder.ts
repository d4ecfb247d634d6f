import { loadSafetensorsHeader, planLoneClipFile, type CLIPTextConfig, type LoneClipKind, type LoneClipPlan } from '@sdtext/core';

/**
 * A folder the CLIP loaders read (config.json + model.safetensors) for a lone CLIP file (ComfyUI's
 * clip_l.safetensors / clip_g.safetensors, or one taken out of an SD3 single file), Node only:
 * config.json from the file's shapes (@sdtext/core's planLoneClipFile) and the file itself linked
 * in as model.safetensors (a symbolic link; a copy where links cannot be made).
 */
export async function loneClipFolder(file: string, kind: LoneClipKind, dir: string, overrides: Partial<CLIPTextConfig> = {}): Promise<LoneClipPlan & { dir: string }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const header = await loadSafetensorsHeader(file);
  const plan = planLoneClipFile(header.tensors, kind, file, overrides);
  await fs.mkdir(dir, { recursive: true });
  const architectures = [plan.withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'];
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ architectures, model_type: 'clip_text_model', ...plan.config }, null, 2));
  const target = path.join(dir, 'model.safetensors');
  await fs.symlink(path.resolve(file), target).catch(() => fs.copyFile(file, target));
  return { ...plan, dir };
}
