// A load-generator process for the fan-out benchmarks (forked with an IPC channel by bench/fanout.ts):
// opens many subscriber sockets, records when each event reaches each of them, and reports per event the
// first and last receipt (epoch ms, from performance.timeOrigin + performance.now(), comparable across
// processes on one machine) and how many received it.
//   mode 'graphql-ws': real graphql-ws clients on the product, one per manufacturer token
//   mode 'ws':         plain `ws` sockets on the floor server, one per user id
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type ClientCommand =
  | { type: 'connect'; mode: 'graphql-ws' | 'ws'; url: string; credentials: string[]; query?: string; batch?: number }
  | { type: 'collect'; id: string }
  | { type: 'churn'; url: string; credentials: string[]; query: string; cycles: number; concurrency: number; holdMs: number }
  | { type: 'close' };

export type ClientReply =
  | { type: 'connected'; ok: number; failed: number; ms: number; firstError?: string }
  | { type: 'done'; id: string }
  | { type: 'report'; id: string; first: number; last: number; count: number; errors: number }
  | { type: 'closed' }
  | { type: 'churned'; ok: number; failed: number; ms: number; firstError?: string };

const now = () => performance.timeOrigin + performance.now();
const send = (reply: ClientReply) => process.send!(reply);

interface Receipts {
  first: number;
  last: number;
  count: number;
}
const receipts = new Map<string, Receipts>();
let expected = 0;
let errors = 0;
const disposers: Array<() => Promise<void> | void> = [];

function received(id: string): void {
  const t = now();
  let r = receipts.get(id);
  if (!r) receipts.set(id, (r = { first: t, last: t, count: 0 }));
  r.last = t;
  r.count += 1;
  if (r.count === expected) send({ type: 'done', id });
}

/** A graphql-ws client subscribed to the feed; resolves once the connection is acknowledged. */
function graphqlWsSubscriber(url: string, token: string, query: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      on: {
        connected: () => resolve(client),
        closed: (event) => reject(new Error(`closed before ack: ${(event as { code?: number }).code}`)),
        error: (error) => reject(error instanceof Error ? error : new Error(String(error))),
      },
    });
    client.subscribe<{ quoteRequestFeed?: { quoteRequest: { id: string } } }>(
      { query },
      {
        next: (value) => {
          const id = value.data?.quoteRequestFeed?.quoteRequest.id;
          if (id) received(id);
          else errors += 1;
        },
        error: () => {
          errors += 1;
        },
        complete: () => {},
      },
    );
  });
}

function plainSubscriber(url: string, userId: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}?user=${encodeURIComponent(userId)}`);
    socket.on('open', () => resolve(socket));
    socket.on('error', reject);
    socket.on('message', (data) => {
      try {
        const message = JSON.parse(data.toString()) as { payload?: { data?: { quoteRequestFeed?: { quoteRequest: { id: string } } } } };
        const id = message.payload?.data?.quoteRequestFeed?.quoteRequest.id;
        if (id) received(id);
        else errors += 1;
      } catch {
        errors += 1;
      }
    });
  });
}

process.on('message', (command: ClientCommand) => {
  void (async () => {
    if (command.type === 'connect') {
      const started = now();
      expected = command.credentials.length;
      let ok = 0;
      let failed = 0;
      let firstError: string | undefined;
      const batch = command.batch ?? 100;
      for (let i = 0; i < command.credentials.length; i += batch) {
        const results = await Promise.allSettled(
          command.credentials.slice(i, i + batch).map((credential) =>
            command.mode === 'graphql-ws' ? graphqlWsSubscriber(command.url, credential, command.query!) : plainSubscriber(command.url, credential),
          ),
        );
        for (const result of results) {
          if (result.status === 'fulfilled') {
            ok += 1;
            const handle = result.value;
            disposers.push(handle instanceof WebSocket ? () => handle.terminate() : () => handle.dispose());
          } else {
            failed += 1;
            firstError ??= result.reason instanceof Error ? result.reason.message : String(result.reason);
          }
        }
      }
      expected = ok;
      send({ type: 'connected', ok, failed, ms: now() - started, firstError });
    } else if (command.type === 'churn') {
      // Subscribe and close, `cycles` times, `concurrency` at a time: connect, subscribe, hold, dispose.
      const started = now();
      let next = 0;
      let ok = 0;
      let failed = 0;
      let firstError: string | undefined;
      const worker = async () => {
        while (next < command.cycles) {
          const i = next++;
          try {
            const client = await graphqlWsSubscriber(command.url, command.credentials[i % command.credentials.length], command.query);
            await new Promise((r) => setTimeout(r, command.holdMs));
            await client.dispose();
            ok += 1;
          } catch (error) {
            failed += 1;
            firstError ??= error instanceof Error ? error.message : String(error);
          }
        }
      };
      await Promise.all(Array.from({ length: command.concurrency }, worker));
      send({ type: 'churned', ok, failed, ms: now() - started, firstError });
    } else if (command.type === 'collect') {
      const r = receipts.get(command.id) ?? { first: NaN, last: NaN, count: 0 };
      send({ type: 'report', id: command.id, ...r, errors });
    } else if (command.type === 'close') {
      await Promise.allSettled(disposers.map((d) => d()));
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
    }
  })();
});
