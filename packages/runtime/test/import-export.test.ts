import { describe, expect, it } from 'vitest';
import {
  ClipTokenizer,
  DEFAULT_VAE_SCALING_FACTOR,
  RuntimeError,
  deriveManifest,
  loadManifest,
  mergeManifest,
  modelPathProblem,
  readModelFile,
  readModelFolder,
  validateManifest,
} from '../src/index.js';
import { editedExport, exportFiles, exportJson, memorySource } from './export-helpers.js';

async function failure(p: Promise<unknown>): Promise<RuntimeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RuntimeError);
    return e as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

describe('an SD-1.x export folder becomes a manifest with no hand-written file', () => {
  it('derives every field from the files, and says which defaults it used', async () => {
    const source = await editedExport('sd15');
    const { manifest, kind, derived } = await readModelFolder(source);
    expect(kind).toBe('export');
    expect(manifest).toMatchObject({
      format: 1,
      name: 'sd15',
      family: 'stable-diffusion',
      unet: {
        file: 'unet/model.onnx',
        inputs: { sample: 'sample', timestep: 'timestep', encoderHiddenStates: 'encoder_hidden_states' },
        output: 'out_sample',
        // the graph leaves channels, height and width free: unet/config.json's in_channels and sample_size
        sampleShape: [4, 8, 8],
        prediction: 'epsilon',
        timestepType: 'int64',
      },
      scheduler: {
        trainTimesteps: 1000,
        betaSchedule: 'scaled_linear',
        betaStart: 0.00085,
        betaEnd: 0.012,
        stepsOffset: 1,
        setAlphaToOne: false,
      },
      textEncoder: { file: 'text_encoder/model.onnx', input: 'input_ids', output: 'last_hidden_state', maxLength: 77 },
      tokenizer: { vocab: 'tokenizer/vocab.json', merges: 'tokenizer/merges.txt', padToken: '<|endoftext|>' },
      vae: { file: 'vae_decoder/model.onnx', input: 'latent_sample', output: 'sample', scalingFactor: 0.18215 },
      conditioning: { defaultGuidanceScale: 7.5 },
      image: { range: [-1, 1] },
    });
    expect(manifest.unet.cache.map((c) => c.tensor)).toEqual([
      '/up_blocks.1/upsamplers.0/conv/Conv_output_0',
      '/up_blocks.0/upsamplers.0/conv/Conv_output_0',
      '/mid_block/resnets.1/Add_1_output_0',
    ]);
    expect(derived?.sampler).toBe('ddim');
    expect(derived?.notes.join('\n')).toMatch(/defaultGuidanceScale: 7\.5/);
    // scaling_factor was read, not defaulted
    expect(derived?.notes.join('\n')).not.toMatch(/vae\.scalingFactor/);
    expect(() => validateManifest(manifest)).not.toThrow();
  });

  it("reads vae_decoder/config.json's scaling_factor (SDXL's 0.13025 here), and says when it falls back to 0.18215", async () => {
    const config = await exportJson('sd15', 'vae_decoder/config.json');
    const m = await loadManifest(await editedExport('sd15', { 'vae_decoder/config.json': { ...config, scaling_factor: 0.13025 } }));
    expect(m.vae?.scalingFactor).toBe(0.13025);
    const gone = await readModelFolder(await editedExport('sd15', { 'vae_decoder/config.json': null }));
    expect(gone.manifest.vae?.scalingFactor).toBe(DEFAULT_VAE_SCALING_FACTOR);
    expect(gone.derived?.notes.join('\n')).toMatch(/vae\.scalingFactor: 0\.18215 .*config\.json is absent/);
  });

  it('takes maxLength from tokenizer_config.json, and the token ids from the vocabulary files', async () => {
    const config = await exportJson('sd15', 'tokenizer/tokenizer_config.json');
    const m = await loadManifest(await editedExport('sd15', { 'tokenizer/tokenizer_config.json': { ...config, model_max_length: 64 } }));
    expect(m.textEncoder?.maxLength).toBe(64);
  });
});

describe('an SD-2.x-style export (v-prediction, trailing, tokenizer.json)', () => {
  it('derives v_prediction, trailing spacing, tokenizer.json with "!" padding, a float timestep and the default VAE scale', async () => {
    const { manifest, derived } = await readModelFolder(await editedExport('sd2'));
    expect(manifest.unet.prediction).toBe('v_prediction');
    expect(manifest.unet.timestepType).toBe('float32');
    expect(manifest.scheduler.timestepSpacing).toBe('trailing');
    expect(manifest.tokenizer).toEqual({ json: 'tokenizer/tokenizer.json', padToken: '!' });
    expect(manifest.vae?.scalingFactor).toBe(0.18215);
    expect(derived?.notes.join('\n')).toMatch(
      /vae\.scalingFactor: 0\.18215 \(the SD-1\.x \/ 2\.x default: vae_decoder\/config\.json has no scaling_factor\)/,
    );
  });

  it('tokenizer.json gives the same ids as vocab.json + merges.txt of the same vocabulary', async () => {
    const sd15 = await exportFiles('sd15');
    const sd2 = await exportFiles('sd2');
    const a = ClipTokenizer.fromFiles(sd15.get('tokenizer/vocab.json')!, sd15.get('tokenizer/merges.txt')!);
    const b = ClipTokenizer.fromTokenizerJson(sd2.get('tokenizer/tokenizer.json')!);
    for (const text of ['a photo of a red dress', 'A  Blue SHOE!', '', 'cat, dog 42']) expect(b.encode(text)).toEqual(a.encode(text));
    const padded = ClipTokenizer.fromTokenizerJson(sd2.get('tokenizer/tokenizer.json')!, { padToken: '!' });
    // "!" is the first byte symbol of a CLIP vocabulary: id 0; SD-2.x pads with it after <|endoftext|>
    expect(padded.padId).toBe(0);
    expect([...padded.encode('a').subarray(0, 4)]).toEqual([b.bosId, b.encode('a')[1], b.eosId, 0]);
    expect(() => ClipTokenizer.fromTokenizerJson('{"model":{"type":"WordPiece"}}')).toThrow(/expected "BPE"/);
  });
});

describe('an export with its own tensor names works through model.json', () => {
  it("uses model.json's mapping and derives the rest (output, shape, scheduler, cut points)", async () => {
    const { manifest, override, derived } = await readModelFolder(await editedExport('uncond'));
    expect(override).toEqual({ name: 'uncond-stand-in', unet: { inputs: { sample: 'x_t', timestep: 't' } } });
    expect(manifest).toMatchObject({
      name: 'uncond-stand-in',
      family: 'unconditional',
      unet: { inputs: { sample: 'x_t', timestep: 't' }, output: 'eps', sampleShape: [3, 16, 16], timestepType: 'int64' },
      scheduler: { betaSchedule: 'linear', stepsOffset: 0, setAlphaToOne: true },
    });
    // up_blocks.1 has no upsampler and is not the last block: its last resnet output is a cut point
    expect(derived?.cutPoints.points.map((p) => [p.module, p.kind])).toEqual([
      ['up_blocks.1', 'block-output'],
      ['up_blocks.0', 'upsampler'],
      ['mid_block', 'mid-block'],
    ]);
  });

  it('without model.json, says which inputs need a mapping', async () => {
    const e = await failure(loadManifest(await editedExport('uncond', { 'model.json': null })));
    expect(e.code).toBe('invalid-manifest');
    expect(e.message).toMatch(/inputs are "x_t", "t": none has diffusers' name "sample".*Map them in model\.json/);
    expect(e.issues.map((i) => i.path)).toEqual(['unet.inputs.sample', 'unet.inputs.timestep']);
  });
});

describe('model.json beside an export', () => {
  it('overrides and adds fields (deep merge, model.json wins, null removes), validated as a whole', async () => {
    const cache = [{ branch: 0, tensor: '/mid_block/resnets.1/Add_1_output_0' }];
    const m = await loadManifest(
      await editedExport('sd15', {
        'model.json': {
          unet: { cache },
          vae: { scalingFactor: 0.2 },
          conditioning: { defaultGuidanceScale: 5 },
          image: null,
          description: 'mine',
        },
      }),
    );
    expect(m.unet.cache).toEqual(cache);
    expect(m.unet.output).toBe('out_sample');
    expect(m.vae).toMatchObject({ file: 'vae_decoder/model.onnx', scalingFactor: 0.2 });
    expect(m.conditioning?.defaultGuidanceScale).toBe(5);
    expect(m.image).toBeUndefined();
    expect(m.description).toBe('mine');
    const bad = await failure(loadManifest(await editedExport('sd15', { 'model.json': { unet: { sampleShape: [4, 8] } } })));
    expect(bad.code).toBe('invalid-manifest');
    expect(bad.issues[0]?.path).toBe('unet.sampleShape');
    expect(mergeManifest({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] }, d: 1 })).toEqual({ a: { b: 1, c: [3] }, d: 1 });
  });
});

describe('a missing file names itself and the component that needs it', () => {
  it.each([
    ['unet/model.onnx', /"unet\/model\.onnx".*the unet component .*needs for its network/],
    ['scheduler/scheduler_config.json', /"scheduler\/scheduler_config\.json".*the scheduler component/],
    ['text_encoder/model.onnx', /"text_encoder\/model\.onnx".*the text_encoder component/],
    ['vae_decoder/model.onnx', /"vae_decoder\/model\.onnx".*the vae_decoder component/],
    ['tokenizer/merges.txt', /"tokenizer\/merges\.txt".*the tokenizer component/],
  ])('%s', async (file, message) => {
    const e = await failure(loadManifest(await editedExport('sd15', { [file]: null })));
    expect(e.code).toBe('missing-file');
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/model_index\.json/);
    expect(e.issues[0]?.path).toBe(file);
  });

  it('a tokenizer with neither vocab.json nor tokenizer.json, unet/config.json when the graph leaves the shape free', async () => {
    const tok = await failure(loadManifest(await editedExport('sd15', { 'tokenizer/vocab.json': null, 'tokenizer/merges.txt': null })));
    expect(tok.message).toMatch(/"tokenizer\/vocab\.json".*vocab\.json \+ merges\.txt, or tokenizer\.json/);
    const cfg = await failure(loadManifest(await editedExport('sd15', { 'unet/config.json': null })));
    expect(cfg.message).toMatch(/"unet\/config\.json".*sample_size and in_channels/);
    const given = await loadManifest(
      await editedExport('sd15', { 'unet/config.json': null, 'model.json': { unet: { sampleShape: [4, 8, 8] } } }),
    );
    expect(given.unet.sampleShape).toEqual([4, 8, 8]);
    // sd2's graph has static dims: its config is not needed for the shape
    expect((await loadManifest(await editedExport('sd2', { 'unet/config.json': null }))).unet.sampleShape).toEqual([4, 8, 8]);
  });

  it('a folder with neither model.json nor model_index.json', async () => {
    const e = await failure(loadManifest(memorySource(new Map(), '/models/empty')));
    expect(e.code).toBe('missing-file');
    expect(e.message).toMatch(/\/models\/empty.*neither model\.json nor model_index\.json/);
  });
});

describe('a model is untrusted input: paths outside its folder are refused', () => {
  it.each([
    '../x.onnx',
    'unet/../../x.onnx',
    '/etc/passwd',
    'C:/x.onnx',
    'C:\\x.onnx',
    '\\\\host\\share\\x.onnx',
    'https://evil.example/x.onnx',
  ])('manifest unet.file %j', async (file) => {
    expect(modelPathProblem(file)).not.toBeNull();
    const sd = await exportFiles('sd15');
    // a complete model.json (no export): the manifest's own check
    const m = (await readModelFolder(await editedExport('sd15'))).manifest;
    const files = new Map([...sd].filter(([p]) => p !== 'model_index.json'));
    files.set('model.json', new TextEncoder().encode(JSON.stringify({ ...m, unet: { ...m.unet, file } })));
    const e = await failure(loadManifest(memorySource(files)));
    expect(e.code).toBe('invalid-manifest');
    expect(e.issues.map((i) => i.path)).toContain('unet.file');
  });

  it("a model_index.json entry that leaves the folder, and readModelFile's own check", async () => {
    const index = await exportJson('sd15', 'model_index.json');
    const source = await editedExport('sd15', { 'model_index.json': { ...index, '../evil': ['diffusers', 'OnnxRuntimeModel'] } });
    const e = await failure(loadManifest(source));
    expect(e.code).toBe('invalid-manifest');
    expect(e.message).toMatch(/Refused model_index\.json entry "\.\.\/evil": it has a "\.\." segment/);
    expect(source.reads).not.toContain('../evil/model.onnx');
    for (const p of ['../x', '/x', 'C:/x', 'file:///etc/passwd']) {
      const r = await failure(readModelFile(source, p, { role: 'vae.file' }));
      expect(r.code).toBe('invalid-manifest');
      expect(r.message).toMatch(/^Refused vae\.file/);
    }
    expect(source.reads.filter((p) => !p.startsWith('tokenizer') && p.includes('..'))).toEqual([]);
  });
});

describe('deriveManifest reads through the source once', () => {
  it('hands the networks it read to the next read, so nothing is fetched twice', async () => {
    const source = await editedExport('sd15');
    await deriveManifest(source);
    const before = source.reads.length;
    await readModelFile(source, 'unet/model.onnx');
    expect(source.reads.length).toBe(before);
    await readModelFile(source, 'unet/model.onnx');
    expect(source.reads.length).toBe(before + 1);
  });
});
