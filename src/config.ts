// Owns the process configuration: one validated, typed object read from the environment.
// Every invalid variable is reported at once; callers decide whether to exit.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS, type Limits } from './server/limits-defaults.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A whole number from the environment, with a default and a lower bound. */
const wholeNumber = (fallback: number, min: number, unit = '') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(String(fallback))
      .refine((v) => /^\d+$/.test(v) && Number(v) >= min, { message: `must be a whole number${unit}, at least ${min}` })
      .transform(Number),
  );

const flag = () =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
  );

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('4000')
      .refine((v) => /^\d+$/.test(v) && Number(v) <= 65535, { message: 'must be a whole number from 0 to 65535' })
      .transform(Number),
  ),
  HOST: z.preprocess(emptyAsUndefined, z.string().min(1).default('0.0.0.0')),
  DATABASE_URL: z.preprocess(emptyAsUndefined, urlWithProtocol(['postgres:', 'postgresql:']).optional()),
  REDIS_URL: z.preprocess(emptyAsUndefined, urlWithProtocol(['redis:', 'rediss:']).optional()),
  JWT_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().min(1).default('.data')),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default('info')),
  TOKEN_TTL_SECONDS: wholeNumber(7 * 24 * 3600, 60, ' of seconds'),
  EXPIRY_SWEEP_MS: wholeNumber(5000, 100, ' of milliseconds'),
  OUTBOX_POLL_MS: wholeNumber(1000, 50, ' of milliseconds'),
  FEED_CATCH_UP_MS: wholeNumber(3000, 100, ' of milliseconds'),
  OUTBOX_RETENTION_SECONDS: wholeNumber(3 * 24 * 3600, 1, ' of seconds'),
  SEED_DEMO_DATA: flag(),
  INTROSPECTION: flag(),
  MAX_QUERY_DEPTH: wholeNumber(DEFAULT_LIMITS.maxDepth, 2),
  MAX_ALIASES: wholeNumber(DEFAULT_LIMITS.maxAliases, 1),
  MAX_DIRECTIVES: wholeNumber(DEFAULT_LIMITS.maxDirectives, 1),
  MAX_TOKENS: wholeNumber(DEFAULT_LIMITS.maxTokens, 50),
  MAX_QUERY_COST: wholeNumber(DEFAULT_LIMITS.maxCost, 10),
  MAX_STRING_LENGTH: wholeNumber(DEFAULT_LIMITS.maxStringLength, 100),
  MAX_LIST_LENGTH: wholeNumber(DEFAULT_LIMITS.maxListLength, 10),
  WS_INIT_TIMEOUT_MS: wholeNumber(10_000, 100, ' of milliseconds'),
  SIGN_IN_LIMIT_PER_EMAIL: wholeNumber(5, 1),
  SIGN_IN_LIMIT_PER_IP: wholeNumber(50, 1),
  SIGN_IN_WINDOW_SECONDS: wholeNumber(15 * 60, 1, ' of seconds'),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** Unset means: run an embedded PostgreSQL inside `dataDir`. */
  databaseUrl?: string;
  /** Unset means: single-process mode, events stay in memory. */
  redisUrl?: string;
  jwtSecret: string;
  tokenTtlSeconds: number;
  dataDir: string;
  logLevel: LogLevel;
  /** How often requests and estimates past their time are marked EXPIRED. */
  expirySweepMs: number;
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  outboxPollMs: number;
  /** With Redis: how often each process checks the outbox for events its subscriber connection missed. */
  feedCatchUpMs: number;
  /** Published events are kept this long; feeds can resume from a cursor within it. */
  outboxRetentionMs: number;
  /** Schema introspection; on outside production unless INTROSPECTION says otherwise. */
  introspection: boolean;
  limits: Limits;
  /** A WebSocket that has not sent connection_init by then is closed with 4408. */
  wsInitTimeoutMs: number;
  /** Failed sign-ins allowed per e-mail, and sign-in/sign-up attempts per client address, per window. */
  signInLimits: { perEmail: number; perIp: number; windowSeconds: number };
  /** Seed demo accounts and the sample catalog into an empty database. Defaults to on outside production. */
  seedDemoData: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const value = env[name];
      problems.push(`${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`);
    }
  }
  // Checked alongside the others, so that one run reports every problem.
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    jwtSecret: e.JWT_SECRET ?? developmentSecret(dataDir),
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    dataDir,
    logLevel: e.LOG_LEVEL,
    seedDemoData: e.SEED_DEMO_DATA ?? !isProduction,
    expirySweepMs: e.EXPIRY_SWEEP_MS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    feedCatchUpMs: e.FEED_CATCH_UP_MS,
    outboxRetentionMs: e.OUTBOX_RETENTION_SECONDS * 1000,
    introspection: e.INTROSPECTION ?? !isProduction,
    wsInitTimeoutMs: e.WS_INIT_TIMEOUT_MS,
    limits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxDirectives: e.MAX_DIRECTIVES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_QUERY_COST,
      maxStringLength: e.MAX_STRING_LENGTH,
      maxListLength: e.MAX_LIST_LENGTH,
    },
    signInLimits: { perEmail: e.SIGN_IN_LIMIT_PER_EMAIL, perIp: e.SIGN_IN_LIMIT_PER_IP, windowSeconds: e.SIGN_IN_WINDOW_SECONDS },
  };
}

/** Outside production a secret is generated once and kept in the data folder, so tokens survive restarts. */
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
