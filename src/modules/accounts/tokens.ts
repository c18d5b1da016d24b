// Owns session tokens: HS256 JWTs signed with the configured secret, short claims, strict verification.
import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import type { AuthUser } from '../../server/context.js';
import { Role } from './role.js';

const ISSUER = 'jewelry-marketplace';
const ROLES = new Set<string>(Object.values(Role));

export class TokenService {
  /** Imported once: given raw bytes, jose would import an HMAC key on every verify (a third of its cost). */
  private readonly key: Promise<webcrypto.CryptoKey>;

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
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], issuer: ISSUER });
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string' || !ROLES.has(payload.role) || !payload.exp) {
        return null;
      }
      return { id: payload.sub, role: payload.role as Role, exp: payload.exp };
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
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
