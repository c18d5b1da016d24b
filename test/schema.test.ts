import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { generateSchemaText } from '../src/graphql/schema-text.js';

const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema.graphql');

it('the committed schema.graphql matches the schema the code builds', async () => {
  const generated = await generateSchemaText();
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  expect(committed, 'schema.graphql is out of date: run `npm run schema` and commit the result').toBe(generated);
});
