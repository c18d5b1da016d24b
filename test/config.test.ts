import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'a-secret-that-is-at-least-32-characters-long';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mkt-config-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs loadConfig and returns the ConfigError it throws (fails the test if it does not throw one). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('gives typed defaults for a minimal environment', () => {
    const dataDir = tempDir();
    const config = loadConfig({ JWT_SECRET: SECRET, DATA_DIR: dataDir });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      isProduction: false,
      port: 4000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      redisUrl: undefined,
      jwtSecret: SECRET,
      dataDir,
      logLevel: 'info',
      seedDemoData: true,
    });
  });

  it('reads valid values', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgresql://app@db.internal:5432/market',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      TOKEN_TTL_SECONDS: '3600',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      isProduction: true,
      port: 8080,
      databaseUrl: 'postgresql://app@db.internal:5432/market',
      redisUrl: 'redis://cache:6379',
      logLevel: 'warn',
      tokenTtlSeconds: 3600,
      seedDemoData: false,
    });
  });

  it('refuses PORT=abc, naming PORT and the value', () => {
    const error = configError({ PORT: 'abc', JWT_SECRET: SECRET });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^PORT: /);
    expect(error.problems[0]).toContain('"abc"');
    expect(error.message).toContain('PORT');
  });

  it('reports every bad variable at once', () => {
    const error = configError({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', JWT_SECRET: SECRET });
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL']) expect(error.message).toContain(name);
  });

  it('reports a missing production JWT_SECRET together with the other problems', () => {
    const error = configError({ NODE_ENV: 'production', PORT: 'abc' });
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['JWT_SECRET', 'PORT']);
  });

  it('needs JWT_SECRET in production', () => {
    const error = configError({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://app@db/market' });
    expect(error.problems).toEqual([expect.stringMatching(/^JWT_SECRET: /)]);
  });

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    const error = configError({ JWT_SECRET: 'too-short', DATA_DIR: tempDir() });
    expect(error.problems).toEqual([expect.stringMatching(/^JWT_SECRET: must be at least 32 characters/)]);
  });

  it('outside production, generates a secret once in DATA_DIR and reuses it', () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');

    const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });

    const file = path.join(dataDir, 'jwt-secret');
    expect(existsSync(file)).toBe(true);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwtSecret);
    expect(statSync(file).mode & 0o077).toBe(0); // readable by its owner only

    const second = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(second.jwtSecret).toBe(first.jwtSecret);

    // another data folder gets another secret
    expect(loadConfig({ DATA_DIR: tempDir() }).jwtSecret).not.toBe(first.jwtSecret);
  });
});

describe('the server process', () => {
  it('exits with code 1 and names PORT when PORT is invalid', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, PORT: 'abc', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));

    expect(code).toBe(1);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('"abc"');
    expect(stdout).toBe('');
  });
});
