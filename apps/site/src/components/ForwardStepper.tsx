import React, { useEffect, useMemo, useRef, useState } from 'react';
import { useEncoderTask } from './useEncoder';

/**
 * Scrolls the tree's box (not the page) so that the highlighted line sits in its middle: the box
 * is shorter than SD2's tree, and element.scrollIntoView would move the page too.
 */
function keepInBox(box: HTMLElement, line: HTMLElement): void {
  const boxRect = box.getBoundingClientRect();
  const lineRect = line.getBoundingClientRect();
  const top = lineRect.top - boxRect.top + box.scrollTop;
  if (top < box.scrollTop || top + lineRect.height > box.scrollTop + box.clientHeight) {
    box.scrollTop = Math.max(0, top - (box.clientHeight - lineRect.height) / 2);
  }
}

/**
 * CLIPTextTransformer's forward pass one step at a time, beside its printed module tree
 * (`describeCLIPTextTransformer` of the loaded model's config): embeddings, each layer's six
 * sub-steps, final_layer_norm, pooling; the hidden state's shape and first values at each step
 * (computed in the cells' worker from `outputHiddenStates`; inside a layer the values are the
 * layer's input until its last residual).
 */
export default function ForwardStepper({ initial = 'a photo of a cat' }: { initial?: string }): React.JSX.Element {
  const [text, setText] = useState(initial);
  const [at, setAt] = useState(0);
  const tree = useRef<HTMLPreElement>(null);
  const task = useMemo(() => ({ kind: 'forward-trace' as const, text }), [text]);
  const { run, result, busy, error } = useEncoderTask(task);
  const count = result?.steps.length ?? 0;
  const i = Math.min(at, Math.max(0, count - 1));
  const step = result?.steps[i];

  useEffect(() => {
    const box = tree.current;
    const line = step ? box?.querySelector<HTMLElement>(`[data-line="${step.line}"]`) : null;
    if (box && line) keepInBox(box, line);
  }, [step]);

  return (
    <div className="sd-widget" data-testid="forward-stepper">
      <label className="sd-widget__label">
        Prompt
        <input className="sd-widget__input" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button
        type="button"
        className="button button--primary button--sm"
        disabled={busy}
        onClick={() => {
          setAt(0);
          void run();
        }}
      >
        {busy ? 'Encoding…' : 'Run the forward pass'}
      </button>
      {error && <p className="sd-runtime__error">{error}</p>}
      {result && step && (
        <>
          <div className="sd-widget__inline sd-stepper__controls">
            <button type="button" className="button button--secondary button--sm" disabled={i === 0} onClick={() => setAt(i - 1)}>
              ◀ Back
            </button>
            <input type="range" min={0} max={count - 1} value={i} aria-label="forward step" onChange={(e) => setAt(Number(e.target.value))} />
            <button type="button" className="button button--secondary button--sm" disabled={i === count - 1} onClick={() => setAt(i + 1)} data-testid="forward-next">
              Next ▶
            </button>
          </div>
          <p className="sd-widget__hint" data-testid="forward-step" data-step={i} data-values={JSON.stringify(step.values)}>
            Step {i + 1} of {count}: <strong>{step.label}</strong>
            <br />
            {step.state} [{step.shape.join(', ')}], first values {step.values.map((v) => v.toFixed(4)).join(', ')} (on {result.backend})
          </p>
          <pre className="sd-forward__tree" aria-label="module tree" ref={tree} tabIndex={0}>
            {result.lines.map((line, k) => (
              <span key={k} className={k === step.line ? 'sd-forward__line sd-forward__line--on' : 'sd-forward__line'} data-line={k} data-on={k === step.line ? 'true' : undefined}>
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        </>
      )}
    </div>
  );
}
