import React, { useMemo, useState } from 'react';
import clsx from 'clsx';
import { tokenColor, useTokenizer } from './useTokenizer';

const DEFAULT_TEXT = 'a highres photo of a woman wearing a red dress';

/**
 * Live tokenization: a chip per token with its id, the 77-slot budget (BOS + 75 + EOS) and where
 * truncation cuts.
 */
export default function TokenView({ initial = DEFAULT_TEXT }: { initial?: string }): React.JSX.Element {
  const { ref, tokenizer, error } = useTokenizer<HTMLDivElement>();
  const [text, setText] = useState(initial);
  const view = useMemo(() => {
    if (!tokenizer) return null;
    const tokens = tokenizer.tokenize(text);
    const ids = tokenizer.convertTokensToIds(tokens);
    const budget = tokenizer.modelMaxLength - 2;
    return { tokens, ids, budget, max: tokenizer.modelMaxLength, bos: tokenizer.bosTokenId, eos: tokenizer.eosTokenId };
  }, [tokenizer, text]);
  return (
    <div className="sd-widget" data-testid="token-view" ref={ref}>
      <label className="sd-widget__label">
        Type a prompt
        <textarea className="sd-widget__text" value={text} rows={2} onChange={(e) => setText(e.target.value)} />
      </label>
      {error && <p className="sd-runtime__error">{error}</p>}
      {!view && !error && <p className="sd-widget__hint">Loading the tokenizer…</p>}
      {view && (
        <>
          <p className="sd-widget__hint" data-testid="token-count">
            {view.tokens.length} tokens + &lt;|startoftext|&gt; + &lt;|endoftext|&gt; = {view.tokens.length + 2} of {view.max} slots
            {view.tokens.length > view.budget && (
              <strong className="sd-cut-note"> — {view.tokens.length - view.budget} tokens past the budget are cut by truncation</strong>
            )}
          </p>
          <div className="sd-chips">
            <Chip token="<|startoftext|>" id={view.bos} special />
            {view.tokens.map((t, i) => (
              <React.Fragment key={i}>
                {i === view.budget && <span className="sd-cut" title="truncation cuts here" aria-label="truncation cuts here">✂</span>}
                <Chip token={t} id={view.ids[i] ?? -1} cut={i >= view.budget} />
              </React.Fragment>
            ))}
            <Chip token="<|endoftext|>" id={view.eos} special />
          </div>
          <div className="sd-budget" aria-label="77-slot budget">
            {Array.from({ length: view.max }, (_, i) => {
              const used = i === 0 || i <= Math.min(view.tokens.length, view.budget) + 1;
              const kind = i === 0 || i === Math.min(view.tokens.length, view.budget) + 1 ? 'special' : used ? 'used' : 'pad';
              return <span key={i} className={`sd-budget__slot sd-budget__slot--${kind}`} title={`slot ${i}`} />;
            })}
          </div>
        </>
      )}
    </div>
  );
}

function Chip({ token, id, special = false, cut = false }: { token: string; id: number; special?: boolean; cut?: boolean }): React.JSX.Element {
  const endOfWord = token.endsWith('</w>');
  return (
    <span className={clsx('sd-chip', special && 'sd-chip--special', cut && 'sd-chip--cut')} style={special ? undefined : { background: tokenColor(id) }}>
      <span className="sd-chip__text">
        {endOfWord ? token.slice(0, -4) : token}
        {endOfWord && <span className="sd-chip__eow">&lt;/w&gt;</span>}
      </span>
      <span className="sd-chip__id">{id}</span>
    </span>
  );
}
