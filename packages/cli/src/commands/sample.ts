import { resolve } from 'node:path';
import { formatSchedule, scheduleCost } from '@flexiffusion/schedule';
import { CliError, helpText, int, parseIntList, parseOptions, text } from '../internal/args.js';
import { writeAtomic } from '../internal/files.js';
import { balancedLabels, gridPng, openModel } from '../internal/model.js';
import { generationOptions, generationValues, modelOptions, options } from '../internal/options.js';
import { createProgressBar } from '../internal/progress.js';
import { scheduleArg } from '../internal/schedule-arg.js';

/** The options of `flexi sample`. */
export const sampleSpec = {
  schedule: options.schedule,
  ...modelOptions,
  count: int({ default: 100, min: 1, max: 100000, help: 'number of samples' }),
  labels: text({ placeholder: 'LIST', defaultText: 'classes in turn', help: 'class labels, e.g. "0-9" or "3,3,7"' }),
  ...generationOptions,
  columns: int({ default: 10, min: 1, max: 1000, help: 'grid columns' }),
  out: text({ default: 'samples.png', placeholder: 'FILE', help: 'output PNG grid' }),
  help: options.help,
};

/** `flexi sample`: generate with a schedule and write a PNG grid. */
export async function sampleCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('sample', argv, sampleSpec);
  if (values.help) {
    console.log(helpText('sample', 'generate samples with a schedule and write a PNG grid', sampleSpec));
    return 0;
  }
  const model = await openModel('sample', values.model, { device: values.device, threads: values.threads });
  try {
    const schedule = scheduleArg('sample', 'schedule', values.schedule, model.branches);
    const n = values.count;
    const numClasses = model.manifest.conditioning?.numClasses ?? 0;
    let labels = balancedLabels(model, n);
    if (values.labels !== undefined) {
      if (numClasses === 0)
        throw new CliError('bad-option', `flexi sample: --labels given but model "${values.model}" is not class-conditional.`);
      const given = parseIntList('sample', 'labels', values.labels, 0, numClasses - 1);
      labels = Array.from({ length: n }, (_, i) => given[i % given.length]!);
    }
    const seeds = Array.from({ length: n }, (_, i) => values.seed + i);
    const cost = scheduleCost(schedule, model.costProfile);
    const bar = createProgressBar({ label: 'sampling', total: n });
    const start = performance.now();
    const { guidanceScale, ...generation } = generationValues(values);
    const result = await model.generate({
      schedule,
      labels,
      seeds,
      ...generation,
      ...(guidanceScale !== undefined ? { guidanceScale } : {}),
      onProgress: (e) => bar.update(Math.round(e.fraction * n)),
    });
    const seconds = (performance.now() - start) / 1000;
    bar.done();
    const out = resolve(values.out);
    await writeAtomic(out, gridPng(model, result, values.columns));
    console.log(
      `schedule ${formatSchedule(schedule)}: ${cost.speedup.toFixed(2)}x fewer MACs; ${n} samples in ${seconds.toFixed(1)} s (${((seconds * 1000) / n).toFixed(1)} ms per sample)`,
    );
    console.log(`wrote ${out}`);
    return 0;
  } finally {
    await model.dispose();
  }
}
