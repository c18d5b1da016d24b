// Owns bulk import of designs: parse (Shopify CSV), validate each product like a hand-made design,
// then upsert by handle. Bad rows are reported with their line; good products still import.
import { Problems, UserErrorCode, invalidInput, userError, type UserError } from '../../graphql/errors.js';
import { isCurrencyCode } from '../../graphql/money.js';
import type { Context } from '../../server/context.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { cleanDesignFields, type DesignService } from './design.service.js';
import type { Design } from './design.entity.js';

export enum ImportFormat {
  SHOPIFY_CSV = 'SHOPIFY_CSV',
}

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

export interface ImportResult {
  designs: Design[];
  importedCount: number;
  createdCount: number;
  updatedCount: number;
  errors: UserError[];
}

export class DesignImportService {
  constructor(private readonly designs: DesignService) {}

  async importDesigns(ctx: Context, input: { format: ImportFormat; content: string; currencyCode?: string | null }) {
    return this.importFor(ctx.em, ctx.user!.id, input);
  }

  /** Also used by the CLI and the demo seed, which act for a designer without a request. */
  async importFor(
    em: EntityManager,
    designerId: string,
    input: { format: ImportFormat; content: string; currencyCode?: string | null },
  ): Promise<ImportResult> {
    const currencyCode = (input.currencyCode ?? 'USD').trim().toUpperCase();
    if (!isCurrencyCode(currencyCode)) throw invalidInput(`"${input.currencyCode}" is not an ISO 4217 currency code.`, ['input', 'currencyCode']);
    if (Buffer.byteLength(input.content, 'utf8') > MAX_IMPORT_BYTES) {
      throw invalidInput(`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB; split it.`, ['input', 'content']);
    }
    // The CSV and HTML parsers load with the first import, not with every start (about 90 ms of it).
    const { parseShopifyCsv } = await import('./shopify-csv.js');
    const parsed = parseShopifyCsv(input.content, currencyCode);
    const errors = parsed.problems.map((p) => rowError(p.line, p.message));
    const valid = [];
    for (const product of parsed.products) {
      const problems = new Problems();
      const fields = cleanDesignFields(product.draft, [], problems);
      if (problems.empty) valid.push(fields);
      else for (const p of problems.all) errors.push(rowError(product.line, `${p.message} (product "${product.draft.sourceHandle}" was not imported)`));
    }
    errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const { designs, created } = valid.length ? await this.designs.upsertMany(em, designerId, valid) : { designs: [], created: 0 };
    return { designs, importedCount: designs.length, createdCount: created, updatedCount: designs.length - created, errors };
  }
}

function rowError(line: number, message: string): UserError {
  return userError(UserErrorCode.INVALID_INPUT, `Line ${line}: ${message}`, ['input', 'content'], line);
}
