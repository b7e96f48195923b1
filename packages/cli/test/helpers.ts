import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/flexi.js', import.meta.url));
/** The model the e2e tests use: the embedded one, or FLEXI_TEST_MODEL for development. */
export const MODEL = process.env['FLEXI_TEST_MODEL'] ?? 'fashion';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built `flexi` binary. */
export function flexi(
  args: string[],
  options: { cwd?: string; killWhen?: (stderr: string) => boolean; signal?: NodeJS.Signals } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && options.killWhen?.(stderr)) {
        killed = true;
        child.kill(options.signal ?? 'SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
