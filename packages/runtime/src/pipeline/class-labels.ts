import type { Tensor } from 'onnxruntime-common';
import { RuntimeError } from '../errors.js';
import { intTensor } from '../internal/tensor.js';
import type { ConditioningStage, SampleConditions } from './stages.js';

/** What the class-label stage needs from the manifest and the UNet graph. @internal */
export interface ClassLabelInit {
  /** The model's name, for messages. */
  readonly model: string;
  /** The UNet's class-label input. */
  readonly input: string;
  /** Its element type (`int64` or `int32`). */
  readonly type: string;
  /** Number of classes. */
  readonly numClasses: number;
  /** The label of "no class" (the unconditional half of guidance). */
  readonly unconditionalLabel: number;
}

/**
 * The class-label conditioning stage: one label per sample (default: the unconditional label),
 * fed as the UNet's class-label input; with guidance the unconditional half gets the
 * unconditional label.
 *
 * @param init - Input name and type, number of classes, unconditional label.
 * @returns The stage.
 * @internal
 */
export function classLabelStage(init: ClassLabelInit): ConditioningStage {
  const { numClasses, unconditionalLabel } = init;
  return Object.freeze({
    kind: 'class-labels' as const,
    select(request: { readonly labels?: readonly number[] }, n: number): SampleConditions {
      const labels = request.labels ? [...request.labels] : new Array<number>(n).fill(unconditionalLabel);
      labels.forEach((l, i) => {
        if (!Number.isSafeInteger(l) || l < 0 || (l >= numClasses && l !== unconditionalLabel)) {
          throw new RuntimeError(
            'invalid-option',
            `Invalid label ${String(l)} at index ${i}: ` +
              `expected a class 0..${numClasses - 1} or the unconditional label ${unconditionalLabel}.`,
          );
        }
      });
      return { labels };
    },
    async feeds(conditions: SampleConditions, guidance: boolean): Promise<Record<string, Tensor>> {
      const labels = conditions.labels ?? [];
      const all = guidance ? [...new Array<number>(labels.length).fill(unconditionalLabel), ...labels] : labels;
      return { [init.input]: intTensor(init.type, all, [all.length]) };
    },
    dispose: () => Promise.resolve(),
  });
}
