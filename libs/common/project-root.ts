import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The project's top folder (where package.json, templates/, contracts/ and migrations live), found by
 * walking up from this file. Works the same from the TypeScript sources and from dist/.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'jiaoying-callout') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`project root not found above ${__dirname}`);
    dir = parent;
  }
}

export const fromRoot = (...parts: string[]) => join(projectRoot(), ...parts);
