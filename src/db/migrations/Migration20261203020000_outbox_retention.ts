import { Migration } from '@mikro-orm/migrations';

/** Remembers how far the outbox has been pruned, so a resume from an older cursor is refused clearly. */
export class Migration20261203020000_outbox_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "outbox_state" ("id" int primary key check ("id" = 1), "pruned_through" bigint not null default 0);`);
    this.addSql(`insert into "outbox_state" ("id", "pruned_through") values (1, 0);`);
    this.addSql(`create index "event_outbox_published_at_idx" on "event_outbox" ("published_at") where "published_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "event_outbox_published_at_idx";');
    this.addSql('drop table if exists "outbox_state";');
  }
}
