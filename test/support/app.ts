// Starts the real server (HTTP + WebSocket) in-process on a free port, over a database of its own.
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type App } from '../../src/app.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestApp {
  app: App;
  db: TestDatabase;
  url: string;
  origin: string;
  gql: GqlClient;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown>; path?: unknown[] }>;
}

export type GqlClient = <T, V extends Record<string, unknown> = Record<string, unknown>>(
  document: TypedDocumentNode<T, V> | DocumentNode | string,
  variables?: V,
  token?: string | null,
) => Promise<GqlResponse<T>>;

export async function startTestApp(env: Record<string, string> = {}, options: { db?: TestDatabase; onQuery?: (sql: string) => void } = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_DEMO_DATA: 'false',
    DATA_DIR: '/nonexistent-test-data-dir',
    ...env,
  });
  const app = await startApp(config, createLogger(config.logLevel), { onQuery: options.onQuery });
  const url = app.server.url.replace('localhost', '127.0.0.1');
  return {
    app,
    db,
    url,
    origin: new URL(url).origin,
    gql: httpClient(url),
    stop: async () => {
      await app.stop();
      if (!options.db) await db.drop();
    },
  };
}

export function httpClient(url: string): GqlClient {
  return async (document, variables, token) => {
    const query = typeof document === 'string' ? document : print(document as DocumentNode);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as GqlResponse<never>;
    return { ...body, status: response.status };
  };
}
