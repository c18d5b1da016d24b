// Owns designs: validation, designer-only edits, visibility (archived ones only for their designer),
// catalog search and the upsert behind imports.
import type { EntityManager } from '@mikro-orm/postgresql';
import { Problems, notFound } from '../../graphql/errors.js';
import { cleanList, cleanText } from '../../graphql/input.js';
import { isCurrencyCode, normalizeAmount } from '../../graphql/money.js';
import { isUuid, keysetPage, type PageWindow } from '../../graphql/connection.js';
import { DESIGN_COLUMNS, designColumnsFor, designView, type DesignRow } from './design.rows.js';
import { isEveryUserColumn, userColumnsFor, userView, type UserRow } from '../accounts/user.rows.js';
import type { Context } from '../../server/context.js';
import { User } from '../accounts/user.entity.js';
import { DesignCategory } from './category.js';
import { Design, DesignStatus, type DesignImage, type DesignOption } from './design.entity.js';

/** A design as submitted (GraphQL input or a parsed CSV product), before validation. */
export interface DesignDraft {
  title: string;
  description?: string | null;
  category: DesignCategory;
  materials?: string[] | null;
  gemstones?: string[] | null;
  tags?: string[] | null;
  options?: Array<{ name: string; values: string[] }> | null;
  images?: Array<{ url: string; altText?: string | null }> | null;
  /** Lowest and highest reference price, as decimal strings in `currencyCode`. */
  price?: { min: string; max: string; currencyCode: string } | null;
  sourceHandle?: string | null;
}

export type DesignPatch = Partial<DesignDraft>;

export interface DesignFilterData {
  search?: string | null;
  category?: DesignCategory | null;
  designerId?: string | null;
  material?: string | null;
}

export const LIMITS = {
  title: 200,
  description: 10_000,
  listItems: 30,
  label: 60,
  options: 10,
  optionValues: 100,
  images: 30,
  url: 2048,
} as const;

type Clean = Omit<Design, 'id' | 'designer' | 'createdAt' | 'updatedAt' | 'status'>;

/**
 * Half of a UTF-16 surrogate pair is not text: PostgreSQL's JSON refuses it (options and images are JSON, so
 * saving failed with an internal error) and text columns would silently turn it into U+FFFD.
 */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return /\p{Surrogate}/u.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return typeof value === 'object' && value !== null && Object.values(value).some(hasLoneSurrogate);
}

export const LONE_SURROGATE_MESSAGE = 'The text has a broken character (half of a UTF-16 surrogate pair); send valid Unicode.';

/** Validates and normalises the given fields; `prefix` is the input path for field errors. */
export function cleanDesignFields(draft: DesignPatch, prefix: string[], problems: Problems): Partial<Clean> {
  const out: Partial<Clean> = {};
  const at = (name: string) => [...prefix, name];
  for (const [key, value] of Object.entries(draft)) {
    if (hasLoneSurrogate(value)) problems.add(LONE_SURROGATE_MESSAGE, at(key === 'price' ? 'referencePrice' : key));
  }
  if (draft.title !== undefined) {
    const title = cleanText(draft.title ?? '');
    if (!title) problems.add('A design needs a title.', at('title'));
    else if (title.length > LIMITS.title) problems.add(`The title can have at most ${LIMITS.title} characters.`, at('title'));
    out.title = title;
  }
  if (draft.description !== undefined) {
    const description = (draft.description ?? '').trim();
    if (description.length > LIMITS.description) {
      problems.add(`The description can have at most ${LIMITS.description} characters.`, at('description'));
    }
    out.description = description;
  }
  if (draft.category !== undefined) {
    if (!draft.category || !Object.values(DesignCategory).includes(draft.category)) problems.add('Pick a category.', at('category'));
    out.category = draft.category;
  }
  for (const key of ['materials', 'gemstones', 'tags'] as const) {
    if (draft[key] !== undefined) {
      out[key] = cleanList(draft[key] ?? [], { max: key === 'tags' ? 50 : LIMITS.listItems, itemMax: LIMITS.label }, at(key), problems);
    }
  }
  if (draft.options !== undefined) {
    const options: DesignOption[] = [];
    const names = new Set<string>();
    (draft.options ?? []).forEach((option, i) => {
      const name = cleanText(option.name);
      const path = [...at('options'), String(i)];
      if (!name || name.length > LIMITS.label) problems.add(`An option name needs 1 to ${LIMITS.label} characters.`, [...path, 'name']);
      if (names.has(name.toLowerCase())) problems.add(`The option "${name}" is listed twice.`, [...path, 'name']);
      names.add(name.toLowerCase());
      const values = cleanList(option.values, { max: LIMITS.optionValues, itemMax: LIMITS.label }, [...path, 'values'], problems);
      if (values.length === 0) problems.add(`The option "${name}" needs at least one value.`, [...path, 'values']);
      options.push({ name, values });
    });
    if (options.length > LIMITS.options) problems.add(`At most ${LIMITS.options} options.`, at('options'));
    out.options = options;
  }
  if (draft.images !== undefined) {
    const images: DesignImage[] = [];
    const seen = new Set<string>();
    (draft.images ?? []).forEach((image, i) => {
      const url = image.url.trim();
      if (!isHttpUrl(url)) {
        problems.add('An image needs an http(s) URL.', [...at('images'), String(i), 'url']);
        return;
      }
      if (seen.has(url)) return;
      seen.add(url);
      const altText = image.altText ? cleanText(image.altText).slice(0, 500) || null : null;
      images.push({ url, altText, position: images.length + 1 });
    });
    if (images.length > LIMITS.images) problems.add(`At most ${LIMITS.images} images.`, at('images'));
    out.images = images;
  }
  if (draft.price !== undefined) {
    if (draft.price === null) {
      out.priceMin = out.priceMax = out.currencyCode = null;
    } else {
      const currencyCode = draft.price.currencyCode.trim().toUpperCase();
      const min = normalizeAmount(draft.price.min, currencyCode);
      const max = normalizeAmount(draft.price.max, currencyCode);
      // Point at the part of the MoneyInput at fault: its currencyCode or its amount.
      const field = [...at('referencePrice'), isCurrencyCode(currencyCode) ? 'amount' : 'currencyCode'];
      if (!min.ok) problems.add(min.message, field);
      else if (!max.ok) problems.add(max.message, field);
      else if (min.amount.startsWith('-') || max.amount.startsWith('-')) problems.add('A price cannot be negative.', field);
      else {
        out.priceMin = min.amount;
        out.priceMax = max.amount;
        out.currencyCode = currencyCode;
      }
    }
  }
  if (draft.sourceHandle !== undefined) out.sourceHandle = draft.sourceHandle ? draft.sourceHandle.trim() : null;
  return out;
}

function isHttpUrl(value: string): boolean {
  if (value.length > LIMITS.url) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Full-text query: each word is a prefix match, all words must match. */
export function toTsQuery(search: string): string | null {
  const words = search.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 12) ?? [];
  return words.length > 0 ? words.map((w) => `${w}:*`).join(' & ') : null;
}

export class DesignService {
  async create(ctx: Context, draft: DesignDraft) {
    const problems = new Problems();
    const fields = cleanDesignFields({ ...draft, sourceHandle: undefined }, ['input'], problems);
    problems.throwIfAny();
    const design = ctx.em.create(Design, { ...fields, designer: ctx.em.getReference(User, ctx.user!.id) } as never);
    await ctx.em.flush();
    return { design };
  }

  async update(ctx: Context, id: string, patch: DesignPatch) {
    const design = await this.ownDesign(ctx, id);
    const problems = new Problems();
    const fields = cleanDesignFields({ ...patch, sourceHandle: undefined }, ['input'], problems);
    problems.throwIfAny();
    ctx.em.assign(design, fields);
    await ctx.em.flush();
    return { design };
  }

  async archive(ctx: Context, id: string) {
    const design = await this.ownDesign(ctx, id);
    design.status = DesignStatus.ARCHIVED;
    await ctx.em.flush();
    return { design };
  }

  /** A design the caller may see, or null (archived designs are visible to their designer only). */
  async findVisible(ctx: Context, id: string): Promise<Design | null> {
    if (!isUuid(id)) return null;
    const design = await ctx.em.findOne(Design, { id });
    if (!design) return null;
    if (design.status === DesignStatus.ARCHIVED && design.designer.id !== ctx.user?.id) return null;
    return design;
  }

  /**
   * A page of the catalog. `fields` are the `Design` fields the caller selected: only their columns are read,
   * and the designers come in the same statement (a join) when `designer` is among them, with the columns of
   * `designerFields` (all of them when not given, and then the users loader is primed with them).
   */
  async list(ctx: Context, filter: DesignFilterData, window: PageWindow, fields?: ReadonlySet<string>, designerFields?: ReadonlySet<string>) {
    // Plain SQL and read-only views: this is the hottest read of the product (the catalog page).
    const where: string[] = [];
    const params: unknown[] = [];
    if (ctx.user) {
      where.push(`(d.status = 'ACTIVE' or d.designer_id = ?)`);
      params.push(ctx.user.id);
    } else where.push(`d.status = 'ACTIVE'`);
    if (filter.category) {
      where.push('d.category = ?');
      params.push(filter.category);
    }
    if (filter.designerId) {
      if (!isUuid(filter.designerId)) where.push('false');
      else {
        where.push('d.designer_id = ?');
        params.push(filter.designerId);
      }
    }
    if (filter.material?.trim()) {
      // designs_materials_lower_idx (migration 20261204000000) answers this.
      where.push('lower_text_array(d.materials) @> array[lower(?)]');
      params.push(cleanText(filter.material));
    }
    const tsQuery = filter.search ? toTsQuery(filter.search) : null;
    if (tsQuery) {
      where.push(`d.search_vector @@ to_tsquery('english', ?)`);
      params.push(tsQuery);
    }
    const { columns, from, withDesigner, designerColumns, everyDesignerColumn } = catalogColumns(fields, designerFields);
    const designers = new Map<string, User>();
    const toView = (row: DesignRow & Record<string, unknown>) => {
      const design = designView(row);
      if (withDesigner) {
        let designer = designers.get(row.designer_id);
        if (!designer) {
          const userRow: Record<string, unknown> = { id: row.designer_id };
          for (const [column, alias] of designerColumns) userRow[column] = row[alias];
          designer = userView(userRow as unknown as UserRow);
          designers.set(designer.id, designer);
          // Only a complete view may serve other fields of the operation that load this user.
          if (everyDesignerColumn) ctx.loaders.users.prime(designer.id, designer);
        }
        design.designer = designer;
      }
      return design;
    };
    return keysetPage(ctx.em, { columns, from, alias: 'd', where, params, toView }, window);
  }

  /**
   * Creates or updates designs from import drafts in one transaction; a draft whose `sourceHandle`
   * the designer already has updates that design instead of adding another.
   */
  async upsertMany(em: EntityManager, designerId: string, drafts: Array<Partial<Clean>>): Promise<{ designs: Design[]; created: number }> {
    return em.transactional(async (tx) => {
      // One import per designer at a time: two concurrent imports of the same file would both miss a
      // handle and both insert it (unique violation). The second now waits and then updates.
      await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`designs-import:${designerId}`]);
      const handles = drafts.map((d) => d.sourceHandle).filter((h): h is string => !!h);
      const existing = await tx.find(Design, { designer: designerId, sourceHandle: { $in: handles } });
      const byHandle = new Map(existing.map((d) => [d.sourceHandle!, d]));
      let created = 0;
      const designs = drafts.map((fields) => {
        const found = fields.sourceHandle ? byHandle.get(fields.sourceHandle) : undefined;
        if (found) return tx.assign(found, fields);
        created += 1;
        const design = tx.create(Design, { ...fields, designer: tx.getReference(User, designerId) } as never);
        if (fields.sourceHandle) byHandle.set(fields.sourceHandle, design);
        return design;
      });
      await tx.flush();
      return { designs: [...new Set(designs)], created };
    });
  }

  private async ownDesign(ctx: Context, id: string): Promise<Design> {
    const design = isUuid(id) ? await ctx.em.findOne(Design, { id, designer: ctx.user!.id }) : null;
    if (!design) throw notFound('Design', ['id']);
    return design;
  }
}

interface CatalogColumns {
  columns: string;
  from: string;
  withDesigner: boolean;
  /** The users columns read with each design, and their names in the row (`designer.<column>`). */
  designerColumns: Array<[column: string, alias: string]>;
  everyDesignerColumn: boolean;
}

/** Per pair of selections (selectedFields hands out the same sets for the same document): computed once. */
const catalogPlans = new WeakMap<ReadonlySet<string>, Map<ReadonlySet<string> | undefined, CatalogColumns>>();

/** What a catalog page reads for the selected `Design` fields and `designer` fields (everything when not known). */
function catalogColumns(fields?: ReadonlySet<string>, designerFields?: ReadonlySet<string>): CatalogColumns {
  let byDesigner = fields && catalogPlans.get(fields);
  let plan = byDesigner?.get(designerFields);
  if (plan) return plan;
  const withDesigner = !fields || fields.has('designer');
  const designerColumns = userColumnsFor(designerFields);
  // The designer's id is the design's designer_id: not read again.
  const joined = withDesigner ? designerColumns.filter((c) => c !== 'id') : [];
  plan = {
    columns: `${fields ? designColumnsFor(fields) : DESIGN_COLUMNS}${joined.map((c) => `, u.${c} as "designer.${c}"`).join('')}`,
    from: withDesigner ? 'designs d join users u on u.id = d.designer_id' : 'designs d',
    withDesigner,
    designerColumns: joined.map((c) => [c, `designer.${c}`]),
    everyDesignerColumn: isEveryUserColumn(designerColumns),
  };
  if (fields) {
    if (!byDesigner) catalogPlans.set(fields, (byDesigner = new Map()));
    byDesigner.set(designerFields, plan);
  }
  return plan;
}
