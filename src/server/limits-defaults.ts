// The abuse limits' shape and defaults (kept apart so that config.ts needs no GraphQL code).
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** Highest query cost; lists multiply the cost of what they contain by their size. */
  maxCost: number;
  /** Longest string argument, except a CSV import's content. */
  maxStringLength: number;
  /** Longest list in any argument. */
  maxListLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 3000,
  maxCost: 20_000,
  maxStringLength: 20_000,
  maxListLength: 100,
};
