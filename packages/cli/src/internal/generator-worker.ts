import { parentPort, workerData } from 'node:worker_threads';
import { openWorkerModel, type Device } from './model.js';

const { model: name, device, threads } = workerData as { model: string; device: Device; threads: number };
const model = await openWorkerModel(name, { device, threads });
parentPort!.on(
  'message',
  (m: { type: string; id: number; schedule: string; seeds: number[]; labels?: number[]; options: Record<string, unknown> }) => {
    if (m.type !== 'generate') return;
    model
      .generate({ schedule: m.schedule, seeds: m.seeds, ...(m.labels ? { labels: m.labels } : {}), ...m.options })
      .then((r) =>
        parentPort!.postMessage({ type: 'result', id: m.id, samples: r.samples, shape: r.shape }, [r.samples.buffer as ArrayBuffer]),
      )
      .catch((e: unknown) => parentPort!.postMessage({ type: 'error', id: m.id, error: e instanceof Error ? e.message : String(e) }));
  },
);
parentPort!.postMessage({ type: 'ready' });
