import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatSchedule, scheduleCost } from '@flexiffusion/schedule';
import { CliError, helpText, parseIntList, parseOptions, type OptionSpec } from '../internal/args.js';
import { balancedLabels, openModel } from '../internal/model.js';
import { createProgressBar } from '../internal/progress.js';
import { scheduleArg } from '../internal/schedule-arg.js';

export const sampleSpec = {
  schedule: { type: 'string', help: 'schedule in the DSL notation, e.g. "F P0 N N | F P1 N N"' },
  model: { type: 'string', default: 'fashion', help: 'model name or folder with model.json' },
  count: { type: 'number', default: 100, min: 1, max: 100000, integer: true, help: 'number of samples' },
  labels: { type: 'string', help: 'class labels, e.g. "0-9" or "3,3,7" (default: classes in turn)' },
  seed: { type: 'number', default: 0, min: 0, max: 2 ** 31, integer: true, help: 'seed of the first sample (sample i uses seed + i)' },
  guidance: { type: 'number', min: 0, max: 100, help: "classifier-free guidance scale (default: the model's)" },
  sampler: { type: 'string', default: 'ddim', choices: ['ddim', 'dpmpp-2m'], help: 'sampler' },
  'null-mode': { type: 'string', default: 'skip', choices: ['skip', 'reuse'], help: 'what null steps do' },
  columns: { type: 'number', default: 10, min: 1, max: 1000, integer: true, help: 'grid columns' },
  'batch-size': { type: 'number', default: 32, min: 1, max: 4096, integer: true, help: 'samples per network batch' },
  device: { type: 'string', default: 'cpu', choices: ['cpu', 'cuda'], help: 'execution provider' },
  threads: { type: 'number', min: 1, max: 256, integer: true, help: 'intra-op threads' },
  out: { type: 'string', default: 'samples.png', help: 'output PNG grid' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies Record<string, OptionSpec>;

/** `flexi sample`: generate with a schedule and write a PNG grid. */
export async function sampleCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('sample', argv, sampleSpec);
  if (values.help) {
    console.log(helpText('sample', 'generate samples with a schedule and write a PNG grid', sampleSpec));
    return 0;
  }
  const model = await openModel('sample', values.model!, { device: values.device as 'cpu' | 'cuda', threads: values.threads });
  try {
    const schedule = scheduleArg('sample', 'schedule', values.schedule, model.branches);
    const n = values.count!;
    const numClasses = model.manifest.conditioning?.numClasses ?? 0;
    let labels = balancedLabels(model, n);
    if (values.labels !== undefined) {
      if (numClasses === 0) throw new CliError('bad-option', `flexi sample: --labels given but model "${values.model}" is not class-conditional.`);
      const given = parseIntList('sample', 'labels', values.labels, 0, numClasses - 1);
      labels = Array.from({ length: n }, (_, i) => given[i % given.length]!);
    }
    const seeds = Array.from({ length: n }, (_, i) => values.seed! + i);
    const cost = scheduleCost(schedule, model.costProfile);
    const bar = createProgressBar({ label: 'sampling', total: n });
    const start = performance.now();
    const result = await model.generate({
      schedule,
      labels,
      seeds,
      sampler: values.sampler as 'ddim' | 'dpmpp-2m',
      nullMode: values['null-mode'] as 'skip' | 'reuse',
      batchSize: values['batch-size']!,
      ...(values.guidance !== undefined ? { guidanceScale: values.guidance } : {}),
      onProgress: (e) => bar.update(Math.round(e.fraction * n)),
    });
    const seconds = (performance.now() - start) / 1000;
    bar.done();
    const out = resolve(values.out!);
    await mkdir(dirname(out), { recursive: true });
    await model.saveGrid(out, result, { columns: values.columns! });
    console.log(`schedule ${formatSchedule(schedule)}: ${cost.speedup.toFixed(2)}x fewer MACs; ${n} samples in ${seconds.toFixed(1)} s (${((seconds * 1000) / n).toFixed(1)} ms per sample)`);
    console.log(`wrote ${out}`);
    return 0;
  } finally {
    await model.dispose();
  }
}
