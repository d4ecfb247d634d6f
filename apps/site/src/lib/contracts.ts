// The package types the site's own code holds. Type-only imports: they cost the page no bytes, and
// the packages themselves are import()ed lazily in the browser.
import type { BackendName, CLIPTextModel, CLIPTextModelWithProjection } from '@sdtext/text-encoder';

export type { BackendName };
export type { CLIPTokenizer as Tokenizer } from '@sdtext/tokenizer';
/** What `pipe.textEncoder` can be: SD 1.x/2.x ship a CLIPTextModel. */
export type TextModel = CLIPTextModel | CLIPTextModelWithProjection;

/** The order the backend bar offers (text-encoder's BACKEND_NAMES, kept here so the page does not load tfjs for it). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
