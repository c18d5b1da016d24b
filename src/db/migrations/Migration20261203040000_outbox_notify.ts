import { Migration } from '@mikro-orm/migrations';

/**
 * Every transaction that writes events wakes the relay with one NOTIFY (sent at commit, one per transaction),
 * so the relay no longer polls per change and the process that holds the relay lock also hears about events
 * committed by the others.
 */
export class Migration20261203040000_outbox_notify extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function "event_outbox_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_outbox', '');
        return null;
      end $$;`);
    this.addSql(
      'create trigger "event_outbox_notify" after insert on "event_outbox" for each statement execute function "event_outbox_notify"();',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "event_outbox_notify" on "event_outbox";');
    this.addSql('drop function if exists "event_outbox_notify"();');
  }
}
