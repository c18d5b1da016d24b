// Owns reading accounts as plain rows (loaders): every column but the password hash, mapped to read-only
// `User` views.
import { toDate, view } from '../../db/views.js';
import type { DesignCategory } from '../designs/category.js';
import type { Role } from './role.js';
import { ManufacturerProfile, User } from './user.entity.js';

export const USER_COLUMNS =
  'u.id, u.email, u.email_lower, u.display_name, u.role, u.profile_categories, u.profile_materials, u.profile_region, u.profile_bio, u.created_at';

/** Every column of USER_COLUMNS, unprefixed. */
const ALL_USER_COLUMNS = USER_COLUMNS.split(', ').map((column) => column.slice(2));

/** Always read: the key, and the name the account is shown with. */
const BASE_USER_COLUMNS = ['id', 'display_name'];

/** The columns behind each GraphQL field of `User` (field resolvers included). */
const USER_FIELD_COLUMNS: Record<string, string[]> = {
  __typename: [],
  id: [],
  displayName: [],
  role: ['role'],
  email: ['email'],
  createdAt: ['created_at'],
  manufacturerProfile: ['role', 'profile_categories', 'profile_materials', 'profile_region', 'profile_bio'],
};

/**
 * The users columns (unprefixed) needed to answer the given `User` fields; every column when a field is not
 * known here (or no fields are given), so a field added to the type is never answered from a column not read.
 */
export function userColumnsFor(fields?: Iterable<string>): string[] {
  if (!fields) return ALL_USER_COLUMNS;
  const columns = new Set(BASE_USER_COLUMNS);
  for (const field of fields) {
    const needed = USER_FIELD_COLUMNS[field];
    if (!needed) return ALL_USER_COLUMNS;
    for (const column of needed) columns.add(column);
  }
  return [...columns];
}

export const isEveryUserColumn = (columns: string[]) => columns === ALL_USER_COLUMNS;

export interface UserRow {
  id: string;
  email: string;
  email_lower: string;
  display_name: string;
  role: Role;
  profile_categories: DesignCategory[] | null;
  profile_materials: string[] | null;
  profile_region: string | null;
  profile_bio: string | null;
  created_at: string | Date;
}

/** A `User` view of a row; a row read with fewer columns (userColumnsFor) leaves the other fields undefined. */
export function userView(row: UserRow): User {
  const hasProfile =
    row.profile_categories !== undefined &&
    (row.profile_categories !== null || row.profile_materials !== null || row.profile_region !== null || row.profile_bio !== null);
  return view(User, {
    id: row.id,
    email: row.email,
    emailLower: row.email_lower,
    displayName: row.display_name,
    role: row.role,
    manufacturerProfile: hasProfile
      ? view(ManufacturerProfile, {
          categories: row.profile_categories ?? [],
          materials: row.profile_materials ?? [],
          region: row.profile_region,
          bio: row.profile_bio,
        })
      : null,
    createdAt: row.created_at === undefined ? (undefined as never) : toDate(row.created_at),
  });
}
