import { resolve } from 'node:path';
import { formatSchedule, scheduleCost } from '@flexiffusion/schedule';
import { helpText, int, parseOptions, text } from '../internal/args.js';
import { readConditioning, sampleConditioning, withDefaultPrompts } from '../internal/conditions.js';
import { EXIT_INTERRUPTED } from '../internal/exit-codes.js';
import { writeAtomic } from '../internal/files.js';
import { onInterrupt } from '../internal/interrupt.js';
import { checkRequest, gridPng, openModel, warningPrinter } from '../internal/model.js';
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

/** `flexi sample`: generate with a schedule and write a PNG grid (any family: labels, prompts or neither). */
export async function sampleCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('sample', argv, sampleSpec);
  if (values.help) {
    console.log(helpText('sample', 'generate samples with a schedule and write a PNG grid', sampleSpec));
    return 0;
  }
  const model = await openModel('sample', values.model, { device: values.device, threads: values.threads });
  const interrupt = onInterrupt('interrupting: stopping after the current step');
  try {
    const schedule = scheduleArg('sample', 'schedule', values.schedule, model.branches);
    const n = values.count;
    const { stored, note } = await withDefaultPrompts('sample', model, await readConditioning('sample', model, values));
    if (note) process.stderr.write(`${note}\n`);
    const conditioning = sampleConditioning('sample', model, stored, n, values.labels);
    const seeds = Array.from({ length: n }, (_, i) => values.seed + i);
    const cost = scheduleCost(schedule, model.costProfile);
    const { guidanceScale, height, width, ...generation } = generationValues(values);
    const request = {
      schedule,
      seeds,
      ...conditioning,
      ...generation,
      ...(guidanceScale !== undefined ? { guidanceScale } : {}),
      ...(height !== undefined ? { height } : {}),
      ...(width !== undefined ? { width } : {}),
      onWarning: warningPrinter('sample'),
    };
    await checkRequest('sample', model, request);
    const bar = createProgressBar({ label: 'sampling', total: n });
    const start = performance.now();
    let result: Awaited<ReturnType<typeof model.generate>>;
    try {
      result = await model.generate({
        ...request,
        signal: interrupt.signal,
        onProgress: (e) => {
          if (e.phase === 'sample') bar.update(Math.round(e.fraction * n));
        },
      });
    } catch (e) {
      if (interrupt.interrupted) {
        console.error('\nsampling interrupted; nothing was written.');
        return EXIT_INTERRUPTED;
      }
      throw e;
    }
    const seconds = (performance.now() - start) / 1000;
    bar.done();
    const out = resolve(values.out);
    await writeAtomic(out, gridPng(model, result, values.columns));
    console.log(
      `schedule ${formatSchedule(schedule)}: ${cost.speedup.toFixed(2)}x fewer MACs; ` +
        `${n} samples in ${seconds.toFixed(1)} s (${((seconds * 1000) / n).toFixed(1)} ms per sample)`,
    );
    console.log(`wrote ${out}`);
    return 0;
  } finally {
    interrupt.dispose();
    await model.dispose();
  }
}
