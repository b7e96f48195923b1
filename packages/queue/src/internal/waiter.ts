import type { Queue, QueueEvents } from 'bullmq';
import { QueueError } from '../errors.js';

/** How a job ended. @internal */
export type JobEnd = { readonly state: 'completed' } | { readonly state: 'failed'; readonly reason: string };

interface Pending {
  readonly resolve: (end: JobEnd) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Waits for jobs to finish: on QueueEvents' `completed` and `failed` events, with a poll of the
 * pending jobs' states as a safety net (events sent while the events connection was down are not
 * replayed). A `failed` event of a job that will be retried is ignored: only the job's final state
 * counts.
 *
 * @internal
 */
export class JobWaiter {
  readonly #queue: Queue;
  readonly #pending = new Map<string, Pending[]>();
  readonly #timer: ReturnType<typeof setInterval>;
  #polling = false;
  #error: unknown;

  constructor(queue: Queue, events: QueueEvents, pollMs: number) {
    this.#queue = queue;
    events.on('completed', ({ jobId }) => this.#settle(jobId, { state: 'completed' }));
    events.on('failed', ({ jobId }) => void this.#check(jobId));
    this.#timer = setInterval(() => void this.#poll(), pollMs);
    this.#timer.unref?.();
  }

  /** Number of jobs waited on. */
  get size(): number {
    return this.#pending.size;
  }

  /** Wait for one job (already added) to end. Checks its state once at once. */
  wait(jobId: string, signal?: AbortSignal): Promise<JobEnd> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise<JobEnd>((resolve, reject) => {
      const onAbort = (): void => {
        this.#drop(jobId, entry);
        reject(
          new QueueError('aborted', 'The evaluation was aborted; queued jobs stay in the queue for a resumed search.', {
            cause: signal?.reason,
          }),
        );
      };
      const entry: Pending = {
        resolve: (e) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.#pending.get(jobId);
      if (list) list.push(entry);
      else this.#pending.set(jobId, [entry]);
      void this.#check(jobId);
    });
  }

  /** Reject every wait, now and later, with `error`. */
  fail(error: unknown): void {
    this.#error ??= error;
    for (const [id, list] of this.#pending) {
      this.#pending.delete(id);
      for (const p of list) p.reject(error);
    }
  }

  /** Stop polling. */
  close(): void {
    clearInterval(this.#timer);
  }

  #drop(jobId: string, entry: Pending): void {
    const list = this.#pending.get(jobId);
    if (!list) return;
    const rest = list.filter((p) => p !== entry);
    if (rest.length === 0) this.#pending.delete(jobId);
    else this.#pending.set(jobId, rest);
  }

  #settle(jobId: string, end: JobEnd): void {
    const list = this.#pending.get(jobId);
    if (!list) return;
    this.#pending.delete(jobId);
    for (const p of list) p.resolve(end);
  }

  async #check(jobId: string): Promise<void> {
    if (!this.#pending.has(jobId)) return;
    try {
      const state = await this.#queue.getJobState(jobId);
      if (state === 'completed') this.#settle(jobId, { state: 'completed' });
      else if (state === 'failed') {
        const job = await this.#queue.getJob(jobId);
        this.#settle(jobId, { state: 'failed', reason: job?.failedReason ?? 'failed (no reason stored)' });
      } else if (state === 'unknown') {
        this.#settle(jobId, { state: 'failed', reason: 'the job is no longer in the queue (removed while it was waited on)' });
      }
    } catch (e) {
      // a connection problem: the poll tries again, and a lost Redis fails every wait (fail())
      void e;
    }
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#pending.size === 0) return;
    this.#polling = true;
    try {
      for (const id of [...this.#pending.keys()]) await this.#check(id);
    } finally {
      this.#polling = false;
    }
  }
}
