// Committed migrations, in order. Listed statically so that the built app and vitest load the same code.
// Add a new one as a file beside this one and list its name here. The classes (and @mikro-orm/migrations,
// which they extend) are loaded only when one is pending: a start with nothing to apply skips that code.
import type { MigrationObject } from '@mikro-orm/core';

export const migrationNames = [
  'Migration20261203000000_accounts_designs',
  'Migration20261203010000_quoting',
  'Migration20261203020000_outbox_retention',
  'Migration20261203030000_email_lower_check',
  'Migration20261203040000_outbox_notify',
  'Migration20261203050000_one_active_estimate_per_statement',
  'Migration20261203060000_outbox_notify_ids',
  'Migration20261204000000_materials_index',
  'Migration20261204010000_outbox_wake_after_commit',
] as const;

export async function loadMigrations(): Promise<MigrationObject[]> {
  const modules: Array<Record<string, MigrationObject['class']>> = await Promise.all([
    import('./Migration20261203000000_accounts_designs.js'),
    import('./Migration20261203010000_quoting.js'),
    import('./Migration20261203020000_outbox_retention.js'),
    import('./Migration20261203030000_email_lower_check.js'),
    import('./Migration20261203040000_outbox_notify.js'),
    import('./Migration20261203050000_one_active_estimate_per_statement.js'),
    import('./Migration20261203060000_outbox_notify_ids.js'),
    import('./Migration20261204000000_materials_index.js'),
    import('./Migration20261204010000_outbox_wake_after_commit.js'),
  ]);
  return migrationNames.map((name, i) => ({ name, class: modules[i][name] }));
}
