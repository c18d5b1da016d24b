// A real graphql-ws client per subscriber, collecting every event it receives.
import { createClient, type Client } from 'graphql-ws';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import WebSocket from 'ws';

export interface Feed<T> {
  events: T[];
  errors: unknown[];
  /** Resolves when at least `count` events have arrived (rejects after `ms`). */
  waitFor(count: number, ms?: number): Promise<T[]>;
  /** Waits `ms` and returns what arrived meanwhile, to assert that nothing else came. */
  settle(ms?: number): Promise<T[]>;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export function connect(httpUrl: string, token: string | null): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Subscribes and resolves once the server has acknowledged the connection and the subscribe message. */
export async function subscribe<T, V extends Record<string, unknown>>(
  httpUrl: string,
  token: string | null,
  document: TypedDocumentNode<T, V> | DocumentNode,
  variables?: V,
): Promise<Feed<T>> {
  const client = connect(httpUrl, token);
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  await new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
    client.on('closed', (event) => reject(new Error(`socket closed before ack: ${(event as { code?: number }).code}`)));
  });
  const dispose = client.subscribe<T>(
    { query: print(document as DocumentNode), variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        if (value.data) events.push(value.data as T);
        notify();
      },
      error: (error) => {
        errors.push(error);
        notify();
      },
      complete: () => notify(),
    },
  );
  // Give the server a moment to register the subscription before the test acts.
  await new Promise((r) => setTimeout(r, 150));
  return {
    events,
    errors,
    waitFor: (count, ms = 10_000) =>
      new Promise<T[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${count} events, got ${events.length}: ${JSON.stringify(events)}`)), ms);
        const check = () => {
          if (events.length >= count) {
            clearTimeout(timer);
            resolve(events);
          } else waiters.push(check);
        };
        check();
      }),
    settle: async (ms = 600) => {
      await new Promise((r) => setTimeout(r, ms));
      return events;
    },
    close: async () => {
      dispose();
      await client.dispose();
    },
  };
}
