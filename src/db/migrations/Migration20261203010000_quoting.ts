import { Migration } from '@mikro-orm/migrations';

/**
 * Quote requests, recipients, estimates, matches and the event outbox.
 * Invariants the database itself enforces: one match per request and per estimate, one ACTIVE estimate
 * per manufacturer and request, a match's estimate belongs to its request, money never negative.
 */
export class Migration20261203010000_quoting extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "quote_requests" (
        "id" uuid not null primary key,
        "consumer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "status" text not null default 'OPEN' check ("status" in ('OPEN', 'MATCHED', 'CANCELLED', 'EXPIRED')),
        "note" text null,
        "budget_amount" numeric(18,4) null check ("budget_amount" > 0),
        "budget_currency" char(3) null,
        "needed_by" timestamptz(3) null,
        "expires_at" timestamptz(3) not null,
        "closed_at" timestamptz(3) null,
        "created_at" timestamptz(3) not null default now(),
        "updated_at" timestamptz(3) not null default now(),
        constraint "quote_requests_budget_currency" check (("budget_amount" is null) = ("budget_currency" is null)),
        constraint "quote_requests_closed" check (("status" = 'OPEN') = ("closed_at" is null))
      );`);
    this.addSql(`create index "quote_requests_consumer_idx" on "quote_requests" ("consumer_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "quote_requests_open_expiry_idx" on "quote_requests" ("expires_at") where "status" = 'OPEN';`);

    this.addSql(`
      create table "quote_request_items" (
        "id" uuid not null primary key,
        "request_id" uuid not null references "quote_requests" ("id") on update cascade on delete cascade,
        "position" int not null,
        "design_id" uuid not null references "designs" ("id") on update cascade on delete restrict,
        "quantity" int not null check ("quantity" between 1 and 10000),
        "options" jsonb not null default '[]',
        "note" text null,
        "design_title" text not null,
        "design_category" text not null check ("design_category" in ('RING', 'NECKLACE', 'EARRINGS', 'BRACELET', 'PENDANT', 'BROOCH', 'OTHER')),
        "design_materials" text[] not null default '{}',
        "design_gemstones" text[] not null default '{}',
        "design_image_url" text null,
        constraint "quote_request_items_position_unique" unique ("request_id", "position")
      );`);

    this.addSql(`
      create table "quote_recipients" (
        "id" uuid not null primary key,
        "request_id" uuid not null references "quote_requests" ("id") on update cascade on delete cascade,
        "manufacturer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "status" text not null default 'PENDING' check ("status" in ('PENDING', 'QUOTED', 'DECLINED')),
        "decline_reason" text null,
        "responded_at" timestamptz(3) null,
        "created_at" timestamptz(3) not null default now(),
        constraint "quote_recipients_request_manufacturer_unique" unique ("request_id", "manufacturer_id")
      );`);
    this.addSql(`create index "quote_recipients_manufacturer_idx" on "quote_recipients" ("manufacturer_id");`);

    this.addSql(`
      create table "estimates" (
        "id" uuid not null primary key,
        "request_id" uuid not null references "quote_requests" ("id") on update cascade on delete cascade,
        "manufacturer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "version" int not null check ("version" >= 1),
        "status" text not null default 'ACTIVE' check ("status" in ('ACTIVE', 'SUPERSEDED', 'ACCEPTED', 'REJECTED', 'WITHDRAWN', 'EXPIRED')),
        "amount" numeric(18,4) not null check ("amount" > 0),
        "currency_code" char(3) not null,
        "line_items" jsonb not null default '[]',
        "lead_time_days" int not null check ("lead_time_days" between 1 and 365),
        "valid_until" timestamptz(3) not null,
        "note" text null,
        "created_at" timestamptz(3) not null default now(),
        "updated_at" timestamptz(3) not null default now(),
        constraint "estimates_request_manufacturer_version_unique" unique ("request_id", "manufacturer_id", "version"),
        constraint "estimates_recipient_fk" foreign key ("request_id", "manufacturer_id") references "quote_recipients" ("request_id", "manufacturer_id")
      );`);
    this.addSql(`create unique index "estimates_one_active_per_manufacturer" on "estimates" ("request_id", "manufacturer_id") where "status" = 'ACTIVE';`);
    this.addSql(`create unique index "estimates_one_accepted_per_request" on "estimates" ("request_id") where "status" = 'ACCEPTED';`);
    this.addSql(`create index "estimates_request_idx" on "estimates" ("request_id", "created_at");`);
    this.addSql(`create index "estimates_active_validity_idx" on "estimates" ("valid_until") where "status" = 'ACTIVE';`);

    this.addSql(`
      create table "matches" (
        "id" uuid not null primary key,
        "request_id" uuid not null references "quote_requests" ("id") on update cascade on delete cascade,
        "estimate_id" uuid not null references "estimates" ("id") on update cascade on delete restrict,
        "consumer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "manufacturer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "created_at" timestamptz(3) not null default now(),
        constraint "matches_request_unique" unique ("request_id"),
        constraint "matches_estimate_unique" unique ("estimate_id")
      );`);
    this.addSql(`create index "matches_consumer_idx" on "matches" ("consumer_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "matches_manufacturer_idx" on "matches" ("manufacturer_id", "created_at" desc, "id" desc);`);

    this.addSql(`
      create table "event_outbox" (
        "id" bigserial primary key,
        "seq" bigint null,
        "feed" text not null check ("feed" in ('QUOTE_REQUEST', 'ESTIMATE')),
        "type" text not null,
        "audience" uuid[] not null,
        "quote_request_id" uuid not null,
        "estimate_id" uuid null,
        "occurred_at" timestamptz(3) not null default now(),
        "published_at" timestamptz(3) null,
        constraint "event_outbox_seq_unique" unique ("seq")
      );`);
    this.addSql(`create index "event_outbox_unsequenced_idx" on "event_outbox" ("id") where "seq" is null;`);
    this.addSql(`create index "event_outbox_unpublished_idx" on "event_outbox" ("seq") where "published_at" is null;`);
    this.addSql(`create index "event_outbox_audience_idx" on "event_outbox" using gin ("audience");`);
  }

  override async down(): Promise<void> {
    for (const table of ['event_outbox', 'matches', 'estimates', 'quote_recipients', 'quote_request_items', 'quote_requests']) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
  }
}
