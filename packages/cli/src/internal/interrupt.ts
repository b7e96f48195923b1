/**
 * Ctrl-C for a command: the first SIGINT (or SIGTERM) aborts the command's signal so that it stops
 * cleanly (a search finishes writing its trial store) and exits 130; a second one exits at once.
 */
import { EXIT_INTERRUPTED } from './exit-codes.js';

/** A command's interrupt handling; `dispose()` removes the handlers. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Whether a SIGINT or SIGTERM arrived. */
  readonly interrupted: boolean;
  dispose(): void;
}

/** Install the handlers: `note` is printed on the first signal. */
export function onInterrupt(note: string): Interrupt {
  const ctrl = new AbortController();
  const handler = () => {
    if (ctrl.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`\n${note} (Ctrl-C again to quit at once)\n`);
    ctrl.abort(new Error('interrupted'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ctrl.signal,
    get interrupted() {
      return ctrl.signal.aborted;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
