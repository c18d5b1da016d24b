// Owns accounts: sign-up, sign-in and manufacturer profiles. E-mails are unique regardless of case.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Context } from '../../server/context.js';
import { Problems, UserErrorCode, UserErrors, userError } from '../../graphql/errors.js';
import { DesignCategory } from '../designs/category.js';
import { cleanList, cleanText } from '../../graphql/input.js';
import { decoyHash, hashPassword, verifyPassword } from './password.js';
import { Role } from './role.js';
import type { TokenService } from './tokens.js';
import type { RateLimiter } from './rate-limit.js';
import { ManufacturerProfile, User } from './user.entity.js';

export interface SignUpData {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

export interface ProfileData {
  categories: DesignCategory[];
  materials?: string[] | null;
  region?: string | null;
  bio?: string | null;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;
const EMAIL_PATTERN = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]{2,}$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface SignInLimits {
  perEmail: number;
  perIp: number;
  windowSeconds: number;
}

export class AuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly limiter: RateLimiter,
    private readonly limits: SignInLimits,
  ) {}

  async signUp(ctx: Context, data: SignUpData) {
    const email = data.email.trim();
    const displayName = cleanText(data.displayName);
    const problems = new Problems();
    if (email.length > 254 || !EMAIL_PATTERN.test(email)) problems.add('Enter a valid e-mail address, such as ana@example.com.', ['input', 'email']);
    if (data.password.length < PASSWORD_MIN) problems.add(`The password needs at least ${PASSWORD_MIN} characters.`, ['input', 'password']);
    if (data.password.length > PASSWORD_MAX) problems.add(`The password can have at most ${PASSWORD_MAX} characters.`, ['input', 'password']);
    if (displayName.length < 1 || displayName.length > 80) problems.add('The display name needs 1 to 80 characters.', ['input', 'displayName']);
    problems.throwIfAny();

    const emailTaken = () =>
      new UserErrors(userError(UserErrorCode.EMAIL_TAKEN, 'An account with this e-mail already exists.', ['input', 'email']));
    if (await ctx.em.count(User, { emailLower: normalizeEmail(email) })) throw emailTaken();

    const user = new User();
    user.email = email;
    user.emailLower = normalizeEmail(email);
    user.passwordHash = await hashPassword(data.password);
    user.displayName = displayName;
    user.role = data.role;
    if (data.role === Role.MANUFACTURER) user.manufacturerProfile = new ManufacturerProfile();
    try {
      await ctx.em.persistAndFlush(user);
    } catch (error) {
      // Two sign-ups with the same e-mail at once: the unique index decides.
      if (error instanceof UniqueConstraintViolationException) throw emailTaken();
      throw error;
    }
    return { user, ...(await this.tokens.issue(user)) };
  }

  /**
   * Failed attempts are counted per e-mail and per client address; past either limit, sign-in is refused
   * (even with the right password) until the window ends, so guessing gets nowhere.
   */
  async signIn(ctx: Context, email: string, password: string) {
    const emailKey = `signin:email:${normalizeEmail(email)}`;
    const ipKey = `signin:ip:${ctx.ip}`;
    // Counted before the password is checked: of attempts made at the same moment, only those within the
    // limits are checked at all. A successful one is taken back (only failures count).
    const window = this.limits.windowSeconds;
    const [byEmail, byIp] = await Promise.all([this.limiter.take(emailKey, window), this.limiter.take(ipKey, window)]);
    const blocked = byEmail.count > this.limits.perEmail ? byEmail : byIp.count > this.limits.perIp ? byIp : null;
    if (blocked) {
      const minutes = Math.max(1, Math.ceil(blocked.resetInSeconds / 60));
      throw new UserErrors(
        userError(UserErrorCode.RATE_LIMITED, `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`),
      );
    }
    const user = await ctx.em.findOne(User, { emailLower: normalizeEmail(email) }, { populate: ['passwordHash'] });
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, await decoyHash()).then(() => false);
    if (!user || !ok) throw new UserErrors(userError(UserErrorCode.INVALID_CREDENTIALS, 'The e-mail or password is not right.'));
    await Promise.all([this.limiter.reset(emailKey), this.limiter.giveBack(ipKey)]);
    return { user, ...(await this.tokens.issue(user)) };
  }

  async updateManufacturerProfile(ctx: Context, data: ProfileData) {
    const user = await ctx.em.findOneOrFail(User, { id: ctx.user!.id });
    const problems = new Problems();
    const categories = [...new Set(data.categories)];
    if (categories.length === 0) problems.add('Pick at least one category you make.', ['input', 'categories']);
    const materials = cleanList(data.materials ?? [], { max: 30, itemMax: 60 }, ['input', 'materials'], problems);
    const region = data.region == null ? null : cleanText(data.region) || null;
    if (region && region.length > 120) problems.add('The region can have at most 120 characters.', ['input', 'region']);
    const bio = data.bio == null ? null : data.bio.trim() || null;
    if (bio && bio.length > 2000) problems.add('The bio can have at most 2000 characters.', ['input', 'bio']);
    problems.throwIfAny();

    const profile = new ManufacturerProfile();
    profile.categories = categories;
    profile.materials = materials;
    profile.region = region;
    profile.bio = bio;
    user.manufacturerProfile = profile;
    await ctx.em.flush();
    return { user };
  }
}
