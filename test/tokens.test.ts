// Session tokens: a token verified once is remembered (the signature check costs a thread-pool round trip
// on every request), and what is remembered is still judged by its expiry and by its exact text.
import { describe, expect, it } from 'vitest';
import { TokenService, VERIFIED_TOKENS_KEPT } from '../src/modules/accounts/tokens.js';
import { Role } from '../src/modules/accounts/role.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const user = { id: '0b0a6a3e-3f7e-4a43-9d6e-0c3c8f0b5a11', role: Role.MANUFACTURER };

describe('token verification', () => {
  it('accepts a token again and again with the same user', async () => {
    const tokens = new TokenService(SECRET, 3600);
    const { token, expiresAt } = await tokens.issue(user);
    const first = await tokens.verify(token);
    expect(first).toEqual({ id: user.id, role: Role.MANUFACTURER, exp: expiresAt.getTime() / 1000 });
    expect(await tokens.verify(token)).toEqual(first);
    expect(await tokens.fromAuthorizationHeader(`Bearer ${token}`)).toEqual(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    // Given a token valid for one second, verified (and so remembered)
    const tokens = new TokenService(SECRET, 1);
    const { token, expiresAt } = await tokens.issue(user);
    expect(await tokens.verify(token)).not.toBeNull();
    // When its expiry second has come, then it is refused, now and afterwards
    await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 20));
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.fromAuthorizationHeader(`Bearer ${token}`)).toBe('invalid');
  });

  it('refuses a token altered after its original was remembered, and one signed with another secret', async () => {
    const tokens = new TokenService(SECRET, 3600);
    const { token } = await tokens.issue(user);
    expect(await tokens.verify(token)).not.toBeNull();
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: Role.DESIGNER })).toString('base64url');
    expect(await tokens.verify(`${header}.${promoted}.${signature}`)).toBeNull();
    expect(await tokens.verify(`${token}x`)).toBeNull();
    const foreign = await new TokenService('another-secret-that-is-long-enough-987654321', 3600).issue(user);
    expect(await tokens.verify(foreign.token)).toBeNull();
  });

  it('refuses other spellings of a valid token (padding, +/ for -_, set spare bits), which the decoder would take', async () => {
    const tokens = new TokenService(SECRET, 3600);
    // A signature with both - and _ in it, so that every spelling below differs from the token
    let token = '';
    for (let i = 0; !/[-_]/.test(token.split('.')[2] ?? ''); i++) token = (await tokens.issue({ id: `${user.id.slice(0, -2)}${String(i).padStart(2, '0')}`, role: user.role })).token;
    expect(await tokens.verify(token)).not.toBeNull();
    const [header, payload, signature] = token.split('.');
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spareBitSet = alphabet[alphabet.indexOf(last) | 1];
    for (const variant of [
      `${token}=`,
      `${header}.${payload}.${signature.replaceAll('-', '+').replaceAll('_', '/')}`,
      `${header}.${payload}.${signature.slice(0, -1)}${spareBitSet}`,
      `${header}=.${payload}.${signature}`,
    ]) {
      expect(variant).not.toBe(token);
      expect(await tokens.verify(variant)).toBeNull();
    }
    expect(tokens.rememberedTokens).toBe(1);
  });

  it('remembers at most a bounded number of tokens', async () => {
    const tokens = new TokenService(SECRET, 3600);
    const issued = await Promise.all(Array.from({ length: VERIFIED_TOKENS_KEPT + 50 }, (_, i) => tokens.issue({ id: `user-${i}`, role: Role.CONSUMER })));
    for (const { token } of issued) expect(await tokens.verify(token)).not.toBeNull();
    expect(tokens.rememberedTokens).toBe(VERIFIED_TOKENS_KEPT);
    // The forgotten ones (the oldest) still verify: they are checked again, not refused
    expect((await tokens.verify(issued[0].token))?.id).toBe('user-0');
  });
});
