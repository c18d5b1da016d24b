// GraphQL inputs, payloads and event types of the quote flow (names fixed by the API contract).
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../graphql/errors.js';
import { Money, MoneyInput } from '../../graphql/money.js';
import { PageArgs } from '../../graphql/connection.js';
import { DesignCategory } from '../designs/category.js';
import { Design } from '../designs/design.entity.js';
import { Estimate, Match } from './estimate.entity.js';
import { QuoteRequest } from './quote-request.entity.js';
import { EstimateFeedType, QuoteRequestFeedType } from './quoting.service.js';
import { QuoteRequestStatus } from './states.js';

registerEnumType(QuoteRequestFeedType, { name: 'QuoteRequestFeedEventType' });
registerEnumType(EstimateFeedType, { name: 'EstimateFeedEventType' });

@InputType()
export class SelectedOptionInput {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@InputType()
export class QuoteRequestItemInput {
  @Field(() => ID)
  designId!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => [SelectedOptionInput], { nullable: true })
  options?: SelectedOptionInput[] | null;

  @Field(() => String, { nullable: true })
  note?: string | null;
}

@InputType()
export class RequestQuotesInput {
  @Field(() => [QuoteRequestItemInput])
  items!: QuoteRequestItemInput[];

  @Field(() => [ID], { nullable: true, description: 'Who to ask. None: every manufacturer whose profile covers all the items\' categories.' })
  manufacturerIds?: string[] | null;

  @Field(() => String, { nullable: true })
  note?: string | null;

  @Field(() => MoneyInput, { nullable: true })
  budget?: MoneyInput | null;

  @Field(() => Date, { nullable: true })
  neededBy?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the request stops taking estimates (default: in 14 days).' })
  expiresAt?: Date | null;
}

@InputType()
export class EstimateLineItemInput {
  @Field()
  label!: string;

  @Field(() => MoneyInput)
  amount!: MoneyInput;
}

@InputType()
export class SubmitEstimateInput {
  @Field(() => ID)
  requestId!: string;

  @Field(() => MoneyInput, { description: 'The total; the line items must add up to it exactly.' })
  price!: MoneyInput;

  @Field(() => [EstimateLineItemInput])
  lineItems!: EstimateLineItemInput[];

  @Field(() => Int)
  leadTimeDays!: number;

  @Field(() => Date)
  validUntil!: Date;

  @Field(() => String, { nullable: true })
  note?: string | null;
}

@ObjectType()
export class EstimateLineItem {
  @Field()
  label!: string;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType({ description: 'The design as it was when the request was made; `current` is the live design, if still visible.' })
export class DesignSnapshot {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => DesignCategory)
  category!: DesignCategory;

  @Field(() => [String])
  materials!: string[];

  @Field(() => [String])
  gemstones!: string[];

  @Field(() => String, { nullable: true })
  imageUrl!: string | null;

  // A resolver of its own (not a plain property read): the value is a Promise, and the compiled executor
  // (graphql-jit) reads resolver-less fields synchronously.
  @Field(() => Design, { nullable: true, simple: false })
  current?: Design | null | Promise<Design | null>;
}

@ArgsType()
export class QuoteRequestListArgs extends PageArgs {
  @Field(() => QuoteRequestStatus, { nullable: true })
  status?: QuoteRequestStatus | null;
}

@ObjectType()
export class QuoteRequestPayload {
  @Field(() => QuoteRequest, { nullable: true })
  quoteRequest?: QuoteRequest | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType()
export class CancelQuoteRequestPayload extends QuoteRequestPayload {}

@ObjectType()
export class DeclineQuoteRequestPayload extends QuoteRequestPayload {}

@ObjectType()
export class SubmitEstimatePayload {
  @Field(() => Estimate, { nullable: true })
  estimate?: Estimate | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType()
export class WithdrawEstimatePayload extends SubmitEstimatePayload {}

@ObjectType()
export class AcceptEstimatePayload {
  @Field(() => Match, { nullable: true })
  match?: Match | null;

  @Field(() => [UserError])
  errors!: UserError[];
}

@ObjectType({ description: 'Something happened to a request sent to you.' })
export class QuoteRequestFeedEvent {
  @Field(() => QuoteRequestFeedType)
  type!: QuoteRequestFeedType;

  @Field(() => QuoteRequest)
  quoteRequest!: QuoteRequest;

  @Field(() => Estimate, { nullable: true, description: 'Your accepted estimate, for ESTIMATE_ACCEPTED.' })
  estimate!: Estimate | null;

  @Field(() => Date)
  occurredAt!: Date;

  @Field({ description: 'Position in your feed.' })
  cursor!: string;
}

@ObjectType({ description: 'Something happened to an estimate on your request.' })
export class EstimateFeedEvent {
  @Field(() => EstimateFeedType)
  type!: EstimateFeedType;

  @Field(() => Estimate)
  estimate!: Estimate;

  @Field(() => Date)
  occurredAt!: Date;

  @Field({ description: 'Position in your feed.' })
  cursor!: string;
}
