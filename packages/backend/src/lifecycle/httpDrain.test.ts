import { mockServices } from '@backstage/backend-test-utils';
import { EVENTS_NOTIFY_TIMEOUT_HEADER } from '@backstage/plugin-events-node';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { drainOnShutdown } from './httpDrain';

/** A server with the kinds of connection a backend holds open: streams, a long-poll, slow work. */
async function serve() {
  let finishSlow = () => {};
  const slowMayFinish = new Promise<void>(resolve => {
    finishSlow = resolve;
  });
  // Requests and upgrades the server has in hand: a connection alone may still be sending its request.
  let held = 0;
  const server: Server = createServer((req, res) => {
    held += 1;
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    } else if (req.url === '/long-poll') {
      res.setHeader(EVENTS_NOTIFY_TIMEOUT_HEADER, '55000');
      res.writeHead(202);
      res.flushHeaders();
    } else if (req.url === '/slow') {
      slowMayFinish.then(() => res.end('finished'));
    } else if (req.url === '/stuck') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    }
  });
  server.on('upgrade', (_req, socket) => {
    held += 1;
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    finishSlow: () => finishSlow(),
    holding: async (n: number) => {
      while (held < n) await new Promise(resolve => setTimeout(resolve, 10));
    },
  };
}

/** What a client got: the status and body, or how the connection ended. */
function get(port: number, path: string) {
  return new Promise<string>(resolve => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          body += chunk;
        });
        res.on('end', () => resolve(`${res.statusCode} ended: ${body}`));
        res.on('error', () => resolve(`${res.statusCode} cut: ${body}`));
      },
    );
    req.on('error', e => resolve(`error: ${e.message}`));
    req.end();
  });
}

/** Opens a WebSocket-style upgrade; `closed` resolves when the server closes it. */
async function upgraded(port: number) {
  const socket = connect(port, '127.0.0.1');
  await new Promise(resolve => socket.once('connect', resolve));
  const closed = new Promise<string>(resolve =>
    socket.once('close', () => resolve('closed')),
  );
  socket.on('error', () => undefined);
  const switched = new Promise(resolve => socket.once('data', resolve));
  socket.write(
    'GET /socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  await switched;
  return { closed };
}

describe('drainOnShutdown', () => {
  it('ends event streams, long-polls and WebSockets, lets a request being answered finish, and the server closes', async () => {
    const { server, port, finishSlow, holding } = await serve();
    const drain = drainOnShutdown(server, mockServices.logger.mock(), 60_000);
    const stream = get(port, '/stream');
    const longPoll = get(port, '/long-poll');
    const slow = get(port, '/slow');
    const socket = await upgraded(port);
    await holding(4);

    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    const drained = drain();
    finishSlow();
    await drained;
    await closed;

    expect(await stream).toBe('200 ended: data: first\n\n');
    expect(await longPoll).toBe('202 ended: ');
    expect(await slow).toBe('200 ended: finished');
    expect(await socket.closed).toBe('closed');
  });

  it('cuts a request still open after the drain time, so the server closes all the same', async () => {
    const { server, port, holding } = await serve();
    const drain = drainOnShutdown(server, mockServices.logger.mock(), 200);
    const stuck = get(port, '/stuck');
    await holding(1);

    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    await drain();
    await closed;

    expect(await stuck).toMatch(/^200 cut: \[$|^error: aborted$/);
  });
});
