// GraphQL surface of accounts. Thin: parses input, calls AuthService, shapes payloads.
import { Arg, Authorized, Ctx, Field, FieldResolver, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../server/context.js';
import { DateTimeScalar } from '../../graphql/scalars.js';
import { UserError, asPayload } from '../../graphql/errors.js';
import { DesignCategory } from '../designs/category.js';
import type { AuthService } from './auth.service.js';
import { Role } from './role.js';
import { ManufacturerProfile, User } from './user.entity.js';
import type { ContactPolicy } from './contact-policy.js';

@InputType()
export class SignUpInput {
  @Field()
  email!: string;

  @Field()
  password!: string;

  @Field()
  displayName!: string;

  @Field(() => Role)
  role!: Role;
}

@InputType()
export class SignInInput {
  @Field()
  email!: string;

  @Field()
  password!: string;
}

@InputType({ description: 'The whole profile: fields left out are cleared.' })
export class UpdateManufacturerProfileInput {
  @Field(() => [DesignCategory], { description: 'Categories you make; requests for these reach you.' })
  categories!: DesignCategory[];

  @Field(() => [String], { nullable: true })
  materials?: string[] | null;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => String, { nullable: true })
  bio?: string | null;
}

@ObjectType()
export class AuthPayload {
  @Field(() => String, { nullable: true, description: 'Send as `Authorization: Bearer <token>`.' })
  token?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => User, { nullable: true })
  user?: User | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType()
export class UpdateManufacturerProfilePayload {
  @Field(() => User, { nullable: true })
  user?: User | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

/** The rest of the payload (the user's own e-mail) is read as the user who just signed in. */
function signedIn<T extends { user: User; expiresAt: Date }>(ctx: Context, result: T): T {
  ctx.user = { id: result.user.id, role: result.user.role, exp: Math.floor(result.expiresAt.getTime() / 1000) };
  return result;
}

@Resolver(() => User)
export class AccountResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly contacts: ContactPolicy,
  ) {}

  @Query(() => User, { nullable: true, description: 'The signed-in user, or null when anonymous.' })
  async me(@Ctx() ctx: Context): Promise<User | null> {
    return ctx.user ? ctx.loaders.users.load(ctx.user.id) : null;
  }

  @Mutation(() => AuthPayload)
  signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return asPayload(async () => signedIn(ctx, await this.auth.signUp(ctx, input)));
  }

  @Mutation(() => AuthPayload)
  signIn(@Arg('input', () => SignInInput) input: SignInInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return asPayload(async () => signedIn(ctx, await this.auth.signIn(ctx, input.email, input.password)));
  }

  @Authorized(Role.MANUFACTURER)
  @Mutation(() => UpdateManufacturerProfilePayload)
  updateManufacturerProfile(
    @Arg('input', () => UpdateManufacturerProfileInput) input: UpdateManufacturerProfileInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateManufacturerProfilePayload> {
    return asPayload(() => this.auth.updateManufacturerProfile(ctx, input));
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Visible to the user itself and, after a match, to the other matched party; null for everyone else.',
  })
  async email(@Root() user: User, @Ctx() ctx: Context): Promise<string | null> {
    return (await this.contacts.canSeeEmail(ctx, user.id)) ? user.email : null;
  }

  @FieldResolver(() => ManufacturerProfile, { nullable: true, description: "A manufacturer's public profile." })
  manufacturerProfile(@Root() user: User): ManufacturerProfile | null {
    return user.role === Role.MANUFACTURER ? (user.manufacturerProfile ?? new ManufacturerProfile()) : null;
  }
}
