// One import() per lazily loaded package: each is then one chunk group, the same files whichever
// code asks for it, on the page and in the cells' worker. The worker loads the tfjs side of them
// once while online (`preloadAll`), so a worker started offline finds every file in the site's
// service worker. @sdtext/onnx (with onnxruntime-web) is left out: its chunk and its 28 MB wasm
// binary are fetched, and so kept for offline use, the first time the ONNX engine runs.
export const loadTokenizerPackage = () => import('@sdtext/tokenizer');
export const loadTextEncoderPackage = () => import('@sdtext/text-encoder');
export const loadPipelinePackage = () => import('@sdtext/pipeline');
export const loadPromptPackage = () => import(/* webpackChunkName: "sdtext-prompt" */ '@sdtext/prompt');
export const loadOnnxPackage = () => import(/* webpackChunkName: "sdtext-onnx" */ '@sdtext/onnx');
export const loadTfCore = () => import('@tensorflow/tfjs-core');
export const loadTfWasm = () => import('@tensorflow/tfjs-backend-wasm');
export const loadChainedOps = () => import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');

export const loadPromptPipe = () => import('./prompt-pipe');

export function preloadAll(): Promise<unknown> {
  return Promise.allSettled([
    loadTokenizerPackage(),
    loadTextEncoderPackage(),
    loadPipelinePackage(),
    loadPromptPackage(),
    loadTfCore(),
    loadTfWasm(),
    loadChainedOps(),
    loadPromptPipe(),
  ]);
}
