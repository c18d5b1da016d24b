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

it('the committed operation types match what codegen.ts generates from schema.graphql', async () => {
  const { generate } = await import('@graphql-codegen/cli');
  const { default: config } = await import('../codegen.js');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const [output] = (await generate({ ...config, silent: true }, false)) as Array<{ filename: string; content: string }>;
    const committed = readFileSync(path.join(root, output.filename), 'utf8');
    expect(committed, `${output.filename} is out of date: run \`npm run codegen\` and commit the result`).toBe(output.content);
  } finally {
    process.chdir(cwd);
  }
}, 60_000);
