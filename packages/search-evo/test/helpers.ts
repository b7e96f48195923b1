// The searcher contract checker now lives in @flexiffusion/schedule/testing; these names keep the
// tests' imports short.
export { driveSearcher as drive, syntheticObjective } from '@flexiffusion/schedule/testing';
export type { DriveSearcherOptions as DriveOptions } from '@flexiffusion/schedule/testing';
