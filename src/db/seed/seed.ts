// Owns the demo data of a zero-config start: on an empty database, demo accounts (a designer, a consumer,
// three manufacturers covering different categories) and the sample catalog, loaded through the import code.
import { readFile } from 'node:fs/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { SAMPLE_CATALOG } from '../../paths.js';
import { hashPassword } from '../../modules/accounts/password.js';
import { normalizeEmail } from '../../modules/accounts/auth.service.js';
import { Role } from '../../modules/accounts/role.js';
import { ManufacturerProfile, User } from '../../modules/accounts/user.entity.js';
import { DesignCategory } from '../../modules/designs/category.js';
import { ImportFormat } from '../../modules/designs/design-import.service.js';
import type { Services } from '../../services.js';

export const DEMO_PASSWORD = 'demo-jewelry-2026';

interface DemoAccount {
  email: string;
  displayName: string;
  role: Role;
  profile?: Omit<ManufacturerProfile, never>;
}

function profile(categories: DesignCategory[], materials: string[], region: string, bio: string): ManufacturerProfile {
  return Object.assign(new ManufacturerProfile(), { categories, materials, region, bio });
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { email: 'designer@demo.jewelry', displayName: 'Atelier Lumen', role: Role.DESIGNER },
  { email: 'consumer@demo.jewelry', displayName: 'Casey Morgan', role: Role.CONSUMER },
  {
    email: 'aurum@demo.jewelry',
    displayName: 'Aurum Works',
    role: Role.MANUFACTURER,
    profile: profile([DesignCategory.RING, DesignCategory.BRACELET], ['Gold', 'Platinum', 'White Gold'], 'Antwerp, BE', 'Fine gold and platinum casting, stone setting in-house.'),
  },
  {
    email: 'silverline@demo.jewelry',
    displayName: 'Silverline Studio',
    role: Role.MANUFACTURER,
    profile: profile([DesignCategory.NECKLACE, DesignCategory.PENDANT, DesignCategory.EARRINGS], ['Silver', 'Sterling Silver', 'Gold'], 'Lisbon, PT', 'Chains, pendants and earrings in silver and gold.'),
  },
  {
    email: 'forge@demo.jewelry',
    displayName: 'Northern Forge',
    role: Role.MANUFACTURER,
    profile: profile([DesignCategory.RING, DesignCategory.BROOCH, DesignCategory.BRACELET, DesignCategory.OTHER], ['Silver', 'Steel', 'Leather', 'Titanium'], 'Oslo, NO', 'Hand-forged pieces, engraving and leatherwork.'),
  },
];

export interface SeedSummary {
  accounts: Array<{ email: string; role: Role; displayName: string }>;
  password: string;
  designs: number;
}

/** Seeds only an empty database; returns null when there was already data. */
export async function seedDemoData(em: EntityManager, services: Services, logger: Logger): Promise<SeedSummary | null> {
  if ((await em.count(User, {})) > 0) return null;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const users = DEMO_ACCOUNTS.map((account) =>
    em.create(User, {
      email: account.email,
      emailLower: normalizeEmail(account.email),
      passwordHash,
      displayName: account.displayName,
      role: account.role,
      manufacturerProfile: account.profile ?? null,
    } as never),
  );
  await em.flush();
  const designer = users.find((u) => u.role === Role.DESIGNER)!;
  const content = await readFile(SAMPLE_CATALOG(), 'utf8');
  const result = await services.imports.importFor(em, designer.id, { format: ImportFormat.SHOPIFY_CSV, content, currencyCode: 'USD' });
  if (result.errors.length > 0) logger.warn({ errors: result.errors.map((e) => e.message) }, 'the sample catalog had rows that did not import');
  logger.info({ accounts: users.length, designs: result.importedCount }, 'seeded demo accounts and the sample catalog');
  return {
    accounts: DEMO_ACCOUNTS.map(({ email, role, displayName }) => ({ email, role, displayName })),
    password: DEMO_PASSWORD,
    designs: result.importedCount,
  };
}
