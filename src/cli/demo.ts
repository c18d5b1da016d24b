// `npm run demo [-- --url <http://host:port/graphql>] [--csv <file.csv>]`: the marketplace's whole story,
// live, as its users would live it. A designer imports a Shopify CSV, three manufacturers watch their
// request feeds, a consumer asks them for quotes and watches its estimate feed; the manufacturers react to
// the live REQUESTED event (one quotes, one quotes then undercuts itself, one declines), the consumer accepts
// the cheapest estimate that arrives in time, and every party hears the outcome live.
//
// Everything goes through the public API (GraphQL over HTTP, subscriptions over graphql-ws), so the demo
// works the same against a server started here (the default) or one running elsewhere (--url). It prints a
// timeline, exits 0 once the match is made and every party saw its outcome, and non-zero with the reason
// otherwise (a global timeout makes sure it never hangs).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { App } from '../app.js';
import { SAMPLE_CATALOG, projectRoot } from '../paths.js';

const USAGE = `Usage: npm run demo -- [--url <http://host:port/graphql>] [--csv <file.csv>] [--timeout <seconds>]

Plays the whole marketplace flow through the public GraphQL API and prints a timeline:
a designer imports a Shopify CSV, three manufacturers watch their request feeds, a consumer
requests quotes, estimates arrive live (one revised, one declined), the consumer accepts the
cheapest estimate that meets its wanted-by date, and every party hears the outcome live.

  --url <url>      Use a running server (its /graphql endpoint). Without it the demo starts the
                   server in-process, as \`npm start\` would, on a free port with its own embedded
                   database in .data/demo (or DATABASE_URL, REDIS_URL, ... from the environment).
  --csv <file>     The Shopify product CSV the designer imports (default: the sample catalog).
  --timeout <s>    Give up after this many seconds (default 60).
  --help           Show this help.

Exits 0 when the match is made and every party saw its outcome; otherwise non-zero with the reason.`;

const DAY_MS = 24 * 3600 * 1000;
const CURRENCY = 'USD';
/** graphql-transport-ws has no "subscribed" acknowledgement: the server gets this long to register a subscription. */
const SUBSCRIBE_SETTLE_MS = 200;
/** After the outcomes arrive, how long to keep listening for anything else (the decliner's feed). */
const AFTERMATH_MS = 500;
/** Unit price a manufacturer assumes for a design without a reference price. */
const FALLBACK_UNIT_PRICE = '150.00';

// ---------------------------------------------------------------- failures and small helpers

/** A reason the demo did not end in a match; printed as is, without a stack. */
class DemoFailure extends Error {}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS);

const quote = (text: string | null | undefined) => (text ? `"${text}"` : '(no note)');

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------- the timeline

/** One line per step or event: milliseconds since the demo started, who, what. */
class Timeline {
  private readonly startedAt = Date.now();
  private whoWidth = 8;

  /** Aligns the "who" column to the longest name. */
  fit(names: string[]): void {
    this.whoWidth = Math.max(this.whoWidth, ...names.map((n) => n.length));
  }

  log(who: string, what: string): void {
    const ms = String(Date.now() - this.startedAt).padStart(6);
    process.stdout.write(`  +${ms} ms  ${who.padEnd(this.whoWidth)}  ${what}\n`);
  }
}

// ---------------------------------------------------------------- exact money

// Amounts travel as decimal strings and are computed here as bigint minor units (cents for USD):
// line items must add up to the total exactly, which floats cannot promise.

function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

function toMinor(amount: string, currency: string): bigint {
  const digits = minorDigits(currency);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) throw new DemoFailure(`"${amount}" is not a decimal amount`);
  const [, sign, whole, fraction = ''] = match;
  if (/[1-9]/.test(fraction.slice(digits))) throw new DemoFailure(`"${amount}" has more than ${digits} decimals for ${currency}`);
  const minor = BigInt(whole + fraction.slice(0, digits).padEnd(digits, '0'));
  return sign ? -minor : minor;
}

/** The wire format: "1250.00". */
function toDecimal(minor: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0n ? '-' : '';
  const text = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
  return digits === 0 ? sign + text : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** For people: "USD 1,250.00". */
function formatMoney(minor: bigint, currency: string): string {
  const [whole, fraction] = toDecimal(minor, currency).split('.');
  return `${currency} ${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** `percent`% of a non-negative amount, rounded half up to the minor unit. */
const percentOf = (minor: bigint, percent: bigint) => (minor * percent + 50n) / 100n;

interface Money {
  amount: string;
  currencyCode: string;
}

const money = (minor: bigint, currency = CURRENCY): Money => ({ amount: toDecimal(minor, currency), currencyCode: currency });
const showMoney = (m: Money) => formatMoney(toMinor(m.amount, m.currencyCode), m.currencyCode);

// ---------------------------------------------------------------- GraphQL over HTTP

interface WireError {
  message: string;
  extensions?: { code?: string };
}

interface UserError {
  code: string;
  message: string;
  field?: string[] | null;
  line?: number | null;
}

const describeErrors = (errors: Array<WireError | UserError>) =>
  errors.map((e) => `${e.message} (${'code' in e ? e.code : (e.extensions?.code ?? 'no code')})`).join('; ');

class Api {
  constructor(readonly url: string) {}

  /** Runs one operation; a top-level GraphQL error or a transport problem is a failure of the demo. */
  async run<T>(what: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new DemoFailure(`${what}: cannot reach ${this.url} (${cause?.code ?? cause?.message ?? errorText(error)})`);
    }
    let body: { data?: T | null; errors?: WireError[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new DemoFailure(`${what}: ${this.url} answered HTTP ${response.status} with something that is not GraphQL`);
    }
    if (body.errors?.length) throw new DemoFailure(`${what}: ${describeErrors(body.errors)}`);
    if (!body.data) throw new DemoFailure(`${what}: HTTP ${response.status} without data`);
    return body.data;
  }
}

/** Mutations report expected failures in the payload; in this script every one of them is unexpected. */
function succeeded<P extends { errors: UserError[] }>(what: string, payload: P): P {
  if (payload.errors.length > 0) throw new DemoFailure(`${what} failed: ${describeErrors(payload.errors)}`);
  return payload;
}

// ---------------------------------------------------------------- live feeds over graphql-ws

interface LiveFeed {
  /** Resolves once connected and subscribed (and given time to register); rejects if the socket closes first. */
  ready: Promise<void>;
  close(): Promise<void>;
}

interface FeedOptions<T> {
  label: string;
  httpUrl: string;
  token: string;
  query: string;
  variables?: Record<string, unknown>;
  onEvent(data: T): void;
  /** Anything that ends the feed early (socket closed, server error) fails the demo. */
  onFailure(reason: string): void;
}

function describeSocketEnd(event: unknown): string {
  if (Array.isArray(event)) return describeErrors(event as WireError[]);
  const close = event as { code?: number; reason?: string } | undefined;
  if (close && typeof close.code === 'number') return `close code ${close.code}${close.reason ? `: ${close.reason}` : ''}`;
  return errorText(event);
}

/**
 * Opens a graphql-ws connection and subscribes. Returned at once, so the caller can close it even while it
 * is still connecting (a shutdown can come at any moment).
 */
function openFeed<T>(options: FeedOptions<T>): LiveFeed {
  const { label, onFailure } = options;
  let closing = false;
  let unsubscribe = () => {};
  const client = createClient({
    url: options.httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    // A demo that silently reconnects could miss events and still look fine: one connection or fail.
    retryAttempts: 0,
    // Reported by the 'closed' listener below (the default prints the raw event to the console).
    onNonLazyError: () => {},
    connectionParams: { authorization: `Bearer ${options.token}` },
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', (event) => {
      const reason = `${label}: the socket closed ${closing ? 'while connecting' : 'unexpectedly'} (${describeSocketEnd(event)})`;
      reject(new DemoFailure(reason)); // no-op once connected
      if (!closing) onFailure(reason);
    });
  });
  const ready = (async () => {
    await connected;
    unsubscribe = client.subscribe<T>(
      { query: options.query, variables: options.variables },
      {
        next: (result) => {
          if (result.errors?.length) onFailure(`${label}: ${describeErrors(result.errors as WireError[])}`);
          else if (result.data) options.onEvent(result.data as T);
        },
        error: (error) => {
          if (!closing) onFailure(`${label}: ${describeSocketEnd(error)}`);
        },
        complete: () => {
          if (!closing) onFailure(`${label}: the server ended the subscription`);
        },
      },
    );
    // graphql-transport-ws does not acknowledge a subscribe: give the server a moment to register it.
    await sleep(SUBSCRIBE_SETTLE_MS);
  })();
  return {
    ready,
    close: async () => {
      closing = true;
      unsubscribe();
      await client.dispose();
    },
  };
}

// ---------------------------------------------------------------- the GraphQL documents

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token user { id displayName email role } errors { code message field } }
  }`;

interface SignUpData {
  signUp: { token: string | null; user: { id: string; displayName: string; email: string | null } | null; errors: UserError[] };
}

const UPDATE_PROFILE = /* GraphQL */ `
  mutation UpdateProfile($input: UpdateManufacturerProfileInput!) {
    updateManufacturerProfile(input: $input) { user { id manufacturerProfile { categories region } } errors { code message field } }
  }`;

interface UpdateProfileData {
  updateManufacturerProfile: { user: { id: string; manufacturerProfile: { categories: string[]; region: string | null } | null } | null; errors: UserError[] };
}

const IMPORT_DESIGNS = /* GraphQL */ `
  mutation ImportDesigns($input: ImportDesignsInput!) {
    importDesigns(input: $input) {
      importedCount createdCount updatedCount
      designs { id category }
      errors { code message line }
    }
  }`;

interface ImportDesignsData {
  importDesigns: {
    importedCount: number;
    createdCount: number;
    updatedCount: number;
    designs: Array<{ id: string; category: string }>;
    errors: UserError[];
  };
}

// One page of the default size: plenty to pick two designs from, and cheap under the server's query cost limit.
const BROWSE_DESIGNS = /* GraphQL */ `
  query Browse($filter: DesignFilter) {
    designs(first: 20, filter: $filter) {
      totalCount
      edges { node { id title category options { name values } referencePrice { amount currencyCode } } }
    }
  }`;

interface CatalogDesign {
  id: string;
  title: string;
  category: string;
  options: Array<{ name: string; values: string[] }>;
  referencePrice: Money | null;
}

interface BrowseData {
  designs: { totalCount: number; edges: Array<{ node: CatalogDesign }> };
}

const REQUEST_QUOTES = /* GraphQL */ `
  mutation RequestQuotes($input: RequestQuotesInput!) {
    requestQuotes(input: $input) {
      quoteRequest { id recipients { manufacturer { id displayName } } }
      errors { code message field }
    }
  }`;

interface RequestQuotesData {
  requestQuotes: {
    quoteRequest: { id: string; recipients: Array<{ manufacturer: { id: string; displayName: string } }> } | null;
    errors: UserError[];
  };
}

/** What a manufacturer sees of a request: the snapshot of each design, never the consumer's e-mail before a match. */
const QUOTE_REQUEST_FEED = /* GraphQL */ `
  subscription ManufacturerFeed {
    quoteRequestFeed {
      type
      quoteRequest {
        id status note neededBy
        budget { amount currencyCode }
        consumer { displayName email }
        items {
          quantity
          options { name value }
          design { title category current { referencePrice { amount currencyCode } } }
        }
        estimates { id status version price { amount currencyCode } }
      }
      estimate { id status version }
    }
  }`;

interface RequestItem {
  quantity: number;
  options: Array<{ name: string; value: string }>;
  design: { title: string; category: string; current: { referencePrice: Money | null } | null };
}

interface QuoteRequestFeedEvent {
  type: string;
  quoteRequest: {
    id: string;
    status: string;
    note: string | null;
    neededBy: string | null;
    budget: Money | null;
    consumer: { displayName: string; email: string | null };
    items: RequestItem[];
    estimates: Array<{ id: string; status: string; version: number; price: Money }>;
  };
  estimate: { id: string; status: string; version: number } | null;
}

const SUBMIT_ESTIMATE = /* GraphQL */ `
  mutation SubmitEstimate($input: SubmitEstimateInput!) {
    submitEstimate(input: $input) {
      estimate { id status version price { amount currencyCode } lineItems { label amount { amount currencyCode } } leadTimeDays }
      errors { code message field }
    }
  }`;

interface SubmittedEstimate {
  id: string;
  status: string;
  version: number;
  price: Money;
  lineItems: Array<{ label: string; amount: Money }>;
  leadTimeDays: number;
}

interface SubmitEstimateData {
  submitEstimate: { estimate: SubmittedEstimate | null; errors: UserError[] };
}

const DECLINE = /* GraphQL */ `
  mutation Decline($id: ID!, $reason: String) {
    declineQuoteRequest(id: $id, reason: $reason) { quoteRequest { id status } errors { code message field } }
  }`;

interface DeclineData {
  declineQuoteRequest: { quoteRequest: { id: string; status: string } | null; errors: UserError[] };
}

const ESTIMATE_FEED = /* GraphQL */ `
  subscription ConsumerFeed($requestId: ID!) {
    estimateFeed(requestId: $requestId) {
      type
      estimate { id status version leadTimeDays price { amount currencyCode } manufacturer { id displayName email } }
    }
  }`;

interface EstimateFeedEvent {
  type: string;
  estimate: { id: string; status: string; version: number; leadTimeDays: number; price: Money; manufacturer: { id: string; displayName: string; email: string | null } };
}

/** The consumer's view of its request: who answered how, and every estimate still in play. */
const REQUEST_STATE = /* GraphQL */ `
  query RequestState($id: ID!) {
    quoteRequest(id: $id) {
      id status neededBy
      recipients { id status declineReason manufacturer { id displayName } }
      estimates { id status version leadTimeDays price { amount currencyCode } manufacturer { id displayName } }
    }
  }`;

interface ActiveEstimate {
  id: string;
  status: string;
  version: number;
  leadTimeDays: number;
  price: Money;
  manufacturer: { id: string; displayName: string };
}

interface RequestStateData {
  quoteRequest: {
    id: string;
    status: string;
    neededBy: string | null;
    recipients: Array<{ id: string; status: string; declineReason: string | null; manufacturer: { id: string; displayName: string } }>;
    estimates: ActiveEstimate[];
  } | null;
}

const ACCEPT = /* GraphQL */ `
  mutation Accept($estimateId: ID!) {
    acceptEstimate(estimateId: $estimateId) {
      match { id quoteRequest { id status } estimate { id status } manufacturer { id displayName } }
      errors { code message field }
    }
  }`;

interface AcceptData {
  acceptEstimate: {
    match: { id: string; quoteRequest: { id: string; status: string }; estimate: { id: string; status: string }; manufacturer: { id: string; displayName: string } } | null;
    errors: UserError[];
  };
}

const READ_MATCH = /* GraphQL */ `
  query ReadMatch($id: ID!) {
    quoteRequest(id: $id) {
      status
      match { id manufacturer { displayName email } }
    }
  }`;

interface ReadMatchData {
  quoteRequest: {
    status: string;
    match: { id: string; manufacturer: { displayName: string; email: string | null } } | null;
  } | null;
}

// ---------------------------------------------------------------- the cast

interface Account {
  id: string;
  token: string;
  email: string;
  displayName: string;
}

/** How a workshop prices: markup on the reference price, flat labour and shipping, a lead time. */
interface Pricing {
  markupPercent: bigint;
  labour: string;
  shipping: string;
  leadTimeDays: number;
  note: string;
}

interface Workshop {
  displayName: string;
  region: string;
  bio: string;
  materials: string[];
  /** One pricing: a single estimate; two: an estimate, then a revision. Or a polite no. */
  answer: { quotes: Pricing[] } | { decline: string };
}

// The numbers are chosen so the story holds for any catalog: Silverleaf's first estimate is dearer than
// Aurora's (higher markup and fixed costs), its revision cheaper (lower on both), and both lead times
// meet the consumer's wanted-by date, so the revision wins.
const WORKSHOPS = {
  aurora: {
    displayName: 'Aurora Casting',
    region: 'Antwerp, BE',
    bio: 'Gold and platinum casting, stone setting in-house.',
    materials: ['Gold', 'Platinum', 'Silver'],
    answer: { quotes: [{ markupPercent: 118n, labour: '45.00', shipping: '15.00', leadTimeDays: 21, note: 'Cast in recycled gold; stones hand-set.' }] },
  },
  silverleaf: {
    displayName: 'Silverleaf Studio',
    region: 'Lisbon, PT',
    bio: 'Small-batch silver and gold work.',
    materials: ['Silver', 'Sterling Silver', 'Gold'],
    answer: {
      quotes: [
        { markupPercent: 125n, labour: '60.00', shipping: '20.00', leadTimeDays: 30, note: 'Includes two wax proofs.' },
        { markupPercent: 108n, labour: '40.00', shipping: '15.00', leadTimeDays: 30, note: 'Revised: we can batch both pieces in one casting run.' },
      ],
    },
  },
  ironbark: {
    displayName: 'Ironbark Forge',
    region: 'Oslo, NO',
    bio: 'Hand-forged pieces and engraving.',
    materials: ['Silver', 'Steel', 'Titanium'],
    answer: { decline: 'Our casting queue is full until next quarter.' },
  },
} satisfies Record<string, Workshop>;

// ---------------------------------------------------------------- the demo

interface Target {
  url: string;
  description: string;
  stop(): Promise<void>;
}

interface Options {
  csvPath: string;
  timeoutMs: number;
}

/** One manufacturer in the story: its account, its feed, and what it heard. */
interface Maker {
  workshop: Workshop;
  account: Account;
  /** Its turn to answer comes when this resolves (see `scheduleTurns`). */
  mayAnswer: Promise<void>;
  answered: Deferred<void>;
  /** Feed events after REQUESTED for our request: the outcome. */
  outcomes: QuoteRequestFeedEvent[];
  heardOutcome: Deferred<QuoteRequestFeedEvent>;
}

class Demo {
  private readonly timeline = new Timeline();
  private readonly failure = deferred<never>();
  private readonly feeds: LiveFeed[] = [];
  private over = false;
  /** What the demo waits for now; a timeout says so. */
  private stage = 'the server to start';
  private readonly runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  private readonly password = `demo-${this.runId}-password`;
  private api!: Api;
  private designerId = '';
  /** The request's id, known once requestQuotes answers; REQUESTED events can arrive before that answer does. */
  private readonly requestId = deferred<string>();

  constructor(private readonly options: Options) {
    // Swallowed here, reported by run(): nobody may be awaiting it at the moment it rejects.
    this.failure.promise.catch(() => {});
    this.timeline.fit(['Demo', 'Designer', 'Consumer', ...Object.values(WORKSHOPS).map((w) => w.displayName)]);
  }

  /** Ends the demo with a reason, from anywhere (feed handlers, the timeout, a signal). */
  fail(reason: string): void {
    // The abandoned story may still be finishing a step while everything stops: keep it off the timeline.
    this.over = true;
    this.failure.reject(new DemoFailure(reason));
  }

  stageNow(): string {
    return this.stage;
  }

  announce(what: string): void {
    this.log('Demo', what);
  }

  /** Rejects with the first failure; never resolves. */
  whenFailed(): Promise<never> {
    return this.failure.promise;
  }

  /** Runs the whole story; resolves with a summary or rejects with the first failure. */
  async run(target: Target): Promise<void> {
    const story = this.story(target);
    story.catch(() => {});
    await Promise.race([story, this.failure.promise]);
  }

  async closeFeeds(): Promise<void> {
    await Promise.allSettled(this.feeds.splice(0).map((feed) => feed.close()));
  }

  private log(who: string, what: string): void {
    if (!this.over) this.timeline.log(who, what);
  }

  /**
   * Feed callbacks are synchronous: queue each party's reactions so they run one after another, in the order
   * the events came; a failure ends the demo. The returned promise settles when this piece of work is done.
   */
  private reactor(): (work: () => Promise<void>) => Promise<void> {
    let queue = Promise.resolve();
    return (work) => (queue = queue.then(work).catch((error) => this.fail(errorText(error))));
  }

  private async story(target: Target): Promise<void> {
    this.api = new Api(target.url);
    this.log('Demo', target.description);

    this.stage = 'the designer importing the catalog';
    const categories = await this.designerImports();

    this.stage = 'setting up the manufacturers';
    const consumerWatching = deferred<void>();
    const makers = await this.setUpManufacturers(categories, consumerWatching.promise);

    this.stage = 'the consumer requesting quotes';
    const consumer = await this.signUp('CONSUMER', 'Casey Morgan', 'consumer');
    this.log('Consumer', `signed up as ${consumer.displayName} <${consumer.email}>`);
    const { neededBy, requestedAt } = await this.requestQuotes(consumer, makers);

    this.stage = "the manufacturers' answers";
    const decided = deferred<AcceptedMatch>();
    await this.consumerWatches(consumer, neededBy, decided);
    consumerWatching.resolve();
    const match = await decided.promise;

    this.stage = 'every manufacturer to hear the outcome';
    await this.checkOutcomes(makers, match, consumer);
    await this.consumerReadsMatch(consumer, match);

    this.summarize(match, requestedAt);
  }

  // -------------------------------------------------------------- accounts

  private async signUp(role: 'DESIGNER' | 'CONSUMER' | 'MANUFACTURER', displayName: string, handle: string): Promise<Account> {
    // Unique per run, so the demo can run again and again against the same server.
    const email = `demo-${this.runId}-${handle}@example.com`;
    const data = await this.api.run<SignUpData>(`signUp ${displayName}`, SIGN_UP, { input: { email, password: this.password, displayName, role } });
    const { token, user } = succeeded(`signUp ${displayName}`, data.signUp);
    if (!token || !user) throw new DemoFailure(`signUp ${displayName}: no token or user in the answer`);
    return { id: user.id, token, email, displayName };
  }

  // -------------------------------------------------------------- designer

  /** Returns the categories of the imported designs (the manufacturers will cover them). */
  private async designerImports(): Promise<string[]> {
    const content = await readFile(this.options.csvPath, 'utf8').catch((error) => {
      throw new DemoFailure(`cannot read ${this.options.csvPath}: ${errorText(error)}`);
    });
    const designer = await this.signUp('DESIGNER', 'Atelier Demo', 'designer');
    this.log('Designer', `signed up as ${designer.displayName} <${designer.email}>`);
    const data = await this.api.run<ImportDesignsData>(
      'importDesigns',
      IMPORT_DESIGNS,
      { input: { format: 'SHOPIFY_CSV', content, currencyCode: CURRENCY } },
      designer.token,
    );
    const result = data.importDesigns;
    const categories = [...new Set(result.designs.map((d) => d.category))].sort();
    this.log(
      'Designer',
      `-> importDesigns ${path.basename(this.options.csvPath)}: ${result.importedCount} designs (${result.createdCount} new, ${result.updatedCount} updated), ` +
        `${result.errors.length} bad rows; categories ${categories.join(', ') || 'none'}`,
    );
    // A bad row does not stop the others (that is the contract), so it is shown, not fatal.
    for (const error of result.errors.slice(0, 3)) this.log('Designer', `   line ${error.line ?? '?'}: ${error.message}`);
    if (result.importedCount === 0) throw new DemoFailure(`the import created no designs (${describeErrors(result.errors) || 'empty file'})`);
    this.designerId = designer.id;
    return categories;
  }

  // -------------------------------------------------------------- manufacturers

  private async setUpManufacturers(categories: string[], consumerWatching: Promise<void>): Promise<Maker[]> {
    const makers: Maker[] = [];
    for (const [handle, workshop] of Object.entries(WORKSHOPS) as Array<[string, Workshop]>) {
      const account = await this.signUp('MANUFACTURER', workshop.displayName, handle);
      // Every workshop makes every category in the catalog, so whatever the consumer picks is covered.
      const data = await this.api.run<UpdateProfileData>(
        'updateManufacturerProfile',
        UPDATE_PROFILE,
        { input: { categories, materials: workshop.materials, region: workshop.region, bio: workshop.bio } },
        account.token,
      );
      succeeded(`updateManufacturerProfile for ${workshop.displayName}`, data.updateManufacturerProfile);
      this.log(workshop.displayName, `signed up <${account.email}>; profile: ${categories.join(', ')} in ${workshop.region}`);
      makers.push({ workshop, account, mayAnswer: Promise.resolve(), answered: deferred<void>(), outcomes: [], heardOutcome: deferred() });
    }
    this.scheduleTurns(makers, consumerWatching);
    for (const maker of makers) await this.watchRequests(maker);
    return makers;
  }

  /**
   * The manufacturers answer one at a time, the decliner first and the plain quote last, once the consumer is
   * watching. Real workshops answer whenever they like; a fixed order makes every run tell the same story:
   * the consumer sees every estimate arrive live, and Silverleaf's revision lands before the last answer,
   * so the consumer (who decides as soon as nobody is pending) weighs the revised price.
   */
  private scheduleTurns(makers: Maker[], consumerWatching: Promise<void>): void {
    const order = [WORKSHOPS.ironbark, WORKSHOPS.silverleaf, WORKSHOPS.aurora].map((w) => makers.find((m) => m.workshop === w)!);
    let previous = consumerWatching;
    for (const maker of order) {
      maker.mayAnswer = previous;
      previous = maker.answered.promise;
    }
  }

  private async watchRequests(maker: Maker): Promise<void> {
    const react = this.reactor();
    const name = maker.workshop.displayName;
    const feed = openFeed<{ quoteRequestFeed: QuoteRequestFeedEvent }>({
      label: `${name}'s quoteRequestFeed`,
      httpUrl: this.api.url,
      token: maker.account.token,
      query: QUOTE_REQUEST_FEED,
      onFailure: (reason) => this.fail(reason),
      onEvent: ({ quoteRequestFeed: event }) => void react(() => this.onManufacturerEvent(maker, event)),
    });
    this.feeds.push(feed);
    await feed.ready;
    this.log(name, 'watching quoteRequestFeed');
  }

  private async onManufacturerEvent(maker: Maker, event: QuoteRequestFeedEvent): Promise<void> {
    const name = maker.workshop.displayName;
    const request = event.quoteRequest;
    if (request.id !== (await this.requestId.promise)) {
      // Fresh accounts only hear of our request, but a shared server is a shared world.
      this.log(name, `<- ${event.type} for another request (${request.id}), ignored`);
      return;
    }
    if (event.type === 'REQUESTED') {
      const items = request.items.length;
      this.log(name, `<- REQUESTED  ${quote(request.note)} (${items} item${items === 1 ? '' : 's'}) from ${request.consumer.displayName}`);
      if (request.consumer.email !== null) throw new DemoFailure(`${name} can see the consumer's e-mail before any match`);
      await maker.mayAnswer;
      try {
        await this.answer(maker, event);
      } finally {
        maker.answered.resolve();
      }
      return;
    }
    maker.outcomes.push(event);
    this.logOutcome(maker, event);
    if (maker.outcomes.length === 1) maker.heardOutcome.resolve(event);
  }

  private logOutcome(maker: Maker, event: QuoteRequestFeedEvent): void {
    const request = event.quoteRequest;
    const own = request.estimates.map((e) => `v${e.version} ${e.status}`).join(', ') || 'none';
    const email = request.consumer.email ? `consumer's e-mail now visible: ${request.consumer.email}` : "consumer's e-mail stays hidden";
    this.log(maker.workshop.displayName, `<- ${event.type}  request ${request.status}, own estimate ${own}; ${email}`);
  }

  private async answer(maker: Maker, event: QuoteRequestFeedEvent): Promise<void> {
    const name = maker.workshop.displayName;
    const { answer } = maker.workshop;
    if ('decline' in answer) {
      const data = await this.api.run<DeclineData>('declineQuoteRequest', DECLINE, { id: event.quoteRequest.id, reason: answer.decline }, maker.account.token);
      succeeded(`declineQuoteRequest by ${name}`, data.declineQuoteRequest);
      this.log(name, `-> declineQuoteRequest  ${quote(answer.decline)}`);
      return;
    }
    let previous: SubmittedEstimate | null = null;
    for (const pricing of answer.quotes) {
      const estimate = await this.submitEstimate(maker, event.quoteRequest, pricing);
      const revision = previous ? ` (revision: v${estimate.version}, was ${showMoney(previous.price)})` : ` (v${estimate.version})`;
      this.log(name, `-> submitEstimate  ${showMoney(estimate.price)} in ${estimate.lineItems.length} line items, ${estimate.leadTimeDays} days${revision}`);
      previous = estimate;
    }
  }

  /** Prices the request line by line in exact minor units; the total is the sum of the lines. */
  private async submitEstimate(maker: Maker, request: QuoteRequestFeedEvent['quoteRequest'], pricing: Pricing): Promise<SubmittedEstimate> {
    const currency = request.budget?.currencyCode ?? CURRENCY;
    const lines = request.items.map((item) => {
      const reference = item.design.current?.referencePrice;
      const base = reference && reference.currencyCode === currency ? reference.amount : FALLBACK_UNIT_PRICE;
      const unit = percentOf(toMinor(base, currency), pricing.markupPercent);
      const options = item.options.map((o) => o.value).join(', ');
      const label = `${item.quantity} × ${item.design.title}${options ? ` (${options})` : ''}`.slice(0, 200);
      return { label, minor: unit * BigInt(item.quantity) };
    });
    lines.push({ label: 'Setting, polishing and finishing', minor: toMinor(pricing.labour, currency) });
    lines.push({ label: 'Insured shipping', minor: toMinor(pricing.shipping, currency) });
    const total = lines.reduce((sum, line) => sum + line.minor, 0n);

    const data = await this.api.run<SubmitEstimateData>(
      'submitEstimate',
      SUBMIT_ESTIMATE,
      {
        input: {
          requestId: request.id,
          price: money(total, currency),
          lineItems: lines.map((line) => ({ label: line.label, amount: money(line.minor, currency) })),
          leadTimeDays: pricing.leadTimeDays,
          validUntil: inDays(14).toISOString(),
          note: pricing.note,
        },
      },
      maker.account.token,
    );
    const estimate = succeeded(`submitEstimate by ${maker.workshop.displayName}`, data.submitEstimate).estimate;
    if (!estimate) throw new DemoFailure(`submitEstimate by ${maker.workshop.displayName}: no estimate in the answer`);
    // What the server stored must be what was sent: the same total, and lines that still add up to it.
    const storedSum = estimate.lineItems.reduce((sum, line) => sum + toMinor(line.amount.amount, currency), 0n);
    if (toMinor(estimate.price.amount, currency) !== total || storedSum !== total) {
      throw new DemoFailure(`${maker.workshop.displayName}'s estimate came back as ${estimate.price.amount} with lines adding up to ${toDecimal(storedSum, currency)}, sent ${toDecimal(total, currency)}`);
    }
    return estimate;
  }

  // -------------------------------------------------------------- consumer

  private async requestQuotes(consumer: Account, makers: Maker[]): Promise<{ neededBy: Date; requestedAt: number }> {
    const picks = await this.browseAndPick(consumer);
    const quantities = [1, 2];
    const items = picks.map((design, i) => ({
      designId: design.id,
      quantity: quantities[i] ?? 1,
      // Where a design has options (ring size, metal...), choose one value of each.
      options: design.options.map((o) => ({ name: o.name, value: o.values[0] })),
    }));
    const neededBy = inDays(35);
    const budget = this.budgetFor(picks, items.map((i) => i.quantity));
    const note = picks.length > 1 ? 'Matching pieces for our wedding day' : 'A piece for our wedding day';

    const requestedAt = Date.now();
    const data = await this.api.run<RequestQuotesData>(
      'requestQuotes',
      REQUEST_QUOTES,
      {
        input: {
          items,
          // Named explicitly: on a shared server other manufacturers (the seeded ones, say) cover these categories too.
          manufacturerIds: makers.map((m) => m.account.id),
          note,
          budget: money(budget),
          neededBy: neededBy.toISOString(),
        },
      },
      consumer.token,
    );
    const request = succeeded('requestQuotes', data.requestQuotes).quoteRequest;
    if (!request) throw new DemoFailure('requestQuotes: no request in the answer');
    this.requestId.resolve(request.id);
    const summary = picks.map((d, i) => `${items[i].quantity} × ${d.title} [${d.category}]${items[i].options.length ? ` (${items[i].options.map((o) => `${o.name} ${o.value}`).join(', ')})` : ''}`);
    this.log('Consumer', `-> requestQuotes ${quote(note)}: ${summary.join(' + ')}`);
    this.log('Consumer', `   budget ${formatMoney(budget, CURRENCY)}, wanted by ${neededBy.toISOString().slice(0, 10)}, sent to ${request.recipients.map((r) => r.manufacturer.displayName).join(', ')}`);
    if (request.recipients.length !== makers.length) {
      throw new DemoFailure(`the request went to ${request.recipients.length} manufacturers, expected ${makers.length}`);
    }
    return { neededBy, requestedAt };
  }

  private async browseAndPick(consumer: Account): Promise<CatalogDesign[]> {
    const data = await this.api.run<BrowseData>('designs', BROWSE_DESIGNS, { filter: { designerId: this.designerId } }, consumer.token);
    const designs = data.designs.edges.map((e) => e.node);
    const picks = pickDesigns(designs);
    this.log('Consumer', `browses the designer's ${data.designs.totalCount} designs, picks ${picks.map((d) => `"${d.title}"`).join(' and ')}`);
    if (picks.length === 0) throw new DemoFailure('the catalog has no designs to pick');
    return picks;
  }

  /** Half as much again as the reference prices, plus 100 for finishing and shipping, in whole currency units. */
  private budgetFor(picks: CatalogDesign[], quantities: number[]): bigint {
    const unit = toMinor('1', CURRENCY);
    const reference = picks.reduce((sum, d, i) => {
      const price = d.referencePrice && d.referencePrice.currencyCode === CURRENCY ? d.referencePrice.amount : FALLBACK_UNIT_PRICE;
      return sum + toMinor(price, CURRENCY) * BigInt(quantities[i]);
    }, 0n);
    const budget = percentOf(reference, 150n) + 100n * unit;
    return ((budget + unit - 1n) / unit) * unit;
  }

  /** Subscribes to the request's estimates; decides once every recipient has answered. */
  private async consumerWatches(consumer: Account, neededBy: Date, decided: Deferred<AcceptedMatch>): Promise<void> {
    const react = this.reactor();
    const requestId = await this.requestId.promise;
    const state: ConsumerView = { firstLook: true, deciding: false, estimatesHeard: new Set(), quotersHeard: new Set(), declinesSeen: new Set(), lastPrice: new Map() };
    const review = () => this.consumerReviews(consumer, requestId, neededBy, state, decided);
    const feed = openFeed<{ estimateFeed: EstimateFeedEvent }>({
      label: "the consumer's estimateFeed",
      httpUrl: this.api.url,
      token: consumer.token,
      query: ESTIMATE_FEED,
      variables: { requestId },
      onFailure: (reason) => this.fail(reason),
      onEvent: ({ estimateFeed: event }) =>
        void react(async () => {
          state.estimatesHeard.add(event.estimate.id);
          state.quotersHeard.add(event.estimate.manufacturer.id);
          this.logEstimateEvent(event, state.lastPrice);
          await review();
        }),
    });
    this.feeds.push(feed);
    await feed.ready;
    this.log('Consumer', 'watching estimateFeed for the request');
    // Anything that happened before the subscription was in place shows up in this first look.
    await react(review);
  }

  private logEstimateEvent(event: EstimateFeedEvent, lastPrice: Map<string, Money>): void {
    const { estimate } = event;
    const maker = estimate.manufacturer;
    if (maker.email !== null) throw new DemoFailure(`the consumer can see ${maker.displayName}'s e-mail before any match`);
    const was = lastPrice.get(maker.id);
    lastPrice.set(maker.id, estimate.price);
    this.log(
      'Consumer',
      `<- estimate ${event.type} by ${maker.displayName}: ${showMoney(estimate.price)}, ${estimate.leadTimeDays} days (v${estimate.version}${was ? `, was ${showMoney(was)}` : ''})`,
    );
  }

  /**
   * Reads the request and, once every recipient has answered, accepts the cheapest active estimate whose
   * lead time meets the wanted-by date. A decline has no event on estimateFeed, so declines are read from
   * the recipients; estimates count once their event has arrived, because the read can be ahead of the feed
   * (and its recipients and estimates are not one snapshot: a recipient can show QUOTED before its estimate).
   */
  private async consumerReviews(
    consumer: Account,
    requestId: string,
    neededBy: Date,
    state: ConsumerView,
    decided: Deferred<AcceptedMatch>,
  ): Promise<void> {
    if (state.deciding) return;
    const data = await this.api.run<RequestStateData>('quoteRequest', REQUEST_STATE, { id: requestId }, consumer.token);
    const request = data.quoteRequest;
    if (!request) throw new DemoFailure('the consumer cannot read its own request');
    if (state.firstLook) {
      // Estimates already there when the feed started will never come over it.
      state.firstLook = false;
      for (const e of request.estimates) {
        state.estimatesHeard.add(e.id);
        state.quotersHeard.add(e.manufacturer.id);
      }
    }
    for (const r of request.recipients) {
      if (r.status === 'DECLINED' && !state.declinesSeen.has(r.id)) {
        state.declinesSeen.add(r.id);
        this.log('Consumer', `sees ${r.manufacturer.displayName} declined: ${quote(r.declineReason)}`);
      }
    }
    const active = request.estimates.filter((e) => e.status === 'ACTIVE');
    const answered = (r: (typeof request.recipients)[number]) =>
      r.status === 'DECLINED' || (r.status === 'QUOTED' && state.quotersHeard.has(r.manufacturer.id));
    const waitingFor = request.recipients.filter((r) => !answered(r)).map((r) => r.manufacturer.displayName);
    const unheard = active.filter((e) => !state.estimatesHeard.has(e.id));
    if (waitingFor.length > 0 || unheard.length > 0) {
      // Estimates whose event is still on its way show only in the stage; the feed will bring them.
      if (waitingFor.length > 0) this.log('Consumer', `waiting for ${waitingFor.join(', ')}`);
      this.stage = `the consumer to hear from ${[...new Set([...waitingFor, ...unheard.map((e) => e.manufacturer.displayName)])].join(', ')}`;
      return;
    }
    state.deciding = true;
    const choice = chooseEstimate(active, neededBy);
    const ranked = active.map((e) => `${e.manufacturer.displayName} ${showMoney(e.price)}/${e.leadTimeDays} d`).join(', ');
    if (!choice) throw new DemoFailure(`no estimate can be ready by ${neededBy.toISOString().slice(0, 10)} (${ranked || 'no active estimates'})`);
    this.log('Consumer', `heard from everyone; active estimates: ${ranked}`);
    this.log('Consumer', `-> acceptEstimate  ${choice.manufacturer.displayName} ${showMoney(choice.price)}, ${choice.leadTimeDays} days (cheapest ready by ${neededBy.toISOString().slice(0, 10)})`);
    this.stage = 'the match';
    const accepted = await this.api.run<AcceptData>('acceptEstimate', ACCEPT, { estimateId: choice.id }, consumer.token);
    const match = succeeded('acceptEstimate', accepted.acceptEstimate).match;
    if (!match) throw new DemoFailure('acceptEstimate: no match in the answer');
    this.log('Consumer', `<- MATCHED  match ${match.id} with ${match.manufacturer.displayName}; request ${match.quoteRequest.status}, estimate ${match.estimate.status}`);
    decided.resolve({ ...match, acceptedAt: Date.now(), estimate: choice, losers: active.filter((e) => e.id !== choice.id) });
  }

  // -------------------------------------------------------------- after the match

  /** The winner must hear ESTIMATE_ACCEPTED, every other quoting manufacturer ESTIMATE_REJECTED, live. */
  private async checkOutcomes(makers: Maker[], match: AcceptedMatch, consumer: Account): Promise<void> {
    const quoting = makers.filter((m) => 'quotes' in m.workshop.answer);
    await Promise.all(quoting.map((m) => m.heardOutcome.promise));
    for (const maker of quoting) {
      const name = maker.workshop.displayName;
      const [event] = maker.outcomes;
      const won = maker.account.id === match.manufacturer.id;
      const expected = won ? 'ESTIMATE_ACCEPTED' : 'ESTIMATE_REJECTED';
      if (event.type !== expected) throw new DemoFailure(`${name} heard ${event.type}, expected ${expected}`);
      if (won && event.estimate?.id !== match.estimate.id) throw new DemoFailure(`${name} heard ESTIMATE_ACCEPTED for another estimate (${event.estimate?.id})`);
      // Contact details only between matched parties.
      const email = event.quoteRequest.consumer.email;
      if (won && email !== consumer.email) throw new DemoFailure(`${name} won but cannot see the consumer's e-mail (got ${email})`);
      if (!won && email !== null) throw new DemoFailure(`${name} lost but can see the consumer's e-mail`);
    }
    // Every recipient hears that the request is closed, the decliner too. A moment more also catches duplicates.
    await sleep(AFTERMATH_MS);
    for (const maker of makers) {
      const name = maker.workshop.displayName;
      if (maker.outcomes.length !== 1) {
        throw new DemoFailure(`${name} heard ${maker.outcomes.length} outcome events: ${maker.outcomes.map((e) => e.type).join(', ') || 'none'}`);
      }
      if ('decline' in maker.workshop.answer) {
        if (maker.outcomes[0].type !== 'ESTIMATE_REJECTED') throw new DemoFailure(`${name} declined but heard ${maker.outcomes[0].type}`);
      }
    }
  }

  private async consumerReadsMatch(consumer: Account, match: AcceptedMatch): Promise<void> {
    const data = await this.api.run<ReadMatchData>('quoteRequest (match)', READ_MATCH, { id: match.quoteRequest.id }, consumer.token);
    const read = data.quoteRequest?.match;
    if (!read || read.id !== match.id) throw new DemoFailure(`the consumer's request shows no match ${match.id} (got ${read?.id ?? 'none'})`);
    if (!read.manufacturer.email) throw new DemoFailure(`the consumer cannot see ${read.manufacturer.displayName}'s e-mail after the match`);
    this.log('Consumer', `-> quoteRequest: ${data.quoteRequest!.status}, match ${read.id}; ${read.manufacturer.displayName}'s e-mail now visible: ${read.manufacturer.email}`);
  }

  private summarize(match: AcceptedMatch, requestedAt: number): void {
    const lines = [
      '',
      `  Matched: ${match.id}`,
      `    winner:  ${match.manufacturer.displayName} at ${showMoney(match.estimate.price)}, ${match.estimate.leadTimeDays} days (estimate v${match.estimate.version})`,
      ...match.losers.map((e) => `    other:   ${e.manufacturer.displayName} at ${showMoney(e.price)}, ${e.leadTimeDays} days (rejected)`),
      `    request to match: ${match.acceptedAt - requestedAt} ms; every party heard its outcome live`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** What the consumer knows of its request, between feed events. */
interface ConsumerView {
  firstLook: boolean;
  /** Set once it accepts: later events must not start a second decision. */
  deciding: boolean;
  /** Estimate ids it has been told about on its feed (or found on its first look). */
  estimatesHeard: Set<string>;
  /** Manufacturers it has had an estimate event from. */
  quotersHeard: Set<string>;
  /** Recipients whose decline it has already noted. */
  declinesSeen: Set<string>;
  /** Last price per manufacturer, to show what a revision changed. */
  lastPrice: Map<string, Money>;
}

interface AcceptedMatch {
  id: string;
  quoteRequest: { id: string; status: string };
  manufacturer: { id: string; displayName: string };
  estimate: ActiveEstimate;
  losers: ActiveEstimate[];
  acceptedAt: number;
}

/**
 * Two designs, of two categories if the catalog has them, preferring designs with options to choose.
 * Alphabetical otherwise: designs imported together share a creation time and the catalog breaks such ties
 * by (random) id, so its order differs from run to run.
 */
function pickDesigns(designs: CatalogDesign[]): CatalogDesign[] {
  const hasOptions = (d: CatalogDesign) => Number(d.options.length > 0);
  const withOptionsFirst = [...designs].sort((a, b) => hasOptions(b) - hasOptions(a) || a.title.localeCompare(b.title));
  const first = withOptionsFirst[0];
  if (!first) return [];
  const second = withOptionsFirst.find((d) => d.category !== first.category) ?? withOptionsFirst.find((d) => d !== first);
  return second ? [first, second] : [first];
}

/** The cheapest estimate that can be ready by the wanted-by date (lead time counted from now); ties: the faster. */
function chooseEstimate(estimates: ActiveEstimate[], neededBy: Date): ActiveEstimate | null {
  const inTime = estimates.filter((e) => Date.now() + e.leadTimeDays * DAY_MS <= neededBy.getTime());
  const price = (e: ActiveEstimate) => toMinor(e.price.amount, e.price.currencyCode);
  inTime.sort((a, b) => (price(a) === price(b) ? a.leadTimeDays - b.leadTimeDays : price(a) < price(b) ? -1 : 1));
  return inTime[0] ?? null;
}

// ---------------------------------------------------------------- the server

/** Starts the product in-process, as `npm start` does, but on a free port and with a data folder of its own. */
async function startInProcess(): Promise<Target> {
  // Loaded only here: --url needs none of the server's code.
  const { loadConfig } = await import('../config.js');
  const { createLogger } = await import('../logger.js');
  const { startApp } = await import('../app.js');
  const config = loadConfig({
    ...process.env,
    // Port 0: never clashes with a running server. Its own embedded database: never fights `npm start` over .data.
    PORT: '0',
    DATA_DIR: path.join(projectRoot(), '.data', 'demo'),
    // The timeline is the output; the server speaks up only for warnings unless asked otherwise.
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  const app: App = await startApp(config, createLogger(config.logLevel));
  // The server listens on all interfaces and reports "localhost", which may resolve to ::1 first.
  const url = app.server.url.replace('//localhost:', '//127.0.0.1:');
  const database = app.database.embedded ? `embedded PostgreSQL in ${path.relative(process.cwd(), config.dataDir) || '.'}` : 'DATABASE_URL';
  return {
    url,
    description: `started the server in-process at ${url} (${database}; events ${app.bus.mode === 'redis' ? 'via Redis' : 'in-process'})`,
    stop: () => app.stop(),
  };
}

function remoteTarget(url: string): Target {
  return { url, description: `using the server at ${url}`, stop: async () => {} };
}

// ---------------------------------------------------------------- main

function parseOptions(): { help: boolean; url?: string; options: Options } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      options: { url: { type: 'string' }, csv: { type: 'string' }, timeout: { type: 'string', default: '60' }, help: { type: 'boolean', default: false } },
      allowPositionals: false,
    }));
  } catch (error) {
    return { error: errorText(error) };
  }
  const seconds = Number(values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) return { error: `--timeout must be a number of seconds (got ${values.timeout})` };
  if (values.url !== undefined && !/^https?:\/\/[^/]+/.test(values.url)) return { error: `--url must be an http(s) URL such as http://localhost:4000/graphql (got ${values.url})` };
  return {
    help: values.help,
    url: values.url,
    options: { csvPath: path.resolve(values.csv ?? SAMPLE_CATALOG()), timeoutMs: seconds * 1000 },
  };
}

async function main(): Promise<number> {
  const parsed = parseOptions();
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const demo = new Demo(parsed.options);
  const timer = setTimeout(
    () => demo.fail(`timed out after ${parsed.options.timeoutMs / 1000} s waiting for ${demo.stageNow()}`),
    parsed.options.timeoutMs,
  );
  const interrupt = () => demo.fail('interrupted');
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  if (!parsed.url) demo.announce('starting the server in-process (a few seconds; the first run also creates its database)');
  const starting = parsed.url ? Promise.resolve(remoteTarget(parsed.url)) : startInProcess();
  starting.catch(() => {}); // reported through the race below
  let code = 0;
  try {
    // A failure (the timeout, Ctrl-C) cuts a slow server start short too.
    const target = await Promise.race([starting, demo.whenFailed()]);
    await demo.run(target);
  } catch (error) {
    code = 1;
    const reason = error instanceof DemoFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`\n  Demo failed: ${reason}\n`);
  } finally {
    clearTimeout(timer);
    await shutDown(demo, starting);
  }
  return code;
}

/** Closes every socket, then stops the in-process server (once it is up); bounded, so a stuck stop cannot hang the demo. */
async function shutDown(demo: Demo, starting: Promise<Target>): Promise<void> {
  const stop = (async () => {
    await demo.closeFeeds();
    const target = await starting.catch(() => null);
    await target?.stop();
  })();
  const limit = sleep(15_000).then(() => process.stderr.write('  (stopping took longer than 15 s; exiting anyway)\n'));
  await Promise.race([stop.catch((error) => process.stderr.write(`  error while stopping: ${errorText(error)}\n`)), limit]);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
