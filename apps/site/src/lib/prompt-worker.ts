// The prompt view's parser, off the page's main thread: whatever a prompt does to a front end's
// parser, typing stays responsive, and the page stops a parse that runs too long by terminating
// this worker (src/lib/prompt-client.ts).
import type { Dialect } from '@sdtext/prompt';
import { loadPromptPackage } from './lazy';
import { reportPrompt, type PromptReport } from './prompt-explain';
import { loadTokenizer } from './tokenizer';

export type PromptRequest = { id: number; text: string; dialect: Dialect };
export type PromptReply = { type: 'ready' } | { type: 'result'; id: number; report: PromptReport | null; error: string | null };

const post = (reply: PromptReply): void => (self as unknown as { postMessage(m: PromptReply): void }).postMessage(reply);
const ready = Promise.all([loadTokenizer(), loadPromptPackage()]);

void ready.then(() => post({ type: 'ready' }));

self.addEventListener('message', (event: MessageEvent<PromptRequest>) => {
  const { id, text, dialect } = event.data;
  void ready.then(([tokenizer, { explainPrompt }]) => {
    try {
      post({ type: 'result', id, report: reportPrompt(explainPrompt(text, dialect, tokenizer), tokenizer), error: null });
    } catch (e) {
      // A prompt the front end itself rejects (compel's syntax errors, `(a:1.2.3)` in A1111).
      post({ type: 'result', id, report: null, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  });
});
