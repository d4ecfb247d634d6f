import type { TextEncoderName } from '@sdtext/core';
import { A1111Embeddings, ComfyEmbeddings, type NamedEmbedding } from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import type { EmbeddingFile } from './embedding-folder.js';

/** The text encoders of a pipeline, with what each front end needs to find embeddings for them. */
export interface EncoderSlot {
  name: TextEncoderName;
  tokenizer: CLIPTokenizer;
  hiddenSize: number;
}

/**
 * The textual inversion files a pipeline knows by name, and each front end's view of them:
 * webui (a1111) finds an embedding by its file stem, and loads only those of the model's width
 * (SD: one vector width; SDXL: files with clip_l and clip_g), as its expected-shape check does;
 * ComfyUI (comfy) by `embedding:path`, taking the encoder's `embedding_key` (clip_l, or clip_g for
 * SDXL's second encoder) and else the file's only tensor. Views are built on first use.
 */
export class PipelineEmbeddings {
  private readonly files: EmbeddingFile[] = [];
  private a1111: Map<TextEncoderName, A1111Embeddings> | null = null;
  private comfy: Map<TextEncoderName, ComfyEmbeddings> | null = null;

  constructor(private readonly slots: readonly EncoderSlot[]) {}

  get size(): number {
    return this.files.length;
  }

  add(files: readonly EmbeddingFile[]): void {
    this.files.push(...files);
    this.a1111 = null;
    this.comfy = null;
  }

  /** webui's database for one encoder, or undefined when no file is known. */
  a1111For(encoder: TextEncoderName): A1111Embeddings | undefined {
    if (this.files.length === 0) return undefined;
    if (!this.a1111) {
      const sdxl = this.slots.length === 2;
      this.a1111 = new Map(
        this.slots.map((slot) => {
          // webui: expected_shape is the model's (SDXL: both widths together); others are skipped.
          const usable = this.files.filter((f) => this.slots.every((s) => f.vectors.get(s.name)?.[0]?.length === s.hiddenSize) && (sdxl || !f.vectors.has('text_encoder_2')));
          const named: NamedEmbedding[] = usable.map((f) => ({ name: f.stem, vectors: f.vectors.get(slot.name)! }));
          return [slot.name, new A1111Embeddings(named, slot.tokenizer)];
        }),
      );
    }
    return this.a1111.get(encoder);
  }

  /**
   * ComfyUI's embeddings folder as one encoder's tokenizer reads it; empty when no file is known
   * (ComfyUI always has one: an `embedding:name` it cannot find is dropped with a warning).
   */
  comfyFor(encoder: TextEncoderName): ComfyEmbeddings | undefined {
    if (!this.comfy) {
      this.comfy = new Map(
        this.slots.map((slot) => {
          const key: TextEncoderName = slot.name === 'text_encoder_2' ? 'text_encoder_2' : 'text_encoder';
          const other: TextEncoderName = key === 'text_encoder' ? 'text_encoder_2' : 'text_encoder';
          return [slot.name, new ComfyEmbeddings(this.files.map((f) => ({ path: f.path, vectors: (f.vectors.get(key) ?? f.vectors.get(other))! })))];
        }),
      );
    }
    return this.comfy.get(encoder);
  }
}
