// The zero-config embedded database: a command run next to a running server uses that server's
// database instead of stopping it, and a second server on the same data folder is refused.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from './support/app.js';
import { ROOT, startServerProcess, type ServerProcess } from './support/process.js';
import { SHOPIFY_CSV_PATH, assertShopifyExport } from './support/shopify-export.js';

const run = promisify(execFile);

let dataDir: string;
let server: ServerProcess;
const env = () => ({ PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', JWT_SECRET: 'embedded-test-secret-0123456789abcdef' });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'jewelry-embedded-'));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as "postgres" and must reach it
  server = await startServerProcess({ DATABASE_URL: '', DATA_DIR: dataDir, SEED_DEMO_DATA: 'true', JWT_SECRET: env().JWT_SECRET });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded database', () => {
  it('lets `npm run import` use the running server\'s database, and the server keeps answering', async () => {
    assertShopifyExport();
    const { stdout } = await run(process.execPath, ['dist/cli/import.js', '--designer', 'designer@demo.jewelry', SHOPIFY_CSV_PATH], { cwd: ROOT, env: env() });
    expect(stdout).toContain('Imported 20 designs (20 new, 0 updated).');
    const res = await httpClient(server.url)('{ designs(first: 1) { totalCount } }');
    expect(res.data).toEqual({ designs: { totalCount: 32 } });
  });

  it('refuses a second server on the same data folder, naming the first', async () => {
    const second = await run(process.execPath, ['dist/main.js'], { cwd: ROOT, env: { ...env(), PORT: '0' } }).catch((e: { code: number; stderr: string }) => e);
    expect((second as { code: number }).code).toBe(1);
    expect((second as { stderr: string }).stderr).toMatch(/Another server \(pid \d+\) is already running on the data folder/);
    const res = await httpClient(server.url)('{ designs(first: 1) { totalCount } }');
    expect(res.status).toBe(200);
  });
});
