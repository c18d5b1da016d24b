// Owns reading designs as plain rows (catalog pages, loaders): explicit columns (never the search vector),
// mapped to read-only `Design` views.
import type { User } from '../accounts/user.entity.js';
import { toDate, view } from '../../db/views.js';
import type { DesignCategory } from './category.js';
import { Design, type DesignImage, type DesignOption, type DesignStatus } from './design.entity.js';

export const DESIGN_COLUMNS =
  'd.id, d.designer_id, d.title, d.description, d.category, d.materials, d.gemstones, d.tags, d.options, d.images, d.price_min, d.price_max, d.currency_code, d.status, d.source_handle, d.created_at, d.updated_at';

/** Always read: the key, the keyset cursor and the owner. */
const BASE_COLUMNS = ['id', 'created_at', 'designer_id'];

/** The columns behind each GraphQL field of `Design` (relations and computed fields included). */
const FIELD_COLUMNS: Record<string, string[]> = {
  __typename: [],
  id: [],
  createdAt: [],
  designer: [],
  status: ['status'],
  title: ['title'],
  description: ['description'],
  category: ['category'],
  materials: ['materials'],
  gemstones: ['gemstones'],
  tags: ['tags'],
  options: ['options'],
  images: ['images'],
  sourceHandle: ['source_handle'],
  updatedAt: ['updated_at'],
  referencePrice: ['price_min', 'currency_code'],
  priceRange: ['price_min', 'price_max', 'currency_code'],
};

/**
 * The columns (prefixed `d.`) needed to answer the given `Design` fields; every column when a field is not
 * known here, so a field added to the type is never answered from a column that was not read.
 */
export function designColumnsFor(fields: Iterable<string>): string {
  const columns = new Set(BASE_COLUMNS);
  for (const field of fields) {
    const needed = FIELD_COLUMNS[field];
    if (!needed) return DESIGN_COLUMNS;
    for (const column of needed) columns.add(column);
  }
  return [...columns].map((column) => `d.${column}`).join(', ');
}

export interface DesignRow {
  id: string;
  designer_id: string;
  title: string;
  description: string;
  category: DesignCategory;
  materials: string[];
  gemstones: string[];
  tags: string[];
  options: DesignOption[];
  images: DesignImage[];
  price_min: string | null;
  price_max: string | null;
  currency_code: string | null;
  status: DesignStatus;
  source_handle: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

/** A `Design` view of a row; a row read with fewer columns leaves the other fields undefined. */
export function designView(row: DesignRow): Design {
  return view(Design, {
    id: row.id,
    designer: { id: row.designer_id } as User,
    title: row.title,
    description: row.description,
    category: row.category,
    materials: row.materials,
    gemstones: row.gemstones,
    tags: row.tags,
    options: row.options,
    images: row.images,
    priceMin: row.price_min,
    priceMax: row.price_max,
    currencyCode: row.currency_code,
    status: row.status,
    sourceHandle: row.source_handle,
    createdAt: toDate(row.created_at),
    // Undefined when the column was not read (see designColumnsFor).
    updatedAt: row.updated_at === undefined ? undefined : toDate(row.updated_at),
  });
}
