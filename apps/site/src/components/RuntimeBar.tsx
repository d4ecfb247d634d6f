import React, { useEffect, useState } from 'react';
import { BACKENDS } from '../lib/contracts';
import { cancelLoad, getState, hubUrl, loadEncoder, setBackendChoice, setModelChoice, subscribe, type BackendChoice, type EncoderState } from '../lib/runtime';

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

async function runAll(): Promise<void> {
  for (const cell of Object.values(window.__sdtextCells ?? {})) await cell.run();
}

/** The page's runtime: backend (with fallback), which text encoder is loaded, and Run all. */
export default function RuntimeBar({ encoder = true }: { encoder?: boolean }): React.JSX.Element {
  const [state, setState] = useState<EncoderState>(getState);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    setState(getState());
    return subscribe(setState);
  }, []);
  const p = state.progress;
  const cache = state.sd2Cache;
  const percent = p?.total ? Math.min(100, (100 * p.loaded) / p.total) : null;
  return (
    <div className="sd-runtime" data-testid="runtime-bar" data-backend={state.backend ?? ''} data-phase={state.phase}>
      <div className="sd-runtime__row">
        <button
          type="button"
          className="button button--primary button--sm"
          disabled={running}
          onClick={() => {
            setRunning(true);
            void runAll().finally(() => setRunning(false));
          }}
        >
          {running ? 'Running all…' : '▶ Run all cells'}
        </button>
        {encoder && (
          <>
            <label className="sd-runtime__field">
              Backend{' '}
              <select value={state.requested} onChange={(e) => void setBackendChoice(e.target.value as BackendChoice)}>
                <option value="auto">auto: by the model&apos;s size</option>
                {BACKENDS.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </label>
            <span className="sd-runtime__field">
              in use: <strong data-testid="backend-in-use">{state.backend ?? (state.phase === 'loading' ? 'starting…' : 'starts on first run')}</strong>
            </span>
            {state.phase === 'idle' && (
              <button type="button" className="button button--secondary button--sm" onClick={() => void loadEncoder().catch(() => undefined)}>
                Start now
              </button>
            )}
          </>
        )}
      </div>
      {encoder && state.requested === 'auto' && state.autoReason && (
        <div className="sd-runtime__why" data-testid="auto-reason">
          {state.autoReason}.
        </div>
      )}
      {encoder && state.skipped.length > 0 && <div className="sd-runtime__note">Fell back: {state.skipped.join('; ')}.</div>}
      {encoder && (
        <div className="sd-runtime__row sd-runtime__model">
          {state.model === 'tiny' ? (
            <>
              <span>
                <strong>Demo text encoder</strong>: a tiny, randomly initialised model with SD2&apos;s vocabulary and layout (2 layers, 32 wide,
                3 MB, served by this site, works offline). <strong>Its numbers are not SD2&apos;s.</strong>
              </span>
              <button
                type="button"
                className="button button--outline button--primary button--sm"
                data-testid="load-sd2"
                disabled={!state.online && !cache?.complete}
                onClick={() => void setModelChoice('sd2').catch(() => undefined)}
              >
                {cache?.complete
                  ? `Load the real SD2 text encoder (in this browser's cache, ${formatBytes(cache.bytes)})`
                  : state.online
                    ? 'Load the real SD2 text encoder (≈680 MB download, then cached)'
                    : 'Real SD2 text encoder: not cached, and you are offline'}
              </button>
            </>
          ) : (
            <>
              <span data-testid="sd2-status">
                <strong>SD2 base text encoder</strong> ({hubUrl()}, fp16 branch):{' '}
                {cache === null
                  ? 'checking this browser\'s cache…'
                  : cache.complete
                    ? `in this browser's Cache Storage (${cache.files.length} files, ${formatBytes(cache.bytes)})${state.online ? '' : '; offline, so only the cache is read'}.`
                    : state.online
                      ? `not cached yet${cache.files.length ? ` (${cache.files.length} of its files are)` : ''}: loading downloads about 680 MB once, then keeps it in Cache Storage.`
                      : 'not in this browser\'s cache, and you are offline: it cannot load until you are online.'}
              </span>
              <button type="button" className="button button--secondary button--sm" data-testid="back-to-demo" onClick={() => void setModelChoice('tiny').catch(() => undefined)}>
                Back to the demo model
              </button>
            </>
          )}
          {state.phase === 'loading' && state.progress && (
            <button type="button" className="button button--secondary button--sm" data-testid="cancel-load" onClick={() => cancelLoad()}>
              Cancel
            </button>
          )}
        </div>
      )}
      {encoder && !state.online && (
        <div className="sd-runtime__why" data-testid="offline-note">
          Offline: the tokenizer, the demo model and every page already visited work; nothing is fetched from the hub.
        </div>
      )}
      {encoder && p && (
        <div className="sd-progress" role="progressbar" aria-valuenow={percent ?? undefined} aria-valuemin={0} aria-valuemax={100}>
          <div className="sd-progress__fill" style={{ width: `${percent ?? 100}%` }} />
          <span>
            {p.file}: {formatBytes(p.loaded)}
            {p.total ? ` of ${formatBytes(p.total)}` : ''}
          </span>
        </div>
      )}
      {encoder && state.error && <div className="sd-runtime__error">Could not load the text encoder: {state.error}</div>}
    </div>
  );
}
