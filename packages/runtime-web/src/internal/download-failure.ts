/**
 * Why a download failed although the file may well be there: the `cause` of fetchSource's
 * `missing-file` errors other than an HTTP 404 / 410. Its `code` tells the core's import code that
 * the file is unreadable, not absent, so an optional file (a model.json overlay) is never skipped
 * because of a 503 or a dropped connection (a cause with no code, or none, means "absent").
 */

/** What went wrong: an HTTP status other than 404 / 410, no answer or a broken stream, a body cut short. @internal */
export type DownloadFailureCode = 'ERR_HTTP_STATUS' | 'ERR_NETWORK' | 'ERR_TRUNCATED';

/** The cause of a failed download. @internal */
export class DownloadFailure extends Error {
  /** What went wrong. */
  readonly code: DownloadFailureCode;
  /** The URL fetched. */
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | null;

  /**
   * @param code - What went wrong.
   * @param url - The URL fetched.
   * @param message - The reason, in words.
   * @param options - `status`, `cause` (the fetch or stream error).
   */
  constructor(code: DownloadFailureCode, url: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DownloadFailure';
    this.code = code;
    this.url = url;
    this.status = options.status ?? null;
  }
}

/** HTTP statuses that mean the file is not there (the source's "absent"). @internal */
export const ABSENT_STATUSES: ReadonlySet<number> = new Set([404, 410]);
