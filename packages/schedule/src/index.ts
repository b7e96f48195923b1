/**
 * The Flexiffusion schedule DSL: step kinds, segment-wise schedules and their text notation,
 * validation with positioned errors, execution plans (timesteps, caches, null modes), the cost
 * model, baseline schedules, search spaces, and the search contracts (ask/tell `Searcher`,
 * `Evaluator`, trials, Pareto front, `runSearch` with a pluggable trial store, and
 * `createGenerationalSearcher`, the shell of searchers that work in generations).
 *
 * Pure TypeScript with no runtime dependencies; every function is synchronous (except the
 * search loop) and returns plain frozen data.
 *
 * @example
 * ```ts
 * import { parseSchedule, planSchedule, scheduleCost } from '@flexiffusion/schedule';
 * const s = parseSchedule('F P1 P1 N N | F P0 N N N');
 * planSchedule(s, { trainTimesteps: 1000 }).steps.length; // 5 evaluated steps
 * scheduleCost(s, { fullMacs: 100, partialMacs: [25, 50] }).speedup; // 1000 / 325
 * ```
 * @packageDocumentation
 */
export { ScheduleError } from './errors.js';
export type { ScheduleErrorCode, ScheduleIssue, SchedulePosition } from './errors.js';
export { fullStep, partialStep, nullStep, stepToken } from './step.js';
export type { Step, StepKind, FullStep, PartialStep, NullStep } from './step.js';
export { createSchedule, scheduleSteps, scheduleLength, segmentLength, scheduleFromSteps } from './schedule.js';
export type { Schedule, ValidateOptions } from './schedule.js';
export { parseSchedule, formatSchedule, validateSchedule, toSchedule } from './notation.js';
export type { ValidationResult } from './notation.js';
export { planSchedule, leadingTimesteps, schedulerTimesteps, NULL_MODES, TIMESTEP_SPACINGS, TIMESTEP_GRIDS } from './plan.js';
export type { Plan, PlannedStep, PlanOptions, NullMode, TimestepSpacing, TimestepGrid } from './plan.js';
export { scheduleCost, validateCostProfile } from './cost.js';
export type { CostProfile, ScheduleCost } from './cost.js';
export { uniformSchedule, deepCacheSchedule, fullSchedule } from './baselines.js';
export { createRng } from './rng.js';
export type { Rng } from './rng.js';
export { createSearchSpace, SPACE_FORMS } from './space.js';
export type { SearchSpace, SearchSpaceOptions, SpaceForm } from './space.js';
export type {
  Trial,
  TrialState,
  SearchContext,
  Searcher,
  Evaluator,
  EvaluationResult,
  EvaluateOptions,
  SearchHeader,
  TrialStore,
} from './search/contracts.js';
export { paretoFront, bestTrial } from './search/pareto.js';
export { MemoryTrialStore } from './search/memory-store.js';
export { runSearch } from './search/run-search.js';
export type { RunSearchOptions, SearchResult, SearchProgress, StopReason } from './search/run-search.js';
export { createGenerationalSearcher } from './search/generational-searcher.js';
export type { GenerationalSearcherOptions, GenerationalSnapshot } from './search/generational-searcher.js';
