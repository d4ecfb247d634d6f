import type { JsonReader } from './json-reader.js';

/** The single-sequence template of a TemplateProcessing post-processor: ids before and after the text. */
export interface SingleTemplate {
  readonly before: readonly number[];
  readonly after: readonly number[];
}

/**
 * tokenizer.json's `post_processor` for one sequence: TemplateProcessing's `single` (T5:
 * `$A </s>`), or no special tokens when there is none.
 */
export function readPostProcessor(json: JsonReader): SingleTemplate {
  if (json.isNull()) return { before: [], after: [] };
  json.type('post_processor', ['TemplateProcessing']);
  const specials = json.get('special_tokens');
  const before: number[] = [];
  const after: number[] = [];
  let sequenceSeen = false;
  for (const piece of json.get('single').array()) {
    if (piece.has('Sequence')) {
      const id = piece.get('Sequence').get('id').string();
      if (id !== 'A' || sequenceSeen) piece.fail('the single template must hold the sequence $A once');
      sequenceSeen = true;
    } else if (piece.has('SpecialToken')) {
      const name = piece.get('SpecialToken').get('id').string();
      const entry = specials.get(name);
      if (entry.isNull()) piece.fail(`special token ${JSON.stringify(name)} is missing from special_tokens`);
      const ids = entry.get('ids').array().map((id) => id.integer());
      (sequenceSeen ? after : before).push(...ids);
    } else {
      piece.fail('expected {"Sequence": ...} or {"SpecialToken": ...}');
    }
  }
  if (!sequenceSeen) json.get('single').fail('the template has no $A');
  return { before, after };
}
