// Hot statements run prepared (parsed and planned once per pooled connection). A prepared statement must
// survive what a rolling deploy does while this process runs: another version adds a column.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, inDays, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer } from './support/users.js';

const SUBMIT = `mutation ($input: SubmitEstimateInput!) { submitEstimate(input: $input) { estimate { id version status price { amount } } errors { code message } } }`;
type Submitted = { submitEstimate: { estimate: { id: string; version: number; status: string; price: { amount: string } } | null; errors: unknown[] } };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('prepared submitEstimate', () => {
  it('keeps accepting estimates after a column is added to estimates while the server runs', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const ring = await createDesign(t.gql, designer, 'Schema Ring', 'RING');
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const consumer = await signUp(t.gql, 'CONSUMER');
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: [maker.id] });
    const submit = (amount: string) =>
      t.gql<Submitted>(
        SUBMIT,
        { input: { requestId: request.id, price: { amount, currencyCode: 'USD' }, lineItems: [{ label: 'Casting', amount: { amount, currencyCode: 'USD' } }], leadTimeDays: 3, validUntil: inDays(3) } },
        maker.token,
      );
    // Prepared on every connection of the pool (10), by revisions 1 to 12
    for (let i = 0; i < 12; i++) expect((await submit(`${10 + i}.00`)).data?.submitEstimate.errors).toEqual([]);

    const admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    await admin.query('alter table estimates add column internal_margin numeric null');
    await admin.end();

    for (let i = 0; i < 12; i++) {
      const res = await submit(`${60 + i}.00`);
      expect(res.errors).toBeUndefined();
      expect(res.data?.submitEstimate).toEqual({ estimate: { id: expect.any(String), version: 13 + i, status: 'ACTIVE', price: { amount: `${60 + i}.00` } }, errors: [] });
    }
  });
});
