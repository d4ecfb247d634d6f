// The prompts of issue 16 for `bench:prompt`: a megabyte of an ordinary prompt and 10,000 nested
// brackets in each dialect, and the small hostile prompts that hung the parsers.

/** The @sdtext/prompt calls the bench times (typed here: the bench loads a build by path). */
export interface PromptModule {
  parsePromptAttention(text: string): unknown;
  getPromptSchedule(prompt: string, steps: number): unknown;
  parseScheduleTree(prompt: string): unknown;
  getMulticondPromptList(prompts: readonly string[]): unknown;
  parseComfyPrompt(text: string): unknown;
  parseCompelPrompt(text: string): unknown;
  explainPrompt(prompt: string, dialect: Dialect, tokenizer: unknown): unknown;
}

export type Dialect = 'a1111' | 'comfy' | 'compel';
export const DIALECTS: readonly Dialect[] = ['a1111', 'comfy', 'compel'];

export interface PromptCase {
  name: string;
  dialect: Dialect;
  /**
   * `parse`: the dialect's parsers alone (A1111: attention, AND, the prompt-editing tree);
   * `schedule`: A1111's texts for 20 steps (one per step with [a|b]: 20 MB of text for 1 MB);
   * `explain`: parse, tokenize and chunk (`sdtext parse`'s pieces and chunks).
   */
  step: 'parse' | 'schedule' | 'explain';
  prompt: () => string;
}

const ORDINARY: Record<Dialect, string> = {
  a1111: 'a (red:1.3) cat on a [blurry] sofa, ((masterpiece)), [dog:cat:0.5], [day|night] BREAK ',
  comfy: 'a (red:1.3) cat on a (blurry:0.8) sofa, ((masterpiece)), best quality, 4k ',
  compel: 'a (red cat)1.3 on a blurry-- sofa, (masterpiece)++, "best quality"0.9, 4k ',
};

const megabyte = (piece: string): string => piece.repeat(Math.ceil(1_000_000 / piece.length));
const nested = (depth: number, open: string, inner: string, close: string): string => open.repeat(depth) + inner + close.repeat(depth);

/** Each dialect's parsers. */
export function parse(module: PromptModule, dialect: Dialect, prompt: string): void {
  if (dialect === 'a1111') {
    module.parsePromptAttention(prompt);
    module.getMulticondPromptList([prompt]);
    module.parseScheduleTree(prompt);
  } else if (dialect === 'comfy') {
    module.parseComfyPrompt(prompt);
  } else {
    module.parseCompelPrompt(prompt);
  }
}

export const PROMPT_CASES: readonly PromptCase[] = [
  ...DIALECTS.flatMap((dialect): PromptCase[] => [
    { name: `${dialect}: 1 MB ordinary prompt`, dialect, step: 'parse', prompt: () => megabyte(ORDINARY[dialect]) },
    { name: `${dialect}: 1 MB ordinary prompt`, dialect, step: 'explain', prompt: () => megabyte(ORDINARY[dialect]) },
    { name: `${dialect}: 10k-deep (((…a…)))`, dialect, step: 'parse', prompt: () => nested(10_000, '(', 'a', ')') },
  ]),
  { name: 'a1111: 1 MB ordinary prompt', dialect: 'a1111', step: 'schedule', prompt: () => megabyte(ORDINARY.a1111) },
  { name: 'a1111: 10k-deep [[[…a…]]]', dialect: 'a1111', step: 'parse', prompt: () => nested(10_000, '[', 'a', ']') },
  { name: 'a1111: 39-byte [[[…cat…]]] (18 levels)', dialect: 'a1111', step: 'parse', prompt: () => nested(18, '[', 'cat', ']') },
  { name: 'a1111: 18 unbalanced [', dialect: 'a1111', step: 'parse', prompt: () => `${'['.repeat(18)}cat` },
  { name: 'a1111: 64 kB of spaces', dialect: 'a1111', step: 'explain', prompt: () => ' '.repeat(64_000) },
  { name: 'a1111: <lora:x:1> x 20,000', dialect: 'a1111', step: 'explain', prompt: () => '<lora:x:1>'.repeat(20_000) },
  { name: 'comfy: 10k-deep (((…a…))) (was a stack overflow)', dialect: 'comfy', step: 'explain', prompt: () => nested(10_000, '(', 'a', ')') },
  { name: 'compel: 25-deep (((…a…)))', dialect: 'compel', step: 'parse', prompt: () => nested(25, '(', 'a', ')') },
];
