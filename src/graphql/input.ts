// Shared input hygiene: trimmed single-line text and bounded, de-duplicated lists.
import type { Problems } from './errors.js';

/** Trims and folds inner whitespace runs (including newlines) into single spaces. */
export function cleanText(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** Cleans a list of short labels: trimmed, empty ones dropped, duplicates (any case) dropped, bounded. */
export function cleanList(
  values: string[],
  limits: { max: number; itemMax: number },
  field: string[],
  problems: Problems,
): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const value = cleanText(raw);
    if (!value) continue;
    if (value.length > limits.itemMax) {
      problems.add(`Each entry can have at most ${limits.itemMax} characters.`, field);
      continue;
    }
    const key = value.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  if (out.length > limits.max) problems.add(`At most ${limits.max} entries.`, field);
  return out;
}
