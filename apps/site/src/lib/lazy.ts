// One import() per lazily loaded package: each is then one chunk group, the same files whichever
// code asks for it, on the page and in the cells' worker. The worker loads all of them once while
// online (`preloadAll`), so a worker started offline finds every file in the site's service worker.
export const loadTokenizerPackage = () => import('@sdtext/tokenizer');
export const loadTextEncoderPackage = () => import('@sdtext/text-encoder');
export const loadPipelinePackage = () => import('@sdtext/pipeline');
export const loadPromptPackage = () => import('@sdtext/prompt');
export const loadTfCore = () => import('@tensorflow/tfjs-core');
export const loadChainedOps = () => import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');

export const loadPromptPipe = () => import('./prompt-pipe');

export function preloadAll(): Promise<unknown> {
  return Promise.allSettled([loadTokenizerPackage(), loadTextEncoderPackage(), loadPipelinePackage(), loadPromptPackage(), loadTfCore(), loadChainedOps(), loadPromptPipe()]);
}
