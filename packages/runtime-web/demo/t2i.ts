/**
 * The text-to-image demo page: a prompt, the model fashion-sd loaded and run in a Web Worker
 * (createWorkerModel), a schedule picker (the teacher, DDIM-k and DeepCache baselines, the searched
 * schedules of docs/benchmarks.json for fashion-sd, a custom DSL string checked as it is typed), and
 * the teacher's and the fast schedule's images side by side from the same seeds, with the measured
 * milliseconds per image and the speed-up. The fast side runs with the option's sampler (a searched
 * row's `sampler`; DDIM for the baselines and a custom schedule); the teacher is always DDIM with
 * every step full at the fast schedule's own T (its length: a 50-step searched schedule is compared
 * with DDIM-50). Bundled by esbuild (demo/serve.mjs); the model is served at ./models/fashion-sd/,
 * onnxruntime-web at ./ort/, docs/ at ./docs/.
 * URL parameters: `backend` (auto | webgpu | wasm), `steps` (T of the teacher and the baselines in
 * the picker, default 25), `count`, `prompt`, `schedule` (an option id or a DSL string), `warmup`
 * (0 to skip the warm-up).
 */
import { formatSchedule, fullSchedule, scheduleCost } from '@flexiffusion/schedule';
import { createWorkerModel, type WorkerGenerateResult, type WorkerModel } from '../src/index.js';
import { SAMPLER_LABELS, checkCustomSchedule, scheduleOptions, type ScheduleOption } from './schedule-options.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const MODEL = './models/fashion-sd/';
const ORT = new URL('./ort/', location.href).href;
const STEPS = Math.max(2, Math.min(100, Number(params.get('steps')) || 25));
const SCALE = 4;

const status = (text: string, state: string): void => {
  const el = $('status');
  el.textContent = text;
  el.dataset['state'] = state;
};

let model: WorkerModel | null = null;
let loadedWith = '';
let options: readonly ScheduleOption[] = [];
let running: AbortController | null = null;

async function readJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url);
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

function backendsFor(choice: string): string[] {
  return choice === 'webgpu' ? ['webgpu'] : choice === 'wasm' ? ['wasm'] : ['webgpu', 'wasm'];
}

async function ensureModel(choice: string): Promise<WorkerModel> {
  if (model && loadedWith === choice) return model;
  await model?.dispose();
  model = null;
  status('Loading the model in a worker…', 'loading');
  $('fallback').textContent = '';
  const files = new Map<string, { loaded: number; total: number | null }>();
  const fallbacks: string[] = [];
  const m = await createWorkerModel(MODEL, {
    worker: new URL('./t2i-worker.js', location.href),
    backends: backendsFor(choice),
    backendOptions: { wasmPaths: ORT },
    eagerPartials: true,
    onFallback: ({ name, message }) => {
      fallbacks.push(`${name} unavailable: ${message}`);
      $('fallback').textContent = `(fell back: ${fallbacks.join('; ')})`;
    },
    onDownload: (p) => {
      files.set(p.path, { loaded: p.loaded, total: p.total });
      let loaded = 0;
      let total = 0;
      for (const f of files.values()) {
        loaded += f.loaded;
        total += f.total ?? f.loaded;
      }
      ($('download-bar') as HTMLProgressElement).value = total ? loaded / total : 0;
      $('download-text').textContent = `${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB (${files.size} files)`;
    },
  });
  model = m;
  loadedWith = choice;
  $('backend').textContent = m.backend.description;
  $('backend').dataset['name'] = m.backend.name;
  if (params.get('warmup') !== '0') {
    // the first run of each session compiles (WebGPU shaders) or tiers up (wasm): keep it out of the timings
    status('Warming up (first run of every step kind)…', 'loading');
    const probe = ['F', ...Array.from({ length: m.branches }, (_, b) => `P${b}`)].join(' ');
    await m.generate({ schedule: probe, prompts: ['a photo'], seeds: [0], images: false });
  }
  return m;
}

function fillPicker(branches: number, benchmarks: unknown): void {
  const picked = scheduleOptions('fashion-sd', STEPS, branches, benchmarks);
  options = picked.options;
  const select = $('schedule-choice') as HTMLSelectElement;
  select.replaceChildren();
  const groups: Record<ScheduleOption['group'], string> = {
    teacher: 'The teacher',
    baseline: 'Baselines (@flexiffusion/schedule helpers)',
    searched: 'Searched (docs/benchmarks.json)',
  };
  for (const g of ['baseline', 'searched', 'teacher'] as const) {
    const opts = options.filter((o) => o.group === g);
    if (opts.length === 0) continue;
    const og = document.createElement('optgroup');
    og.label = groups[g];
    for (const o of opts) og.append(new Option(o.label, o.id));
    select.append(og);
  }
  select.append(new Option('Custom schedule (DSL)…', 'custom'));
  $('searched-note').textContent = picked.searchedNote;
  const want = params.get('schedule');
  if (want && options.some((o) => o.id === want)) select.value = want;
  else if (want) {
    select.value = 'custom';
    ($('custom') as HTMLInputElement).value = want;
  } else select.value = options.find((o) => o.id.startsWith('deepcache-3-0'))?.id ?? options[0]!.id;
  onScheduleChange();
}

/** The fast side as chosen: the schedule, its T (length), the sampler to run it with, and its title. */
interface Chosen {
  readonly schedule: string;
  readonly steps: number;
  readonly sampler: ScheduleOption['sampler'];
  readonly title: string;
}

/** The teacher for a fast schedule of T steps: DDIM-T, every step full. */
const teacherSchedule = (steps: number): string => formatSchedule(fullSchedule(steps));

/** The fast schedule chosen now, or null (with the message shown) when the custom text is invalid. */
function chosenSchedule(): Chosen | null {
  const select = $('schedule-choice') as HTMLSelectElement;
  const custom = $('custom') as HTMLInputElement;
  const error = $('schedule-error');
  custom.hidden = select.value !== 'custom';
  const accept = (c: Chosen | null): Chosen | null => {
    custom.removeAttribute('aria-invalid');
    delete error.dataset['offset'];
    delete error.dataset['code'];
    if (c && model && !model.samplers.includes(c.sampler)) {
      // a benchmark row may name a sampler this runtime does not offer: say so rather than fail on Generate
      error.textContent = `The sampler ${c.sampler} is not one of this model's (${model.samplers.join(', ')}).`;
      error.dataset['code'] = 'unknown-sampler';
      return null;
    }
    error.textContent = '';
    return c;
  };
  if (select.value !== 'custom') {
    const o = options.find((x) => x.id === select.value);
    return accept(o ? { schedule: o.schedule, steps: o.steps, sampler: o.sampler, title: o.label } : null);
  }
  const check = checkCustomSchedule(custom.value, model?.branches ?? 3);
  if (check.ok) {
    // a schedule typed in runs with DDIM, against the teacher at its own length
    return accept({ schedule: check.schedule, steps: check.steps, sampler: 'ddim', title: `custom: ${check.schedule}` });
  }
  custom.setAttribute('aria-invalid', 'true');
  // the message, and a caret under the offending character when the parser gives its offset
  const caret = check.offset !== null ? `\n${custom.value}\n${' '.repeat(check.offset)}^` : '';
  error.textContent = `${check.message}${caret}`;
  error.dataset['offset'] = check.offset === null ? '' : String(check.offset);
  error.dataset['code'] = check.code;
  return null;
}

function onScheduleChange(): void {
  const chosen = chosenSchedule();
  const text = $('schedule-text');
  if (chosen && model) {
    const c = scheduleCost(chosen.schedule, model.costProfile);
    text.textContent =
      `${chosen.schedule} — T = ${chosen.steps}, ${SAMPLER_LABELS[chosen.sampler]}; ${c.counts.full} full, ${c.counts.partial} partial, ` +
      `${c.counts.null} null steps, ${c.speedup.toFixed(2)}× fewer MACs than the teacher (DDIM-${chosen.steps}, every step full)`;
  } else text.textContent = '';
  ($('generate') as HTMLButtonElement).disabled = chosen === null || model === null || running !== null;
}

function show(col: HTMLElement, r: WorkerGenerateResult, title: string, meta: string): void {
  col.querySelector('h2')!.textContent = title;
  col.querySelector('.meta')!.textContent = meta;
  const grid = col.querySelector('.grid')!;
  grid.replaceChildren();
  for (const bitmap of r.images ?? []) {
    const c = document.createElement('canvas');
    c.width = bitmap.width * SCALE;
    c.height = bitmap.height * SCALE;
    const ctx = c.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(bitmap, 0, 0, c.width, c.height);
    bitmap.close();
    grid.append(c);
  }
}

async function generate(): Promise<void> {
  const fast = chosenSchedule();
  if (!fast) return;
  running = new AbortController();
  const { signal } = running;
  ($('generate') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  try {
    const m = await ensureModel(($('backend-choice') as HTMLSelectElement).value);
    const count = Math.max(1, Math.min(8, Number(($('count') as HTMLInputElement).value) || 1));
    const seed0 = Number(($('seed') as HTMLInputElement).value) || 0;
    const prompt = ($('prompt') as HTMLInputElement).value.trim();
    const guidanceScale = Number(($('guidance') as HTMLInputElement).value) || 1;
    const request = {
      prompts: Array.from({ length: count }, () => prompt),
      seeds: Array.from({ length: count }, (_, i) => seed0 + i),
      guidanceScale,
    };
    // the reference at the fast schedule's own T: DDIM, every step full
    const T = fast.steps;
    const runs = [
      { col: $('teacher'), title: `Teacher — DDIM-${T}, every step full`, schedule: teacherSchedule(T), sampler: 'ddim', teacher: true },
      { col: $('fast'), title: `Fast — ${fast.title}`, schedule: fast.schedule, sampler: fast.sampler, teacher: false },
    ] as const;
    for (const { col } of runs) {
      col.querySelector('.meta')!.textContent = '';
      col.querySelector('.grid')!.replaceChildren();
    }
    $('speedup').textContent = '';
    const perImage: number[] = [];
    for (const run of runs) {
      const cost = scheduleCost(run.schedule, m.costProfile);
      const total = cost.counts.full + cost.counts.partial;
      const r = await m.generate({
        ...request,
        schedule: run.schedule,
        sampler: run.sampler,
        batchSize: count,
        signal,
        onProgress: (e) => e.phase === 'sample' && status(`Generating: ${run.title} — evaluation ${e.completed} of ${total}`, 'running'),
      });
      const ms = r.durationMs / count;
      perImage.push(ms);
      show(
        run.col,
        r,
        run.title,
        `${ms.toFixed(0)} ms per image on ${m.backend.name} · ${SAMPLER_LABELS[run.sampler]}, T = ${T} · ` +
          `${cost.counts.full} full, ${cost.counts.partial} partial, ${cost.counts.null} null steps · ` +
          (run.teacher ? 'the reference' : `${cost.speedup.toFixed(2)}× fewer MACs than the teacher`),
      );
      run.col.dataset['msPerImage'] = String(ms);
    }
    const speedup = perImage[0]! / perImage[1]!;
    $('speedup').textContent =
      `Measured speed-up of the fast schedule: ${speedup.toFixed(2)}× (${perImage[0]!.toFixed(0)} → ${perImage[1]!.toFixed(0)} ms per image against DDIM-${T}, ` +
      `${m.backend.description}, same prompt and seeds).`;
    $('speedup').dataset['value'] = String(speedup);
    status(`Done: ${count} image${count === 1 ? '' : 's'} per schedule.`, 'done');
  } catch (e) {
    console.error(e);
    const aborted = (e as { code?: string }).code === 'aborted';
    status(aborted ? 'Stopped.' : `Error: ${e instanceof Error ? e.message : String(e)}`, aborted ? 'stopped' : 'error');
  } finally {
    running = null;
    ($('stop') as HTMLButtonElement).disabled = true;
    onScheduleChange();
  }
}

async function start(): Promise<void> {
  const choice = params.get('backend') ?? 'auto';
  ($('backend-choice') as HTMLSelectElement).value = choice;
  if (params.get('count')) ($('count') as HTMLInputElement).value = params.get('count')!;
  if (params.get('prompt')) ($('prompt') as HTMLInputElement).value = params.get('prompt')!;
  ($('schedule-choice') as HTMLSelectElement).addEventListener('change', onScheduleChange);
  ($('custom') as HTMLInputElement).addEventListener('input', onScheduleChange);
  $('generate').addEventListener('click', () => void generate());
  $('stop').addEventListener('click', () => running?.abort(new Error('stopped by the user')));
  const [benchmarks, prompts] = await Promise.all([readJson('./docs/benchmarks.json'), readJson(`${MODEL}prompts.json`)]);
  const list = Array.isArray(prompts) ? prompts : ((prompts as { prompts?: unknown } | null)?.prompts ?? []);
  if (Array.isArray(list)) for (const p of list.slice(0, 50)) if (typeof p === 'string') $('prompt-list').append(new Option(p));
  fillPicker(3, benchmarks);
  try {
    const m = await ensureModel(choice);
    fillPicker(m.branches, benchmarks);
    status('Ready.', 'ready');
  } catch (e) {
    console.error(e);
    status(`Error: ${e instanceof Error ? e.message : String(e)}`, 'error');
  }
  onScheduleChange();
}

void start();
