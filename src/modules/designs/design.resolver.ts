// GraphQL surface of designs: public browsing, designer-only edits and imports. Rules live in the services.
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, Info, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import { selectedFields } from '../../graphql/selection.js';
import type { Context } from '../../server/context.js';
import { ConnectionType, PageArgs, pageWindow } from '../../graphql/connection.js';
import { UserError, asPayload } from '../../graphql/errors.js';
import { MoneyInput } from '../../graphql/money.js';
import { Role } from '../accounts/role.js';
import { User } from '../accounts/user.entity.js';
import { DesignCategory } from './category.js';
import { ImportFormat, type DesignImportService } from './design-import.service.js';
import { Design } from './design.entity.js';
import type { DesignDraft, DesignPatch, DesignService } from './design.service.js';

registerEnumType(ImportFormat, { name: 'ImportFormat' });

@InputType()
export class DesignOptionInput {
  @Field()
  name!: string;

  @Field(() => [String])
  values!: string[];
}

@InputType()
export class DesignImageInput {
  @Field()
  url!: string;

  @Field(() => String, { nullable: true })
  altText?: string | null;
}

@InputType()
export class CreateDesignInput {
  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => DesignCategory)
  category!: DesignCategory;

  @Field(() => [String], { nullable: true })
  materials?: string[] | null;

  @Field(() => [String], { nullable: true })
  gemstones?: string[] | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => [DesignOptionInput], { nullable: true })
  options?: DesignOptionInput[] | null;

  @Field(() => [DesignImageInput], { nullable: true, description: 'In display order.' })
  images?: DesignImageInput[] | null;

  @Field(() => MoneyInput, { nullable: true })
  referencePrice?: MoneyInput | null;
}

@InputType({ description: 'Only the fields given change; null clears an optional field.' })
export class UpdateDesignInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => DesignCategory, { nullable: true })
  category?: DesignCategory | null;

  @Field(() => [String], { nullable: true })
  materials?: string[] | null;

  @Field(() => [String], { nullable: true })
  gemstones?: string[] | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => [DesignOptionInput], { nullable: true })
  options?: DesignOptionInput[] | null;

  @Field(() => [DesignImageInput], { nullable: true })
  images?: DesignImageInput[] | null;

  @Field(() => MoneyInput, { nullable: true })
  referencePrice?: MoneyInput | null;
}

@InputType()
export class DesignFilter {
  @Field(() => String, { nullable: true, description: 'Full-text search over title, description and tags.' })
  search?: string | null;

  @Field(() => DesignCategory, { nullable: true })
  category?: DesignCategory | null;

  @Field(() => ID, { nullable: true })
  designerId?: string | null;

  @Field(() => String, { nullable: true, description: 'A material such as "Gold" (any case).' })
  material?: string | null;
}

@InputType()
export class ImportDesignsInput {
  @Field(() => ImportFormat)
  format!: ImportFormat;

  @Field({ description: 'The whole file, as text.' })
  content!: string;

  @Field(() => String, { nullable: true, description: 'Currency of the prices in the file (default USD).' })
  currencyCode?: string | null;
}

@ObjectType()
export class CreateDesignPayload {
  @Field(() => Design, { nullable: true })
  design?: Design | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType()
export class UpdateDesignPayload extends CreateDesignPayload {}

@ObjectType()
export class ArchiveDesignPayload extends CreateDesignPayload {}

@ObjectType()
export class ImportDesignsPayload {
  @Field(() => [Design], { description: 'The designs created or updated, in file order.' })
  designs!: Design[];

  @Field(() => Int)
  importedCount!: number;

  @Field(() => Int)
  createdCount!: number;

  @Field(() => Int, { description: 'Products whose handle was imported before: their design was updated, not duplicated.' })
  updatedCount!: number;

  @Field(() => [UserError], { description: 'One per bad row, with its line; the other rows were imported.' })
  errors!: UserError[];
}

export const DesignConnection = ConnectionType('Design', Design);

function priceOf(input: MoneyInput | null | undefined): DesignDraft['price'] {
  return input ? { min: input.amount, max: input.amount, currencyCode: input.currencyCode } : null;
}

@Resolver(() => Design)
export class DesignResolver {
  constructor(
    private readonly service: DesignService,
    private readonly imports: DesignImportService,
  ) {}

  @Query(() => Design, { nullable: true })
  design(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Design | null> {
    return this.service.findVisible(ctx, id);
  }

  @Query(() => DesignConnection, { description: 'The public catalog, newest first. Archived designs only show to their designer.' })
  designs(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => DesignFilter, { nullable: true }) filter: DesignFilter | null,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    return this.service.list(ctx, filter ?? {}, pageWindow(page), selectedFields(info, ['edges', 'node']), selectedFields(info, ['edges', 'node', 'designer']));
  }

  @Authorized(Role.DESIGNER)
  @Mutation(() => CreateDesignPayload)
  createDesign(@Arg('input', () => CreateDesignInput) input: CreateDesignInput, @Ctx() ctx: Context) {
    return asPayload(() => this.service.create(ctx, { ...input, price: priceOf(input.referencePrice) }));
  }

  @Authorized(Role.DESIGNER)
  @Mutation(() => UpdateDesignPayload)
  updateDesign(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateDesignInput) input: UpdateDesignInput,
    @Ctx() ctx: Context,
  ) {
    const { referencePrice, ...rest } = input;
    const patch: DesignPatch = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as DesignPatch;
    if (referencePrice !== undefined) patch.price = priceOf(referencePrice);
    return asPayload(() => this.service.update(ctx, id, patch));
  }

  @Authorized(Role.DESIGNER)
  @Mutation(() => ArchiveDesignPayload, { description: 'Hides the design from the catalog; quote requests already made keep their snapshot.' })
  archiveDesign(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return asPayload(() => this.service.archive(ctx, id));
  }

  @Authorized(Role.DESIGNER)
  @Mutation(() => ImportDesignsPayload)
  importDesigns(@Arg('input', () => ImportDesignsInput) input: ImportDesignsInput, @Ctx() ctx: Context) {
    const none = { designs: [], importedCount: 0, createdCount: 0, updatedCount: 0 };
    return asPayload(() => this.imports.importDesigns(ctx, input)).then((p) => ({ ...none, ...p }));
  }

  @FieldResolver(() => User)
  designer(@Root() design: Design, @Ctx() ctx: Context): User | Promise<User> {
    // A catalog page reads its designers in the same statement (a loaded User view); otherwise batch by id.
    if (design.designer instanceof User && design.designer.displayName !== undefined) return design.designer;
    return ctx.loaders.users.load(design.designer.id).then((user) => user!);
  }
}
