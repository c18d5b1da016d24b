// `npm start`: the swc build of what changed (scripts/build-fast.mjs), then the server, in one process
// (a second node process for the build check cost about a tenth of a second of every start).
import { buildIfChanged } from './build-fast.mjs';

await buildIfChanged();
await import('../dist/main.js');
