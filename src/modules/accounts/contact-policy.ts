// Owns who may read whose e-mail: the user itself, and the two parties of a match once it is made.
import type { Context } from '../../server/context.js';

export class ContactPolicy {
  async canSeeEmail(ctx: Context, userId: string): Promise<boolean> {
    if (!ctx.user) return false;
    if (ctx.user.id === userId) return true;
    return (await ctx.loaders.matchPartners.load(ctx.user.id)).has(userId);
  }
}
