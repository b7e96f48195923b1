import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RuntimeError, validateManifest, type RuntimeIssue } from '../src/index.js';
import { STAND_INS } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in the cases below
type Json = Record<string, any>;
const fixture = (name: string): Json => JSON.parse(readFileSync(`${STAND_INS}${name}/model.json`, 'utf8')) as Json;
const cc = fixture('tiny-unet');
const ldm = fixture('ldm');
const sd = fixture('sd');
const withUnet = (m: Json, patch: Json): Json => ({ ...m, unet: { ...m.unet, ...patch } });

function issuesOf(value: unknown): RuntimeIssue[] {
  try {
    validateManifest(value);
  } catch (e) {
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as RuntimeError).code).toBe('invalid-manifest');
    return [...(e as RuntimeError).issues];
  }
  return [];
}
const paths = (value: unknown): string[] => issuesOf(value).map((i) => i.path);

describe('manifest rules (the checks of the hand-written validator, in the valibot schema)', () => {
  it('reports every unknown input role, each at its path', () => {
    const roles = '"sample", "timestep", "classLabels", "encoderHiddenStates"';
    expect(issuesOf(withUnet(cc, { inputs: { ...cc.unet.inputs, foo: 'x', bar: 'y' } }))).toEqual([
      { path: 'unet.inputs.foo', message: `Unknown input role "foo". Should be one of: ${roles}.` },
      { path: 'unet.inputs.bar', message: `Unknown input role "bar". Should be one of: ${roles}.` },
    ]);
  });

  it('requires and forbids what each family needs', () => {
    expect(issuesOf(withUnet(cc, { inputs: { sample: 's', timestep: 't' } }))).toEqual([
      { path: 'unet.inputs.classLabels', message: 'Missing unet.inputs.classLabels: expected a non-empty string.' },
    ]);
    const { conditioning: _c, ...noConditioning } = cc;
    expect(issuesOf(noConditioning)).toEqual([{ path: 'conditioning', message: 'Missing conditioning: expected an object.' }]);
    expect(paths(withUnet(sd, { inputs: { sample: 's', timestep: 't' } }))).toEqual(['unet.inputs.encoderHiddenStates']);
    const { vae: _v, textEncoder: _t, tokenizer: _k, ...bare } = sd;
    expect(issuesOf(bare).map((i) => i.message)).toEqual([
      'Missing vae: expected an object.',
      'Missing textEncoder: expected an object.',
      'Missing tokenizer: expected an object.',
    ]);
    expect(issuesOf({ ...cc, family: 'unconditional' }).map((i) => i.message)).toEqual([
      'An unconditional model has no classLabels input: use family "class-conditional".',
    ]);
    const latentWithClasses = withUnet(ldm, { inputs: { ...ldm.unet.inputs, classLabels: 'c' } });
    expect(issuesOf(latentWithClasses).map((i) => i.message)).toEqual([
      'Missing conditioning: a latent model with a classLabels input needs numClasses and unconditionalLabel.',
    ]);
    expect(paths({ ...latentWithClasses, conditioning: {} })).toEqual(['conditioning.numClasses', 'conditioning.unconditionalLabel']);
    expect(paths({ ...latentWithClasses, conditioning: { numClasses: 3, unconditionalLabel: 3 } })).toEqual([]);
  });

  it('reports in the order of the file, whichever check found the problem', () => {
    const bad = {
      ...withUnet(cc, { inputs: { sample: 's', timestep: 't' }, output: '' }),
      name: '',
      scheduler: { ...cc.scheduler, betaEnd: 1 },
    };
    expect(paths(bad)).toEqual(['manifest.name', 'unet.inputs.classLabels', 'unet.output', 'scheduler.betaEnd']);
  });

  it('numbers cache branches 0..B−1 and gives each its own tensor', () => {
    const cache = [{ branch: 0, tensor: 'x' }, { branch: 2, tensor: 'x' }, 'y', { branch: 3, tensor: '' }];
    expect(issuesOf(withUnet(cc, { cache }))).toEqual([
      { path: 'unet.cache[1].branch', message: 'Invalid unet.cache[1].branch 2: expected 1 (branches are numbered 0..3 in order).' },
      { path: 'unet.cache[1].tensor', message: 'Cache tensor "x" is listed twice: each branch needs its own cut point.' },
      { path: 'unet.cache[2]', message: 'Invalid unet.cache[2] "y": expected { branch, tensor }.' },
      { path: 'unet.cache[3].tensor', message: 'Invalid unet.cache[3].tensor "": expected a non-empty string.' },
    ]);
    expect(paths(withUnet(cc, { cache: [] }))).toEqual([]);
  });

  it('checks labels against the class count', () => {
    expect(issuesOf({ ...cc, conditioning: { ...cc.conditioning, classNames: ['a', 'b'] } })).toEqual([
      { path: 'conditioning.classNames', message: 'Invalid conditioning.classNames ["a","b"]: expected 10 strings.' },
    ]);
    expect(paths({ ...cc, conditioning: { numClasses: 10, unconditionalLabel: 9 } })).toEqual(['conditioning.unconditionalLabel']);
  });

  it('reports a bad array or tuple once, at its own path', () => {
    expect(issuesOf(withUnet(cc, { sampleShape: [0, 2.5, 'x'] }))).toEqual([
      { path: 'unet.sampleShape', message: 'Invalid unet.sampleShape [0,2.5,"x"]: expected [channels, height, width], positive integers.' },
    ]);
    expect(paths({ ...cc, image: { range: [1, 0] } })).toEqual(['image.range']);
  });

  it('takes arrays for neither objects nor manifests, and keeps files inside the model folder', () => {
    expect(issuesOf({ ...cc, unet: [] })).toEqual([{ path: 'unet', message: 'Invalid unet []: expected an object.' }]);
    expect(issuesOf([])).toEqual([{ path: '', message: 'expected a JSON object' }]);
    for (const file of ['/abs.onnx', 'a/../b.onnx', '..', 'a\\b.onnx']) expect(paths(withUnet(cc, { file }))).toEqual(['unet.file']);
    for (const file of ['a/..b/c..', 'unet/model.onnx', '...']) expect(paths(withUnet(cc, { file }))).toEqual([]);
  });

  it('counts every problem in the message', () => {
    const unet = { inputs: {}, cache: [{}] };
    const everything = { format: 2, name: '', family: 'class-conditional', unet, scheduler: {}, image: {}, provenance: 1 };
    expect(issuesOf(everything)).toHaveLength(17);
    expect(() => validateManifest(everything)).toThrow(
      /^Invalid model manifest \(17 problems\): Unsupported manifest format 2\. Should be one of: 1\. \(and 16 more, see error.issues\)$/,
    );
  });
});

describe('keys the format does not define', () => {
  it('are reported, at the root and in every block, all at once (never silently accepted)', () => {
    const good = JSON.parse(readFileSync(`${STAND_INS}sd/model.json`, 'utf8'));
    const bad = { ...good, bogus: 1, unet: { ...good.unet, typo: 2 }, scheduler: { ...good.scheduler, step_offset: 1 } };
    let issues: readonly RuntimeIssue[] = [];
    try {
      validateManifest(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'invalid-manifest' });
      issues = (e as RuntimeError).issues;
    }
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['bogus', 'unet.typo', 'scheduler.step_offset']));
    expect(issues.find((i) => i.path === 'unet.typo')?.message).toMatch(/^Unknown field "typo"\. Should be one of: "file", /);
    // $schema (editors read it) and a model package's testSample are part of the format
    expect(() =>
      validateManifest({ ...good, $schema: 'https://example.invalid/model.schema.json', testSample: { file: 'x.u8' } }),
    ).not.toThrow();
  });
});
