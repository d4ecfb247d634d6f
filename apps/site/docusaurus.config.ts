import { join } from 'node:path';
import type { Config, Plugin } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import { darkCodeTheme, lightCodeTheme } from './src/lib/code-themes';

// Everything the pages run (tokenizer, tfjs, the encoder) is import()ed in the browser only; the
// server (SSG) build gets empty modules in their place, so no tfjs code runs at build time.
const BROWSER_ONLY_MODULES = [
  '@sdtext/tokenizer',
  '@sdtext/text-encoder',
  '@sdtext/pipeline',
  '@sdtext/prompt',
  '@sdtext/onnx',
  'onnxruntime-web',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-backend-wasm',
];

// Node built-ins that tfjs and our packages mention behind runtime checks; the browser never loads them.
const NODE_BUILTINS = ['fs', 'path', 'os', 'url', 'util', 'crypto', 'worker_threads', 'perf_hooks', 'stream', 'module', 'child_process', 'fs/promises', 'v8', 'vm'];

/** tfjs-backend-wasm's threaded emscripten factory, as the backend imports it (see src/lib/tfjs-threaded-factory.ts). */
const TFJS_THREADED_FACTORY = /[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
const THREADED_FACTORY_STAND_IN = join(__dirname, 'src/lib/tfjs-threaded-factory.ts');

/**
 * Rewrites requests before webpack resolves them: strips `node:` (webpack 5 refuses the scheme for
 * browser targets, so the aliases below apply), and points tfjs-backend-wasm's threaded factory at
 * the stand-in whose toString() is the unminified script its pthread workers can run.
 */
const rewriteRequests = {
  apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (factory: NodeModuleFactory) => void): void } } }): void {
    compiler.hooks.normalModuleFactory.tap('sdtext-rewrite-requests', (factory) => {
      factory.hooks.beforeResolve.tap('sdtext-rewrite-requests', (data) => {
        if (data.request.startsWith('node:')) data.request = data.request.slice(5);
        if (TFJS_THREADED_FACTORY.test(data.request) && /tfjs-backend-wasm/.test(data.context)) data.request = THREADED_FACTORY_STAND_IN;
      });
    });
  },
};
interface NodeModuleFactory {
  hooks: { beforeResolve: { tap(name: string, fn: (data: { request: string; context: string }) => void): void } };
}

/** Code that pages import() on demand: it must never land in the `common` chunk every page loads. */
const LAZY_CODE =
  /[\\/](node_modules[\\/](\.pnpm[\\/])?(@tensorflow|onnxruntime-)|packages[\\/](tokenizer|text-encoder|pipeline|prompt|core|onnx|ftfy)[\\/]|src[\\/]lib[\\/](runner|runtime|cell-worker|prompt-worker|widget-tasks|load-|onnx-text-model|engine-choice|lazy|pyrepr|safetensors|prompt-pipe|tfjs-threaded))/;

function browserRuntimePlugin(): Plugin {
  return {
    name: 'sdtext-browser-runtime',
    configureWebpack(config, isServer) {
      const splitChunks = config.optimization?.splitChunks;
      const common = splitChunks ? splitChunks.cacheGroups?.common : undefined;
      if (common && typeof common === 'object' && !(common instanceof RegExp)) {
        common.test = (module) => !LAZY_CODE.test(module.nameForCondition() ?? '');
      }
      const alias: Record<string, false> = {};
      for (const name of NODE_BUILTINS) {
        alias[name] = false;
        alias[`node:${name}`] = false;
      }
      if (isServer) for (const name of BROWSER_ONLY_MODULES) alias[name] = false;
      // Browsers run onnxruntime-web; the Node runtime never reaches a page.
      alias['onnxruntime-node'] = false;
      // The hub client's cross-process lock guards Node's disk cache only (browsers keep Cache Storage).
      alias['proper-lockfile'] = false;
      return {
        plugins: [rewriteRequests],
        // `import text from 'file?raw'`: the file's text (the tfjs factory stand-in reads its script so).
        module: { rules: [{ resourceQuery: /raw/, type: 'asset/source' }] },
        resolve: {
          alias,
          fallback: Object.fromEntries(NODE_BUILTINS.map((n) => [n, false])),
          // onnxruntime-web's build without its glue script inlined: the glue (.mjs) and the binary
          // (.wasm) are served from generated/ort/, so its pthread workers start from a real file
          // (the inlined glue would start them from webpack's chunk, which cannot run as one).
          conditionNames: ['onnxruntime-web-use-extern-wasm', '...'],
        },
        // tfjs's published bundles carry source maps that point at files outside the package.
        ignoreWarnings: [/Failed to parse source map/, /Critical dependency/],
      };
    },
  };
}

const config: Config = {
  title: 'sdtext',
  tagline: 'The text half of Stable Diffusion, step by step, running in your browser',
  url: 'http://127.0.0.1:3000',
  baseUrl: '/',
  trailingSlash: false,
  onBrokenLinks: 'throw',
  favicon: 'img/favicon.svg',
  i18n: { defaultLocale: 'en', locales: ['en'] },
  markdown: { format: 'mdx', hooks: { onBrokenMarkdownLinks: 'throw' } },
  presets: [
    [
      'classic',
      {
        docs: { routeBasePath: 'tutorial', sidebarPath: './sidebars.ts' },
        blog: false,
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  plugins: [browserRuntimePlugin],
  themeConfig: {
    colorMode: { respectPrefersColorScheme: true },
    navbar: {
      title: 'sdtext',
      items: [
        { type: 'docSidebar', sidebarId: 'tutorial', position: 'left', label: 'Tutorial' },
      ],
    },
    footer: {
      style: 'dark',
      copyright:
        'Follows "Stable Diffusion from Beginner to Master (4): Text Encoder and Tokenizer". Runs on @sdtext/tokenizer and @sdtext/text-encoder.',
    },
    prism: { theme: lightCodeTheme, darkTheme: darkCodeTheme, additionalLanguages: ['bash'] },
  } satisfies Preset.ThemeConfig,
};

export default config;
