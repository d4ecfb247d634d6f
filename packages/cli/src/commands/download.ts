import { downloadTextComponents, hubOptionsFromEnv, type DownloadedFile } from '@sdtext/pipeline';
import { UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions } from '../parse-options.js';
import { ProgressReporter, formatBytes } from '../progress.js';

const USAGE = `sdtext download REPO [--revision R] [--variant fp16] [options]

Fetches the text side of a Stable Diffusion (or CLIP) repo from the Hugging Face hub into the shared
Hugging Face cache (HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub): model_index.json, the
tokenizer folder(s) and the text encoder(s). Files Python already downloaded are reused; interrupted
downloads resume. Prints the snapshot folder, which "sdtext encode --model" accepts.

  --revision R                branch, tag or commit (default: main)
  --variant NAME              weights variant, e.g. fp16 for model.fp16.safetensors
  --endpoint URL              hub root (default: HF_ENDPOINT or https://huggingface.co)
  --cache-dir DIR             cache root (default: HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)

Gated or private repos need a token in HF_TOKEN (or the file huggingface-cli login writes).`;

export const downloadCommand: Command = {
  name: 'download',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      revision: { type: 'string' },
      variant: { type: 'string' },
      endpoint: { type: 'string' },
      'cache-dir': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one REPO (owner/name)');
    const repo = positionals[0]!;
    const progress = new ProgressReporter(io);
    const started = Date.now();

    const files = await downloadTextComponents(repo, {
      ...hubOptionsFromEnv(io.env),
      ...(values.revision !== undefined ? { revision: values.revision } : {}),
      ...(values.variant !== undefined ? { variant: values.variant } : {}),
      ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
      ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
      onFileStart: (path) => progress.start(path),
      onProgress: (p) => progress.update(p),
      onFileDone: (file) => progress.done(file),
    });

    const fetched = files.filter((f) => !f.fromCache);
    const bytes = fetched.reduce((sum, f) => sum + f.size, 0);
    const seconds = (Date.now() - started) / 1000;
    io.stderr(
      `${files.length} files, ${fetched.length} downloaded (${formatBytes(bytes)} in ${seconds.toFixed(1)} s), ` +
        `${files.length - fetched.length} already cached\n`,
    );
    io.stdout(snapshotFolder(files[0]!) + '\n');
    return 0;
  },
};

/** `.../snapshots/<commit>` from the first file's path and its repo-relative path. */
function snapshotFolder(file: DownloadedFile): string {
  return file.localPath.slice(0, file.localPath.length - file.path.length - 1);
}
