/** Base class of hub failures; `status` is the HTTP status when there was a response. */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly url: string | null = null,
  ) {
    super(message);
  }
}

/** 401/404 on the repo itself: it does not exist, is private, or the token is wrong. */
export class RepositoryNotFoundError extends HubError {
  override name = 'RepositoryNotFoundError';
}

/** The repo exists but needs the user to accept its conditions (and a token). */
export class GatedRepoError extends HubError {
  override name = 'GatedRepoError';
}

export class RevisionNotFoundError extends HubError {
  override name = 'RevisionNotFoundError';
}

/** The file is not in the repo at that revision (FileSource turns this into `null`). */
export class EntryNotFoundError extends HubError {
  override name = 'EntryNotFoundError';
}

/** Offline mode or no connection, and the file is not in the local cache. */
export class LocalEntryNotFoundError extends HubError {
  override name = 'LocalEntryNotFoundError';
}

/** Bytes that do not match the size or sha256 the hub announced. */
export class IntegrityError extends HubError {
  override name = 'IntegrityError';
}

/** No response, or no bytes, within the allowed time: a stalled server or connection. */
export class HubTimeoutError extends HubError {
  override name = 'HubTimeoutError';
}
