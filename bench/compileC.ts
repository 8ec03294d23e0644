import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Compiles one C file of bench/ with the system `cc` into a fresh temporary directory and
 * returns the executable's path; throws with `hint` (what to do without a compiler) if it fails.
 *
 * @example
 * ```ts
 * const exe = compileC('telemetryReader.c', ['-O2'], ['-lm'], 'pass --harness lean,grpc-js without one');
 * ```
 */
export function compileC(file: string, flags: readonly string[], libs: readonly string[], hint: string): string {
  const name = path.basename(file, '.c');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `rxtrain-${name}-`)), name);
  try {
    execFileSync('cc', [...flags, '-o', out, path.join(__dirname, file), ...libs], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`${file} needs a C compiler (cc); ${hint}: ${(e as Error).message}`);
  }
  return out;
}
