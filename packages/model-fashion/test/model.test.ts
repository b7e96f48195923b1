import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '@flexiffusion/runtime';
import { fashionModel, fashionTestSample } from '../src/index.js';

describe('@flexiffusion/model-fashion', () => {
  const { dir, manifest } = fashionModel();

  it('every file named by the manifest matches its sha256', () => {
    const files = [manifest.unet, manifest.featureNetwork, manifest.referenceStats, manifest.testSample];
    for (const f of files) {
      const digest = createHash('sha256')
        .update(readFileSync(join(dir, f.file)))
        .digest('hex');
      expect(digest, f.file).toBe(f.sha256);
    }
  });

  it('ships a manifest that @flexiffusion/runtime accepts', () => {
    expect(validateManifest(manifest)).toBe(manifest);
  });

  it('keeps all files together within 30 MB', () => {
    const total = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    expect(total).toBeLessThanOrEqual(30 * 1024 * 1024);
  });

  it('describes the interface of the issue', () => {
    expect(manifest.unet.inputs).toEqual({ sample: 'sample', timestep: 'timestep', classLabels: 'class_labels' });
    expect(manifest.unet.output).toBe('noise_pred');
    expect(manifest.unet.sampleShape).toEqual([1, 32, 32]);
    expect(manifest.unet.cache.map((c) => c.branch)).toEqual([0, 1, 2]);
    expect(manifest.scheduler).toEqual({ trainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
    expect(manifest.conditioning.classNames).toHaveLength(10);
    expect(manifest.conditioning.unconditionalLabel).toBe(10);
    expect(manifest.featureNetwork.dim).toBeLessThanOrEqual(256);
    expect(Object.isFrozen(manifest.unet)).toBe(true);
  });

  it('ships real test images with their labels', () => {
    const s = fashionTestSample();
    expect(s.count).toBe(100);
    expect(s.labels.filter((l) => l === 3)).toHaveLength(10);
    // Fashion-MNIST images have dark backgrounds and bright objects
    const mean = s.pixels.reduce((a, b) => a + b, 0) / s.pixels.length;
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(150);
  });
});
