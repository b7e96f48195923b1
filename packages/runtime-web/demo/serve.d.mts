import type { TestServer } from '../harness/server.mjs';
/** Start the demo server; `page` is the demo's URL. */
export declare function startDemo(): Promise<TestServer & { page: string }>;
