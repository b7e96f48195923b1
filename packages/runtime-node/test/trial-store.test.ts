import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchHeader, Trial } from '@flexiffusion/schedule';
import { describe, expect, it } from 'vitest';
import { FileTrialStore } from '../src/index.js';

const header: SearchHeader = {
  version: 1,
  searcher: 'random',
  seed: 1,
  minSpeedup: 2,
  batchSize: 4,
  space: { kind: 'segments', steps: 10 },
};
const trial = (number: number): Trial => ({
  number,
  schedule: 'F P0 N',
  state: 'complete',
  objective: number / 10,
  cost: { macs: 100, speedup: 2.5 },
  durationMs: 12,
});

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'flexi-store-'));
}

describe('FileTrialStore', () => {
  it('is empty until init, then keeps the header and trials in order', async () => {
    const store = new FileTrialStore(join(await tempDir(), 'run'));
    expect(await store.load()).toBeNull();
    await store.init(header);
    await Promise.all([0, 1, 2, 3].map((i) => store.append(trial(i))));
    const loaded = await new FileTrialStore(store.dir).load();
    expect(loaded).toEqual({ header, trials: [trial(0), trial(1), trial(2), trial(3)] });
    const lines = (await readFile(store.trialsPath, 'utf8')).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    await expect(store.init(header)).rejects.toThrow(/already holds a search/);
  });

  it('drops a torn last line, cuts it off, and appends cleanly after it', async () => {
    const dir = await tempDir();
    const store = new FileTrialStore(dir);
    await store.init(header);
    await store.append(trial(0));
    await store.append(trial(1));
    await appendFile(store.trialsPath, JSON.stringify(trial(2)).slice(0, 25)); // crash mid-write
    const resumed = new FileTrialStore(dir);
    expect((await resumed.load())!.trials.map((t) => t.number)).toEqual([0, 1]);
    await resumed.append(trial(2));
    expect((await new FileTrialStore(dir).load())!.trials.map((t) => t.number)).toEqual([0, 1, 2]);
  });

  it('treats a complete JSON line without its newline as not written', async () => {
    const dir = await tempDir();
    const store = new FileTrialStore(dir);
    await store.init(header);
    await store.append(trial(0));
    await appendFile(store.trialsPath, JSON.stringify(trial(1)));
    expect((await store.load())!.trials).toEqual([trial(0)]);
  });

  it('reports damage before the last line', async () => {
    const dir = await tempDir();
    const store = new FileTrialStore(dir);
    await store.init(header);
    await writeFile(store.trialsPath, `${JSON.stringify(trial(0))}\n{oops\n${JSON.stringify(trial(2))}\n`);
    await expect(store.load()).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/Line 2 of/) });
  });
});
