// Every operation gets its own EntityManager fork and loaders, made only when the operation uses them:
// Apollo copies each context before running it, and that copy must not make them on every request.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { signUp } from './support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('the operation context', () => {
  it('forks no EntityManager for an operation that reads nothing through it, and one for one that does', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    const fork = vi.spyOn(t.app.orm.em, 'fork');
    try {
      expect((await t.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
      expect((await t.gql('{ me { id } }')).data).toEqual({ me: null });
      expect(fork).not.toHaveBeenCalled();
      // `me` of a signed-in user loads the account: one fork, shared by everything the operation reads.
      expect((await t.gql('{ me { id } a: me { displayName } }', {}, consumer.token)).data).toEqual({ me: { id: consumer.id }, a: { displayName: consumer.displayName } });
      expect(fork).toHaveBeenCalledTimes(1);
    } finally {
      fork.mockRestore();
    }
  });
});
