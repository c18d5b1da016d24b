// Owns the network side: express 5 with Apollo Server 5 at /graphql, graphql-ws on the same port
// and path, health and readiness endpoints, and an orderly stop (stop accepting, drain, close sockets).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, getVariableValues, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { CompiledExecution } from '../graphql/compiled-execution.js';
import { SharedExecution, type SharedExecutionArgs } from '../graphql/shared-execution.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { TokenService } from '../modules/accounts/tokens.js';
import type { FeedService } from '../modules/quoting/feed.service.js';
import { createContext, type AuthUser, type Context } from './context.js';
import { DocumentCache } from './document-cache.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errorFormatter } from './errors.js';
import { checkOperation, limitRules, operationLimitsPlugin, parseOptions } from './limits.js';

export const GRAPHQL_PATH = '/graphql';
export const MAX_BODY = '6mb';

export interface HttpDeps {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  em: EntityManager;
  tokens: TokenService;
  feeds: FeedService;
  readiness: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export interface RunningServer {
  httpServer: Server;
  url: string;
  port: number;
  /** Open WebSocket connections (teardown checks and benchmarks read it). */
  socketCount(): number;
  /** Subscription results executed and shared since start, and parsed subscription documents kept (tests read it). */
  subscriptionStats(): { executed: number; shared: number; documents: number };
  /** HTTP operations run compiled or interpreted, and documents compiled, since start (tests read it). */
  executionStats(): { compiled: number; compiledRuns: number; interpretedRuns: number };
  stop(): Promise<void>;
}

type SocketExtra = {
  user?: AuthUser | null;
  expiryTimer?: NodeJS.Timeout;
};

/** Node fires a timer at once when its delay exceeds 2^31-1 ms (24.8 days); longer tokens wait in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the socket with 4403 when its token expires, as HTTP would refuse the token from then on. */
function closeWhenExpired(extra: SocketExtra & { socket: WebSocket }, exp: number): void {
  const ms = exp * 1000 - Date.now();
  extra.expiryTimer = setTimeout(() => {
    if (exp * 1000 > Date.now()) closeWhenExpired(extra, exp);
    else extra.socket.close(CloseCode.Forbidden, 'Token expired');
  }, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  extra.expiryTimer.unref();
}

/** graphql-ws reports errors it did not make itself as internal; give parse and validation errors their code. */
function withCode(error: unknown, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'): GraphQLError {
  if (!(error instanceof GraphQLError)) return new GraphQLError('The query could not be parsed.', { extensions: { code } });
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { ...error.extensions, code },
  });
}

/** Apollo would run a subscription over HTTP as a one-off query that can only fail; say where it is served. */
const subscriptionsNeedWebSocket: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'subscription') {
          throw new GraphQLError(`Subscriptions are served over WebSocket (graphql-transport-ws) at ${GRAPHQL_PATH}.`, {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      },
    };
  },
};

export async function startServer(deps: HttpDeps, port: number, host: string): Promise<RunningServer> {
  const { config, logger, schema, em, tokens, feeds } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const httpServer = createServer(app);

  const formatError = errorFormatter(logger, { hideSuggestions: config.isProduction });
  const parsing = parseOptions(config.limits);
  const rules = limitRules(config.limits);
  // graphql-ws parses and validates on its own: the same limits as HTTP, and the same error codes.
  const wsRules = [...specifiedRules, ...rules, ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 1024 * 1024 });
  const sharedExecution = new SharedExecution();
  // Subscriptions with the same text share one parsed, validated document (src/server/document-cache.ts).
  const documents = new DocumentCache();
  const wsCleanup = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      // Close reasons carry no internal error message in production (graphql-ws reads NODE_ENV otherwise).
      isProd: config.isProduction,
      connectionInitWaitTimeout: config.wsInitTimeoutMs,
      subscribe: sharedExecution.subscribe,
      onSubscribe: async (ctx, _id, payload) => {
        let document = documents.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query, parsing);
          } catch (error) {
            return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
          }
          const errors = validate(schema, document, wsRules, { hideSuggestions: config.isProduction });
          if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
          documents.set(payload.query, document);
        }
        // As Apollo answers it on HTTP: the client's mistake, in graphql-js's words.
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          const message = payload.operationName ? `Unknown operation named "${payload.operationName}".` : 'Must provide operation name if query contains multiple operations.';
          return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        }
        const variables = payload.variables ?? {};
        const problem = checkOperation(schema, document, payload.operationName ?? undefined, variables, payload.query, config.limits);
        if (problem) return [problem];
        // Variables that do not fit their types are the client's mistake too (graphql-js would throw them from
        // inside the subscription, which graphql-ws reports as an internal error). After the limits: those bound
        // what coercion has to walk.
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
        if (coerced.errors) {
          return coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, originalError: e, extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } }));
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: variables,
          // Subscribers with the same operation may share an event's result (src/graphql/shared-execution.ts).
          operationKey: JSON.stringify([payload.query, payload.operationName ?? null, variables]),
          contextValue: createContext(em, ctx.extra.user ?? null, ctx.extra.request.socket.remoteAddress ?? '', feeds),
        } satisfies SharedExecutionArgs;
      },
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const user = await tokens.fromAuthorizationHeader(header);
        // A bad token closes the socket with 4403 Forbidden; no token means an anonymous socket.
        if (user === 'invalid') return false;
        ctx.extra.user = user;
        if (user) closeWhenExpired(ctx.extra, user.exp);
        return true;
      },
      onDisconnect: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      // Same masking as HTTP: a subscription event never carries an internal message or stack.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e) as never),
    },
    wsServer,
  );
  // ws re-emits the HTTP server's errors on the WebSocket server, where graphql-ws prints them with a stack past
  // the logger. One before listening (the port is taken) is the start-up failure startServer reports itself;
  // a later one is logged, and the open sockets are closed as graphql-ws would.
  let listening = false;
  wsServer.removeAllListeners('error');
  wsServer.on('error', (error) => {
    if (!listening) return;
    logger.error({ err: error }, 'WebSocket server error; closing its sockets');
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  // A client's protocol error (a frame over maxPayload, invalid UTF-8): ws has already closed that socket with
  // the right code (1009, 1007). graphql-ws would also print it with a stack through console.error, past the
  // logger and LOG_LEVEL, once per bad frame any client cares to send; log it as the bad request it is.
  wsServer.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error) => logger.info({ reason: error.message }, 'WebSocket closed on a protocol error'));
  });

  const compiledExecution = new CompiledExecution(schema, {
    onCompilerUnavailable: (error) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'graphql-jit could not be loaded; queries run on graphql-js'),
  });
  const apollo = new ApolloServer<Context>({
    // Apollo runs a custom executor only through its gateway interface: the schema is ours and fixed.
    gateway: {
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => {};
      },
      load: async () => ({
        executor: (request) =>
          compiledExecution.execute({
            document: request.document,
            operation: request.operation,
            operationName: request.request.operationName,
            variables: request.request.variables,
            contextValue: request.context,
          }),
      }),
      stop: async () => {},
    },
    parseOptions: parsing,
    validationRules: rules,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    allowBatchedHttpRequests: false,
    // main.ts owns signals and stops everything in order; Apollo would re-raise the signal and exit early.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    formatError,
    // Apollo pretty-prints every response by default (JSON.stringify with indentation): readable while
    // developing, but a third more bytes and CPU on every catalog page in production.
    ...(config.isProduction ? { stringifyResult: (result: unknown) => JSON.stringify(result) } : {}),
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      // No cache hints are used; the default cache-control plugin would wrap every field resolver to look for them.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      operationLimitsPlugin<Context>(schema, config.limits),
      subscriptionsNeedWebSocket,
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      config.isProduction
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const result = await deps.readiness();
    res.status(result.ok ? 200 : 503).json({ status: result.ok ? 'ready' : 'not ready', checks: result.checks });
  });
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: MAX_BODY }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const user = await tokens.fromAuthorizationHeader(req.headers.authorization);
        if (user === 'invalid') {
          throw new GraphQLError('The sign-in token is invalid or has expired; sign in again.', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
        return createContext(em, user, req.ip ?? req.socket.remoteAddress ?? '', feeds);
      },
    }),
  );
  app.use((error: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unexpected HTTP error');
    const message = error.type === 'entity.too.large' ? `The request body is larger than ${MAX_BODY}.` : status === 500 ? 'Internal server error' : error.message;
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  });

  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`port ${port} on ${host} is already in use (another server running?); set PORT to use another`), { code: error.code })
          : error,
      );
    httpServer.once('error', refuse);
    httpServer.listen(port, host, () => {
      httpServer.off('error', refuse);
      listening = true;
      resolve();
    });
  });
  // Listening: what no request needs at once is loaded now, off the start-up path.
  compiledExecution.preload();
  const address = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    port: address.port,
    url: `http://${shownHost}:${address.port}${GRAPHQL_PATH}`,
    socketCount: () => wsServer.clients.size,
    subscriptionStats: () => ({ ...sharedExecution.stats, documents: documents.size }),
    executionStats: () => ({ ...compiledExecution.stats }),
    stop: () =>
      (stopping ??= (async () => {
        // apollo.stop(): stops accepting, waits for in-flight requests, then disposes the ws server.
        await apollo.stop();
        for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      })()),
  };
}
