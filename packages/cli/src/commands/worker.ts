/**
 * `flexi worker`: evaluate a distributed search's jobs (`flexi search --queue`) on this machine,
 * and the driver side of `flexi search --queue` ({@link queueEvaluation}). The queue itself
 * (job ids, locks, results in Redis, scoring) is `@flexiffusion/queue`; this file only plugs the
 * CLI's model, generator pool and feature network into it.
 */
import {
  canonicalJson,
  createQueueEvaluator,
  createQueueWorker,
  type EvaluateJobFn,
  type QueueEvaluator,
  QueueError,
} from '@flexiffusion/queue';
import type { SamplerName } from '@flexiffusion/runtime';
import type { Evaluator, NullMode } from '@flexiffusion/schedule';
import { CliError, helpText, int, parseOptions, text } from '../internal/args.js';
import type { SampleConditioning } from '../internal/conditions.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE } from '../internal/exit-codes.js';
import { NO_FEATURES, openFeatureNetwork } from '../internal/features.js';
import { createGeneratorPool, type GeneratorPool } from '../internal/generator-pool.js';
import { onInterrupt } from '../internal/interrupt.js';
import { type CliModel, modelId, modelLocation, openModel, warningPrinter } from '../internal/model.js';
import { type MetricName, objectiveEvaluator } from '../internal/objective.js';
import { modelOptions, options, qualityOptions } from '../internal/options.js';
import type { EvaluationSetup } from '../internal/setup.js';

const queueOption = text({ placeholder: 'URL', help: 'Redis of the search: redis://[:password@]host:port[/db], rediss:// for TLS' });

/** The options of `flexi worker`. */
export const workerSpec = {
  queue: queueOption,
  ...modelOptions,
  features: qualityOptions.features,
  'features-preset': qualityOptions['features-preset'],
  concurrency: int({ default: 1, min: 1, max: 64, help: 'generator worker threads (results do not depend on it)' }),
  name: text({ placeholder: 'NAME', defaultText: 'the host name', help: 'name reported with each result' }),
  'lock-duration': int({
    default: 60,
    min: 1,
    max: 86_400,
    help: "seconds a job's lock lasts (renewed every half of it: one network batch must finish within half); also the stall check's interval, at most 30",
  }),
  'redis-timeout': int({ default: 30, min: 0, max: 86_400, help: 'seconds Redis may be unreachable before the worker exits 1' }),
  help: options.help,
};

/** The sampler settings every job carries (the JSON of `EvaluationJob.sampler`). */
interface JobSampler {
  readonly sampler: SamplerName;
  readonly guidance: number;
  readonly nullMode: NullMode;
  readonly batchSize: number;
  readonly height?: number;
  readonly width?: number;
}

function jobSampler(value: unknown): JobSampler {
  const s = value as Partial<JobSampler> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    typeof s.sampler === 'string' &&
    typeof s.guidance === 'number' &&
    typeof s.nullMode === 'string' &&
    Number.isSafeInteger(s.batchSize) &&
    (s.height === undefined || Number.isSafeInteger(s.height)) &&
    (s.width === undefined || Number.isSafeInteger(s.width));
  if (!ok)
    throw new Error(
      `the job's sampler settings ${JSON.stringify(value)} are not { sampler, guidance, nullMode, batchSize, height?, width? }`,
    );
  return s as JobSampler;
}

/** One network batch's conditioning from a job: a shared negative prompt stays one prompt, as the local search passes it. */
function jobConditioning(job: {
  labels?: readonly number[];
  prompts?: readonly string[];
  negativePrompts?: readonly string[];
}): SampleConditioning {
  const neg = job.negativePrompts;
  const shared = neg?.every((x) => x === neg[0]) === true;
  return {
    ...(job.labels ? { labels: job.labels } : {}),
    ...(job.prompts ? { prompts: job.prompts } : {}),
    ...(neg && !shared ? { negativePrompts: neg } : {}),
    ...(neg && shared && neg[0] ? { negativePrompt: neg[0] } : {}),
  };
}

function queueUrl(command: string, url: string | undefined): string {
  if (url === undefined || url === '') {
    throw new CliError('bad-option', `flexi ${command}: --queue URL is required (redis://[:password@]host:port of the search's Redis).`);
  }
  return url;
}

/** A QueueError as the CLI reports it: bad URLs are bad input (exit 2), the rest a failure (exit 1). */
function cliQueueError(command: string, e: unknown): unknown {
  if (!(e instanceof QueueError)) return e;
  return new CliError(`queue-${e.code}`, `flexi ${command}: ${e.message}`, {
    cause: e,
    exitCode: e.code === 'invalid-url' || e.code === 'invalid-option' ? EXIT_BAD_INPUT : EXIT_FAILURE,
  });
}

/** `flexi worker`: take evaluation jobs from the queue until interrupted. */
export async function workerCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseOptions('worker', argv, workerSpec);
  if (values.help) {
    console.log(
      helpText('worker', 'evaluate the jobs of `flexi search --queue` on this machine (same model files as the driver)', workerSpec),
    );
    return 0;
  }
  const url = queueUrl('worker', values.queue);
  const { device, threads } = values;
  const location = modelLocation(values.model);
  const model = await openModel('worker', location, { device, threads });
  const interrupt = onInterrupt('stopping: finishing the running job');
  const pools = new Map<string, Promise<GeneratorPool>>();
  try {
    const network = await openFeatureNetwork('worker', model, { features: values.features, preset: values['features-preset'] });
    const extractor = network?.extractor ?? NO_FEATURES;
    const onWarning = warningPrinter('worker');
    const poolFor = (s: JobSampler): Promise<GeneratorPool> => {
      const key = canonicalJson({ guidance: s.guidance, nullMode: s.nullMode, batchSize: s.batchSize, height: s.height, width: s.width });
      let pool = pools.get(key);
      if (!pool) {
        const settings = {
          model: location,
          device,
          sampler: s.sampler,
          guidanceScale: s.guidance,
          nullMode: s.nullMode,
          batchSize: s.batchSize,
          height: s.height,
          width: s.width,
          onWarning,
        };
        pool = createGeneratorPool(settings, values.concurrency, model);
        pools.set(key, pool);
        pool.catch(() => pools.delete(key));
      }
      return pool;
    };
    const evaluate: EvaluateJobFn = async ({ job, schedule, signal }) => {
      const s = jobSampler(job.sampler);
      const pool = await poolFor(s);
      const t0 = performance.now();
      const r = await pool.generate({ schedule, seeds: job.seeds, conditioning: jobConditioning(job), signal, sampler: s.sampler });
      const t1 = performance.now();
      const dims = [...r.shape] as [number, number, number, number];
      const features = await extractor.extract(r.samples, dims, { signal });
      return { features, images: { data: r.samples, dims }, generateMs: t1 - t0, extractMs: performance.now() - t1 };
    };
    const worker = await createQueueWorker({
      connection: url,
      model: modelId(model),
      extractor: extractor.id,
      evaluate,
      backend: model.backend.name,
      ...(values.name !== undefined ? { name: values.name } : {}),
      lockDurationMs: values['lock-duration'] * 1000,
      // a dead worker's job is free again after at most lock + 2 stall checks: a short --lock-duration shortens both
      stalledIntervalMs: Math.min(30_000, values['lock-duration'] * 1000),
      retryForMs: values['redis-timeout'] * 1000,
      signal: interrupt.signal,
      onEvent: (e) => {
        const at = new Date().toISOString().slice(11, 19);
        if (e.type === 'ready')
          console.error(
            `${at} worker ${e.identity.name ?? e.identity.hostname} (pid ${e.identity.pid}, ${e.identity.backend}) on ${e.queue} at ${e.connection}, model ${modelId(model)}`,
          );
        else if (e.type === 'started') console.error(`${at} ${e.kind} ${e.schedule}`);
        else if (e.type === 'completed') console.error(`${at}   done in ${(e.ms / 1000).toFixed(1)} s${e.ok ? '' : `: ${e.reason}`}`);
        else if (e.type === 'failed') console.error(`${at}   failed (attempt ${e.attempt}): ${e.reason}`);
        else if (e.type === 'refused') console.error(`${at}   refused: ${e.reason}`);
        else console.error(`${at} ${e.message}`);
      },
    });
    interrupt.signal.addEventListener('abort', () => void worker.close(), { once: true });
    await worker.closed;
    return 0;
  } catch (e) {
    if (interrupt.interrupted && e instanceof QueueError && e.code === 'aborted') return 0;
    throw cliQueueError('worker', e);
  } finally {
    interrupt.dispose();
    for (const p of pools.values()) await (await p.catch(() => undefined))?.dispose();
    await model.dispose();
  }
}

/** What `flexi search --queue` evaluates with, and how it stops when the fleet is wrong. */
export interface QueueEvaluation {
  readonly evaluator: QueueEvaluator;
  /** The search's evaluator: {@link QueueEvaluation.evaluator} with the objective of `metric`. */
  objective(metric: MetricName): Evaluator;
  /** `signal`, and also aborted when a worker refuses a job or Redis is lost. */
  signal(signal: AbortSignal): AbortSignal;
  /**
   * The error to end the search with, for an error `e` of the search: the fleet's error when a
   * worker refused a job or Redis was lost (the search's own `aborted` hides it), else `e` (a
   * queue error as a one-line CLI error). Exit 1 either way, with the finished trials kept.
   */
  failure(e: unknown): unknown;
  close(): Promise<void>;
}

/** Settings of {@link queueEvaluation}: the generation settings of the search. */
export interface QueueEvaluationSettings {
  readonly sampler: SamplerName;
  readonly teacherSampler?: SamplerName | undefined;
  readonly nullMode: NullMode;
  readonly guidanceScale?: number | undefined;
  readonly batchSize: number;
  readonly height?: number | undefined;
  readonly width?: number | undefined;
  readonly metric: MetricName;
  /** How long Redis may be unreachable, in ms. */
  readonly retryForMs: number;
}

/**
 * The driver of `flexi search --queue URL`: a queue evaluator with the same seeds, conditioning,
 * teacher, feature network id and cost profile as the local evaluator of `setup`, so the trials are
 * those of a local search. Connects before the search writes anything (a Redis that stays
 * unreachable is an error naming the URL, exit 1).
 */
export async function queueEvaluation(
  url: string,
  model: CliModel,
  setup: EvaluationSetup,
  s: QueueEvaluationSettings,
): Promise<QueueEvaluation> {
  if (s.metric === 'clip') {
    throw new CliError(
      'bad-option',
      'flexi search: --queue judges rfid, kid, psnr, fid or rfid-fid; --metric clip is scored on the images, which stay on the workers.',
    );
  }
  const extractor = setup.network?.extractor ?? NO_FEATURES;
  const guidance = s.guidanceScale ?? model.manifest.conditioning?.defaultGuidanceScale ?? 1;
  const settings = (sampler: SamplerName) => ({
    sampler,
    guidance,
    nullMode: s.nullMode,
    batchSize: s.batchSize,
    ...(s.height !== undefined ? { height: s.height } : {}),
    ...(s.width !== undefined ? { width: s.width } : {}),
  });
  const c = setup.conditioning;
  const negatives = c.negativePrompts ?? (c.negativePrompt !== undefined ? setup.seeds.map(() => c.negativePrompt!) : undefined);
  const at = () => new Date().toISOString().slice(11, 19);
  let evaluator: QueueEvaluator;
  try {
    evaluator = await createQueueEvaluator({
      connection: url,
      model: modelId(model),
      teacher: setup.teacher,
      sampler: settings(s.sampler),
      teacherSampler: settings(s.teacherSampler ?? s.sampler),
      seeds: setup.seeds,
      ...(c.labels ? { labels: c.labels } : {}),
      ...(c.prompts ? { prompts: c.prompts } : {}),
      ...(negatives ? { negativePrompts: negatives } : {}),
      extractor: { id: extractor.id, dim: extractor.dim },
      ...(setup.network ? {} : { kid: false as const }),
      ...(setup.reference ? { reference: setup.reference } : {}),
      costProfile: model.costProfile,
      retryForMs: s.retryForMs,
      onProgress: (e) => {
        if (e.phase === 'teacher' && e.event === 'queued') process.stderr.write(`${at()} teacher: queued for the workers (${e.jobId})\n`);
        else if (e.phase === 'teacher' && e.event === 'cached') process.stderr.write(`${at()} teacher statistics: from the queue\n`);
        else if (e.event === 'waiting') {
          process.stderr.write(
            `${at()} waiting for workers: ${e.workers === -1 ? 'unknown number' : e.workers} connected, ${e.pending} job(s) pending` +
              `${e.workers === 0 ? ` — start one with: flexi worker --queue ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}` : ''}\n`,
          );
        }
      },
    });
  } catch (e) {
    throw cliQueueError('search', e);
  }
  return {
    evaluator,
    objective: (metric) => objectiveEvaluator(evaluator, { metric, drop: setup.network ? [] : ['rfid', 'kid', 'kidStd'] }),
    signal: (signal) => AbortSignal.any([signal, evaluator.fatalSignal]),
    failure: (e) => cliQueueError('search', evaluator.fatalSignal.aborted ? evaluator.fatalSignal.reason : e),
    close: () => evaluator.close(),
  };
}
