// Debian's chromium through playwright-core, for the browser tests (never a downloaded browser).
// Flags follow ../shared/PLATFORM.md: the closed network here refuses chromium's own background
// connections, so those are switched off.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SDTEXT_CHROMIUM ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  /** Expose WebGPU (SwiftShader's adapter on machines without a GPU). */
  webgpu?: boolean;
  extraArgs?: string[];
}

export interface LaunchedChromium {
  context: BrowserContext;
  /** Closes the browser and deletes its fresh profile folder. */
  close(): Promise<void>;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with "apt-get install -y chromium" ` +
        '(or set SDTEXT_CHROMIUM to another chromium binary).',
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'sdtext-chromium-'));
  const args = [...BASE_ARGS, ...(options.extraArgs ?? [])];
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
