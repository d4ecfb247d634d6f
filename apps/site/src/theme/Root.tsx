import React, { useEffect } from 'react';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';

/**
 * static/sw.js keeps a copy of what the site serves, so visited pages reload offline. What this
 * page loaded before the worker took control is handed to it to keep as well.
 */
async function registerServiceWorker(baseUrl: string): Promise<void> {
  if (!('serviceWorker' in navigator) || !/^https?:$/.test(window.location.protocol)) return;
  try {
    await navigator.serviceWorker.register(`${baseUrl}sw.js`, { scope: baseUrl });
    const registration = await navigator.serviceWorker.ready;
    // Plus the demo model and the wasm backend's binaries, so the demo model works offline even if
    // it was never run online (e.g. the reader went straight to SD2).
    const demo = ['text_model/config.json', 'text_model/model.safetensors', 'manifest.json'].map((f) => `${baseUrl}generated/models/sd2-tiny/${f}`);
    const wasm = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'].map((f) => `${baseUrl}generated/tfjs-wasm/${f}`);
    const urls = [window.location.href, ...performance.getEntriesByType('resource').map((e) => e.name), ...[...demo, ...wasm].map((u) => new URL(u, window.location.href).href)];
    registration.active?.postMessage({ type: 'sdtext-cache', urls });
    document.documentElement.dataset.offlineReady = 'true';
  } catch {
    // No service worker (private mode, file://): the site works, just not offline.
  }
}

/** Wraps every page: hands the base URL to the runtime and marks the page hydrated (for the e2e test). */
export default function Root({ children }: { children: React.ReactNode }): React.JSX.Element {
  const { siteConfig } = useDocusaurusContext();
  useEffect(() => {
    void import('../lib/worker-client').then((m) => {
      m.configureRuntime({ baseUrl: siteConfig.baseUrl });
      performance.mark('sdtext-hydrated');
      document.documentElement.dataset.hydrated = 'true';
    });
    void registerServiceWorker(siteConfig.baseUrl);
  }, [siteConfig.baseUrl]);
  return <>{children}</>;
}
