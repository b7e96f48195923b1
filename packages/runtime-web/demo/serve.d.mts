import type { TestServer } from '../harness/server.mjs';
/** Start the demo server; `page` is the class-conditional demo's URL, `t2iPage` the text-to-image one's. */
export declare function startDemo(): Promise<TestServer & { page: string; t2iPage: string }>;
