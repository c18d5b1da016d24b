// Owns how failures reach clients: expected business failures are data (UserError in payloads),
// missing sign-in / wrong role are top-level errors with a code, anything else is masked and logged.
import { GraphQLError } from 'graphql';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum UserErrorCode {
  INVALID_INPUT = 'INVALID_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  RATE_LIMITED = 'RATE_LIMITED',
  REQUEST_NOT_OPEN = 'REQUEST_NOT_OPEN',
  ESTIMATE_NOT_ACTIVE = 'ESTIMATE_NOT_ACTIVE',
  ALREADY_MATCHED = 'ALREADY_MATCHED',
  NO_RECIPIENTS = 'NO_RECIPIENTS',
  NOT_A_RECIPIENT = 'NOT_A_RECIPIENT',
  ALREADY_DECLINED = 'ALREADY_DECLINED',
  ILLEGAL_TRANSITION = 'ILLEGAL_TRANSITION',
}
registerEnumType(UserErrorCode, { name: 'UserErrorCode', description: 'Why a mutation did not do what was asked.' });

@ObjectType({ description: 'An expected failure of a mutation: nothing was changed because of it.' })
export class UserError {
  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field()
  message!: string;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, such as ["input", "price", "amount"].' })
  field?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'For imports: the line of the file at fault (1 is the header).' })
  line?: number | null;
}

export function userError(code: UserErrorCode, message: string, field?: string[], line?: number): UserError {
  const error = new UserError();
  error.code = code;
  error.message = message;
  error.field = field ?? null;
  error.line = line ?? null;
  return error;
}

/** Thrown by services for expected failures; resolvers turn it into `errors` in the payload. */
export class UserErrors extends Error {
  readonly errors: UserError[];
  constructor(errors: UserError | UserError[]) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => e.message).join('; '));
    this.name = 'UserErrors';
    this.errors = list;
  }
}

export const notFound = (what: string, field?: string[]) =>
  new UserErrors(userError(UserErrorCode.NOT_FOUND, `${what} not found.`, field));

export const invalidInput = (message: string, field?: string[]) =>
  new UserErrors(userError(UserErrorCode.INVALID_INPUT, message, field));

/** Collects validation problems so that one response reports all of them. */
export class Problems {
  private readonly list: UserError[] = [];
  add(message: string, field: string[], code = UserErrorCode.INVALID_INPUT): this {
    this.list.push(userError(code, message, field));
    return this;
  }
  get all(): readonly UserError[] {
    return this.list;
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new UserErrors(this.list);
  }
}

/**
 * Runs a mutation body; expected failures become the payload's `errors`, everything else propagates
 * (and is masked by the server's error formatter).
 */
export async function asPayload<T extends object>(
  body: () => Promise<T>,
): Promise<T & { errors: UserError[] }> {
  try {
    const result = await body();
    return { errors: [], ...result };
  } catch (error) {
    if (error instanceof UserErrors) return { errors: error.errors } as T & { errors: UserError[] };
    throw error;
  }
}

export const unauthenticated = () =>
  new GraphQLError('You must be signed in to do this.', { extensions: { code: 'UNAUTHENTICATED' } });

export const forbidden = (message = 'Your account is not allowed to do this.') =>
  new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
