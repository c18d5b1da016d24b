// The real input the tests import: a public Shopify product export of a jewelry store. It is not part of the
// repository: it lives in the `shared` folder beside the clone (as on CI), or wherever TEST_SHOPIFY_CSV says.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the export is read from. */
export const SHOPIFY_CSV_PATH = process.env.TEST_SHOPIFY_CSV ?? path.resolve(repoRoot, '../shared/data/shopify-jewelery.csv');

/** Throws with what to do when the file is not there. */
export function assertShopifyExport(): void {
  if (!existsSync(SHOPIFY_CSV_PATH)) {
    throw new Error(
      `The tests import a real Shopify export, expected at ${SHOPIFY_CSV_PATH} (shared/data/shopify-jewelery.csv beside the repository). ` +
        'Put the shared folder there, or set TEST_SHOPIFY_CSV to the file.',
    );
  }
}

export function readShopifyExport(): string {
  assertShopifyExport();
  return readFileSync(SHOPIFY_CSV_PATH, 'utf8');
}
