// Owns reading the quote flow as plain rows (loaders, lists, feeds): explicit columns mapped to read-only
// views of the entity classes. Writes go through the EntityManager (quoting.service.ts).
import type { User } from '../accounts/user.entity.js';
import type { Design } from '../designs/design.entity.js';
import type { DesignCategory } from '../designs/category.js';
import { toDate, toDateOrNull, view } from '../../db/views.js';
import { Estimate, Match, type StoredLineItem } from './estimate.entity.js';
import { QuoteRecipient, QuoteRequest, QuoteRequestItem, type SelectedOption } from './quote-request.entity.js';
import type { EstimateStatus, QuoteRequestStatus, RecipientStatus } from './states.js';

type Timestamp = string | Date;
const ref = <T>(id: string) => ({ id }) as T;

export const REQUEST_COLUMNS =
  'q.id, q.consumer_id, q.status, q.note, q.budget_amount, q.budget_currency, q.needed_by, q.expires_at, q.closed_at, q.created_at, q.updated_at';

export interface RequestRow {
  id: string;
  consumer_id: string;
  status: QuoteRequestStatus;
  note: string | null;
  budget_amount: string | null;
  budget_currency: string | null;
  needed_by: Timestamp | null;
  expires_at: Timestamp;
  closed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export function requestView(row: RequestRow): QuoteRequest {
  return view(QuoteRequest, {
    id: row.id,
    consumer: ref<User>(row.consumer_id),
    status: row.status,
    note: row.note,
    budgetAmount: row.budget_amount,
    budgetCurrency: row.budget_currency,
    neededBy: toDateOrNull(row.needed_by),
    expiresAt: toDate(row.expires_at),
    closedAt: toDateOrNull(row.closed_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  });
}

export const ITEM_COLUMNS =
  'i.id, i.request_id, i.position, i.design_id, i.quantity, i.options, i.note, i.design_title, i.design_category, i.design_materials, i.design_gemstones, i.design_image_url';

export interface ItemRow {
  id: string;
  request_id: string;
  position: number;
  design_id: string;
  quantity: number;
  options: SelectedOption[];
  note: string | null;
  design_title: string;
  design_category: DesignCategory;
  design_materials: string[];
  design_gemstones: string[];
  design_image_url: string | null;
}

export function itemView(row: ItemRow): QuoteRequestItem {
  return view(QuoteRequestItem, {
    id: row.id,
    request: ref<QuoteRequest>(row.request_id),
    position: row.position,
    design: ref<Design>(row.design_id),
    quantity: row.quantity,
    options: row.options,
    note: row.note,
    designTitle: row.design_title,
    designCategory: row.design_category,
    designMaterials: row.design_materials,
    designGemstones: row.design_gemstones,
    designImageUrl: row.design_image_url,
  });
}

export const RECIPIENT_COLUMNS = 'r.id, r.request_id, r.manufacturer_id, r.status, r.decline_reason, r.responded_at, r.created_at';

export interface RecipientRow {
  id: string;
  request_id: string;
  manufacturer_id: string;
  status: RecipientStatus;
  decline_reason: string | null;
  responded_at: Timestamp | null;
  created_at: Timestamp;
}

/** The key of the `recipient` loader: one manufacturer on one request. */
export const recipientKey = (requestId: string, manufacturerId: string) => `${requestId}/${manufacturerId}`;

export function recipientView(row: RecipientRow): QuoteRecipient {
  return view(QuoteRecipient, {
    id: row.id,
    request: ref<QuoteRequest>(row.request_id),
    manufacturer: ref<User>(row.manufacturer_id),
    status: row.status,
    declineReason: row.decline_reason,
    respondedAt: toDateOrNull(row.responded_at),
    createdAt: toDate(row.created_at),
  });
}

export const ESTIMATE_COLUMNS =
  'e.id, e.request_id, e.manufacturer_id, e.version, e.status, e.amount, e.currency_code, e.line_items, e.lead_time_days, e.valid_until, e.note, e.created_at, e.updated_at';

export interface EstimateRow {
  id: string;
  request_id: string;
  manufacturer_id: string;
  version: number;
  status: EstimateStatus;
  amount: string;
  currency_code: string;
  line_items: StoredLineItem[];
  lead_time_days: number;
  valid_until: Timestamp;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export function estimateView(row: EstimateRow): Estimate {
  return view(Estimate, {
    id: row.id,
    request: ref<QuoteRequest>(row.request_id),
    manufacturer: ref<User>(row.manufacturer_id),
    version: row.version,
    status: row.status,
    amount: row.amount,
    currencyCode: row.currency_code,
    lineItems: row.line_items,
    leadTimeDays: row.lead_time_days,
    validUntil: toDate(row.valid_until),
    note: row.note,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  });
}

export const MATCH_COLUMNS = 'm.id, m.request_id, m.estimate_id, m.consumer_id, m.manufacturer_id, m.created_at';

export interface MatchRow {
  id: string;
  request_id: string;
  estimate_id: string;
  consumer_id: string;
  manufacturer_id: string;
  created_at: Timestamp;
}

export function matchView(row: MatchRow): Match {
  return view(Match, {
    id: row.id,
    request: ref<QuoteRequest>(row.request_id),
    estimate: ref<Estimate>(row.estimate_id),
    consumer: ref<User>(row.consumer_id),
    manufacturer: ref<User>(row.manufacturer_id),
    createdAt: toDate(row.created_at),
  });
}
