import type { Config, Plugin } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import { themes as prismThemes } from 'prism-react-renderer';

// Everything the pages run (tokenizer, tfjs, the encoder) is import()ed in the browser only; the
// server (SSG) build gets empty modules in their place, so no tfjs code runs at build time.
const BROWSER_ONLY_MODULES = [
  '@sdtext/tokenizer',
  '@sdtext/text-encoder',
  '@sdtext/pipeline',
  '@sdtext/prompt',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-backend-wasm',
];

// Node built-ins that tfjs and our packages mention behind runtime checks; the browser never loads them.
const NODE_BUILTINS = ['fs', 'path', 'os', 'url', 'util', 'crypto', 'worker_threads', 'perf_hooks', 'stream', 'module', 'child_process', 'fs/promises', 'v8', 'vm'];

/** Webpack 5 refuses `node:` specifiers for browser targets: strip the scheme so the aliases apply. */
const stripNodeScheme = {
  apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (factory: NodeModuleFactory) => void): void } } }): void {
    compiler.hooks.normalModuleFactory.tap('sdtext-strip-node-scheme', (factory) => {
      factory.hooks.beforeResolve.tap('sdtext-strip-node-scheme', (data) => {
        if (data.request.startsWith('node:')) data.request = data.request.slice(5);
      });
    });
  },
};
interface NodeModuleFactory {
  hooks: { beforeResolve: { tap(name: string, fn: (data: { request: string }) => void): void } };
}

/** Code that pages import() on demand: it must never land in the `common` chunk every page loads. */
const LAZY_CODE = /[\\/](node_modules[\\/](\.pnpm[\\/])?(@tensorflow|onnxruntime-)|packages[\\/](tokenizer|text-encoder|pipeline|prompt|core|onnx|ftfy)[\\/]|src[\\/]lib[\\/](runner|cell-client|cell-worker|lazy|pyrepr|safetensors|prompt-pipe))/;

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
      // The pages run @sdtext/pipeline on its tfjs engine: leave ONNX Runtime (a 28 MB wasm) out.
      for (const name of ['onnxruntime-web', 'onnxruntime-node']) alias[name] = false;
      return {
        plugins: [stripNodeScheme],
        resolve: { alias, fallback: Object.fromEntries(NODE_BUILTINS.map((n) => [n, false])) },
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
    prism: { theme: prismThemes.github, darkTheme: prismThemes.dracula, additionalLanguages: ['bash'] },
  } satisfies Preset.ThemeConfig,
};

export default config;
