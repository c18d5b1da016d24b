// `npm run import -- --designer <email> [--currency USD] <file.csv>`: imports a Shopify product CSV
// for an existing designer account, through the same code as the importDesigns mutation.
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { connectOrm, migrate } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { normalizeEmail } from '../modules/accounts/auth.service.js';
import { Role } from '../modules/accounts/role.js';
import { User } from '../modules/accounts/user.entity.js';
import { DesignImportService, ImportFormat } from '../modules/designs/design-import.service.js';
import { DesignService } from '../modules/designs/design.service.js';
import { UserErrors } from '../graphql/errors.js';

const USAGE = 'Usage: npm run import -- --designer <email> [--currency USD] <file.csv>';

async function run(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { designer: { type: 'string' }, currency: { type: 'string', default: 'USD' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help || !values.designer || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const content = await readFile(positionals[0], 'utf8');
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger, 'tool');
  try {
    const orm = await connectOrm(database.url, { logger });
    try {
      await migrate(orm);
      const em = orm.em.fork();
      const designer = await em.findOne(User, { emailLower: normalizeEmail(values.designer) });
      if (!designer || designer.role !== Role.DESIGNER) {
        process.stderr.write(`No designer account with the e-mail ${values.designer}.\n`);
        return 1;
      }
      const result = await new DesignImportService(new DesignService()).importFor(em, designer.id, {
        format: ImportFormat.SHOPIFY_CSV,
        content,
        currencyCode: values.currency,
      });
      process.stdout.write(`Imported ${result.importedCount} designs (${result.createdCount} new, ${result.updatedCount} updated).\n`);
      for (const error of result.errors) process.stdout.write(`  ${error.message}\n`);
      return result.errors.length > 0 ? 3 : 0;
    } finally {
      await orm.close();
    }
  } finally {
    await database.stop();
  }
}

run()
  .then((code) => process.exit(code))
  .catch((error) => {
    const message = error instanceof ConfigError || error instanceof UserErrors ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
