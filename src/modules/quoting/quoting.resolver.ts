// GraphQL surface of the quote flow: thin resolvers over QuotingService and FeedService.
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ConnectionType, PageArgs, pageWindow } from '../../graphql/connection.js';
import { asPayload } from '../../graphql/errors.js';
import { Money } from '../../graphql/money.js';
import type { Context } from '../../server/context.js';
import { Role } from '../accounts/role.js';
import { User } from '../accounts/user.entity.js';
import { DesignStatus } from '../designs/design.entity.js';
import { Estimate, Match } from './estimate.entity.js';
import { QuoteRecipient, QuoteRequest, QuoteRequestItem } from './quote-request.entity.js';
import { effectiveStatus, type QuotingService } from './quoting.service.js';
import { QuoteRequestStatus } from './states.js';
import {
  AcceptEstimatePayload,
  CancelQuoteRequestPayload,
  DeclineQuoteRequestPayload,
  DesignSnapshot,
  EstimateFeedEvent,
  EstimateLineItem,
  QuoteRequestFeedEvent,
  QuoteRequestListArgs,
  QuoteRequestPayload,
  RequestQuotesInput,
  SubmitEstimateInput,
  SubmitEstimatePayload,
  WithdrawEstimatePayload,
} from './quoting.types.js';

export const QuoteRequestConnection = ConnectionType('QuoteRequest', QuoteRequest);
export const MatchConnection = ConnectionType('Match', Match);

const user = async (ctx: Context, id: string) => (await ctx.loaders.users.load(id))!;

@Resolver(() => QuoteRequest)
export class QuoteRequestResolver {
  constructor(private readonly quoting: QuotingService) {}

  @Authorized()
  @Query(() => QuoteRequest, { nullable: true, description: 'Null when it does not exist or is not yours to see.' })
  quoteRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return this.quoting.findVisibleRequest(ctx, id);
  }

  @Authorized(Role.CONSUMER)
  @Query(() => QuoteRequestConnection, { description: 'Your requests, newest first.' })
  myQuoteRequests(@Args(() => QuoteRequestListArgs) args: QuoteRequestListArgs, @Ctx() ctx: Context) {
    return this.quoting.myQuoteRequests(ctx, args.status, pageWindow(args));
  }

  @Authorized(Role.MANUFACTURER)
  @Query(() => QuoteRequestConnection, { description: 'Requests sent to you, newest first.' })
  incomingQuoteRequests(@Args(() => QuoteRequestListArgs) args: QuoteRequestListArgs, @Ctx() ctx: Context) {
    return this.quoting.incomingQuoteRequests(ctx, args.status, pageWindow(args));
  }

  @Authorized(Role.CONSUMER)
  @Mutation(() => QuoteRequestPayload)
  requestQuotes(@Arg('input', () => RequestQuotesInput) input: RequestQuotesInput, @Ctx() ctx: Context) {
    return asPayload(() => this.quoting.requestQuotes(ctx, input));
  }

  @Authorized(Role.CONSUMER)
  @Mutation(() => CancelQuoteRequestPayload)
  cancelQuoteRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return asPayload(() => this.quoting.cancelQuoteRequest(ctx, id));
  }

  @Authorized(Role.MANUFACTURER)
  @Mutation(() => DeclineQuoteRequestPayload)
  declineQuoteRequest(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: Context,
  ) {
    return asPayload(() => this.quoting.declineQuoteRequest(ctx, id, reason));
  }

  @FieldResolver(() => QuoteRequestStatus, { description: 'EXPIRED as soon as the expiry passes.' })
  status(@Root() request: QuoteRequest) {
    return effectiveStatus(request);
  }

  @FieldResolver(() => [QuoteRequestItem])
  items(@Root() request: QuoteRequest, @Ctx() ctx: Context) {
    return ctx.loaders.itemsByRequest.load(request.id);
  }

  @FieldResolver(() => User, { description: 'The consumer; the e-mail shows only to a matched manufacturer.' })
  consumer(@Root() request: QuoteRequest, @Ctx() ctx: Context) {
    return user(ctx, request.consumer.id);
  }

  @FieldResolver(() => Money, { nullable: true })
  budget(@Root() request: QuoteRequest) {
    return request.budgetAmount && request.budgetCurrency ? Money.of(request.budgetAmount, request.budgetCurrency) : null;
  }

  @FieldResolver(() => [Estimate], { description: 'Sealed: the consumer sees all, a manufacturer only its own.' })
  estimates(
    @Root() request: QuoteRequest,
    @Arg('includeSuperseded', () => Boolean, { defaultValue: false }) includeSuperseded: boolean,
    @Ctx() ctx: Context,
  ) {
    return this.quoting.estimatesOf(ctx, request, includeSuperseded);
  }

  @FieldResolver(() => [QuoteRecipient], { description: 'The consumer sees every recipient; a manufacturer only itself.' })
  recipients(@Root() request: QuoteRequest, @Ctx() ctx: Context) {
    return this.quoting.recipientsOf(ctx, request);
  }

  @FieldResolver(() => Match, { nullable: true, description: 'Visible to the two matched parties only.' })
  match(@Root() request: QuoteRequest, @Ctx() ctx: Context) {
    return this.quoting.matchOf(ctx, request);
  }
}

@Resolver(() => QuoteRequestItem)
export class QuoteRequestItemResolver {
  @FieldResolver(() => DesignSnapshot)
  design(@Root() item: QuoteRequestItem, @Ctx() ctx: Context): DesignSnapshot {
    return {
      id: item.design.id,
      title: item.designTitle,
      category: item.designCategory,
      materials: item.designMaterials,
      gemstones: item.designGemstones,
      imageUrl: item.designImageUrl,
      // The live design is read only when `current` is asked for (the snapshot above needs no query).
      get current() {
        return ctx.loaders.designs
          .load(item.design.id)
          .then((current) => (current && (current.status === DesignStatus.ACTIVE || current.designer.id === ctx.user?.id) ? current : null));
      },
    };
  }
}

@Resolver(() => QuoteRecipient)
export class QuoteRecipientResolver {
  @FieldResolver(() => User)
  manufacturer(@Root() recipient: QuoteRecipient, @Ctx() ctx: Context) {
    return user(ctx, recipient.manufacturer.id);
  }
}

@Resolver(() => Estimate)
export class EstimateResolver {
  constructor(private readonly quoting: QuotingService) {}

  @Authorized(Role.MANUFACTURER)
  @Mutation(() => SubmitEstimatePayload, { description: 'A second submit on the same request revises: a new version, the old one SUPERSEDED.' })
  submitEstimate(@Arg('input', () => SubmitEstimateInput) input: SubmitEstimateInput, @Ctx() ctx: Context) {
    return asPayload(() => this.quoting.submitEstimate(ctx, input));
  }

  @Authorized(Role.MANUFACTURER)
  @Mutation(() => WithdrawEstimatePayload)
  withdrawEstimate(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return asPayload(() => this.quoting.withdrawEstimate(ctx, id));
  }

  @Authorized(Role.CONSUMER)
  @Mutation(() => AcceptEstimatePayload, { description: 'Matches you with the manufacturer; exactly one accept per request wins.' })
  acceptEstimate(@Arg('estimateId', () => ID) estimateId: string, @Ctx() ctx: Context) {
    return asPayload(() => this.quoting.acceptEstimate(ctx, estimateId));
  }

  @FieldResolver(() => Money)
  price(@Root() estimate: Estimate) {
    return Money.of(estimate.amount, estimate.currencyCode);
  }

  @FieldResolver(() => [EstimateLineItem])
  lineItems(@Root() estimate: Estimate): EstimateLineItem[] {
    return estimate.lineItems.map((l) => ({ label: l.label, amount: Money.of(l.amount, estimate.currencyCode) }));
  }

  @FieldResolver(() => User)
  manufacturer(@Root() estimate: Estimate, @Ctx() ctx: Context) {
    return user(ctx, estimate.manufacturer.id);
  }

  @FieldResolver(() => QuoteRequest)
  async quoteRequest(@Root() estimate: Estimate, @Ctx() ctx: Context) {
    return (await ctx.loaders.quoteRequests.load(estimate.request.id))!;
  }
}

@Resolver(() => Match)
export class MatchResolver {
  constructor(private readonly quoting: QuotingService) {}

  @Authorized(Role.CONSUMER, Role.MANUFACTURER)
  @Query(() => MatchConnection, { description: 'Your matches (as consumer or manufacturer), newest first.' })
  myMatches(@Args(() => PageArgs) page: PageArgs, @Ctx() ctx: Context) {
    return this.quoting.myMatches(ctx, pageWindow(page));
  }

  @FieldResolver(() => QuoteRequest)
  async quoteRequest(@Root() match: Match, @Ctx() ctx: Context) {
    return (await ctx.loaders.quoteRequests.load(match.request.id))!;
  }

  @FieldResolver(() => Estimate)
  async estimate(@Root() match: Match, @Ctx() ctx: Context) {
    return (await ctx.loaders.estimates.load(match.estimate.id))!;
  }

  @FieldResolver(() => User)
  consumer(@Root() match: Match, @Ctx() ctx: Context) {
    return user(ctx, match.consumer.id);
  }

  @FieldResolver(() => User)
  manufacturer(@Root() match: Match, @Ctx() ctx: Context) {
    return user(ctx, match.manufacturer.id);
  }
}

const feeds = (data: { context: unknown }) => (data.context as Context).feeds;

@Resolver()
export class FeedResolver {
  @Subscription(() => QuoteRequestFeedEvent, {
    description: 'Manufacturers: requests sent to you and what becomes of them.',
    subscribe: (data) => feeds(data).quoteRequestFeed(data.context as Context, (data.args as { after?: string | null }).after),
  })
  quoteRequestFeed(
    @Arg('after', () => String, { nullable: true, description: 'Resume: first replay the events after this cursor.' }) _after: string | null,
    @Root() event: QuoteRequestFeedEvent,
  ): QuoteRequestFeedEvent {
    return event;
  }

  @Subscription(() => EstimateFeedEvent, {
    description: "Consumers: estimates on one of your requests as they arrive, are revised or withdrawn.",
    subscribe: (data) => {
      const args = data.args as { requestId: string; after?: string | null };
      return feeds(data).estimateFeed(data.context as Context, args.requestId, args.after);
    },
  })
  estimateFeed(
    @Arg('requestId', () => ID) _requestId: string,
    @Arg('after', () => String, { nullable: true, description: 'Resume: first replay the events after this cursor.' }) _after: string | null,
    @Root() event: EstimateFeedEvent,
  ): EstimateFeedEvent {
    return event;
  }
}

