import React, { useEffect, useState } from 'react';
import { BACKENDS, ENGINE_LABELS, ENGINES, backendsOf, type BackendChoice, type EngineChoice } from '../lib/contracts';
import { sd2HubUrl } from '../lib/sd2-cache';
import { cancelLoad, getState, loadEncoder, setBackendChoice, setEngineChoice, setModelChoice, subscribe, type EncoderState } from '../lib/worker-client';

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

async function runAll(): Promise<void> {
  for (const cell of Object.values(window.__sdtextCells ?? {})) await cell.run();
}

function InUseLine({ state }: { state: EncoderState }): React.JSX.Element {
  const u = state.inUse;
  if (!u) {
    return (
      <span className="sd-runtime__field">
        in use: <strong data-testid="backend-in-use">{state.phase === 'loading' ? 'starting…' : 'starts on first run'}</strong>
      </span>
    );
  }
  return (
    <span className="sd-runtime__field">
      in use: <strong data-testid="engine-in-use" data-engine={u.engine}>{ENGINE_LABELS[u.engine]}</strong> on{' '}
      <strong data-testid="backend-in-use">{u.backend}</strong>
      {u.threads !== null && (
        <span data-testid="threads-in-use" data-threads={u.threads}>
          {' '}
          ({u.threads} thread{u.threads === 1 ? '' : 's'})
        </span>
      )}
    </span>
  );
}

/** The model row: which text encoder the cells use, and the button that swaps it. */
function ModelRow({ state }: { state: EncoderState }): React.JSX.Element {
  const cache = state.sd2Cache;
  const sd2Blocked = !state.online && !cache?.complete;
  return (
    <div className="sd-runtime__row sd-runtime__model">
      {state.model === 'tiny' ? (
        <>
          <span>
            <strong>Demo text encoder</strong>: a tiny, randomly initialised model with SD2&apos;s vocabulary and layout (2 layers, 32 wide, 3 MB,
            served by this site, works offline). <strong>Its numbers are not SD2&apos;s.</strong>
          </span>
          <button
            type="button"
            className="button button--outline button--primary button--sm sd-runtime__load"
            data-testid="load-sd2"
            disabled={sd2Blocked || state.loadingModel === 'sd2'}
            onClick={() => void setModelChoice('sd2')}
          >
            {state.loadingModel === 'sd2'
              ? 'Loading the real SD2 text encoder…'
              : cache?.complete
                ? `Load the real SD2 text encoder (in this browser's cache, ${formatBytes(cache.bytes)})`
                : state.online
                  ? 'Load the real SD2 text encoder (≈680 MB download, then cached)'
                  : 'Real SD2 text encoder: you are offline and it is not in this browser\'s cache'}
          </button>
        </>
      ) : (
        <>
          <span data-testid="sd2-status">
            <strong>SD2 base text encoder</strong> ({sd2HubUrl(state.hubEndpoint)}, fp16 branch):{' '}
            {cache === null
              ? 'checking this browser\'s cache…'
              : cache.complete
                ? `in this browser's Cache Storage (${cache.files.length} files, ${formatBytes(cache.bytes)})${state.online ? '' : '; offline, so only the cache is read'}.`
                : state.online
                  ? `not cached yet${cache.files.length ? ` (${cache.files.length} of its files are)` : ''}: loading downloads about 680 MB once, then keeps it in Cache Storage.`
                  : 'not in this browser\'s cache, and you are offline: it cannot load until you are online.'}
          </span>
          <button type="button" className="button button--secondary button--sm" data-testid="back-to-demo" onClick={() => void setModelChoice('tiny')}>
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
  );
}

/** The page's runtime: engine and backend (with fallback), which text encoder is loaded, and Run all. */
export default function RuntimeBar({ encoder = true }: { encoder?: boolean }): React.JSX.Element {
  const [state, setState] = useState<EncoderState>(getState);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    setState(getState());
    return subscribe(setState);
  }, []);
  const p = state.progress;
  const percent = p?.total ? Math.min(100, (100 * p.loaded) / p.total) : null;
  const engine = state.requested.engine;
  const offered = engine === 'auto' ? BACKENDS : backendsOf(engine);
  return (
    <div
      className="sd-runtime"
      data-testid="runtime-bar"
      data-engine={state.inUse?.engine ?? ''}
      data-backend={state.inUse?.backend ?? ''}
      data-phase={state.phase}
      data-isolated={String(state.isolated)}
    >
      <div className="sd-runtime__row">
        <button
          type="button"
          className="button button--primary button--sm sd-run-all"
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
              Engine{' '}
              <select value={engine} onChange={(e) => void setEngineChoice(e.target.value as EngineChoice)} data-testid="engine-select">
                <option value="auto">auto: by the model&apos;s size</option>
                {ENGINES.map((name) => (
                  <option key={name} value={name}>
                    {ENGINE_LABELS[name]}
                  </option>
                ))}
              </select>
            </label>
            <label className="sd-runtime__field">
              Backend{' '}
              <select value={state.requested.backend} onChange={(e) => void setBackendChoice(e.target.value as BackendChoice)} data-testid="backend-select">
                <option value="auto">auto</option>
                {offered.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </label>
            <InUseLine state={state} />
            {state.phase === 'idle' && (
              <button type="button" className="button button--secondary button--sm" onClick={() => void loadEncoder().catch(() => undefined)}>
                Start now
              </button>
            )}
          </>
        )}
      </div>
      {encoder && state.autoReason && (
        <div className="sd-runtime__why" data-testid="auto-reason">
          {state.autoReason}.
        </div>
      )}
      {encoder && (
        <div className="sd-runtime__why" data-testid="isolation-note">
          {state.isolated
            ? 'This page is cross-origin isolated, so WebAssembly runs on threads (both engines).'
            : 'This page is not cross-origin isolated (its server sends no COOP/COEP headers), so WebAssembly runs on one thread.'}
        </div>
      )}
      {encoder && state.skipped.length > 0 && <div className="sd-runtime__note">Fell back: {state.skipped.join('; ')}.</div>}
      {encoder && <ModelRow state={state} />}
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
      {encoder && state.error && (
        <div className="sd-runtime__error" data-testid="runtime-error" role="alert">
          {state.error}
        </div>
      )}
    </div>
  );
}
