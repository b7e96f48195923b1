import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { SessionFactory } from '../backend.js';
import { RuntimeError } from '../errors.js';

/** Open a session; an error that is not already a RuntimeError becomes `session-failed`. @internal */
export async function openSession(
  sessions: SessionFactory,
  bytes: Uint8Array,
  label: string,
  deviceOutputs?: readonly string[],
): Promise<InferenceSession> {
  try {
    return await sessions.create(bytes, deviceOutputs && deviceOutputs.length > 0 ? { label, deviceOutputs } : { label });
  } catch (cause) {
    // A backend's factory already says what failed, where (its own RuntimeError): wrap only foreign errors.
    if (cause instanceof RuntimeError) throw cause;
    throw new RuntimeError(
      'session-failed',
      `Could not create the onnxruntime session for ${label}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/** Run a session, wrapping failures. @internal */
export async function runSession(
  session: InferenceSession,
  feeds: Readonly<Record<string, Tensor>>,
  fetches: readonly string[] | undefined,
  label: string,
): Promise<Record<string, Tensor>> {
  try {
    const result = fetches
      ? await session.run(feeds as InferenceSession.FeedsType, [...fetches])
      : await session.run(feeds as InferenceSession.FeedsType);
    return result as Record<string, Tensor>;
  } catch (cause) {
    throw new RuntimeError('session-failed', `Running ${label} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
