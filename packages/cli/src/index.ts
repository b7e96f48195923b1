/**
 * `@flexiffusion/cli` — the `flexi` command: `flexi search` (the Flexiffusion search, resumable,
 * with trials.jsonl, best.json, pareto.json and a self-contained report.html), `flexi sample`,
 * `flexi eval` and `flexi report`. The programmatic entry is {@link main}.
 *
 * @example
 * ```sh
 * npx flexi search --speedup 2 --trials 40 --out runs/fashion-2x
 * npx flexi eval --schedule "F P0 N N N | F P1 N N N"
 * ```
 * @packageDocumentation
 */
export { main } from './cli.js';
