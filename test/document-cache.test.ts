// Subscriptions with the same text share one parsed, validated document; a text that fails is checked again
// every time; the cache is bounded.
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentCache } from '../src/server/document-cache.js';
import { startTestApp, type TestApp } from './support/app.js';
import { signUpManufacturer } from './support/users.js';
import { connect } from './support/ws.js';

describe('DocumentCache', () => {
  it('returns the same document for the same text and forgets the least recently used beyond its size', () => {
    const cache = new DocumentCache(2);
    const a = parse('{ a }');
    const b = parse('{ b }');
    cache.set('{ a }', a);
    cache.set('{ b }', b);
    expect(cache.get('{ a }')).toBe(a); // a is now the most recently used
    cache.set('{ c }', parse('{ c }'));
    expect(cache.size).toBe(2);
    expect(cache.get('{ b }')).toBeUndefined();
    expect(cache.get('{ a }')).toBe(a);
    expect(cache.get('{ c }')).toBeDefined();
  });

  it('keeps documents within a memory budget: new ones push out old ones, one too large is not kept', () => {
    // Given a budget of 1.4 MB: a document of 300 fields takes about 160 KB, so eight fit
    const text = (fields: number, tag: string) => `subscription { quoteRequestFeed { ${Array.from({ length: fields }, (_, i) => `f${i}`).join(' ')} } } # ${tag}`;
    const cache = new DocumentCache(1000, 1_400_000);
    const texts = Array.from({ length: 9 }, (_, i) => text(300, `n${i}`));
    for (const t of texts.slice(0, 8)) cache.set(t, parse(t));
    expect(cache.size).toBe(8);
    expect(cache.bytes).toBeGreaterThan(8 * 300 * 500);
    // When a ninth comes, the least recently used goes, and the budget holds
    cache.get(texts[0]);
    cache.set(texts[8], parse(texts[8]));
    expect(cache.size).toBe(8);
    expect(cache.get(texts[1])).toBeUndefined();
    expect(cache.get(texts[0])).toBeDefined();
    expect(cache.bytes).toBeLessThanOrEqual(1_400_000);
    // And one that alone would take more than an eighth of the budget is not kept, nor pushes anything out
    const huge = text(1000, 'huge');
    cache.set(huge, parse(huge));
    expect(cache.get(huge)).toBeUndefined();
    expect(cache.size).toBe(8);
  });
});

describe('subscribe over WebSocket', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  /** Subscribes and resolves with the first message the server sends back for it (an error) or after 300 ms. */
  function attempt(client: ReturnType<typeof connect>, query: string): Promise<unknown[]> {
    return new Promise((resolve) => {
      const errors: unknown[] = [];
      const dispose = client.subscribe({ query }, { next: () => {}, error: (e) => errors.push(e), complete: () => {} });
      setTimeout(() => {
        dispose();
        resolve(errors);
      }, 300);
    });
  }

  it('parses and validates a text once for every subscriber, and a failing text every time', async () => {
    const makers = [await signUpManufacturer(t.gql, ['RING']), await signUpManufacturer(t.gql, ['RING'])];
    const clients = makers.map((m) => connect(t.url, m.token));
    const before = t.app.server.subscriptionStats().documents;

    const feed = 'subscription { quoteRequestFeed { type cursor quoteRequest { id } } }';
    for (const client of clients) expect(await attempt(client, feed)).toEqual([]);
    expect(await attempt(clients[0], 'subscription { quoteRequestFeed { cursor } }')).toEqual([]);
    expect(t.app.server.subscriptionStats().documents).toBe(before + 2);

    // A text with a validation error: answered with the error each time, never kept.
    const typo = 'subscription { quoteRequestFeed { typo } }';
    for (const client of clients) {
      const errors = (await attempt(client, typo)) as Array<Array<{ message: string; extensions: { code: string } }>>;
      expect(errors.flat().map((e) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    expect(t.app.server.subscriptionStats().documents).toBe(before + 2);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
