// `npm start`'s build: transpiles src/ to dist/ with swc in about a second (decorator metadata on, the
// same settings the tests run with), and only when a source file changed since the last build.
// `npm run build` (tsc, type-checked) is the build CI checks and ships; both produce the same layout.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function sources(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : [])),
  );
  return files.flat();
}

const mtime = (file) => stat(file).then((s) => s.mtimeMs, () => 0);

/**
 * Transpiles `root`/src to `root`/dist when a source file is newer than dist/main.js; does nothing otherwise.
 * Every file is transpiled before any is written, and dist/main.js is written last: a build that fails on one
 * file writes nothing, so the next start tries again instead of finding dist/main.js newer than the sources
 * and running the old code.
 */
export async function buildIfChanged(root = defaultRoot) {
  const src = path.join(root, 'src');
  const dist = path.join(root, 'dist');
  const files = await sources(src);
  const main = path.join(dist, 'main.js');
  const built = await mtime(main);
  const newest = Math.max(...(await Promise.all(files.map(mtime))));
  if (built > 0 && built >= newest) return;

  // Loaded only when there is something to build: a start with an up-to-date dist/ skips swc's native binding.
  const { transformFile } = await import('@swc/core');
  const started = Date.now();
  const outputs = await Promise.all(
    files.map(async (file) => {
      const { code } = await transformFile(file, {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: false,
      });
      return { out: path.join(dist, path.relative(src, file)).replace(/\.ts$/, '.js'), code };
    }),
  );
  const write = async ({ out, code }) => {
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, code);
  };
  await Promise.all(outputs.filter((o) => o.out !== main).map(write));
  await Promise.all(outputs.filter((o) => o.out === main).map(write));
  process.stderr.write(`built ${files.length} files in ${Date.now() - started} ms\n`);
}

// `node scripts/build-fast.mjs` (the npm scripts of the tools); scripts/start.mjs imports it.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildIfChanged();
