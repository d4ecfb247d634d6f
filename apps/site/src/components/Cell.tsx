import React, { useCallback, useEffect, useRef, useState } from 'react';
import clsx from 'clsx';
import CodeEditor from './CodeEditor';
import type { CellResult, runCell as RunCell } from '../lib/runner';
import { compareWithSeed, type SeedComparison } from '../lib/compare';

export interface CellRecord {
  id: string;
  status: Status;
  output: string;
  error: string | null;
  value: unknown;
  backend: string | null;
  run: () => Promise<void>;
  setCode: (code: string) => void;
}

declare global {
  interface Window {
    /** Every cell on the page, by id: lets "Run all" and the e2e test drive the cells. */
    __sdtextCells?: Record<string, CellRecord>;
  }
}

type Status = 'idle' | 'running' | 'done' | 'error';

interface Props {
  id: string;
  code: string;
  /** What the seed printed for this cell, verbatim. */
  seed?: string;
  /** How the live output must match the seed's. */
  compare?: SeedComparison;
  /** A line under the seed's output explaining a difference. */
  note?: string;
}

const loadRunner = (): Promise<{ runCell: typeof RunCell }> => import('../lib/runner');

/** A runnable cell: editable code, a Run button, the live output and the seed's printed output. */
export default function Cell({ id, code, seed, compare = 'exact', note }: Props): React.JSX.Element {
  const initial = code.replace(/^\n+|\s+$/g, '');
  const [source, setSource] = useState(initial);
  const [status, setStatus] = useState<Status>('idle');
  const [result, setResult] = useState<CellResult | null>(null);
  const [live, setLive] = useState('');
  const sourceRef = useRef(source);
  sourceRef.current = source;

  const run = useCallback(async () => {
    setStatus('running');
    setLive('');
    const { runCell } = await loadRunner();
    const r = await runCell(sourceRef.current, setLive);
    setResult(r);
    setStatus(r.error ? 'error' : 'done');
    window.__sdtextCells ??= {};
    const record = window.__sdtextCells[id];
    if (record) Object.assign(record, { status: r.error ? 'error' : 'done', output: r.output, error: r.error, value: r.value, backend: r.backend });
  }, [id]);

  useEffect(() => {
    window.__sdtextCells ??= {};
    window.__sdtextCells[id] = { id, status: 'idle', output: '', error: null, value: undefined, backend: null, run, setCode: setSource };
    return () => {
      delete window.__sdtextCells?.[id];
    };
  }, [id, run]);

  const output = result ? result.output : live;
  const verdict = result && !result.error && seed !== undefined ? compareWithSeed(result.output, seed, compare) : null;
  return (
    <div className={clsx('sd-cell', `sd-cell--${status}`)} data-cell={id} data-status={status}>
      <div className="sd-cell__bar">
        <button type="button" className="button button--primary button--sm sd-run" onClick={() => void run()} disabled={status === 'running'}>
          {status === 'running' ? 'Running…' : '▶ Run'}
        </button>
        {source !== initial && (
          <button type="button" className="button button--secondary button--sm" onClick={() => setSource(initial)}>
            Reset
          </button>
        )}
        <span className="sd-cell__meta">
          {result?.backend && <span className="sd-badge">{result.backend}</span>}
          {result?.model && <span className="sd-badge sd-badge--model">{result.model === 'tiny' ? 'demo model' : 'SD2 weights'}</span>}
          {result && <span>{result.ms < 1000 ? `${result.ms.toFixed(0)} ms` : `${(result.ms / 1000).toFixed(2)} s`}</span>}
        </span>
      </div>
      <CodeEditor value={source} onChange={setSource} onRun={() => void run()} label={`Code of cell ${id}`} />
      {(status !== 'idle' || output) && (
        <pre className={clsx('sd-cell__output', result?.error && 'sd-cell__output--error')} data-testid="cell-output">
          {output}
          {result?.error && `${output ? '\n' : ''}${result.error}`}
        </pre>
      )}
      {seed !== undefined && (
        <details className="sd-cell__seed" open={status === 'idle' || verdict === 'differs'}>
          <summary>
            The seed printed
            {verdict === 'same' && <span className="sd-verdict sd-verdict--same">✓ identical</span>}
            {verdict === 'differs' && <span className="sd-verdict sd-verdict--differs">differs</span>}
            {verdict === 'same-prefix' && <span className="sd-verdict sd-verdict--same">✓ ids and masks identical</span>}
          </summary>
          <pre data-testid="seed-output">{seed}</pre>
          {note && <p className="sd-cell__note">{note}</p>}
        </details>
      )}
    </div>
  );
}
