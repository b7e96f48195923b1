/**
 * The GITS baseline's teacher trajectory: the all-full teacher generated with a DDIM that records
 * the (guided) ε of every step, turned into GITS's cost matrix (`gitsCostMatrix` of
 * @flexiffusion/search-grid), as bench/headline.mjs does.
 */
import { getSampler, recordTrajectory } from '@flexiffusion/runtime';
import { fullSchedule, type Schedule } from '@flexiffusion/schedule';
import { gitsCostMatrix, gitsSeeds, type GitsCostMatrix } from '@flexiffusion/search-grid';
import { CliError } from './args.js';
import { sliceConditioning, type SampleConditioning } from './conditions.js';
import { createProgressBar } from './progress.js';
import type { CliModel } from './model.js';

/** At most this many of the search's samples record the trajectory (the matrix is their mean; 64 as in the bench). */
export const GITS_MAX_SAMPLES = 64;

/** What the teacher of {@link gitsTeacher} is generated with: the evaluator's own seeds, conditioning and settings. */
export interface GitsTeacherRequest {
  readonly teacherSteps: number;
  /** The evaluator's seeds; the first {@link GITS_MAX_SAMPLES} are used. */
  readonly seeds: readonly number[];
  /** The evaluator's labels or prompts, one per seed. */
  readonly conditioning: SampleConditioning;
  readonly guidanceScale?: number | undefined;
  /** Samples per network batch (the search's `--batch-size`). */
  readonly batchSize: number;
  readonly height?: number | undefined;
  readonly width?: number | undefined;
}

/** The teacher trajectory of the GITS baseline, recorded on demand. */
export interface GitsTeacher {
  /** Samples the trajectory is recorded on. */
  readonly samples: number;
  /** Sampler steps of the recording (batches × T), for a progress bar. */
  readonly steps: number;
  /**
   * Generate the teacher with the recording DDIM and measure the cost matrix.
   *
   * @throws RuntimeError `aborted` when `signal` fires; a ScheduleError `invalid-option` when the
   *   trajectory does not fit an ε-parameterised DDIM (a zero ᾱ: zero terminal SNR).
   */
  costs(options: { readonly signal: AbortSignal; readonly onStep?: (done: number) => void }): Promise<GitsCostMatrix>;
}

/**
 * The GITS baseline's teacher on `model`: the all-full schedule with DDIM (GITS's cost matrix is
 * made of DDIM jumps, whatever the candidates' or the teacher's sampler), on the evaluator's first
 * {@link GITS_MAX_SAMPLES} seeds with their labels or prompts, guidance, batching and image size.
 * The model generates in-process (a sampler object does not cross to worker threads); every batch
 * records its initial x, ε and timesteps (`recordTrajectory` of @flexiffusion/runtime), and `gitsCostMatrix` reads them back batch by batch, so
 * memory is the recorded ε (samples × T × size floats) plus one batch of the matrix's work.
 */
export function gitsTeacher(model: CliModel, request: GitsTeacherRequest): GitsTeacher {
  const n = Math.min(request.seeds.length, GITS_MAX_SAMPLES);
  const T = request.teacherSteps;
  const batches = Math.ceil(n / request.batchSize);
  return {
    samples: n,
    steps: batches * T,
    async costs({ signal, onStep }) {
      const rec = recordTrajectory(getSampler('ddim'), onStep ? { onStep } : {});
      await model.generate({
        schedule: fullSchedule(T),
        seeds: request.seeds.slice(0, n),
        ...sliceConditioning(request.conditioning, 0, n),
        sampler: rec.sampler,
        nullMode: 'skip',
        batchSize: request.batchSize,
        ...(request.guidanceScale !== undefined ? { guidanceScale: request.guidanceScale } : {}),
        ...(request.height !== undefined ? { height: request.height } : {}),
        ...(request.width !== undefined ? { width: request.width } : {}),
        signal,
      });
      const recorded = rec.batches;
      const timesteps = recorded[0]?.timesteps ?? [];
      if (recorded.length !== batches || recorded.some((b) => b.eps.length !== T || b.timesteps.join() !== timesteps.join())) {
        throw new CliError(
          'gits-recording',
          `the recording DDIM saw ${recorded.length} batches of ${recorded.map((b) => b.eps.length).join('/')} steps, expected ${batches} of ${T}`,
        );
      }
      const size = recorded[0]!.x.length / Math.min(n, request.batchSize);
      const samples = new Float32Array(n * size);
      recorded.forEach((b, i) => samples.set(b.x, i * request.batchSize * size));
      // gitsCostMatrix walks the batches in order, T calls each: the same batches as the generation
      let call = 0;
      return gitsCostMatrix({
        epsAt: () => {
          const b = recorded[Math.floor(call / T)]!;
          const step = call++ % T;
          const eps = b.eps[step]!;
          b.eps[step] = undefined;
          return eps;
        },
        alphasCumprod: rec.alphasCumprod!,
        timesteps,
        finalAlphaCumprod: rec.finalAlphaCumprod,
        samples,
        count: n,
        batchSize: request.batchSize,
        signal,
      });
    },
  };
}

/** A GITS teacher whose trajectory is recorded at most once (the first call's progress is the only one shown). */
export function onceGits(gits: GitsTeacher): GitsTeacher {
  let costs: Promise<GitsCostMatrix> | undefined;
  return {
    samples: gits.samples,
    steps: gits.steps,
    costs: async (options) => {
      if (costs) {
        const recorded = await costs;
        options.onStep?.(gits.steps);
        return recorded;
      }
      costs = gits.costs(options);
      return costs;
    },
  };
}

/**
 * Record a GITS teacher's cost matrix with a progress bar `LABEL (DDIM teacher trajectory, N samples)`.
 * A recording that fails (a model with a zero ᾱ) ends the bar as failed and writes one line,
 * `flexi search: FAILURE (the error)`, to stderr; an abort is thrown.
 *
 * @returns The matrix, or undefined when it could not be recorded.
 */
export async function recordGitsCosts(
  gits: GitsTeacher,
  options: { readonly label: string; readonly signal: AbortSignal; readonly failure: string },
): Promise<GitsCostMatrix | undefined> {
  const { signal } = options;
  const bar = createProgressBar({ label: `${options.label} (DDIM teacher trajectory, ${gits.samples} samples)`, total: gits.steps });
  try {
    const costs = await gits.costs({ signal, onStep: (done) => bar.update(done) });
    bar.done();
    return costs;
  } catch (e) {
    if (signal.aborted) throw e;
    bar.done('failed');
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    process.stderr.write(`flexi search: ${options.failure} (${why})\n`);
    return undefined;
  }
}

/**
 * The open form's starting points: `gitsSeeds` of @flexiffusion/search-grid (GITS-k, the DP's k of
 * the T timesteps on the teacher's DDIM trajectory, for the three largest k that meet the speed-up,
 * cut into the space's segments). The
 * recording is deterministic, so a resumed search gets the same seeds and replays its trials.
 * Where it cannot be recorded (a zero ᾱ), a note on stderr and no seeds.
 */
export async function openSeeds(
  gits: GitsTeacher,
  options: { readonly teacherSteps: number; readonly speedup: number; readonly segmentLength: number; readonly signal: AbortSignal },
): Promise<Schedule[]> {
  const costs = await recordGitsCosts(gits, {
    label: 'gits seeds',
    signal: options.signal,
    // deterministic for a model (a zero ᾱ), so a resumed search starts the same way
    failure: 'the open search starts without GITS seeds: the teacher trajectory could not be recorded',
  });
  if (!costs) return [];
  return [...gitsSeeds(costs, { speedup: options.speedup, segmentLength: options.segmentLength })];
}
