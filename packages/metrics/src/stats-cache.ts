import { MetricsError } from './errors.js';
import { hashJson } from './internal/hash.js';
import { describe } from './internal/validate.js';

/**
 * Where an rFID evaluator keeps teacher statistics between runs: a byte store keyed by strings.
 * The evaluator never assumes a platform: file-backed stores live in the runtime packages, and
 * {@link createMemoryStatsCache} keeps entries in memory.
 *
 * Keys are stable hashes of everything the cached value depends on
 * ({@link teacherStatsKey}), so a store may be shared between models and settings.
 *
 * @public
 */
export interface StatsCache {
  /** The bytes stored under `key`, or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Store bytes under `key` (replacing any). */
  set(key: string, bytes: Uint8Array): Promise<void>;
}

/**
 * The in-memory {@link StatsCache} of {@link createMemoryStatsCache}.
 *
 * @public
 */
export interface MemoryStatsCache extends StatsCache {
  /** Number of entries. */
  readonly size: number;
  /** The keys of the entries. */
  keys(): string[];
}

/**
 * An in-memory {@link StatsCache} (a `Map`); entries are copied in and out.
 *
 * @returns An empty cache.
 * @example
 * ```ts
 * const cache = createMemoryStatsCache();
 * const evaluator = createRfidEvaluator({ ..., cache, modelId: manifest.sha256 });
 * ```
 * @public
 */
export function createMemoryStatsCache(): MemoryStatsCache {
  const map = new Map<string, Uint8Array>();
  return {
    get size(): number {
      return map.size;
    },
    keys: () => [...map.keys()],
    get: (key) => Promise.resolve(map.get(key)?.slice()),
    set: (key, bytes) => {
      if (!(bytes instanceof Uint8Array)) {
        return Promise.reject(new MetricsError('cache-error', `Cannot cache ${describe(bytes)}: expected a Uint8Array.`));
      }
      map.set(key, bytes.slice());
      return Promise.resolve();
    },
  };
}

/**
 * Everything teacher statistics depend on; {@link teacherStatsKey} hashes it.
 *
 * @public
 */
export interface TeacherStatsKeyParts {
  /** Identity of the generating model: a content hash of its weights or manifest. */
  readonly modelId: string;
  /** The teacher schedule in canonical notation (e.g. `F F F | F F F`). */
  readonly teacher: string;
  /** One seed per sample. */
  readonly seeds: readonly number[];
  /** One label (condition) per sample, when conditional. */
  readonly labels?: readonly number[];
  /** One prompt per sample, for text-to-image models. */
  readonly prompts?: readonly string[];
  /** One negative prompt per sample, when given. */
  readonly negativePrompts?: readonly string[];
  /** Sampler and generation settings (name, steps, eta, guidance, ...), any JSON data. */
  readonly sampler?: unknown;
  /** {@link FeatureExtractor.id}. */
  readonly extractorId: string;
  /** What is stored: statistics or images. */
  readonly kind: 'stats' | 'images';
}

/**
 * The cache key of teacher statistics: `flexiffusion-teacher-<kind>-v1-` followed by the SHA-256
 * of the canonical JSON of the parts. Any change in any part gives a different key, so a stale
 * entry is never reused.
 *
 * @param parts - What the cached value depends on.
 * @returns The key.
 * @throws {@link MetricsError} `invalid-argument` for parts that are not JSON data (NaN,
 *   functions, ...) or a missing model id.
 * @example
 * ```ts
 * teacherStatsKey({ modelId: 'sha256:…', teacher: 'F F F F', seeds: [0, 1], extractorId: ex.id, kind: 'stats' });
 * ```
 * @public
 */
export function teacherStatsKey(parts: TeacherStatsKeyParts): string {
  if (typeof parts !== 'object' || parts === null) {
    throw new MetricsError('invalid-argument', `Invalid key parts ${describe(parts)}: expected an object.`);
  }
  if (typeof parts.modelId !== 'string' || parts.modelId.length === 0) {
    throw new MetricsError(
      'invalid-argument',
      `Invalid modelId ${describe(parts.modelId)}: expected a non-empty string identifying the model (e.g. its hash).`,
    );
  }
  if (parts.kind !== 'stats' && parts.kind !== 'images') {
    throw new MetricsError('invalid-argument', `Invalid kind ${describe(parts.kind)}: expected 'stats' or 'images'.`);
  }
  return `flexiffusion-teacher-${parts.kind}-v1-${hashJson({ format: 1, ...parts })}`;
}
