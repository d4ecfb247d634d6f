import React, { useEffect, useMemo, useState } from 'react';
import clsx from 'clsx';
import useBaseUrl from '@docusaurus/useBaseUrl';
import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { useTokenizer } from './useTokenizer';
import styles from './UnigramLattice.module.css';

interface Edge {
  start: number;
  end: number;
  piece: string;
  score: number;
}

interface Model {
  scores: Map<string, number>;
  tokenizer: T5Tokenizer;
}

/**
 * One word through the demo T5's Unigram model, drawn as its lattice: every vocabulary piece that
 * spells a stretch of "▁word" (with its log-probability), the best total score up to each
 * character (Viterbi), and the path Viterbi keeps, next to what the tokenizer itself returns and
 * what CLIP's BPE makes of the same word.
 */
export default function UnigramLattice({ initial = 'lighthouse' }: { initial?: string }): React.JSX.Element {
  const { ref, tokenizer: clip } = useTokenizer<HTMLDivElement>();
  const url = useBaseUrl('/generated/models/t5-demo/spiece.model');
  const [model, setModel] = useState<Model | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [word, setWord] = useState(initial);

  useEffect(() => {
    let live = true;
    Promise.all([fetch(url).then(async (r) => (r.ok ? new Uint8Array(await r.arrayBuffer()) : Promise.reject(new Error(`spiece.model: HTTP ${r.status}`)))), import('@sdtext/tokenizer/t5')])
      .then(([bytes, t5]) => {
        const spm = t5.parseSentencePieceModel(bytes, 'spiece.model');
        const scores = new Map(spm.pieces.filter((p) => p.type === 'normal' || p.type === 'user_defined').map((p) => [p.piece, p.score]));
        if (live) setModel({ scores, tokenizer: t5.T5Tokenizer.fromSentencePiece(bytes, { fast: true, extraIds: 0 }) });
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [url]);

  const view = useMemo(() => {
    if (!model) return null;
    const chars = [...`▁${word.replace(/\s+/g, '')}`];
    const edges: Edge[] = [];
    for (let start = 0; start < chars.length; start++) {
      for (let end = start + 1; end <= chars.length; end++) {
        const piece = chars.slice(start, end).join('');
        const score = model.scores.get(piece);
        if (score !== undefined) edges.push({ start, end, piece, score });
      }
    }
    // Viterbi: the best total log-probability of any segmentation of chars[0, j).
    const best = new Array<number>(chars.length + 1).fill(-Infinity);
    const back = new Array<Edge | null>(chars.length + 1).fill(null);
    best[0] = 0;
    for (let end = 1; end <= chars.length; end++) {
      for (const e of edges) {
        if (e.end === end && best[e.start]! + e.score > best[end]!) {
          best[end] = best[e.start]! + e.score;
          back[end] = e;
        }
      }
    }
    const path: Edge[] = [];
    for (let at = chars.length; at > 0 && back[at]; at = back[at]!.start) path.unshift(back[at]!);
    const chosen = new Set(path);
    return {
      chars,
      edges: edges.sort((a, b) => a.start - b.start || b.end - a.end).slice(0, 60),
      best,
      path,
      chosen,
      tokenizer: model.tokenizer.tokenize(word),
      bpe: clip ? clip.tokenize(word) : null,
    };
  }, [model, word, clip]);

  const columns = view ? `repeat(${view.chars.length}, minmax(1.6rem, 1fr))` : undefined;
  return (
    <div className="sd-widget" data-testid="unigram-lattice" ref={ref}>
      <label className="sd-widget__label">
        One word
        <input className="sd-widget__text" value={word} onChange={(e) => setWord(e.target.value)} aria-label="word to segment" />
      </label>
      {error && <p className="sd-runtime__error">{error}</p>}
      {!view && !error && <p className="sd-widget__hint">Loading the demo T5 tokenizer…</p>}
      {view && (
        <>
          <div className={styles.lattice} style={{ gridTemplateColumns: columns }}>
            {view.chars.map((c, i) => (
              <div key={`c${i}`} className={styles.char} style={{ gridColumn: i + 1 }}>
                {c}
              </div>
            ))}
            {view.edges.map((e, i) => (
              <div
                key={`e${i}`}
                className={clsx(styles.edge, view.chosen.has(e) && styles.best)}
                style={{ gridColumn: `${e.start + 1} / ${e.end + 1}` }}
                title={`${e.piece}: log p = ${e.score.toFixed(2)}`}
              >
                {e.piece}
                <span className={styles.score}>{e.score.toFixed(1)}</span>
              </div>
            ))}
            {view.best.slice(1).map((s, i) => (
              <div key={`b${i}`} className={styles.char} style={{ gridColumn: i + 1 }} title="best total log p up to here">
                {Number.isFinite(s) ? s.toFixed(1) : '–'}
              </div>
            ))}
          </div>
          <div className={styles.row} data-testid="lattice-viterbi" data-pieces={JSON.stringify(view.path.map((e) => e.piece))}>
            Viterbi's path: <strong>{view.path.map((e) => e.piece).join(' · ')}</strong> (log p {view.best[view.chars.length]!.toFixed(2)})
          </div>
          <div className={styles.row} data-testid="lattice-tokenizer" data-pieces={JSON.stringify(view.tokenizer)}>
            T5Tokenizer: <strong>{view.tokenizer.join(' · ')}</strong>
          </div>
          {view.bpe && (
            <div className={styles.row} data-testid="lattice-bpe">
              CLIP's BPE: <strong>{view.bpe.join(' · ')}</strong> (merges applied in rank order; no scores, no search)
            </div>
          )}
        </>
      )}
    </div>
  );
}
