// Writes schema.graphql from the code (the committed artefact); `--check` exits 1 when the file drifted.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSchemaText } from '../graphql/schema-text.js';
import { projectRoot } from '../paths.js';

const file = path.join(projectRoot(), 'schema.graphql');
const text = await generateSchemaText();
if (process.argv.includes('--check')) {
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    process.stderr.write('schema.graphql is out of date: run `npm run schema`.\n');
    process.exit(1);
  }
  process.stdout.write('schema.graphql is up to date.\n');
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
