// Owns session tokens: HS256 JWTs signed with the configured secret, short claims, strict verification.
import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { AuthUser } from '../../server/context.js';
import { Role } from './role.js';

const ISSUER = 'jewelry-marketplace';
const ROLES = new Set<string>(Object.values(Role));
/**
 * A token as this service issues it: three unpadded base64url parts, the signature 32 bytes (43 characters,
 * the last one's two spare bits zero). The decoder would also take padding, `+`/`/` and set spare bits: texts
 * that are not the issued token but verify as it, each of which would be remembered separately.
 */
const CANONICAL = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Verified tokens remembered (the oldest are forgotten first); a client sends the same one on every request. */
export const VERIFIED_TOKENS_KEPT = 10_000;

export class TokenService {
  /** Imported once: given raw bytes, jose would import an HMAC key on every verify (a third of its cost). */
  private readonly key: Promise<webcrypto.CryptoKey>;
  /**
   * Token text -> its user, for tokens whose signature and claims were checked: the same text always
   * verifies the same way, so only its expiry is checked again. Verifying costs about 60 µs of CPU and a
   * thread-pool round trip (WebCrypto HMAC), on every HTTP request; a lookup, under a microsecond.
   */
  private readonly verified = new Map<string, AuthUser>();

  constructor(secret: string, private readonly ttlSeconds: number) {
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async issue(user: { id: string; role: Role }): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(await this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Returns the user of a valid token, or null for a tampered, expired, unsigned or malformed one. */
  async verify(token: string): Promise<AuthUser | null> {
    if (!CANONICAL.test(token)) return null;
    const known = this.verified.get(token);
    if (known) {
      // Expired as jose judges it: no longer valid from the second `exp` names.
      if (known.exp > Math.floor(Date.now() / 1000)) return known;
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], issuer: ISSUER });
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string' || !ROLES.has(payload.role) || !payload.exp) {
        return null;
      }
      const user: AuthUser = Object.freeze({ id: payload.sub, role: payload.role as Role, exp: payload.exp });
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, user);
      return user;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }

  /** How many verified tokens are remembered (tests). */
  get rememberedTokens(): number {
    return this.verified.size;
  }

  /** Reads `Bearer <token>`; anything else is no user. */
  async fromAuthorizationHeader(header: unknown): Promise<AuthUser | null | 'invalid'> {
    if (header === undefined || header === null || header === '') return null;
    if (typeof header !== 'string') return 'invalid';
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) return 'invalid';
    return (await this.verify(match[1])) ?? 'invalid';
  }
}
