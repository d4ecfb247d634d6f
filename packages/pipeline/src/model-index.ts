/** A component entry of diffusers' model_index.json: `["transformers", "CLIPTextModel"]`, or nulls when absent. */
export type ComponentSpec = readonly [library: string | null, className: string | null];

/** The parts of model_index.json the text side reads. */
export interface ModelIndex {
  /** `_class_name`, e.g. "StableDiffusionPipeline" or "StableDiffusionXLPipeline". */
  className: string | null;
  components: Readonly<Record<string, ComponentSpec>>;
  /** SDXL's `force_zeros_for_empty_prompt` (null when the file does not set it). */
  forceZerosForEmptyPrompt: boolean | null;
}

export function parseModelIndex(text: string, where: string): ModelIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${where}: expected a JSON object`);
  const record = json as Record<string, unknown>;
  const components: Record<string, ComponentSpec> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key.startsWith('_') || !Array.isArray(value) || value.length !== 2) continue;
    const [library, className] = value as unknown[];
    components[key] = [typeof library === 'string' ? library : null, typeof className === 'string' ? className : null];
  }
  const force = record.force_zeros_for_empty_prompt;
  return {
    className: typeof record._class_name === 'string' ? record._class_name : null,
    components,
    forceZerosForEmptyPrompt: typeof force === 'boolean' ? force : null,
  };
}

/** Whether model_index.json lists `name` with a class (diffusers writes `[null, null]` for an absent one). */
export function hasComponent(index: ModelIndex, name: string): boolean {
  return index.components[name]?.[1] != null;
}
