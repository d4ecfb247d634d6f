/**
 * Every name that comes from outside (a repo's index file, a server's headers, a command-line flag)
 * and ends up in a file path is checked here, and only here, before it touches the filesystem:
 * repo-relative paths, revisions, variants, etags and commit hashes. A checked name cannot leave
 * the folder it is joined to. Errors quote the name with control characters escaped, so a hostile
 * name cannot drive the terminal that prints the message.
 */

export class UnsafeNameError extends Error {
  override name = 'UnsafeNameError';
  constructor(
    /** What the name is, e.g. "shard file name". */
    readonly kind: string,
    /** The name as received. */
    readonly value: string,
    /** Where it came from, e.g. "model.safetensors.index.json" or "X-Linked-Etag of https://...". */
    readonly where: string,
    why: string,
  ) {
    super(`${where}: unsafe ${kind} ${quoteForTerminal(value)}: ${why}`);
  }
}

/**
 * Control characters (C0, DEL, C1) and format characters (bidi overrides, zero-width) as `\uXXXX`
 * text: what a terminal would act on becomes visible. Everything else, quotes included, stays.
 */
export function escapeForTerminal(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A name in double quotes for a message, JSON-style, its control and format characters escaped. */
export function quoteForTerminal(value: string): string {
  return escapeForTerminal(JSON.stringify(value));
}

// Control characters (C0, DEL, C1) and format characters never belong in a file name we write.
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const MAX_PATH_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;

/**
 * A path inside a repo or model folder, as the hub names files: '/'-separated, relative, each
 * segment a plain name. Refused: absolute paths, drive letters, backslashes, '.' and '..'
 * segments, empty segments, control characters, and names longer than filesystems take.
 */
export function checkRepoPath(path: unknown, where: string, kind = 'file path'): string {
  if (typeof path !== 'string') throw new UnsafeNameError(kind, String(path), where, `expected a string, got ${typeof path}`);
  const refuse = (why: string): never => {
    throw new UnsafeNameError(kind, path, where, why);
  };
  if (path === '') refuse('it is empty');
  if (path.length > MAX_PATH_LENGTH) refuse(`it is longer than ${MAX_PATH_LENGTH} characters`);
  if (CONTROL.test(path)) refuse('it contains control characters');
  if (path.includes('\\')) refuse('it contains a backslash');
  if (path.startsWith('/')) refuse('it is absolute');
  if (/^[A-Za-z]:/.test(path)) refuse('it starts with a drive letter');
  for (const segment of path.split('/')) {
    if (segment === '') refuse('it has an empty segment');
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`);
    if (segment.length > MAX_SEGMENT_LENGTH) refuse(`a segment is longer than ${MAX_SEGMENT_LENGTH} characters`);
  }
  return path;
}

// Git ref names allow more; these are the characters branch and tag names use in practice, and
// none of them can form a path step ('..' and '.' segments are refused separately).
const REF_SEGMENT = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/**
 * A revision: a branch, a tag, `refs/pr/N` or a commit hash. It names `refs/<revision>` in the
 * cache, so each '/'-separated segment must be a plain name.
 */
export function checkRevision(revision: unknown, where: string): string {
  if (typeof revision !== 'string') throw new UnsafeNameError('revision', String(revision), where, `expected a string, got ${typeof revision}`);
  const refuse = (why: string): never => {
    throw new UnsafeNameError('revision', revision, where, why);
  };
  if (revision === '' || revision.length > 255) refuse('expected 1 to 255 characters');
  for (const segment of revision.split('/')) {
    if (!REF_SEGMENT.test(segment) || segment.includes('..') || segment.endsWith('.lock') || segment.endsWith('.')) {
      refuse('expected a branch, tag or commit hash made of letters, digits, "_", "-", "+", "." and "/"');
    }
  }
  return revision;
}

/** A weights variant (`fp16` in `model.fp16.safetensors`): letters, digits, '_' and '-'. */
export function checkVariant(variant: unknown, where: string): string {
  if (typeof variant !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(variant)) {
    throw new UnsafeNameError('variant', String(variant), where, 'expected 1 to 64 letters, digits, "_" or "-" (e.g. fp16)');
  }
  return variant;
}

/** A blob id: a git object id (40 hex) or an LFS sha256 (64 hex), lowercase, as the hub sends them. */
export function checkEtag(etag: unknown, where: string): string {
  if (typeof etag !== 'string' || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(etag)) {
    throw new UnsafeNameError('etag', String(etag), where, 'expected a git blob id (40 hex digits) or a sha256 (64 hex digits)');
  }
  return etag;
}

/** A commit hash: 40 lowercase hex digits. */
export function checkCommitHash(commit: unknown, where: string): string {
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new UnsafeNameError('commit hash', String(commit), where, 'expected 40 lowercase hex digits');
  }
  return commit;
}

/** A hub repo id: `owner/name` or a legacy bare name, each part a plain name. */
export function checkRepoId(repoId: unknown, where: string): string {
  if (typeof repoId !== 'string' || !isRepoId(repoId)) {
    throw new UnsafeNameError('repo id', String(repoId), where, 'expected owner/name (letters, digits, "_", "-", ".")');
  }
  return repoId;
}

/** Whether `value` looks like a hub repo id (`owner/name` or a legacy single name). */
export function isRepoId(value: string): boolean {
  return /^[\w.-]{1,96}(\/[\w.-]{1,96})?$/.test(value) && !value.split('/').some((p) => p.startsWith('.') || p.includes('..'));
}
