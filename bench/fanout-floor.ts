// The fan-out floor: a `ws` server that subscribes to a Redis channel and writes each message's rendered
// payload, as is, to the sockets of the users in its audience. No authorisation, no GraphQL, no database:
// what moving the same bytes through Redis to plain sockets costs on this machine.
//
//   REDIS_URL=... CHANNEL=... PORT=... node dist/bench/fanout-floor.js
import { createServer } from 'node:http';
import { createClient } from 'redis';
import { WebSocketServer, type WebSocket } from 'ws';

const byUser = new Map<string, Set<WebSocket>>();
const http = createServer((req, res) => {
  if (req.url === '/readyz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
  else res.writeHead(404).end();
});
const wss = new WebSocketServer({ server: http });
wss.on('connection', (socket, req) => {
  const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
  let set = byUser.get(user);
  if (!set) byUser.set(user, (set = new Set()));
  set.add(socket);
  socket.on('close', () => {
    set!.delete(socket);
    if (set!.size === 0) byUser.delete(user);
  });
});

const subscriber = createClient({ url: process.env.REDIS_URL });
subscriber.on('error', (err: Error) => process.stderr.write(`redis: ${err.message}\n`));
await subscriber.connect();
await subscriber.subscribe(process.env.CHANNEL ?? 'bench-fanout-floor', (raw) => {
  const message = JSON.parse(raw) as { audience: string[]; payload: string };
  for (const user of message.audience) {
    const sockets = byUser.get(user);
    if (sockets) for (const socket of sockets) socket.send(message.payload);
  }
});

http.listen(Number(process.env.PORT ?? 4300), '127.0.0.1', () => process.stdout.write(`fan-out floor ready on ${process.env.PORT}\n`));
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  http.close();
  void subscriber.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
