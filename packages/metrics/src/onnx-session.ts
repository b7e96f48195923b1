import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * The part of an onnxruntime `InferenceSession` (onnxruntime-node, onnxruntime-web or
 * onnxruntime-react-native) that the extractors use. Pass a real session; tests may pass a fake.
 *
 * @public
 */
export type OnnxSession = Pick<InferenceSession, 'inputNames' | 'outputNames' | 'run'>;

/**
 * Element types the extractors create input tensors of.
 *
 * @public
 */
export type InputTensorType = 'float32' | 'int32' | 'int64';

/**
 * Creates input tensors. The default uses `onnxruntime-common`'s `Tensor`; pass your runtime's
 * own constructor when it bundles a different copy of `onnxruntime-common`
 * (e.g. `(type, data, dims) => new ort.Tensor(type, data, dims)`).
 *
 * @public
 */
export type TensorFactory = (type: InputTensorType, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]) => Tensor;
