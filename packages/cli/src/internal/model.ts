import { loadModel, type NodeModel } from '@flexiffusion/runtime-node';
import { RuntimeError } from '@flexiffusion/runtime';
import { CliError } from './args.js';

/** Open a model (name or folder) for a command, turning runtime errors into one-line CLI errors. */
export async function openModel(
  command: string,
  nameOrDir: string,
  options: { device: 'cpu' | 'cuda'; threads?: number | undefined; quiet?: boolean },
): Promise<NodeModel> {
  try {
    return await loadModel(nameOrDir, {
      executionProvider: options.device,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
  } catch (e) {
    if (e instanceof RuntimeError) {
      throw new CliError(`model-${e.code}`, `flexi ${command}: cannot load model "${nameOrDir}": ${e.message}`, { cause: e, exitCode: 1 });
    }
    throw e;
  }
}

/** Labels 0..C−1 repeated to n samples (class-balanced), or all 0 for unconditional models. */
export function balancedLabels(model: NodeModel, n: number): number[] {
  const c = model.manifest.conditioning?.numClasses ?? 0;
  return Array.from({ length: n }, (_, i) => (c > 0 ? i % c : 0));
}
