// Owns reading a Shopify product export (CSV) into design drafts.
// Shopify writes one row per variant and per extra image; rows sharing a Handle belong to one product.
// A bad row is reported with its line in the file and keeps its product out; other products still import.
import { parse } from 'csv-parse/sync';
import { convert } from 'html-to-text';
import { Decimal } from 'decimal.js';
import { normalizeAmount } from '../../graphql/money.js';
import { DesignCategory } from './category.js';
import type { DesignDraft } from './design.service.js';

export interface RowProblem {
  line: number;
  message: string;
}

export interface ParsedProduct {
  /** First line of the product in the file. */
  line: number;
  draft: DesignDraft;
}

export interface ShopifyParseResult {
  products: ParsedProduct[];
  problems: RowProblem[];
}

export const MAX_IMPORT_ROWS = 20_000;

const MATERIALS = [
  'gold', 'yellow gold', 'white gold', 'rose gold', 'silver', 'sterling silver', 'platinum', 'palladium', 'titanium',
  'stainless steel', 'steel', 'tungsten', 'copper', 'brass', 'bronze', 'leather', 'beads', 'wood', 'resin', 'enamel',
  'cord', 'glass', 'ceramic', 'cotton',
];
const GEMSTONES = [
  'diamond', 'turquoise', 'ruby', 'sapphire', 'emerald', 'opal', 'amethyst', 'topaz', 'garnet', 'pearl', 'onyx',
  'quartz', 'rose quartz', 'jade', 'moonstone', 'aquamarine', 'citrine', 'peridot', 'tanzanite', 'tourmaline',
  'morganite', 'lapis lazuli', 'labradorite', 'zircon', 'cubic zirconia', 'spinel', 'alexandrite', 'amber', 'coral',
];
const MATERIAL_OPTION = /^(metal|material|metal type|finish)$/i;
const GEMSTONE_OPTION = /^(gem|gemstone|stone|stones|birthstone|centre stone|center stone)$/i;

const CATEGORY_WORDS: Array<[RegExp, DesignCategory]> = [
  [/\brings?\b|\bband\b/i, DesignCategory.RING],
  [/\bnecklaces?\b|\bchokers?\b|\bchains?\b/i, DesignCategory.NECKLACE],
  [/\bearrings?\b|\bstuds?\b|\bhoops?\b/i, DesignCategory.EARRINGS],
  [/\bbracelets?\b|\bbangles?\b|\bcuffs?\b|\banklets?\b/i, DesignCategory.BRACELET],
  [/\bpendants?\b|\bcharms?\b|\blockets?\b/i, DesignCategory.PENDANT],
  [/\bbrooch(es)?\b|\bpins?\b/i, DesignCategory.BROOCH],
];

/** Maps Shopify's free-text `Type` to a category; falls back to the title's words, then OTHER. */
export function categoryOf(type: string, title: string): DesignCategory {
  for (const text of [type, title]) {
    for (const [pattern, category] of CATEGORY_WORDS) if (pattern.test(text)) return category;
  }
  return DesignCategory.OTHER;
}

function titleCase(text: string): string {
  return text.replace(/\b\p{L}/gu, (c) => c.toUpperCase());
}

function vocabularyMatches(values: string[], vocabulary: string[]): string[] {
  return values.filter((v) => vocabulary.includes(v.trim().toLowerCase())).map((v) => titleCase(v.trim().toLowerCase()));
}

/** HTML body to plain, safe text: tags dropped, entities decoded, links and images reduced to their text. */
export function htmlToText(html: string): string {
  if (!html.trim()) return '';
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

interface Row {
  line: number;
  get(column: string): string;
}

export function parseShopifyCsv(content: string, currencyCode: string): ShopifyParseResult {
  const problems: RowProblem[] = [];
  let lastLine = 0;
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // csv-parse counts a CRLF inside a quoted field as two lines, which would shift every later line
    // number; with LF endings its count matches the file's physical lines.
    records = parse(content.replace(/\r\n/g, '\n'), {
      info: true,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error: { message?: string } | undefined) => {
        if (error) problems.push({ line: lastLine + 1, message: readableCsvError(error.message ?? 'unreadable row') });
        return undefined;
      },
      on_record: (record: string[], context: { lines: number }) => {
        lastLine = context.lines;
        return record;
      },
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    return { products: [], problems: [{ line: 1, message: readableCsvError(error instanceof Error ? error.message : String(error)) }] };
  }
  if (records.length === 0) return { products: [], problems: [{ line: 1, message: 'The file is empty.' }] };

  const header = records[0].record.map((h) => h.trim());
  const index = new Map<string, number>();
  header.forEach((name, i) => index.has(name) || index.set(name, i));
  const missing = ['Handle', 'Title'].filter((c) => !index.has(c));
  if (missing.length > 0) {
    return {
      products: [],
      problems: [{ line: 1, message: `This is not a Shopify product CSV: the header has no ${missing.join(' or ')} column.` }],
    };
  }
  if (records.length - 1 > MAX_IMPORT_ROWS) {
    return { products: [], problems: [{ line: 1, message: `A file can have at most ${MAX_IMPORT_ROWS} rows; split it.` }] };
  }

  const groups = new Map<string, Row[]>();
  for (const { record, info } of records.slice(1)) {
    // info.lines is the record's last line; fields with embedded newlines span several.
    const newlines = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    const row: Row = { line: info.lines - newlines, get: (c) => (index.has(c) ? (record[index.get(c)!] ?? '').trim() : '') };
    const handle = row.get('Handle');
    if (!handle) {
      problems.push({ line: row.line, message: 'The Handle is empty; every row needs the handle of its product.' });
      continue;
    }
    const group = groups.get(handle) ?? [];
    group.push(row);
    groups.set(handle, group);
  }

  const products: ParsedProduct[] = [];
  for (const [handle, rows] of groups) {
    const rowProblems: RowProblem[] = [];
    const product = readProduct(handle, rows, currencyCode, rowProblems);
    if (rowProblems.length > 0 || !product) {
      problems.push(...rowProblems.map((p) => ({ ...p, message: `${p.message} (product "${handle}" was not imported)` })));
    } else {
      products.push({ line: rows[0].line, draft: product });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { products, problems };
}

function readableCsvError(message: string): string {
  if (/Quote Not Closed/i.test(message)) return 'A quoted field is never closed, so the rest of the file could not be read.';
  return `The row could not be read as CSV: ${message.replace(/^Invalid /, '').replace(/ at line \d+/, '')}`;
}

function readProduct(handle: string, rows: Row[], currencyCode: string, problems: RowProblem[]): DesignDraft | null {
  const main = rows.find((r) => r.get('Title')) ?? null;
  if (!main) {
    problems.push({ line: rows[0].line, message: `Product "${handle}" has no Title on any of its rows.` });
    return null;
  }
  const title = main.get('Title');
  const tags = main
    .get('Tags')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

  // Options: names from the product row; values from every variant row, in first-seen order.
  const optionNames = [1, 2, 3].map((n) => main.get(`Option${n} Name`));
  const optionValues = optionNames.map(() => [] as string[]);
  const prices: Decimal[] = [];
  const images: Array<{ url: string; altText: string | null; position: number; order: number }> = [];
  const variantImages: string[] = [];

  rows.forEach((row, order) => {
    const values = [1, 2, 3].map((n) => row.get(`Option${n} Value`));
    const isVariant = values.some(Boolean) || row.get('Variant Price') !== '' || row.get('Variant SKU') !== '';
    values.forEach((value, i) => {
      if (value && !optionValues[i].includes(value)) optionValues[i].push(value);
    });
    if (isVariant) {
      const raw = row.get('Variant Price');
      if (raw) {
        const checked = normalizeAmount(raw, currencyCode);
        if (!checked.ok) problems.push({ line: row.line, message: `Variant Price: ${checked.message}.` });
        else if (checked.amount.startsWith('-')) problems.push({ line: row.line, message: `Variant Price "${raw}" is negative.` });
        else prices.push(new Decimal(checked.amount));
      }
    }
    const src = row.get('Image Src');
    if (src) {
      const rawPosition = row.get('Image Position');
      const position = rawPosition ? Number(rawPosition) : Number.NaN;
      if (rawPosition && (!Number.isInteger(position) || position < 1)) {
        problems.push({ line: row.line, message: `Image Position "${rawPosition}" is not a whole number from 1.` });
      }
      if (!/^https?:\/\//i.test(src)) problems.push({ line: row.line, message: `Image Src "${src.slice(0, 80)}" is not an http(s) URL.` });
      images.push({ url: src, altText: row.get('Image Alt Text') || null, position: Number.isNaN(position) ? Infinity : position, order });
    }
    const variantImage = row.get('Variant Image');
    if (variantImage && /^https?:\/\//i.test(variantImage)) variantImages.push(variantImage);
  });

  // Shopify's placeholder option "Title: Default Title" means a product without options.
  const options = optionNames
    .map((name, i) => ({ name, values: optionValues[i] }))
    .filter((o) => o.name && !(o.name === 'Title' && o.values.every((v) => v === 'Default Title')) && o.values.length > 0);

  images.sort((a, b) => a.position - b.position || a.order - b.order);
  const imageList = images.map(({ url, altText }) => ({ url, altText }));
  for (const url of variantImages) if (!imageList.some((i) => i.url === url)) imageList.push({ url, altText: null });

  const optionValuesNamed = (pattern: RegExp) => options.filter((o) => pattern.test(o.name)).flatMap((o) => o.values);
  const materials = [...vocabularyMatches(tags, MATERIALS), ...optionValuesNamed(MATERIAL_OPTION)];
  const gemstones = [...vocabularyMatches(tags, GEMSTONES), ...optionValuesNamed(GEMSTONE_OPTION)];

  const min = prices.length ? Decimal.min(...prices) : null;
  const max = prices.length ? Decimal.max(...prices) : null;
  return {
    title,
    description: htmlToText(main.get('Body (HTML)')),
    category: categoryOf(main.get('Type'), title),
    materials,
    gemstones,
    tags,
    options,
    images: imageList,
    price: min && max ? { min: min.toString(), max: max.toString(), currencyCode } : null,
    sourceHandle: handle,
  };
}
