import { Migration } from '@mikro-orm/migrations';

/**
 * No NOTIFY inside the transactions that write events. PostgreSQL serialises the commits of notifying
 * transactions on one database-wide lock held through the WAL flush, so with the trigger no two event-writing
 * commits could share a flush: under load, with WAL syncs of tens of milliseconds, submits queued behind each
 * other for hundreds (BENCHMARKS.md, "The estimate p99"). The process that commits wakes the relay after
 * the commit instead (OutboxRelay.committed). During a rolling deploy, an older process's commits reach a
 * newer relay by its poll (OUTBOX_POLL_MS).
 */
export class Migration20261204010000_outbox_wake_after_commit extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop trigger if exists "event_outbox_notify" on "event_outbox";');
    this.addSql('drop function if exists "event_outbox_notify"();');
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "event_outbox_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_outbox', (select coalesce(max("id"), 0)::text from inserted));
        return null;
      end $$;`);
    this.addSql(
      `create trigger "event_outbox_notify" after insert on "event_outbox" referencing new table as inserted
         for each statement execute function "event_outbox_notify"();`,
    );
  }
}
