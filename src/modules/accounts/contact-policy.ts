// Owns who may read whose e-mail: the user itself, and the two parties of a match (after it is made).
import type { Context } from '../../server/context.js';

export interface MatchedParties {
  /** Ids of the users the viewer is matched with; loaded once per operation. */
  partnersOf(ctx: Context, viewerId: string): Promise<Set<string>>;
}

export class ContactPolicy {
  constructor(private readonly matches?: MatchedParties) {}

  async canSeeEmail(ctx: Context, userId: string): Promise<boolean> {
    if (!ctx.user) return false;
    if (ctx.user.id === userId) return true;
    if (!this.matches) return false;
    return (await this.matches.partnersOf(ctx, ctx.user.id)).has(userId);
  }
}
