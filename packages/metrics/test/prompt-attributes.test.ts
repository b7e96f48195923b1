import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  MetricsError,
  measureImageAttributes,
  parsePromptAttributeRules,
  promptTarget,
  scorePromptAdherence,
  toUint8Images,
} from '../src/index.js';

const NAMES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
const DOC = {
  format: 1,
  description: 'ignored',
  foregroundThreshold: 50,
  brightnessWords: ['dark', 'light'],
  sizeWords: ['small', 'large'],
  classes: NAMES.map((name, i) => ({ class: i, name, brightnessMedian: 150 + i, areaMedian: 0.3 + i / 100, areaTrainBand: [0, 1] })),
};
const rules = parsePromptAttributeRules(DOC);

describe('promptTarget', () => {
  it('reads the class as whole words, the longest name first, and the attribute words', () => {
    expect(promptTarget('a photo of a dark sneaker', rules)).toEqual({ classIndex: 7, brightness: 0, size: null });
    expect(promptTarget('a photo of a small light t-shirt', rules)).toEqual({ classIndex: 0, brightness: 1, size: 0 });
    expect(promptTarget('Shirt, LARGE', rules)).toEqual({ classIndex: 6, brightness: null, size: 1 });
    expect(promptTarget('an ankle boot', rules)).toEqual({ classIndex: 9, brightness: null, size: null });
    expect(promptTarget('a boot', rules).classIndex).toBeNull(); // "boot" alone is no class name
    expect(promptTarget('a bag and a coat', rules).classIndex).toBeNull(); // two classes: nothing
    expect(promptTarget('a dark light dress', rules).brightness).toBeNull(); // contradiction: nothing
    expect(promptTarget('', rules)).toEqual({ classIndex: null, brightness: null, size: null });
  });

  fcTest.prop([fc.constantFrom(...NAMES), fc.constantFrom('', 'dark ', 'light '), fc.constantFrom('', 'small ', 'large ')])(
    'every template of class and words is read back',
    (name, b, s) => {
      const t = promptTarget(`a photo of a ${s}${b}${name}`, rules);
      expect(t.classIndex).toBe(NAMES.indexOf(name));
      expect(t.brightness).toBe(b === '' ? null : b === 'dark ' ? 0 : 1);
      expect(t.size).toBe(s === '' ? null : s === 'small ' ? 0 : 1);
    },
  );
});

describe('measureImageAttributes', () => {
  it('is the mean over pixels above the threshold, and their share', () => {
    const u = Uint8Array.from([0, 50, 51, 255]);
    expect(measureImageAttributes(u, rules)).toEqual({ brightness: (51 + 255) / 2, area: 0.5 });
    expect(measureImageAttributes(new Uint8Array(4), rules)).toEqual({ brightness: 0, area: 0 });
  });

  fcTest.prop([fc.uint8Array({ minLength: 1, maxLength: 64 })])('brightness is in the threshold..255 band or 0; area in 0..1', (u) => {
    const m = measureImageAttributes(u, rules);
    expect(m.area).toBeGreaterThanOrEqual(0);
    expect(m.area).toBeLessThanOrEqual(1);
    if (m.area === 0) expect(m.brightness).toBe(0);
    else expect(m.brightness).toBeGreaterThan(50);
  });
});

describe('toUint8Images', () => {
  it('crops, maps the range, clamps and rounds', () => {
    const x = Float32Array.from([-1, -1, -1, -1, 0, 1, -1, 2, -0.5]); // 3×3, crop 2×2 at (1,1)
    const [u] = toUint8Images(x, [1, 1, 3, 3], [-1, 1], { top: 1, left: 1, height: 2, width: 2 });
    expect([...u!]).toEqual([128, 255, 255, 64]);
  });
  it('rejects a bad crop and a size mismatch with a code', () => {
    expect(() => toUint8Images(new Float32Array(9), [1, 1, 3, 3], [-1, 1], { top: 2, left: 0, height: 2, width: 2 })).toThrow(/crop/);
    try {
      toUint8Images(new Float32Array(8), [1, 1, 3, 3], [-1, 1]);
      expect.unreachable();
    } catch (e) {
      expect((e as MetricsError).code).toBe('dimension-mismatch');
    }
  });
});

describe('scorePromptAdherence', () => {
  it('counts each attribute over the prompts that ask for it, for the prompt class', () => {
    const light = new Uint8Array(100).fill(200); // brightness 200, area 1
    const dark = new Uint8Array(100);
    dark.fill(60, 0, 10); // brightness 60, area 0.1
    const r = scorePromptAdherence(
      [light, dark, dark, light],
      ['a light large coat', 'a dark small coat', 'a light coat', 'nothing'],
      rules,
      [4, 4, 3, 0],
    );
    expect(r.classAccuracy).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
    expect(r.brightnessAccuracy).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
    expect(r.sizeAccuracy).toEqual({ correct: 2, total: 2, accuracy: 1 });
    expect(scorePromptAdherence([], [], rules).classAccuracy).toBeNull();
    expect(scorePromptAdherence([], [], rules).sizeAccuracy.accuracy).toBeNull();
  });
  it('rejects mismatched lengths', () => {
    expect(() => scorePromptAdherence([new Uint8Array(1)], [], rules)).toThrow(MetricsError);
  });
});

describe('parsePromptAttributeRules', () => {
  it('names the bad field', () => {
    expect(() => parsePromptAttributeRules({ ...DOC, foregroundThreshold: 300 })).toThrow(/foregroundThreshold is 300/);
    expect(() => parsePromptAttributeRules({ ...DOC, classes: [{ ...DOC.classes[0], class: 3 }] })).toThrow(/classes\[0\]\.class/);
    expect(() => parsePromptAttributeRules({ ...DOC, sizeWords: ['dark', 'big'] })).toThrow(/four different words/);
    expect(() => parsePromptAttributeRules(null)).toThrow(/an object/);
  });
  it('returns frozen rules', () => {
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(rules.classes[0])).toBe(true);
  });
});
