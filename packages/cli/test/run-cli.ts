import { main } from '../src/index.js';

/** Runs the CLI in-process and collects what it prints. */
export async function runCli(
  args: string[],
  cwd = process.cwd(),
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: false,
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
