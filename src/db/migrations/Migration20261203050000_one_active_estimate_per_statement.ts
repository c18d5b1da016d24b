import { Migration } from '@mikro-orm/migrations';

/**
 * "One ACTIVE estimate per manufacturer and request", checked at the end of each statement instead of per
 * row: a revision supersedes the old version and inserts the new one in a single statement. A unique index
 * checks each row as it is written (it would see the old version still ACTIVE); a deferrable exclusion
 * constraint in immediate mode checks when the statement ends. Still enforced for every writer.
 */
export class Migration20261203050000_one_active_estimate_per_statement extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop index "estimates_one_active_per_manufacturer";');
    this.addSql(
      `alter table "estimates" add constraint "estimates_one_active_per_manufacturer"
         exclude using btree ("request_id" with =, "manufacturer_id" with =) where ("status" = 'ACTIVE') deferrable initially immediate;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table "estimates" drop constraint "estimates_one_active_per_manufacturer";');
    this.addSql(
      `create unique index "estimates_one_active_per_manufacturer" on "estimates" ("request_id", "manufacturer_id") where "status" = 'ACTIVE';`,
    );
  }
}
