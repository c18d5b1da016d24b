// Password guessing is bounded: failed sign-ins are counted per e-mail and per client address,
// in memory for one process or in Redis across processes.
import { afterAll, describe, expect, it } from 'vitest';
import { SignInDocument } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { PASSWORD, signUp } from './support/users.js';

const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps.reverse()) await app.stop();
});

async function app(env: Record<string, string>, options: Parameters<typeof startTestApp>[1] = {}) {
  const t = await startTestApp(env, options);
  apps.push(t);
  return t;
}

const signIn = (t: TestApp, email: string, password: string) => t.gql(SignInDocument, { input: { email, password } });
const code = (res: Awaited<ReturnType<typeof signIn>>) => res.data!.signIn.errors[0]?.code ?? 'OK';

describe('sign-in limits', () => {
  it('refuses an e-mail after its failed attempts, even with the right password, and leaves others alone', async () => {
    const t = await app({ SIGN_IN_LIMIT_PER_EMAIL: '3', SIGN_IN_LIMIT_PER_IP: '100' });
    const victim = await signUp(t.gql, 'CONSUMER');
    const bystander = await signUp(t.gql, 'CONSUMER');

    const attempts = [];
    for (let i = 0; i < 3; i++) attempts.push(code(await signIn(t, victim.email, `guess-${i}`)));
    expect(attempts).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS']);

    const blocked = await signIn(t, victim.email.toUpperCase(), PASSWORD);
    expect(blocked.data!.signIn).toEqual({
      token: null,
      user: null,
      errors: [{ code: 'RATE_LIMITED', message: 'Too many failed sign-in attempts. Try again in 15 minutes.', field: null, line: null }],
    });
    expect(code(await signIn(t, bystander.email, PASSWORD))).toBe('OK');
  });

  it('forgets the failures of an e-mail after a successful sign-in', async () => {
    const t = await app({ SIGN_IN_LIMIT_PER_EMAIL: '3' });
    const user = await signUp(t.gql, 'DESIGNER');
    await signIn(t, user.email, 'nope-1');
    await signIn(t, user.email, 'nope-2');
    expect(code(await signIn(t, user.email, PASSWORD))).toBe('OK');
    await signIn(t, user.email, 'nope-3');
    await signIn(t, user.email, 'nope-4');
    expect(code(await signIn(t, user.email, PASSWORD))).toBe('OK');
  });

  it('refuses a client address after its failed attempts across many e-mails', async () => {
    const t = await app({ SIGN_IN_LIMIT_PER_EMAIL: '100', SIGN_IN_LIMIT_PER_IP: '4' });
    const user = await signUp(t.gql, 'CONSUMER');
    for (let i = 0; i < 4; i++) expect(code(await signIn(t, `nobody${i}@example.test`, 'whatever1'))).toBe('INVALID_CREDENTIALS');
    expect(code(await signIn(t, user.email, PASSWORD))).toBe('RATE_LIMITED');
  });

  it('counts in Redis, so every process sees the same attempts', async () => {
    const redis = { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', SIGN_IN_LIMIT_PER_EMAIL: '2', SIGN_IN_LIMIT_PER_IP: '100' };
    const one = await app(redis);
    const two = await app(redis, { db: one.db });
    const user = await signUp(one.gql, 'CONSUMER');
    expect(code(await signIn(one, user.email, 'wrong-one'))).toBe('INVALID_CREDENTIALS');
    expect(code(await signIn(two, user.email, 'wrong-two'))).toBe('INVALID_CREDENTIALS');
    expect(code(await signIn(one, user.email, PASSWORD))).toBe('RATE_LIMITED');
    expect(code(await signIn(two, user.email, PASSWORD))).toBe('RATE_LIMITED');
  });

  it('checks no more passwords than the limit when the attempts come all at once, in memory and in Redis', async () => {
    for (const redis of [{}, { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }] as Array<Record<string, string>>) {
      const t = await app({ ...redis, SIGN_IN_LIMIT_PER_EMAIL: '5', SIGN_IN_LIMIT_PER_IP: '1000' });
      const victim = await signUp(t.gql, 'CONSUMER');
      // 40 guesses at the same moment, the right password among them
      const guesses = Array.from({ length: 40 }, (_, i) => (i === 39 ? PASSWORD : `guess-${i}`));
      const codes = await Promise.all(guesses.map((password) => signIn(t, victim.email, password).then(code)));
      const checked = codes.filter((c) => c !== 'RATE_LIMITED');
      expect(checked.length, codes.join(' ')).toBeLessThanOrEqual(5);
      expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(35);
    }
  });

  it('does not count successful sign-ins against the client address, in memory and in Redis', async () => {
    for (const redis of [{}, { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }] as Array<Record<string, string>>) {
      const t = await app({ ...redis, SIGN_IN_LIMIT_PER_EMAIL: '100', SIGN_IN_LIMIT_PER_IP: '2' });
      const user = await signUp(t.gql, 'DESIGNER');
      for (let i = 0; i < 4; i++) expect(code(await signIn(t, user.email, PASSWORD))).toBe('OK');
      expect(code(await signIn(t, user.email, 'wrong-1'))).toBe('INVALID_CREDENTIALS');
      expect(code(await signIn(t, user.email, 'wrong-2'))).toBe('INVALID_CREDENTIALS');
      expect(code(await signIn(t, user.email, PASSWORD))).toBe('RATE_LIMITED');
    }
  });
});

