// Owns locating files shipped with the project (the sample catalog), from src/ under vitest or dist/ when built.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Cannot find the project folder (no package.json above this file)');
    dir = parent;
  }
  return dir;
}

export const SAMPLE_CATALOG = () => path.join(projectRoot(), 'src', 'db', 'seed', 'sample-catalog.csv');
