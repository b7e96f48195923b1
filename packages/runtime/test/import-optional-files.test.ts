/**
 * Optional files of an export folder (model.json over model_index.json, tokenizer files) are
 * skipped only when absent. A source that reports its failures as RuntimeErrors (runtime-web's
 * fetch source) says "absent" with no cause (HTTP 404) and "unreadable" with a coded cause
 * (HTTP 503, a dropped connection, a body cut short): the second must fail the load, or a
 * model.json overlay lost to a 503 would silently load other cut points.
 */
import { describe, expect, it } from 'vitest';
import { RuntimeError, readModelFolder, type ModelSource } from '../src/index.js';
import { exportFiles } from './export-helpers.js';

/** Like a fetch source: every failure is a RuntimeError `missing-file`; `broken` paths fail with a coded cause. */
async function httpLikeSource(broken: Readonly<Record<string, string>>, overlay?: object): Promise<ModelSource> {
  const files = await exportFiles('sd15');
  if (overlay) files.set('model.json', new TextEncoder().encode(JSON.stringify(overlay)));
  const location = 'http://127.0.0.1:1/sd15/';
  return {
    location,
    readFile: async (p) => {
      const code = broken[p];
      if (code) {
        throw new RuntimeError('missing-file', `Downloading ${location}${p} failed (${code}).`, {
          cause: Object.assign(new Error(code), { code }),
        });
      }
      const bytes = files.get(p);
      if (!bytes) throw new RuntimeError('missing-file', `Could not fetch ${location}${p}: the server answered 404 Not Found.`);
      return bytes;
    },
  };
}

describe('optional files of an export folder', () => {
  it('an absent model.json (404, no cause) is skipped: the manifest is derived', async () => {
    const folder = await readModelFolder(await httpLikeSource({}));
    expect(folder.kind).toBe('export');
    expect(folder.override).toBeUndefined();
  });

  it('a model.json that is there but unreadable (a coded cause) fails the load instead of being skipped', async () => {
    const overlay = { name: 'with-overlay' };
    expect((await readModelFolder(await httpLikeSource({}, overlay))).manifest.name).toBe('with-overlay');
    const err = await readModelFolder(await httpLikeSource({ 'model.json': 'ERR_HTTP_STATUS' }, overlay)).then(
      () => null,
      (e: unknown) => e as RuntimeError,
    );
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err!.code).toBe('missing-file');
    expect(err!.message).toMatch(/model\.json.*http:\/\/127\.0\.0\.1:1\/sd15\/model\.json failed \(ERR_HTTP_STATUS\)/);
  });

  it('an unreadable model_index.json is an error, not a folder without one', async () => {
    await expect(readModelFolder(await httpLikeSource({ 'model_index.json': 'ERR_NETWORK' }))).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringMatching(/model_index\.json.*ERR_NETWORK/),
    });
  });

  it('an ENOENT-coded cause still means absent', async () => {
    const folder = await readModelFolder(await httpLikeSource({ 'model.json': 'ENOENT' }));
    expect(folder.override).toBeUndefined();
  });
});
