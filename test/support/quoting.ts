// Scenario helpers for the quote flow, all through the public API.
import { expect } from 'vitest';
import {
  CreateDesignDocument,
  RequestQuotesDocument,
  SubmitEstimateDocument,
  type DesignCategory,
  type RequestQuotesInput,
} from '../generated/graphql.js';
import type { GqlClient } from './app.js';
import type { TestUser } from './users.js';

export const inDays = (days: number) => new Date(Date.now() + days * 24 * 3600 * 1000).toISOString();

export async function createDesign(gql: GqlClient, designer: TestUser, title: string, category: DesignCategory, options: Array<{ name: string; values: string[] }> = []) {
  const res = await gql(
    CreateDesignDocument,
    { input: { title, category, materials: ['Gold'], options, referencePrice: { amount: '100.00', currencyCode: 'USD' } } },
    designer.token,
  );
  expect(res.data?.createDesign.errors).toEqual([]);
  return res.data!.createDesign.design!;
}

export async function requestQuotes(gql: GqlClient, consumer: TestUser, input: RequestQuotesInput) {
  const res = await gql(RequestQuotesDocument, { input }, consumer.token);
  expect(res.errors).toBeUndefined();
  expect(res.data!.requestQuotes.errors).toEqual([]);
  return res.data!.requestQuotes.quoteRequest!;
}

/** Submits (or revises) an estimate with a single line item for the whole amount. */
export async function submitEstimate(gql: GqlClient, maker: TestUser, requestId: string, amount: string, leadTimeDays = 30) {
  const res = await gql(
    SubmitEstimateDocument,
    {
      input: {
        requestId,
        price: { amount, currencyCode: 'USD' },
        lineItems: [{ label: 'Casting and setting', amount: { amount, currencyCode: 'USD' } }],
        leadTimeDays,
        validUntil: inDays(10),
      },
    },
    maker.token,
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.submitEstimate.errors).toEqual([]);
  return res.data!.submitEstimate.estimate!;
}
