// Committed migrations, in order. Listed statically so that the built app and vitest load the same code.
// Add a new one with `npm run db:migration:create -- <name>` and list it here.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261203000000_accounts_designs } from './Migration20261203000000_accounts_designs.js';
import { Migration20261203010000_quoting } from './Migration20261203010000_quoting.js';
import { Migration20261203020000_outbox_retention } from './Migration20261203020000_outbox_retention.js';
import { Migration20261203030000_email_lower_check } from './Migration20261203030000_email_lower_check.js';
import { Migration20261203040000_outbox_notify } from './Migration20261203040000_outbox_notify.js';
import { Migration20261203050000_one_active_estimate_per_statement } from './Migration20261203050000_one_active_estimate_per_statement.js';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261203000000_accounts_designs', class: Migration20261203000000_accounts_designs },
  { name: 'Migration20261203010000_quoting', class: Migration20261203010000_quoting },
  { name: 'Migration20261203020000_outbox_retention', class: Migration20261203020000_outbox_retention },
  { name: 'Migration20261203030000_email_lower_check', class: Migration20261203030000_email_lower_check },
  { name: 'Migration20261203040000_outbox_notify', class: Migration20261203040000_outbox_notify },
  {
    name: 'Migration20261203050000_one_active_estimate_per_statement',
    class: Migration20261203050000_one_active_estimate_per_statement,
  },
];
