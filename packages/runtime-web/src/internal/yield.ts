/**
 * Give the event loop a turn: a macrotask, not a microtask. onnxruntime-web's wasm `run()` computes
 * synchronously inside its promise, so a denoising loop on wasm is one unbroken chain of
 * microtasks: measured in a worker, an abort posted at step 2 of 25 was seen only after step 25,
 * and on a page no click or paint got through between steps. One turn per session run lets
 * messages, abort signals and rendering in. A MessageChannel turn costs well under a millisecond;
 * setTimeout(0) is clamped to 4 ms once timers nest (about 10 % of a 40 ms wasm step).
 */

let channel: MessageChannel | null = null;
const waiting: (() => void)[] = [];

/** Resolve after one macrotask. @internal */
export function yieldMacrotask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    // Node: an open port keeps the process alive; this one must not
    (channel.port1 as { unref?: () => void }).unref?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(null);
  });
}
