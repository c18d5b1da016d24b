// The peer: PostGraphile v5 (5.0.0-rc.3, the last release that runs on Node 20) over the same tables, with
// the amber preset and grafserv on node:http. Authorisation the PostGraphile way: the bearer token is
// verified here (same HS256 secret and issuer as the product) and passed to PostgreSQL as `role` and
// `jwt.claims.user_id`; row-level security policies (set up by bench/http.ts on bench_jewelry only, for
// the role `bench_peer`) let a consumer see only its own requests, their items and their estimates.
//
//   DATABASE_URL=... JWT_SECRET=... PORT=... node dist/bench/peer-server.js
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

export const PEER_ROLE = 'bench_peer';
const key = new TextEncoder().encode(process.env.JWT_SECRET ?? '');

async function userIdOf(authorization: string | undefined): Promise<string | null> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return null;
  try {
    const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], issuer: 'jewelry-marketplace' });
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: 10 } })],
  grafserv: { port: Number(process.env.PORT ?? 4200), host: '127.0.0.1', graphqlPath: '/graphql', websockets: false, graphiql: false },
  grafast: {
    explain: false,
    async context(requestContext) {
      const req = requestContext.node?.req;
      const userId = await userIdOf(req?.headers.authorization);
      return { pgSettings: { role: PEER_ROLE, ...(userId ? { 'jwt.claims.user_id': userId } : {}) } };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    return;
  }
  handler(req, res);
});
const handler = serv.createHandler();
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 4200), '127.0.0.1', () => {
  process.stdout.write(`peer ready on ${process.env.PORT}\n`);
});
const stop = () => {
  server.close(() => void Promise.resolve(pgl.release()).then(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
