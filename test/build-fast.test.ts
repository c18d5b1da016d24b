// npm start's incremental build (scripts/build-fast.mjs): it builds when a source changed, and a build that
// fails writes nothing, so the next start builds (and fails) again instead of running the old code.
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIfChanged } from '../scripts/build-fast.mjs';

const root = mkdtempSync(path.join(tmpdir(), 'build-fast-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const source = (file: string, text: string, ageSeconds = 0) => {
  const full = path.join(root, 'src', file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  const at = Date.now() / 1000 - ageSeconds;
  utimesSync(full, at, at);
};

describe('the incremental build of npm start', () => {
  it('builds changed sources, and after a failed build builds again rather than keep the old output', async () => {
    // Given a project built once
    source('main.ts', "import { answer } from './lib/answer.js';\nexport const main: number = answer;\n", 60);
    source('lib/answer.ts', 'export const answer: number = 41;\n', 60);
    await buildIfChanged(root);
    expect(readFileSync(path.join(root, 'dist/lib/answer.js'), 'utf8')).toContain('41');
    const builtAt = statSync(path.join(root, 'dist/main.js')).mtimeMs;

    // When a source gets a syntax error, then the build fails and writes nothing
    source('lib/answer.ts', 'export const answer: number = ;\n');
    await expect(buildIfChanged(root)).rejects.toThrow();
    expect(statSync(path.join(root, 'dist/main.js')).mtimeMs).toBe(builtAt);
    expect(readFileSync(path.join(root, 'dist/lib/answer.js'), 'utf8')).toContain('41');
    // and the next start tries again (and fails again), instead of running the old build
    await expect(buildIfChanged(root)).rejects.toThrow();

    // When it is fixed, then the next start builds it
    source('lib/answer.ts', 'export const answer: number = 42;\n');
    await buildIfChanged(root);
    expect(readFileSync(path.join(root, 'dist/lib/answer.js'), 'utf8')).toContain('42');
    expect(existsSync(path.join(root, 'dist/main.js'))).toBe(true);
  });
});
