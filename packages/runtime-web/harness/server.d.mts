import type { Metafile } from 'esbuild';
/** onnxruntime-web's dist folder. */
export declare const ORT_DIST: string;
/** Bundle TypeScript entry points (URL path → entry file) for the browser, in memory. */
export declare function bundle(entries: Record<string, string>): Promise<{ files: Map<string, Uint8Array>; metafile: Metafile }>;
export interface StartServerOptions {
  /** URL prefix ('/ort/') → folder. */
  mounts?: Record<string, string>;
  /** URL path ('/app/page.js') → TypeScript entry, bundled at start. */
  bundles?: Record<string, string>;
  /** URL path → page text. */
  pages?: Record<string, string>;
  /** Send COOP/COEP headers (enables wasm threads). */
  crossOriginIsolated?: boolean;
}
export interface TestServer {
  url: string;
  port: number;
  /** Paths requested so far, in order. */
  requests: string[];
  /** Make the next request of a URL path fail: with an HTTP status, or `'cut'` (half the body, then the connection drops). */
  fault(path: string, kind: number | 'cut'): void;
  close(): Promise<void>;
}
/** Start the server on 127.0.0.1 and a random port. */
export declare function startServer(options?: StartServerOptions): Promise<TestServer>;
