/**
 * The demo page: generate Fashion-MNIST samples in the browser with the teacher (DDIM-50, every
 * step full) and a found schedule, and show the images with the time per image of each. Bundled
 * by esbuild (demo/serve.mjs); the model is served at ./model/, onnxruntime-web's files at ./ort/.
 * URL parameters: `backend` (auto | webgpu | wasm), `count`, `found` (a schedule), `model`.
 */
import { deepCacheSchedule, formatSchedule, fullSchedule, scheduleCost } from '@flexiffusion/schedule';
import { drawSamples, loadModel, type Backend, type Model } from '../src/index.js';
import { wasmBackend } from '../src/wasm.js';
import { webgpuBackend } from '../src/webgpu.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const ORT = new URL('./ort/', location.href).href;
const MODEL = params.get('model') ?? './model/';
const STEPS = 50;
const DEFAULT_FOUND = formatSchedule(deepCacheSchedule(STEPS, 5, 0));

const status = (text: string, state: string): void => {
  const el = $('status');
  el.textContent = text;
  el.dataset['state'] = state;
};

function backends(choice: string): Backend[] {
  const gpu = webgpuBackend({ wasmPaths: ORT });
  const cpu = wasmBackend({ wasmPaths: ORT });
  return choice === 'webgpu' ? [gpu] : choice === 'wasm' ? [cpu] : [gpu, cpu];
}

let model: Model | null = null;
let loadedWith = '';

async function ensureModel(choice: string): Promise<Model> {
  if (model && loadedWith === choice) return model;
  await model?.dispose();
  model = null;
  status('Loading the model…', 'loading');
  const files = new Map<string, { loaded: number; total: number | null }>();
  model = await loadModel(MODEL, {
    backend: backends(choice),
    eagerPartials: true,
    onDownload: (p) => {
      files.set(p.path, { loaded: p.loaded, total: p.total });
      let loaded = 0;
      let total = 0;
      for (const f of files.values()) {
        loaded += f.loaded;
        total += f.total ?? f.loaded;
      }
      ($('download-bar') as HTMLProgressElement).value = total ? loaded / total : 0;
      $('download-text').textContent = `${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB`;
    },
  });
  loadedWith = choice;
  $('backend').textContent = model.backend.description;
  const names = model.manifest.conditioning?.classNames ?? [];
  const select = $('label') as HTMLSelectElement;
  if (select.options.length === 1) names.forEach((n, i) => select.add(new Option(`${i}: ${n}`, String(i))));
  return model;
}

async function generate(): Promise<void> {
  const button = $('generate') as HTMLButtonElement;
  button.disabled = true;
  try {
    const m = await ensureModel(($('backend-choice') as HTMLSelectElement).value);
    const count = Math.max(1, Math.min(32, Number(($('count') as HTMLInputElement).value) || 1));
    const label = Number(($('label') as HTMLSelectElement).value);
    const seed0 = Number(($('seed') as HTMLInputElement).value) || 0;
    const classes = m.manifest.conditioning?.numClasses ?? 10;
    const labels = Array.from({ length: count }, (_, i) => (label >= 0 ? label : i % classes));
    const seeds = Array.from({ length: count }, (_, i) => seed0 + i);
    const guidanceScale = Number(($('guidance') as HTMLInputElement).value) || 1;
    const runs: { title: string; schedule: string }[] = [];
    if (($('use-teacher') as HTMLInputElement).checked)
      runs.push({ title: 'Teacher — DDIM-50, all full', schedule: formatSchedule(fullSchedule(STEPS)) });
    if (($('use-found') as HTMLInputElement).checked)
      runs.push({ title: 'Found schedule', schedule: ($('found') as HTMLInputElement).value.trim() });
    const results = $('results');
    results.replaceChildren();
    let teacherMs: number | null = null;
    for (const run of runs) {
      status(`Generating: ${run.title}…`, 'running');
      const cost = scheduleCost(run.schedule, m.costProfile);
      const row = document.createElement('div');
      row.className = 'row';
      row.innerHTML = '<h2></h2><div class="meta"></div><canvas></canvas>';
      row.querySelector('h2')!.textContent = run.title;
      results.append(row);
      const r = await m.generate({ schedule: run.schedule, labels, seeds, guidanceScale, batchSize: 8 });
      const perImage = r.durationMs / count;
      if (run.schedule === formatSchedule(fullSchedule(STEPS))) teacherMs = perImage;
      const measured =
        teacherMs !== null && run.schedule !== formatSchedule(fullSchedule(STEPS))
          ? `, measured ${(teacherMs / perImage).toFixed(2)}× faster than the teacher`
          : '';
      row.querySelector('.meta')!.textContent =
        `${perImage.toFixed(0)} ms per image on ${m.backend.name} · ${cost.counts.full} full, ${cost.counts.partial} partial, ${cost.counts.null} null steps · ` +
        `MAC speedup ${cost.speedup.toFixed(2)}×${measured}`;
      const canvas = row.querySelector('canvas')!;
      drawSamples(canvas, r.samples, r.shape, { ...m.imageOptions, scale: 3, columns: Math.min(count, 8), padding: 1, background: 0 });
      row.dataset['msPerImage'] = String(perImage);
    }
    status(`Done: ${count} image${count === 1 ? '' : 's'} per schedule.`, 'done');
  } catch (e) {
    console.error(e);
    status(`Error: ${e instanceof Error ? e.message : String(e)}`, 'error');
  } finally {
    button.disabled = false;
  }
}

($('found') as HTMLInputElement).value = params.get('found') ?? DEFAULT_FOUND;
if (params.get('count')) ($('count') as HTMLInputElement).value = params.get('count')!;
const choice = params.get('backend') ?? 'auto';
($('backend-choice') as HTMLSelectElement).value = choice;
$('generate').addEventListener('click', () => void generate());
ensureModel(choice).then(
  () => {
    ($('generate') as HTMLButtonElement).disabled = false;
    status('Ready.', 'ready');
  },
  (e: unknown) => {
    console.error(e);
    status(`Error: ${e instanceof Error ? e.message : String(e)}`, 'error');
  },
);
