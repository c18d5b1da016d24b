import { Migration } from '@mikro-orm/migrations';

/**
 * The wake-up NOTIFY names the highest outbox id the statement inserted, so the relay can tell a commit it
 * has already numbered (seen by the pass that was running when the NOTIFY arrived) from one it has not, and
 * skips a pass that would find nothing.
 */
export class Migration20261203060000_outbox_notify_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function "event_outbox_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_outbox', (select coalesce(max("id"), 0)::text from inserted));
        return null;
      end $$;`);
    this.addSql('drop trigger "event_outbox_notify" on "event_outbox";');
    this.addSql(
      `create trigger "event_outbox_notify" after insert on "event_outbox" referencing new table as inserted
         for each statement execute function "event_outbox_notify"();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger "event_outbox_notify" on "event_outbox";');
    this.addSql(`create or replace function "event_outbox_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_outbox', '');
        return null;
      end $$;`);
    this.addSql(
      'create trigger "event_outbox_notify" after insert on "event_outbox" for each statement execute function "event_outbox_notify"();',
    );
  }
}
