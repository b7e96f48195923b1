import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The class names as prompts spell them (lower-case), in the label order of Fashion-MNIST and of
 * the feature network's logits.
 *
 * @public
 */
export const FASHION_SD_CLASS_NAMES: readonly string[] = Object.freeze([
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
]);

/**
 * `attributes.json`: the attribute rules (parse them with `@flexiffusion/metrics`'
 * `parsePromptAttributeRules`), with the training bands that decided which captions mentioned an
 * attribute.
 *
 * @public
 */
export interface FashionSdAttributesDoc {
  /** Format version: 1. */
  readonly format: 1;
  /** The rules in words. */
  readonly description: string;
  /** Pixels (0..255) above this are foreground. */
  readonly foregroundThreshold: number;
  /** The brightness words: [below the class median, at or above it]. */
  readonly brightnessWords: readonly [string, string];
  /** The size words: [below the class median, at or above it]. */
  readonly sizeWords: readonly [string, string];
  /** Per class, in label order. */
  readonly classes: readonly {
    /** Class label (0..9). */
    readonly class: number;
    /** Class name as prompts spell it. */
    readonly name: string;
    /** Median foreground brightness (0..255) of the class's training images. */
    readonly brightnessMedian: number;
    /** Median foreground area (0..1) of the class's training images. */
    readonly areaMedian: number;
    /** 40th/60th brightness percentiles: training captions said dark below, light above. */
    readonly brightnessTrainBand: readonly [number, number];
    /** 40th/60th area percentiles: training captions said small below, large above. */
    readonly areaTrainBand: readonly [number, number];
  }[];
}

/**
 * `provenance.json`, written by the recipe's export: file hashes and sizes, seeds, steps, wall
 * times and commands of each training stage.
 *
 * @public
 */
export interface FashionSdProvenance {
  /** Format version: 1. */
  readonly format: 1;
  /** The model's name. */
  readonly name: 'fashion-sd';
  /** When the export was written (ISO 8601). */
  readonly exported: string;
  /** `ema` or `raw` weights. */
  readonly weights: string;
  /** The commands that trained and exported it. */
  readonly commands: Readonly<Record<string, string>>;
  /** VAE latent scaling factor (1 / std of the training latents, as SD computes it). */
  readonly scaling_factor: number;
  /** Per training stage (vae, clip, judge, unet): seed, step, total steps, parameters, metrics. */
  readonly stages: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Every exported file: SHA-256 and size. */
  readonly files: Readonly<
    Record<
      string,
      {
        /** Lowercase hex SHA-256. */
        readonly sha256: string;
        /** Size in bytes. */
        readonly bytes: number;
      }
    >
  >;
  /** Sum of the files' sizes. */
  readonly totalBytes: number;
  readonly [key: string]: unknown;
}

/**
 * Absolute path of the model folder (an optimum export with a `model.json` over it): what
 * `loadModel` takes.
 *
 * @returns The folder.
 * @public
 */
export function fashionSdModelDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'model');
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(fashionSdModelDir(), file), 'utf8'));
}

/**
 * The default prompt set (200 prompts: every class × brightness × size in the training templates),
 * used by `flexi` when no `--prompt`/`--prompts` is given.
 *
 * @returns The prompts, frozen.
 * @throws Error when prompts.json is missing or not an array of strings (a broken install).
 * @public
 */
export function fashionSdPrompts(): readonly string[] {
  const v = readJson('prompts.json');
  if (!Array.isArray(v) || !v.every((p) => typeof p === 'string')) throw new Error('prompts.json: expected an array of strings.');
  return Object.freeze(v as string[]);
}

/**
 * The attribute rules document (`attributes.json`).
 *
 * @returns The parsed document (not validated: `parsePromptAttributeRules` checks the rules).
 * @throws Error when the file is missing or not JSON.
 * @public
 */
export function fashionSdAttributes(): FashionSdAttributesDoc {
  return readJson('attributes.json') as FashionSdAttributesDoc;
}

/**
 * How the model was made (`provenance.json`).
 *
 * @returns The parsed document.
 * @throws Error when the file is missing or not JSON.
 * @public
 */
export function fashionSdProvenance(): FashionSdProvenance {
  return readJson('provenance.json') as FashionSdProvenance;
}
