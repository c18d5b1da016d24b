// Owns the quote flow's rules: who gets a request, what an estimate must satisfy, how a match is made
// exactly once, who may see what (sealed bids, ownership), and the events each change produces.
// Every change and its events commit in one transaction; the relay publishes after commit.
import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Decimal } from 'decimal.js';
import { Problems, UserErrorCode, UserErrors, notFound, userError } from '../../graphql/errors.js';
import { cleanText } from '../../graphql/input.js';
import { formatAmount, normalizeAmount } from '../../graphql/money.js';
import { isUuid, keysetPage, type PageWindow } from '../../graphql/connection.js';
import { arrayLiteral, onPooledConnection, prepared, rows, toDate, view, type PgClient } from '../../db/views.js';
import { ESTIMATE_COLUMNS, MATCH_COLUMNS, REQUEST_COLUMNS, estimateView, matchView, recipientKey, requestView, type EstimateRow } from './quoting.rows.js';
import { recordEvents, type NewEvent } from '../../events/outbox.js';
import type { Context } from '../../server/context.js';
import { Role } from '../accounts/role.js';
import { User } from '../accounts/user.entity.js';
import { Design, DesignStatus } from '../designs/design.entity.js';
import { LONE_SURROGATE_MESSAGE, hasLoneSurrogate } from '../designs/design.service.js';
import { Estimate, Match } from './estimate.entity.js';
import { QuoteRecipient, QuoteRequest, QuoteRequestItem, type SelectedOption } from './quote-request.entity.js';
import {
  ESTIMATE_TRANSITIONS,
  EstimateStatus,
  QUOTE_REQUEST_TRANSITIONS,
  QuoteRequestStatus,
  RECIPIENT_TRANSITIONS,
  RecipientStatus,
  canMove,
} from './states.js';

export const QUOTING_LIMITS = {
  items: 20,
  quantity: 10_000,
  manufacturers: 50,
  note: 2000,
  lineItems: 50,
  label: 200,
  leadTimeDaysMin: 1,
  leadTimeDaysMax: 365,
  expiryDaysMax: 90,
  validityDaysMax: 365,
} as const;

export const DEFAULT_EXPIRY_DAYS = 14;

/**
 * The expiry sweep (every EXPIRY_SWEEP_MS in every process) reads only what is due, by index: requests past
 * their expiry (`quote_requests_open_expiry_idx`), estimates past their validity
 * (`estimates_active_validity_idx`) and the estimates of the requests this sweep expired. (It used to join
 * every ACTIVE estimate with its request to find those of EXPIRED requests: all of them, every 5 s.)
 */
export const EXPIRE_REQUESTS_SQL = `update quote_requests set status = 'EXPIRED', closed_at = now(), updated_at = now()
  where status = 'OPEN' and expires_at <= now() returning id, consumer_id`;
export const EXPIRE_ESTIMATES_SQL = `update estimates e set status = 'EXPIRED', updated_at = now()
  from quote_requests q
  where q.id = e.request_id and e.status = 'ACTIVE' and (e.valid_until <= now() or e.request_id = any(?::uuid[]))
  returning e.id, e.request_id, q.consumer_id`;

const DAY = 24 * 3600 * 1000;

export enum QuoteRequestFeedType {
  REQUESTED = 'REQUESTED',
  CANCELLED = 'CANCELLED',
  ESTIMATE_ACCEPTED = 'ESTIMATE_ACCEPTED',
  ESTIMATE_REJECTED = 'ESTIMATE_REJECTED',
  EXPIRED = 'EXPIRED',
}

export enum EstimateFeedType {
  SUBMITTED = 'SUBMITTED',
  REVISED = 'REVISED',
  WITHDRAWN = 'WITHDRAWN',
  EXPIRED = 'EXPIRED',
}

export interface MoneyData {
  amount: string;
  currencyCode: string;
}

export interface RequestQuotesData {
  items: Array<{ designId: string; quantity: number; options?: SelectedOption[] | null; note?: string | null }>;
  manufacturerIds?: string[] | null;
  note?: string | null;
  budget?: MoneyData | null;
  neededBy?: Date | null;
  expiresAt?: Date | null;
}

export interface SubmitEstimateData {
  requestId: string;
  price: MoneyData;
  lineItems: Array<{ label: string; amount: MoneyData }>;
  leadTimeDays: number;
  validUntil: Date;
  note?: string | null;
}

const requestNotOpen = (request: Pick<QuoteRequest, 'status' | 'expiresAt'>, now = new Date()) =>
  new UserErrors(
    request.status === QuoteRequestStatus.MATCHED
      ? userError(UserErrorCode.ALREADY_MATCHED, 'This request already has a match.')
      : userError(UserErrorCode.REQUEST_NOT_OPEN, `This request is ${effectiveStatus(request, now).toLowerCase()}, not open.`),
  );

const me = (ctx: Context) => ctx.user!.id;

/** OPEN past its expiry counts as EXPIRED even before the sweeper has written it. */
export function effectiveStatus(request: Pick<QuoteRequest, 'status' | 'expiresAt'>, now = new Date()): QuoteRequestStatus {
  return request.status === QuoteRequestStatus.OPEN && request.expiresAt <= now ? QuoteRequestStatus.EXPIRED : request.status;
}

function cleanNote(value: string | null | undefined, field: string[], problems: Problems): string | null {
  if (value == null) return null;
  const note = value.trim();
  if (note.length > QUOTING_LIMITS.note) problems.add(`A note can have at most ${QUOTING_LIMITS.note} characters.`, field);
  if (hasLoneSurrogate(note)) problems.add(LONE_SURROGATE_MESSAGE, field);
  return note || null;
}

function checkedMoney(money: MoneyData, field: string[], problems: Problems, positive = true): Decimal | null {
  const currency = money.currencyCode.trim().toUpperCase();
  const checked = normalizeAmount(money.amount, currency);
  if (!checked.ok) {
    problems.add(checked.message, field);
    return null;
  }
  const value = new Decimal(checked.amount);
  if (positive ? value.lte(0) : value.lt(0)) {
    problems.add(positive ? 'The amount must be more than zero.' : 'The amount cannot be negative.', field);
    return null;
  }
  return value;
}

/**
 * submitEstimate's one statement ($1 request, $2 manufacturer, $3 now, $4 new estimate id, $5 amount,
 * $6 currency, $7 line items, $8 lead time, $9 valid until, $10 note, $11/$12 the event types). Prepared,
 * so it names its columns: with `*`, a column added by a newer version's migration while this process runs
 * would change the result type and PostgreSQL would refuse the cached plan on every later call.
 */
const SUBMIT_ESTIMATE_SQL = `with q as (
    select id, consumer_id, status, expires_at from quote_requests where id = $1::uuid for update
  ), r as (
    select id, status from quote_recipients where request_id = (select id from q) and manufacturer_id = $2::uuid for update
  ), prev as (
    select max(version) as version, max(id::text) filter (where status = 'ACTIVE') as active_id
    from estimates where request_id = (select id from q) and manufacturer_id = $2::uuid
  ), ok as (
    select q.id, q.consumer_id, prev.version, prev.active_id::uuid as active_id, r.id as recipient_id from q, r, prev
    where r.status <> 'DECLINED' and q.status = 'OPEN' and q.expires_at > $3::timestamptz
  ), superseded as (
    -- Only if it is still ACTIVE once the lock is held: a withdrawal (or the expiry sweep) committed
    -- while this statement waited keeps its status, and this estimate is then a first one (SUBMITTED).
    update estimates set status = 'SUPERSEDED', updated_at = $3::timestamptz
    where id = (select active_id from ok) and status = 'ACTIVE' returning id
  ), e as (
    insert into estimates (id, request_id, manufacturer_id, version, status, amount, currency_code, line_items, lead_time_days, valid_until, note, created_at, updated_at)
    select $4::uuid, ok.id, $2::uuid, coalesce(ok.version, 0) + 1, 'ACTIVE', $5::numeric, $6::text, $7::jsonb, $8::int, $9::timestamptz, $10::text, $3::timestamptz, $3::timestamptz from ok
    returning ${ESTIMATE_COLUMNS.replaceAll('e.', '')}
  ), answered as (
    update quote_recipients set status = 'QUOTED', responded_at = $3::timestamptz where id = (select recipient_id from ok)
  ), event as (
    insert into event_outbox (feed, type, audience, quote_request_id, estimate_id, occurred_at)
    select 'ESTIMATE', case when superseded.id is null then $11::text else $12::text end, array[ok.consumer_id], ok.id, $4::uuid, $3::timestamptz
    from ok left join superseded on true
  )
  select q.id as found, q.status as request_status, q.expires_at as request_expires_at, r.status as recipient_status, ${ESTIMATE_COLUMNS}
  from (select 1) as one left join q on true left join r on true left join e on true`;

export class QuotingService {
  constructor(
    private readonly afterCommit: () => void,
    private readonly defaultExpiryDays = DEFAULT_EXPIRY_DAYS,
  ) {}

  // ---------------------------------------------------------------- consumer

  async requestQuotes(ctx: Context, data: RequestQuotesData) {
    const problems = new Problems();
    const now = new Date();
    if (data.items.length === 0) problems.add('Pick at least one design.', ['input', 'items']);
    if (data.items.length > QUOTING_LIMITS.items) problems.add(`At most ${QUOTING_LIMITS.items} items per request.`, ['input', 'items']);
    const named = [...new Set(data.manufacturerIds ?? [])];
    if (named.length > QUOTING_LIMITS.manufacturers) {
      problems.add(`At most ${QUOTING_LIMITS.manufacturers} manufacturers per request.`, ['input', 'manufacturerIds']);
    }
    const note = cleanNote(data.note, ['input', 'note'], problems);
    const budget = data.budget ? checkedMoney(data.budget, ['input', 'budget', 'amount'], problems) : null;
    if (data.neededBy && data.neededBy <= now) problems.add('The wanted-by date must be in the future.', ['input', 'neededBy']);
    const expiresAt = data.expiresAt ?? new Date(now.getTime() + this.defaultExpiryDays * DAY);
    if (expiresAt <= now) problems.add('The expiry must be in the future.', ['input', 'expiresAt']);
    if (expiresAt.getTime() > now.getTime() + QUOTING_LIMITS.expiryDaysMax * DAY) {
      problems.add(`A request can stay open at most ${QUOTING_LIMITS.expiryDaysMax} days.`, ['input', 'expiresAt']);
    }
    problems.throwIfAny();

    const designIds = data.items.map((i) => i.designId).filter(isUuid);
    const designs = new Map((await ctx.em.find(Design, { id: { $in: designIds }, status: DesignStatus.ACTIVE })).map((d) => [d.id, d]));
    const items = data.items.map((item, i) => {
      const path = ['input', 'items', String(i)];
      const design = designs.get(item.designId);
      if (!design) {
        problems.add('Design not found.', [...path, 'designId'], UserErrorCode.NOT_FOUND);
        return null;
      }
      if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > QUOTING_LIMITS.quantity) {
        problems.add(`The quantity must be a whole number from 1 to ${QUOTING_LIMITS.quantity}.`, [...path, 'quantity']);
      }
      return { design, quantity: item.quantity, options: this.checkOptions(design, item.options ?? [], path, problems), note: cleanNote(item.note, [...path, 'note'], problems) };
    });
    problems.throwIfAny();

    const categories = [...new Set(items.map((i) => i!.design.category))];
    // Ids only: a request can go to thousands of manufacturers.
    let manufacturers: string[];
    if (named.length > 0) {
      const ids = named.filter(isUuid);
      const found = new Set(
        ids.length === 0
          ? []
          : (await rows<{ id: string }>(ctx.em, `select u.id from users u where u.id in (?) and u.role = 'MANUFACTURER'`, [ids])).map((u) => u.id),
      );
      (data.manufacturerIds ?? []).forEach((id, i) => {
        if (!found.has(id)) problems.add('Manufacturer not found.', ['input', 'manufacturerIds', String(i)], UserErrorCode.NOT_FOUND);
      });
      problems.throwIfAny();
      manufacturers = [...found];
    } else {
      manufacturers = (
        await rows<{ id: string }>(
          ctx.em,
          `select u.id from users u where u.role = 'MANUFACTURER' and u.profile_categories @> array[?]::text[] order by u.created_at, u.id`,
          [categories],
        )
      ).map((u) => u.id);
      if (manufacturers.length === 0) {
        throw new UserErrors(
          userError(
            UserErrorCode.NO_RECIPIENTS,
            `No manufacturer makes all of: ${categories.join(', ')}. Name manufacturers, or ask for fewer kinds of pieces at once.`,
            ['input', 'manufacturerIds'],
          ),
        );
      }
    }

    const request = await ctx.em.transactional(async (tx) => {
      const request = tx.create(QuoteRequest, {
        consumer: tx.getReference(User, ctx.user!.id),
        note,
        budgetAmount: budget?.toFixed() ?? null,
        budgetCurrency: budget ? data.budget!.currencyCode.trim().toUpperCase() : null,
        neededBy: data.neededBy ?? null,
        expiresAt,
      } as never);
      items.forEach((item, position) => {
        const { design } = item!;
        tx.create(QuoteRequestItem, {
          request,
          position,
          design,
          quantity: item!.quantity,
          options: item!.options,
          note: item!.note,
          designTitle: design.title,
          designCategory: design.category,
          designMaterials: design.materials,
          designGemstones: design.gemstones,
          designImageUrl: design.images[0]?.url ?? null,
        } as never);
      });
      recordEvents(tx, [{ feed: 'QUOTE_REQUEST', type: QuoteRequestFeedType.REQUESTED, audience: manufacturers, quoteRequestId: request.id }]);
      await tx.flush();
      // Every recipient in one statement (the unit of work would build and insert one entity each).
      await rows(
        tx,
        `insert into quote_recipients (id, request_id, manufacturer_id, status, created_at)
         select gen_random_uuid(), ?, m, 'PENDING', ?::timestamptz from unnest(?::uuid[]) as m`,
        // One array parameter: knex would spread a list over one escaped literal per manufacturer.
        [request.id, now.toISOString(), arrayLiteral(manufacturers)],
      );
      return request;
    });
    this.afterCommit();
    return { quoteRequest: request };
  }

  async cancelQuoteRequest(ctx: Context, id: string) {
    const request = await this.changeRequest(ctx, id, async (tx, request) => {
      if (request.consumer.id !== ctx.user!.id) throw notFound('Quote request', ['id']);
      this.moveRequest(request, QuoteRequestStatus.CANCELLED);
      const recipients = await tx.find(QuoteRecipient, { request });
      const active = await tx.find(Estimate, { request, status: EstimateStatus.ACTIVE });
      for (const estimate of active) this.moveEstimate(estimate, EstimateStatus.REJECTED);
      return [{ feed: 'QUOTE_REQUEST', type: QuoteRequestFeedType.CANCELLED, audience: recipients.map((r) => r.manufacturer.id), quoteRequestId: request.id }];
    });
    return { quoteRequest: request };
  }

  async acceptEstimate(ctx: Context, estimateId: string) {
    const estimate = isUuid(estimateId) ? await ctx.em.findOne(Estimate, { id: estimateId }, { populate: ['request'] }) : null;
    if (!estimate || estimate.request.consumer.id !== ctx.user!.id) throw notFound('Estimate', ['estimateId']);
    try {
      const match = await ctx.em.transactional(async (tx) => {
        // The request row lock serialises accepts (and submits) on one request; the unique index on
        // matches.request_id is the last word if anything slips past.
        const request = await tx.findOneOrFail(QuoteRequest, { id: estimate.request.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (effectiveStatus(request) !== QuoteRequestStatus.OPEN) throw requestNotOpen(request);
        const chosen = await tx.findOneOrFail(Estimate, { id: estimate.id }, { refresh: true });
        if (chosen.status !== EstimateStatus.ACTIVE || chosen.validUntil <= new Date()) {
          throw new UserErrors(userError(UserErrorCode.ESTIMATE_NOT_ACTIVE, `This estimate is ${chosen.status === EstimateStatus.ACTIVE ? 'past its validity' : chosen.status.toLowerCase()} and cannot be accepted.`, ['estimateId']));
        }
        this.moveRequest(request, QuoteRequestStatus.MATCHED);
        this.moveEstimate(chosen, EstimateStatus.ACCEPTED);
        for (const other of await tx.find(Estimate, { request, status: EstimateStatus.ACTIVE, id: { $ne: chosen.id } })) {
          this.moveEstimate(other, EstimateStatus.REJECTED);
        }
        const match = tx.create(Match, { request, estimate: chosen, consumer: request.consumer, manufacturer: chosen.manufacturer } as never);
        // Every other recipient hears that the request is closed, including those that declined.
        const others = (await tx.find(QuoteRecipient, { request }))
          .map((r) => r.manufacturer.id)
          .filter((id) => id !== chosen.manufacturer.id);
        recordEvents(tx, [
          { feed: 'QUOTE_REQUEST', type: QuoteRequestFeedType.ESTIMATE_ACCEPTED, audience: [chosen.manufacturer.id], quoteRequestId: request.id, estimateId: chosen.id },
          { feed: 'QUOTE_REQUEST', type: QuoteRequestFeedType.ESTIMATE_REJECTED, audience: others, quoteRequestId: request.id },
        ]);
        return match;
      });
      this.afterCommit();
      return { match };
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new UserErrors(userError(UserErrorCode.ALREADY_MATCHED, 'This request already has a match.'));
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- manufacturer

  async declineQuoteRequest(ctx: Context, id: string, reason: string | null | undefined) {
    const problems = new Problems();
    const cleanReason = cleanNote(reason, ['reason'], problems);
    problems.throwIfAny();
    const request = await this.changeRequest(ctx, id, async (tx, request) => {
      const recipient = await tx.findOne(QuoteRecipient, { request, manufacturer: ctx.user!.id });
      if (!recipient) throw notFound('Quote request', ['id']);
      if (!canMove(RECIPIENT_TRANSITIONS, recipient.status, RecipientStatus.DECLINED)) {
        throw new UserErrors(userError(UserErrorCode.ALREADY_DECLINED, 'You already declined this request.', ['id']));
      }
      if (effectiveStatus(request) !== QuoteRequestStatus.OPEN) throw requestNotOpen(request);
      recipient.status = RecipientStatus.DECLINED;
      recipient.declineReason = cleanReason;
      recipient.respondedAt = new Date();
      const events: NewEvent[] = [];
      for (const estimate of await tx.find(Estimate, { request, manufacturer: ctx.user!.id, status: EstimateStatus.ACTIVE })) {
        this.moveEstimate(estimate, EstimateStatus.WITHDRAWN);
        events.push({ feed: 'ESTIMATE', type: EstimateFeedType.WITHDRAWN, audience: [request.consumer.id], quoteRequestId: request.id, estimateId: estimate.id });
      }
      return events;
    });
    return { quoteRequest: request };
  }

  async submitEstimate(ctx: Context, data: SubmitEstimateData) {
    const problems = new Problems();
    const now = new Date();
    const currency = data.price.currencyCode.trim().toUpperCase();
    const total = checkedMoney(data.price, ['input', 'price', 'amount'], problems);
    if (data.lineItems.length === 0) problems.add('Add at least one line item.', ['input', 'lineItems']);
    if (data.lineItems.length > QUOTING_LIMITS.lineItems) problems.add(`At most ${QUOTING_LIMITS.lineItems} line items.`, ['input', 'lineItems']);
    const lineItems = data.lineItems.map((line, i) => {
      const path = ['input', 'lineItems', String(i)];
      const label = cleanText(line.label);
      if (!label || label.length > QUOTING_LIMITS.label) problems.add(`A line item needs a label of 1 to ${QUOTING_LIMITS.label} characters.`, [...path, 'label']);
      // Labels are stored as JSON, which cannot hold half a surrogate pair (saving would fail).
      else if (hasLoneSurrogate(label)) problems.add(LONE_SURROGATE_MESSAGE, [...path, 'label']);
      if (line.amount.currencyCode.trim().toUpperCase() !== currency) {
        problems.add(`Every line item must be in ${currency}, the currency of the total.`, [...path, 'amount', 'currencyCode']);
        return null;
      }
      const amount = checkedMoney(line.amount, [...path, 'amount', 'amount'], problems, false);
      return amount ? { label, amount } : null;
    });
    if (total && lineItems.every(Boolean) && lineItems.length > 0) {
      const sum = lineItems.reduce((acc, l) => acc.plus(l!.amount), new Decimal(0));
      if (!sum.eq(total)) {
        problems.add(`The line items add up to ${formatAmount(sum.toFixed(), currency)} but the total is ${formatAmount(total.toFixed(), currency)}.`, ['input', 'lineItems']);
      }
    }
    if (!Number.isInteger(data.leadTimeDays) || data.leadTimeDays < QUOTING_LIMITS.leadTimeDaysMin || data.leadTimeDays > QUOTING_LIMITS.leadTimeDaysMax) {
      problems.add(`The lead time must be ${QUOTING_LIMITS.leadTimeDaysMin} to ${QUOTING_LIMITS.leadTimeDaysMax} days.`, ['input', 'leadTimeDays']);
    }
    if (data.validUntil <= now) problems.add('The estimate must be valid until a time in the future.', ['input', 'validUntil']);
    else if (data.validUntil.getTime() > now.getTime() + QUOTING_LIMITS.validityDaysMax * DAY) {
      problems.add(`An estimate can be valid for at most ${QUOTING_LIMITS.validityDaysMax} days.`, ['input', 'validUntil']);
    }
    const note = cleanNote(data.note, ['input', 'note'], problems);
    problems.throwIfAny();

    // The hottest write (estimates arrive by the hundred per second): one statement, so one round trip and
    // one implicit transaction. It locks the request row like every other change of a request, then
    // supersedes the previous version, inserts the new one, records the recipient's answer and the event,
    // all only when the request is open to this manufacturer; otherwise it writes nothing and returns why.
    // The locked request and recipient rows are read as they are once the lock is held; the estimates are
    // read as of the statement's start, so a revision by the same manufacturer committed while this one
    // waited for the lock makes it collide on (request, manufacturer, version): it then runs again in a
    // transaction that takes the lock first, so that the statement sees everything committed before it.
    const field = ['input', 'requestId'];
    if (!isUuid(data.requestId)) throw notFound('Quote request', field);
    const id = randomUUID();
    const at = now.toISOString();
    type SubmitRow = Partial<EstimateRow> & { found: string | null; request_status: QuoteRequestStatus | null; request_expires_at: string | null; recipient_status: RecipientStatus | null };
    const values = [
      data.requestId,
      me(ctx),
      at,
      id,
      total!.toFixed(),
      currency,
      JSON.stringify(lineItems.map((l) => ({ label: l!.label, amount: l!.amount.toFixed() }))),
      data.leadTimeDays,
      data.validUntil.toISOString(),
      note,
      EstimateFeedType.SUBMITTED,
      EstimateFeedType.REVISED,
    ];
    // A prepared statement: parsed and planned once per pooled connection (src/db/views.ts).
    const submit = (client: PgClient) => prepared<SubmitRow>(ctx.em, client, 'submit-estimate', SUBMIT_ESTIMATE_SQL, values);
    let row: SubmitRow;
    try {
      [row] = await onPooledConnection(ctx.em, submit);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '23P01') throw error;
      [row] = await onPooledConnection(ctx.em, async (client) => {
        await client.query('begin');
        try {
          await prepared(ctx.em, client, 'lock-quote-request', 'select 1 from quote_requests where id = $1::uuid for update', [data.requestId]);
          const found = await submit(client);
          await client.query('commit');
          return found;
        } catch (failure) {
          await client.query('rollback');
          throw failure;
        }
      });
    }
    if (!row.id) {
      if (!row.found || !row.recipient_status) throw notFound('Quote request', field);
      if (row.recipient_status === RecipientStatus.DECLINED) {
        throw new UserErrors(userError(UserErrorCode.ALREADY_DECLINED, 'You declined this request, so you cannot quote it.', field));
      }
      throw requestNotOpen(view(QuoteRequest, { status: row.request_status!, expiresAt: toDate(row.request_expires_at!) }), now);
    }
    const estimate = estimateView(row as EstimateRow);
    this.afterCommit();
    return { estimate };
  }

  async withdrawEstimate(ctx: Context, id: string) {
    const found = isUuid(id) ? await ctx.em.findOne(Estimate, { id, manufacturer: ctx.user!.id }) : null;
    if (!found) throw notFound('Estimate', ['id']);
    let estimate!: Estimate;
    await this.changeRequest(ctx, found.request.id, async (tx, request) => {
      estimate = await tx.findOneOrFail(Estimate, { id }, { refresh: true });
      if (!canMove(ESTIMATE_TRANSITIONS, estimate.status, EstimateStatus.WITHDRAWN)) {
        throw new UserErrors(userError(UserErrorCode.ESTIMATE_NOT_ACTIVE, `This estimate is ${estimate.status.toLowerCase()}; only an active estimate can be withdrawn.`, ['id']));
      }
      this.moveEstimate(estimate, EstimateStatus.WITHDRAWN);
      return [{ feed: 'ESTIMATE', type: EstimateFeedType.WITHDRAWN, audience: [request.consumer.id], quoteRequestId: request.id, estimateId: estimate.id }];
    });
    return { estimate };
  }

  // ---------------------------------------------------------------- reading

  /** The request if the caller may see it: its consumer, or a manufacturer it was sent to. */
  async findVisibleRequest(ctx: Context, id: string): Promise<QuoteRequest | null> {
    if (!ctx.user || !isUuid(id)) return null;
    const request = await ctx.loaders.quoteRequests.load(id);
    if (!request) return null;
    return (await this.canSeeRequest(ctx, request)) ? request : null;
  }

  async canSeeRequest(ctx: Context, request: QuoteRequest): Promise<boolean> {
    if (!ctx.user) return false;
    if (request.consumer.id === ctx.user.id) return true;
    if (ctx.user.role !== Role.MANUFACTURER) return false;
    return (await ctx.loaders.recipient.load(recipientKey(request.id, ctx.user.id))) !== null;
  }

  /** The estimate if the caller may see it: the request's consumer, or the manufacturer who made it. */
  async findVisibleEstimate(ctx: Context, id: string): Promise<Estimate | null> {
    if (!ctx.user || !isUuid(id)) return null;
    const estimate = await ctx.loaders.estimates.load(id);
    if (!estimate) return null;
    if (estimate.manufacturer.id === ctx.user.id) return estimate;
    const request = await ctx.loaders.quoteRequests.load(estimate.request.id);
    return request?.consumer.id === ctx.user.id ? estimate : null;
  }

  /** Sealed bids: the consumer sees every manufacturer's estimates, a manufacturer only its own. */
  async estimatesOf(ctx: Context, request: QuoteRequest, includeSuperseded: boolean): Promise<Estimate[]> {
    const all = await ctx.loaders.estimatesByRequest.load(request.id);
    const mine = request.consumer.id === ctx.user?.id ? all : all.filter((e) => e.manufacturer.id === ctx.user?.id);
    return includeSuperseded ? mine : mine.filter((e) => e.status !== EstimateStatus.SUPERSEDED);
  }

  /** The consumer sees every recipient of its request, a manufacturer only its own. */
  async recipientsOf(ctx: Context, request: QuoteRequest): Promise<QuoteRecipient[]> {
    if (!ctx.user) return [];
    if (request.consumer.id === ctx.user.id) return ctx.loaders.recipientsByRequest.load(request.id);
    const own = await ctx.loaders.recipient.load(recipientKey(request.id, ctx.user.id));
    return own ? [own] : [];
  }

  async matchOf(ctx: Context, request: QuoteRequest): Promise<Match | null> {
    const match = await ctx.loaders.matchByRequest.load(request.id);
    if (!match || !ctx.user) return null;
    return match.consumer.id === ctx.user.id || match.manufacturer.id === ctx.user.id ? match : null;
  }

  async myQuoteRequests(ctx: Context, status: QuoteRequestStatus | null | undefined, window: PageWindow) {
    const where = ['q.consumer_id = ?', ...(status ? ['q.status = ?'] : [])];
    const params: unknown[] = [ctx.user!.id, ...(status ? [status] : [])];
    return keysetPage(ctx.em, { columns: REQUEST_COLUMNS, from: 'quote_requests q', alias: 'q', where, params, toView: requestView }, window);
  }

  async incomingQuoteRequests(ctx: Context, status: QuoteRequestStatus | null | undefined, window: PageWindow) {
    const where = ['exists (select 1 from quote_recipients r where r.request_id = q.id and r.manufacturer_id = ?)', ...(status ? ['q.status = ?'] : [])];
    const params: unknown[] = [ctx.user!.id, ...(status ? [status] : [])];
    return keysetPage(ctx.em, { columns: REQUEST_COLUMNS, from: 'quote_requests q', alias: 'q', where, params, toView: requestView }, window);
  }

  async myMatches(ctx: Context, window: PageWindow) {
    const where = ['(m.consumer_id = ? or m.manufacturer_id = ?)'];
    return keysetPage(ctx.em, { columns: MATCH_COLUMNS, from: 'matches m', alias: 'm', where, params: [ctx.user!.id, ctx.user!.id], toView: matchView }, window);
  }

  // ---------------------------------------------------------------- expiry

  /** Moves requests past their expiry and estimates past their validity to EXPIRED, with events. */
  async expireDue(em: EntityManager): Promise<{ requests: number; estimates: number }> {
    const result = await em.transactional(async (tx) => {
      const requests = await tx.execute<Array<{ id: string; consumer_id: string }>>(EXPIRE_REQUESTS_SQL);
      const estimates = await tx.execute<Array<{ id: string; request_id: string; consumer_id: string }>>(EXPIRE_ESTIMATES_SQL, [
        arrayLiteral(requests.map((r) => r.id)),
      ]);
      const events: NewEvent[] = estimates.map((e) => ({
        feed: 'ESTIMATE' as const,
        type: EstimateFeedType.EXPIRED,
        audience: [e.consumer_id],
        quoteRequestId: e.request_id,
        estimateId: e.id,
      }));
      if (requests.length > 0) {
        const recipients = await tx.find(QuoteRecipient, { request: { $in: requests.map((r) => r.id) } });
        for (const request of requests) {
          events.push({
            feed: 'QUOTE_REQUEST',
            type: QuoteRequestFeedType.EXPIRED,
            audience: recipients.filter((r) => r.request.id === request.id).map((r) => r.manufacturer.id),
            quoteRequestId: request.id,
          });
        }
      }
      recordEvents(tx, events);
      return { requests: requests.length, estimates: estimates.length };
    });
    if (result.requests + result.estimates > 0) this.afterCommit();
    return result;
  }

  // ---------------------------------------------------------------- internals

  /**
   * Runs a change on one request under its row lock, records the events it returns in the same
   * transaction, and wakes the relay after commit. Requests the caller may not see are NOT_FOUND.
   */
  private async changeRequest(
    ctx: Context,
    id: string,
    change: (tx: EntityManager, request: QuoteRequest) => Promise<NewEvent[]>,
    field = ['id'],
  ): Promise<QuoteRequest> {
    if (!isUuid(id)) throw notFound('Quote request', field);
    const request = await ctx.em.transactional(async (tx) => {
      const request = await tx.findOne(QuoteRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!request) throw notFound('Quote request', field);
      recordEvents(tx, await change(tx, request));
      return request;
    });
    this.afterCommit();
    return request;
  }

  private moveRequest(request: QuoteRequest, to: QuoteRequestStatus): void {
    if (effectiveStatus(request) !== QuoteRequestStatus.OPEN || !canMove(QUOTE_REQUEST_TRANSITIONS, request.status, to)) {
      throw requestNotOpen(request);
    }
    request.status = to;
    request.closedAt = new Date();
  }

  private moveEstimate(estimate: Estimate, to: EstimateStatus): void {
    if (!canMove(ESTIMATE_TRANSITIONS, estimate.status, to)) {
      throw new UserErrors(userError(UserErrorCode.ESTIMATE_NOT_ACTIVE, `This estimate is ${estimate.status.toLowerCase()}.`));
    }
    estimate.status = to;
  }

  /** Chosen options must be options of the design, with one of its values (any case; stored as the design spells it). */
  private checkOptions(design: Design, chosen: SelectedOption[], path: string[], problems: Problems): SelectedOption[] {
    const out: SelectedOption[] = [];
    const seen = new Set<string>();
    chosen.forEach((option, i) => {
      const at = [...path, 'options', String(i)];
      const designOption = design.options.find((o) => o.name.toLowerCase() === cleanText(option.name).toLowerCase());
      if (!designOption) {
        problems.add(`"${design.title}" has no option "${option.name}"${design.options.length ? ` (it has: ${design.options.map((o) => o.name).join(', ')})` : ''}.`, [...at, 'name']);
        return;
      }
      if (seen.has(designOption.name)) {
        problems.add(`The option "${designOption.name}" is chosen twice.`, [...at, 'name']);
        return;
      }
      seen.add(designOption.name);
      const value = designOption.values.find((v) => v.toLowerCase() === cleanText(option.value).toLowerCase());
      if (!value) {
        problems.add(`"${option.value}" is not a choice for ${designOption.name} (choices: ${designOption.values.join(', ')}).`, [...at, 'value']);
        return;
      }
      out.push({ name: designOption.name, value });
    });
    return out;
  }
}
