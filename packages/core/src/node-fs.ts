import type * as NodeFs from 'node:fs';

// In a variable, so browser bundlers (esbuild, vite, webpack) leave the import alone: it only runs
// when a file path is actually used, which only happens in Node.
const NODE_FS = 'node:fs';

/** node:fs, imported on first use (never at module load, so the package bundles for browsers). */
export async function importNodeFs(): Promise<typeof NodeFs> {
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS)) as typeof NodeFs;
}
