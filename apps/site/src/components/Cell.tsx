import React, { useCallback, useEffect, useId, useRef, useState } from 'react';
import clsx from 'clsx';
import { Highlight } from 'prism-react-renderer';
import { darkCodeTheme, lightCodeTheme } from '../lib/code-themes';
import { useColorMode } from '@docusaurus/theme-common';
import CodeEditor from './CodeEditor';
import type { CellResult, runCell as RunCell, stopCell as StopCell } from '../lib/worker-client';
import { compareWithSeed, type SeedComparison } from '../lib/compare';
import { cellSources } from '../lib/code-blocks';

export interface CellRecord {
  id: string;
  status: Status;
  output: string;
  error: string | null;
  value: unknown;
  engine: string | null;
  backend: string | null;
  /** tf.memory().numTensors before and after the run (null when the cell did not use tfjs). */
  tensors: { before: number; after: number } | null;
  ms: number | null;
  /** The code in the editor now. */
  code: string;
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
  /**
   * The cell's sources as fenced code blocks: ```js (what runs) and optionally ```python (the
   * seed's code for the same step). Fenced blocks keep their indentation in MDX.
   */
  children?: React.ReactNode;
  /** JavaScript given inline instead of as a ```js block (one-liners). */
  code?: string;
  /** What the seed printed for this cell, verbatim. */
  seed?: string;
  /** How the live output must match the seed's. */
  compare?: SeedComparison;
  /** A line under the seed's output explaining a difference. */
  note?: string;
  /** Whose Python the ```python block is (the tab's label): the original tutorial's by default. */
  pythonFrom?: string;
}

const loadRunner = (): Promise<{ runCell: typeof RunCell; stopCell: typeof StopCell }> => import('../lib/worker-client');

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The seed's Python, highlighted and read-only. */
function PythonSource({ code }: { code: string }): React.JSX.Element {
  const { colorMode } = useColorMode();
  const theme = colorMode === 'dark' ? darkCodeTheme : lightCodeTheme;
  return (
    <Highlight code={code} language="python" theme={theme}>
      {({ tokens, getLineProps, getTokenProps }) => (
        <pre className="sd-editor__highlight sd-cell__python" style={{ background: theme.plain.backgroundColor, color: theme.plain.color }} tabIndex={0}>
          {tokens.map((line, i) => (
            <div key={i} {...getLineProps({ line })}>
              {line.map((token, k) => (
                <span key={k} {...getTokenProps({ token })} />
              ))}
            </div>
          ))}
        </pre>
      )}
    </Highlight>
  );
}

/** A runnable cell: editable code (with the seed's Python in a second tab), Run, the live output and the seed's printed output. */
export default function Cell({ id, children, code, seed, compare = 'exact', note, pythonFrom = 'original' }: Props): React.JSX.Element {
  const sources = cellSources(children);
  const initial = (sources.js ?? code ?? '').replace(/^\n+|\s+$/g, '');
  const python = sources.python?.replace(/^\n+|\s+$/g, '') ?? null;
  const [source, setSource] = useState(initial);
  const [tab, setTab] = useState<'js' | 'python'>('js');
  const [status, setStatus] = useState<Status>('idle');
  const [result, setResult] = useState<CellResult | null>(null);
  const [live, setLive] = useState('');
  const sourceRef = useRef(source);
  sourceRef.current = source;
  const tabsId = useId();

  const run = useCallback(async () => {
    setStatus('running');
    setLive('');
    const { runCell } = await loadRunner();
    const r = await runCell(sourceRef.current, setLive);
    setResult(r);
    setStatus(r.error ? 'error' : 'done');
    window.__sdtextCells ??= {};
    const record = window.__sdtextCells[id];
    if (record) {
      Object.assign(record, { status: r.error ? 'error' : 'done', output: r.output, error: r.error, value: r.value, engine: r.engine, backend: r.backend, tensors: r.tensors, ms: r.ms });
    }
  }, [id]);

  useEffect(() => {
    window.__sdtextCells ??= {};
    window.__sdtextCells[id] = {
      id,
      status: 'idle',
      output: '',
      error: null,
      value: undefined,
      engine: null,
      backend: null,
      tensors: null,
      ms: null,
      code: sourceRef.current,
      run,
      setCode: setSource,
    };
    return () => {
      delete window.__sdtextCells?.[id];
    };
  }, [id, run]);

  useEffect(() => {
    const record = window.__sdtextCells?.[id];
    if (record) record.code = source;
  }, [id, source]);

  const output = result ? result.output : live;
  const verdict = result && !result.error && seed !== undefined ? compareWithSeed(result.output, seed, compare) : null;
  const announce =
    status === 'running' ? 'Running…' : status === 'error' ? `Cell failed: ${result?.error ?? ''}` : status === 'done' && result ? `Done in ${formatMs(result.ms)}` : '';
  return (
    <div className={clsx('sd-cell', `sd-cell--${status}`)} data-cell={id} data-status={status}>
      <div className="sd-cell__bar">
        <button type="button" className="button button--primary button--sm sd-run" onClick={() => void run()} disabled={status === 'running'}>
          {status === 'running' ? 'Running…' : '▶ Run'}
        </button>
        {status === 'running' && (
          <button type="button" className="button button--danger button--sm sd-stop" onClick={() => void loadRunner().then((m) => m.stopCell())}>
            ■ Stop
          </button>
        )}
        {source !== initial && (
          <button type="button" className="button button--secondary button--sm" onClick={() => setSource(initial)}>
            Reset
          </button>
        )}
        {python !== null && (
          <div className="sd-tabs" role="tablist" aria-label={`Language of cell ${id}`}>
            {(['js', 'python'] as const).map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                id={`${tabsId}-${t}`}
                aria-selected={tab === t}
                aria-controls={`${tabsId}-panel`}
                tabIndex={tab === t ? 0 : -1}
                className={clsx('sd-tab', tab === t && 'sd-tab--active')}
                data-tab={t}
                onClick={() => setTab(t)}
                onKeyDown={(e) => {
                  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                    const next = t === 'js' ? 'python' : 'js';
                    setTab(next);
                    (e.currentTarget.parentElement?.querySelector(`[data-tab="${next}"]`) as HTMLElement | null)?.focus();
                  }
                }}
              >
                {t === 'js' ? 'JavaScript' : `Python (${pythonFrom})`}
              </button>
            ))}
          </div>
        )}
        <span className="sd-cell__meta">
          {result?.engine && result.backend && (
            <span className="sd-badge" data-testid="cell-engine">
              {result.engine === 'onnx' ? 'ONNX Runtime' : 'tfjs'} · {result.backend}
            </span>
          )}
          {result?.model && <span className="sd-badge sd-badge--model">{result.model === 'tiny' ? 'demo model' : 'SD2 weights'}</span>}
          {result && <span>{formatMs(result.ms)}</span>}
        </span>
      </div>
      <div id={`${tabsId}-panel`} role={python !== null ? 'tabpanel' : undefined} aria-labelledby={python !== null ? `${tabsId}-${tab}` : undefined}>
        {tab === 'js' || python === null ? (
          <CodeEditor value={source} onChange={setSource} onRun={() => void run()} label={`Code of cell ${id}`} />
        ) : (
          <PythonSource code={python} />
        )}
      </div>
      <span className="sd-visually-hidden" role="status" data-testid="cell-status">
        {announce}
      </span>
      <div className="sd-cell__live" aria-live="polite" aria-busy={status === 'running'}>
        {(status !== 'idle' || output) && (
          <pre className={clsx('sd-cell__output', result?.error && 'sd-cell__output--error')} data-testid="cell-output" tabIndex={0} aria-label={`Output of cell ${id}`}>
            {output}
            {result?.error && `${output ? '\n' : ''}${result.error}`}
          </pre>
        )}
      </div>
      {seed !== undefined && (
        <details className="sd-cell__seed" open={status === 'idle' || verdict === 'differs'}>
          <summary>
            The original printed
            {verdict === 'same' && <span className="sd-verdict sd-verdict--same">✓ identical</span>}
            {verdict === 'differs' && <span className="sd-verdict sd-verdict--differs">differs</span>}
            {verdict === 'same-prefix' && <span className="sd-verdict sd-verdict--same">✓ ids and masks identical</span>}
          </summary>
          <pre data-testid="seed-output" tabIndex={0}>
            {seed}
          </pre>
          {note && <p className="sd-cell__note">{note}</p>}
        </details>
      )}
    </div>
  );
}
