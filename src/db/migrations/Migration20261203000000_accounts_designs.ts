import { Migration } from '@mikro-orm/migrations';

/** Accounts and designs, with full-text search over title, tags and description. */
export class Migration20261203000000_accounts_designs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "users" (
        "id" uuid not null primary key,
        "email" text not null,
        "email_lower" text not null,
        "password_hash" text not null,
        "display_name" text not null,
        "role" text not null check ("role" in ('DESIGNER', 'CONSUMER', 'MANUFACTURER')),
        "profile_categories" text[] null,
        "profile_materials" text[] null,
        "profile_region" text null,
        "profile_bio" text null,
        "created_at" timestamptz(3) not null default now(),
        constraint "users_email_lower_unique" unique ("email_lower"),
        constraint "users_email_lower_is_lower" check ("email_lower" = lower("email"))
      );`);
    this.addSql(`create index "users_manufacturer_categories_idx" on "users" using gin ("profile_categories") where "role" = 'MANUFACTURER';`);

    this.addSql(`
      create table "designs" (
        "id" uuid not null primary key,
        "designer_id" uuid not null references "users" ("id") on update cascade on delete restrict,
        "title" text not null,
        "description" text not null default '',
        "category" text not null check ("category" in ('RING', 'NECKLACE', 'EARRINGS', 'BRACELET', 'PENDANT', 'BROOCH', 'OTHER')),
        "materials" text[] not null default '{}',
        "gemstones" text[] not null default '{}',
        "tags" text[] not null default '{}',
        "options" jsonb not null default '[]',
        "images" jsonb not null default '[]',
        "price_min" numeric(18,4) null,
        "price_max" numeric(18,4) null,
        "currency_code" char(3) null,
        "status" text not null default 'ACTIVE' check ("status" in ('ACTIVE', 'ARCHIVED')),
        "source_handle" text null,
        "created_at" timestamptz(3) not null default now(),
        "updated_at" timestamptz(3) not null default now(),
        "search_vector" tsvector not null default ''::tsvector,
        constraint "designs_price_range" check ("price_min" is null or ("price_max" >= "price_min" and "currency_code" is not null))
      );`);
    this.addSql(`create index "designs_created_at_id_idx" on "designs" ("created_at" desc, "id" desc);`);
    this.addSql(`create index "designs_designer_id_idx" on "designs" ("designer_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "designs_category_idx" on "designs" ("category", "created_at" desc, "id" desc);`);
    this.addSql(`create index "designs_search_idx" on "designs" using gin ("search_vector");`);
    this.addSql(`create unique index "designs_designer_source_handle_unique" on "designs" ("designer_id", "source_handle") where "source_handle" is not null;`);

    // array_to_string is not immutable, so a generated column cannot use it: a trigger keeps the vector.
    this.addSql(`
      create function designs_search_vector_update() returns trigger language plpgsql as $$
      begin
        new.search_vector :=
          setweight(to_tsvector('english', coalesce(new.title, '')), 'A') ||
          setweight(to_tsvector('english', array_to_string(new.tags || new.materials || new.gemstones, ' ')), 'B') ||
          setweight(to_tsvector('english', coalesce(new.description, '')), 'C');
        return new;
      end $$;`);
    this.addSql(`
      create trigger "designs_search_vector_trigger" before insert or update of "title", "description", "tags", "materials", "gemstones"
      on "designs" for each row execute function designs_search_vector_update();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "designs" cascade;');
    this.addSql('drop function if exists designs_search_vector_update();');
    this.addSql('drop table if exists "users" cascade;');
  }
}
