import { parentPort, workerData } from 'node:worker_threads';
import type { SampleConditioning } from './conditions.js';
import { openWorkerModel, type Device } from './model.js';

const { model: name, device, threads, warnings } = workerData as { model: string; device: Device; threads: number; warnings: boolean };
const model = await openWorkerModel(name, { device, threads });
const onWarning = (warning: { code: string; message: string }) => parentPort!.postMessage({ type: 'warning', warning });
parentPort!.on(
  'message',
  (m: {
    type: string;
    id: number;
    schedule: string;
    seeds: number[];
    conditioning: SampleConditioning;
    options: Record<string, unknown>;
  }) => {
    if (m.type !== 'generate') return;
    model
      .generate({ schedule: m.schedule, seeds: m.seeds, ...m.conditioning, ...m.options, ...(warnings ? { onWarning } : {}) })
      .then((r) =>
        parentPort!.postMessage({ type: 'result', id: m.id, samples: r.samples, shape: r.shape }, [r.samples.buffer as ArrayBuffer]),
      )
      .catch((e: unknown) => parentPort!.postMessage({ type: 'error', id: m.id, error: e instanceof Error ? e.message : String(e) }));
  },
);
parentPort!.postMessage({ type: 'ready' });
