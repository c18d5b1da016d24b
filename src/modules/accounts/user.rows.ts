// Owns reading accounts as plain rows (loaders): every column but the password hash, mapped to read-only
// `User` views.
import { toDate, view } from '../../db/views.js';
import type { DesignCategory } from '../designs/category.js';
import type { Role } from './role.js';
import { ManufacturerProfile, User } from './user.entity.js';

export const USER_COLUMNS =
  'u.id, u.email, u.email_lower, u.display_name, u.role, u.profile_categories, u.profile_materials, u.profile_region, u.profile_bio, u.created_at';

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

export function userView(row: UserRow): User {
  const hasProfile = row.profile_categories !== null || row.profile_materials !== null || row.profile_region !== null || row.profile_bio !== null;
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
    createdAt: toDate(row.created_at),
  });
}
