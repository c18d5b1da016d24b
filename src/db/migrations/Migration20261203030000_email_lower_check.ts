import { Migration } from '@mikro-orm/migrations';

/**
 * The application lower-cases e-mails (JavaScript's rules); PostgreSQL's lower() differs for a few letters
 * (a final "Σ", "İ"), so the check that compared them refused valid sign-ups. Uniqueness stays on email_lower.
 */
export class Migration20261203030000_email_lower_check extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "users" drop constraint "users_email_lower_is_lower";');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "users" add constraint "users_email_lower_is_lower" check ("email_lower" = lower("email"));');
  }
}
