// Owns how a list of texts is stored in a PostgreSQL text[] column so that every string comes back as it was.
// MikroORM's own array literal leaves plain values unquoted, so a material or tag "null" (any case) is stored
// as SQL NULL and then breaks the non-null GraphQL list it is read into; and it escapes quoted values the
// JSON way ("\n", "\u0010"), which PostgreSQL's array syntax reads back as other text. Here every element is
// quoted and only backslash and double quote are escaped, which is all the array syntax needs.
import { ArrayType, type Platform, type TransformContext } from '@mikro-orm/core';

export class TextArrayType extends ArrayType<string> {
  override convertToDatabaseValue(value: string[] | null, platform: Platform, context?: TransformContext): string | null {
    if (!Array.isArray(value)) return super.convertToDatabaseValue(value, platform, context);
    return `{${value.map((item) => `"${String(item).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  }
}
