import { Tensor, type InferenceSession } from 'onnxruntime-common';
import { MetricsError } from '../errors.js';
import type { OnnxSession, TensorFactory } from '../onnx-session.js';
import { describe } from './validate.js';

/** @internal */
export const defaultTensorFactory: TensorFactory = (type, data, dims) => new Tensor(type, data as Float32Array, dims as number[]);

/** @internal */
export function checkSessionNames(session: OnnxSession, inputs: readonly string[], outputs: readonly string[]): void {
  for (const name of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new MetricsError(
        'onnx-error',
        `The ONNX session has no input ${JSON.stringify(name)}; ` +
          `its inputs are ${session.inputNames.map((s) => JSON.stringify(s)).join(', ') || 'none'}.`,
      );
    }
  }
  if (!Array.isArray(outputs) || outputs.length === 0) {
    throw new MetricsError('invalid-argument', `Invalid outputs ${describe(outputs)}: expected a non-empty array of output names.`);
  }
  for (const name of outputs) {
    if (!session.outputNames.includes(name)) {
      throw new MetricsError(
        'onnx-error',
        `The ONNX session has no output ${JSON.stringify(name)}; ` +
          `its outputs are ${session.outputNames.map((s) => JSON.stringify(s)).join(', ') || 'none'}.`,
      );
    }
  }
}

/** Run a session, wrapping failures. @internal */
export async function runSession(
  session: OnnxSession,
  feeds: Record<string, Tensor>,
  outputs: readonly string[],
): Promise<InferenceSession.ReturnType> {
  let result: InferenceSession.ReturnType;
  try {
    result = await session.run(feeds, outputs as string[]);
  } catch (e) {
    throw new MetricsError('onnx-error', `The ONNX session failed to run: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  for (const name of outputs) {
    if (result[name] === undefined) {
      throw new MetricsError('onnx-error', `The ONNX session returned no output ${JSON.stringify(name)}.`);
    }
  }
  return result;
}

/** Values of a float32/float64 output tensor as float32, wherever it lives. @internal */
export async function tensorFloats(t: Tensor, name: string): Promise<Float32Array> {
  if (t.type !== 'float32' && t.type !== 'float64') {
    throw new MetricsError(
      'onnx-error',
      `Output ${JSON.stringify(name)} has element type ${t.type}: expected float32 or float64 (export the network with float32 outputs).`,
    );
  }
  const data = t.location !== undefined && t.location !== 'cpu' ? await t.getData() : t.data;
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new MetricsError('onnx-error', `Output ${JSON.stringify(name)} holds ${describe(data)}: expected float data.`);
}
