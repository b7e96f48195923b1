import { RuntimeError, type AbortSignalLike, type ModelSource } from '@flexiffusion/runtime';
import { ABSENT_STATUSES, DownloadFailure } from './internal/download-failure.js';

/**
 * Progress of one file download.
 *
 * @public
 */
export interface DownloadProgress {
  /** The file, relative to the model folder (e.g. `unet.onnx`). */
  readonly path: string;
  /** The absolute URL fetched. */
  readonly url: string;
  /** Bytes received so far. */
  readonly loaded: number;
  /**
   * Bytes in all, from the `Content-Length` header; `null` when the server sends none, or sends
   * the body compressed (then the header counts compressed bytes, not the ones received).
   */
  readonly total: number | null;
  /** `loaded / total`, or `null` when the total is unknown. */
  readonly fraction: number | null;
  /** Whether this is the file's last event (all bytes received). */
  readonly done: boolean;
}

/** The `fetch` function a {@link fetchSource} calls (the global one by default). @public */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Options of {@link fetchSource}.
 *
 * @public
 */
export interface FetchSourceOptions {
  /** Called as bytes arrive (once per received chunk, and once when a file is complete). */
  readonly onDownload?: (progress: DownloadProgress) => void;
  /** Cancels downloads in progress and later reads (`RuntimeError` `aborted`). */
  readonly signal?: AbortSignalLike;
  /** The fetch to use (default `globalThis.fetch`): a caching or authenticating wrapper, a test double. */
  readonly fetch?: FetchLike;
  /** Extra `fetch` options for every request (headers, credentials, cache mode). */
  readonly requestInit?: RequestInit;
}

function baseUrlOf(base: string | URL): URL {
  const loc = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = loc ? new URL(String(base), loc) : new URL(String(base));
  } catch (cause) {
    throw new RuntimeError(
      'invalid-option',
      `Invalid model URL ${JSON.stringify(String(base))}: ` +
        `expected an absolute URL${loc ? ' or a path relative to the page' : ''} of the folder holding model.json.`,
      { cause },
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

function aborted(signal: AbortSignalLike | undefined, url: string): RuntimeError {
  return new RuntimeError(
    'aborted',
    `Downloading ${url} was aborted${signal?.reason instanceof Error ? `: ${signal.reason.message}` : ''}.`,
    { cause: signal?.reason },
  );
}

/**
 * A {@link ModelSource} that fetches a model folder's files over HTTP, reporting bytes received
 * against `Content-Length` as they stream in.
 *
 * @param baseUrl - The folder holding `model.json` (absolute, or relative to the page); a missing
 *   trailing `/` is added.
 * @param options - `onDownload`, `signal`, `fetch`, `requestInit`.
 * @returns The source; its `readFile(path)` fetches `baseUrl + path`.
 * @throws {@link RuntimeError} `invalid-option` for a URL that does not parse. Reads reject with
 *   `missing-file`, naming the URL: an HTTP 404 / 410 (no `cause`: the file is absent), another
 *   status, no answer, a stream that broke or a body shorter than its `Content-Length` (then
 *   `cause.code` is `ERR_HTTP_STATUS`, `ERR_NETWORK` or `ERR_TRUNCATED`: the file is there but
 *   could not be read, so the import code never mistakes it for an absent optional file); or
 *   `aborted`. A failed read leaves nothing behind: reading the file again (a retry) fetches it anew.
 * @example
 * ```ts
 * const source = fetchSource('/models/fashion/', {
 *   onDownload: (p) => console.log(p.path, p.loaded, p.total),
 * });
 * const manifest = JSON.parse(new TextDecoder().decode(await source.readFile('model.json')));
 * ```
 * @public
 */
export function fetchSource(baseUrl: string | URL, options: FetchSourceOptions = {}): ModelSource {
  const base = baseUrlOf(baseUrl);
  const doFetch: FetchLike | undefined =
    options.fetch ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined);
  return {
    location: base.href,
    async readFile(path: string): Promise<Uint8Array> {
      const url = new URL(path.split('/').map(encodeURIComponent).join('/'), base).href;
      // a model is untrusted input: a path it names never leaves the folder (readModelFile refuses
      // `..`, absolute and URL paths first; this catches a caller that reads the source directly)
      if (!url.startsWith(base.href)) {
        throw new RuntimeError(
          'invalid-manifest',
          `Refused to fetch ${JSON.stringify(path)}: it resolves to ${url}, outside ${base.href}.`,
        );
      }
      const { signal } = options;
      if (signal?.aborted) throw aborted(signal, url);
      if (!doFetch) throw new RuntimeError('unsupported', `There is no fetch() here to download ${url}: pass options.fetch.`);
      let res: Response;
      try {
        res = await doFetch(url, { ...options.requestInit, ...(signal && isAbortSignal(signal) ? { signal } : {}) });
      } catch (cause) {
        if (signal?.aborted) throw aborted(signal, url);
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new RuntimeError('missing-file', `Could not fetch ${url}: ${why}`, {
          cause: new DownloadFailure('ERR_NETWORK', url, why, { cause }),
        });
      }
      if (!res.ok) {
        const answer = `the server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        // 404 / 410: the file is absent (no cause), which makes an optional file optional
        const cause = ABSENT_STATUSES.has(res.status)
          ? undefined
          : new DownloadFailure('ERR_HTTP_STATUS', url, answer, { status: res.status });
        await res.body?.cancel().catch(() => undefined);
        throw new RuntimeError('missing-file', `Could not fetch ${url}: ${answer}.`, cause ? { cause } : {});
      }
      const header = res.headers.get('content-length');
      const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
      const declared = header !== null && /^\d+$/.test(header.trim()) && !encoded ? Number(header) : null;
      const report = (loaded: number, done: boolean): void => {
        const total = declared !== null && loaded <= declared ? declared : done ? loaded : null;
        options.onDownload?.({ path, url, loaded, total, fraction: total ? loaded / total : total === 0 ? 1 : null, done });
      };
      let loaded = 0;
      try {
        if (!res.body) {
          const bytes = new Uint8Array(await res.arrayBuffer());
          report(bytes.length, true);
          return bytes;
        }
        const reader = res.body.getReader();
        const chunks: Uint8Array[] = [];
        report(0, false);
        for (;;) {
          if (signal?.aborted) {
            await reader.cancel().catch(() => undefined);
            throw aborted(signal, url);
          }
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          loaded += value.length;
          report(loaded, false);
        }
        const out = chunks.length === 1 ? chunks[0]! : new Uint8Array(loaded);
        if (chunks.length !== 1) {
          let at = 0;
          for (const c of chunks) {
            out.set(c, at);
            at += c.length;
          }
        }
        if (declared !== null && loaded !== declared) {
          const why = `ended after ${loaded} of ${declared} bytes`;
          throw new RuntimeError('missing-file', `Downloading ${url} ${why}.`, {
            cause: new DownloadFailure('ERR_TRUNCATED', url, why, { status: res.status }),
          });
        }
        report(loaded, true);
        return out;
      } catch (cause) {
        if (cause instanceof RuntimeError) throw cause;
        if (signal?.aborted) throw aborted(signal, url);
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new RuntimeError(
          'missing-file',
          `Downloading ${url} failed after ${loaded}${declared !== null ? ` of ${declared}` : ''} bytes: ${why}`,
          {
            cause: new DownloadFailure('ERR_NETWORK', url, why, { status: res.status, cause }),
          },
        );
      }
    },
  };
}

function isAbortSignal(s: AbortSignalLike): s is AbortSignal {
  return typeof AbortSignal !== 'undefined' && s instanceof AbortSignal;
}
