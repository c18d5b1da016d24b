import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeDocument, SignInDocument, SignUpDocument, UpdateManufacturerProfileDocument } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { PASSWORD, signUp, uniqueEmail } from './support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('sign-up', () => {
  it('creates an account and returns a token that signs the user in', async () => {
    const email = uniqueEmail('Ana.Designer');
    const res = await t.gql(SignUpDocument, { input: { email, password: PASSWORD, displayName: '  Ana   Lopes ', role: 'DESIGNER' } });
    const payload = res.data!.signUp;
    expect(payload.errors).toEqual([]);
    expect(payload.user).toMatchObject({ displayName: 'Ana Lopes', role: 'DESIGNER', email });
    expect(new Date(payload.expiresAt!).getTime()).toBeGreaterThan(Date.now());

    const me = await t.gql(MeDocument, {}, payload.token);
    expect(me.data!.me).toMatchObject({ id: payload.user!.id, email, role: 'DESIGNER' });
  });

  it('refuses an e-mail already taken in another letter case', async () => {
    const email = uniqueEmail('case');
    await t.gql(SignUpDocument, { input: { email, password: PASSWORD, displayName: 'First', role: 'CONSUMER' } });
    const res = await t.gql(SignUpDocument, { input: { email: `  ${email.toUpperCase()} `, password: PASSWORD, displayName: 'Second', role: 'DESIGNER' } });
    expect(res.data!.signUp.token).toBeNull();
    expect(res.data!.signUp.user).toBeNull();
    expect(res.data!.signUp.errors).toEqual([
      { code: 'EMAIL_TAKEN', message: 'An account with this e-mail already exists.', field: ['input', 'email'], line: null },
    ]);
  });

  it('gives one account when the same e-mail signs up twice at once', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.gql(SignUpDocument, { input: { email, password: PASSWORD, displayName: 'Racer', role: 'CONSUMER' } })),
    );
    const codes = results.map((r) => r.data!.signUp.errors.map((e) => e.code).join() || 'OK').sort();
    expect(codes).toEqual(['EMAIL_TAKEN', 'EMAIL_TAKEN', 'EMAIL_TAKEN', 'EMAIL_TAKEN', 'OK']);
  });

  it('reports every invalid field at once: malformed e-mail, short password, empty name', async () => {
    const res = await t.gql(SignUpDocument, { input: { email: 'not-an-email', password: 'short', displayName: '   ', role: 'CONSUMER' } });
    const errors = res.data!.signUp.errors;
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['INVALID_INPUT', ['input', 'email']],
      ['INVALID_INPUT', ['input', 'password']],
      ['INVALID_INPUT', ['input', 'displayName']],
    ]);
    expect(errors[1].message).toBe('The password needs at least 8 characters.');
  });

  it('refuses an unknown role as a GraphQL validation error', async () => {
    const res = await t.gql('mutation { signUp(input: { email: "x@example.test", password: "longenough", displayName: "X", role: ADMIN }) { token } }');
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('sign-in', () => {
  it('signs in with the e-mail in any case', async () => {
    const user = await signUp(t.gql, 'CONSUMER');
    const res = await t.gql(SignInDocument, { input: { email: user.email.toUpperCase(), password: PASSWORD } });
    expect(res.data!.signIn.errors).toEqual([]);
    expect(res.data!.signIn.user!.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown e-mail the same way', async () => {
    const user = await signUp(t.gql, 'CONSUMER');
    const wrong = await t.gql(SignInDocument, { input: { email: user.email, password: 'wrong password' } });
    const unknown = await t.gql(SignInDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
    for (const res of [wrong, unknown]) {
      expect(res.data!.signIn).toEqual({
        token: null,
        user: null,
        errors: [{ code: 'INVALID_CREDENTIALS', message: 'The e-mail or password is not right.', field: null, line: null }],
      });
    }
  });
});

describe('tokens', () => {
  it('treats no token as anonymous and a tampered token as UNAUTHENTICATED (401)', async () => {
    const anonymous = await t.gql(MeDocument);
    expect(anonymous.data!.me).toBeNull();

    const user = await signUp(t.gql, 'CONSUMER');
    const [header, payload, signature] = user.token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'DESIGNER' })).toString('base64url');
    const res = await t.gql(MeDocument, {}, `${header}.${forged}.${signature}`);
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unsigned (alg: none) token', async () => {
    const user = await signUp(t.gql, 'CONSUMER');
    const [, payload] = user.token.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const res = await t.gql(MeDocument, {}, none);
    expect(res.status).toBe(401);
  });
});

describe('manufacturer profile', () => {
  it('is set by the manufacturer and public to others, without the e-mail', async () => {
    const maker = await signUp(t.gql, 'MANUFACTURER', 'Forge & Co');
    const res = await t.gql(
      UpdateManufacturerProfileDocument,
      { input: { categories: ['RING', 'RING', 'BROOCH'], materials: ['Gold', ' gold ', 'Platinum'], region: ' Porto ', bio: 'Casting and setting.' } },
      maker.token,
    );
    expect(res.data!.updateManufacturerProfile.errors).toEqual([]);
    expect(res.data!.updateManufacturerProfile.user!.manufacturerProfile).toEqual({
      categories: ['RING', 'BROOCH'],
      materials: ['Gold', 'Platinum'],
      region: 'Porto',
      bio: 'Casting and setting.',
    });
    expect(res.data!.updateManufacturerProfile.user!.email).toBe(maker.email);
  });

  it('needs at least one category', async () => {
    const maker = await signUp(t.gql, 'MANUFACTURER');
    const res = await t.gql(UpdateManufacturerProfileDocument, { input: { categories: [] } }, maker.token);
    expect(res.data!.updateManufacturerProfile.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'categories'] });
  });

  it('is FORBIDDEN for a consumer and UNAUTHENTICATED when anonymous', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    const forbidden = await t.gql(UpdateManufacturerProfileDocument, { input: { categories: ['RING'] } }, consumer.token);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toBeNull();
    const anonymous = await t.gql(UpdateManufacturerProfileDocument, { input: { categories: ['RING'] } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
