import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  releaseStatusSchema,
  type ReleaseStatus,
} from '@internal/plugin-release-common';
import { readReleaseLayout } from '@internal/plugin-release-node';
import express, {
  type NextFunction,
  type Request,
  type Response,
} from 'express';
import Router from 'express-promise-router';
import { createServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from '../__testUtils__/backend';
import { user } from '../__testUtils__/org';
import { addStatusRoutes } from './routes';
import { StatusCache } from './StatusCache';
import { openEventStream } from './__testUtils__/eventStream';
import { fakeSystems, ManualTimers } from './__testUtils__/fakeSystems';
import {
  rowOf,
  startStatusSandbox,
  statusConfigFor,
  type StatusSandbox,
} from './__testUtils__/statusSandbox';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));

/** A port nothing listens on: every call to it is refused. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise(resolve => probe.close(resolve));
  return port;
}

/** Until `check` holds, giving the server's event loop turns in between (no time limit but jest's). */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise(resolve => setTimeout(resolve, 10));
}

describe('GET /status and /status/stream in the release backend, against the sandbox', () => {
  let sandbox: StatusSandbox;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    sandbox = await startStatusSandbox();
    ({ server } = await startReleaseBackend({
      config: { ...alwaysOpen, ...statusConfigFor(sandbox) },
    }));
    if (!server.listening) {
      await new Promise<void>(resolve => server.listen(0, resolve));
    }
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => sandbox.dispose());

  it('refuses a caller who is not signed in', async () => {
    for (const path of ['/api/release/status', '/api/release/status/stream']) {
      const res = await request(server)
        .get(path)
        .set('authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
    }
  });

  it('answers a signed-in user with every app per environment, and 304 while nothing changed', async () => {
    const res = await request(server)
      .get('/api/release/status')
      .set('authorization', as('kim.minjun'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // Exactly the documented shape: parsing drops nothing and refuses nothing.
    const status = releaseStatusSchema.parse(res.body);
    expect(status).toEqual(res.body);
    expect(
      status.environments.map(e => [e.name, e.apps.map(a => a.app)]),
    ).toEqual([
      ['beta', ['hybris', 'cms', 'web']],
      ['prod', ['hybris', 'cms', 'web']],
    ]);
    expect(rowOf(status, 'prod', 'hybris')).toMatchObject({
      liveColour: 'blue',
      sync: 'Synced',
      health: 'Healthy',
    });
    expect(res.headers.etag).toMatch(/^W\/"/);
    await request(server)
      .get('/api/release/status')
      .set('authorization', as('kim.minjun'))
      .set('if-none-match', res.headers.etag)
      .expect(304);
  });

  it('streams a snapshot, then the change an Argo CD sync makes', async () => {
    const stream = await openEventStream(`${base}/api/release/status/stream`, {
      authorization: as('kim.minjun'),
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe(
        'text/event-stream; charset=utf-8',
      );
      expect(await stream.next()).toEqual({ retry: '5000' });
      const first = await stream.next(e => e.event === 'status');
      expect(first.id).toMatch(/^\d+$/);
      const status = JSON.parse(first.data!) as ReleaseStatus;
      expect(rowOf(status, 'prod', 'web').sync).toBe('Synced');

      // Someone syncs web by hand in Argo CD.
      await request(sandbox.url)
        .post('/argocd/_sandbox/prod/applications/web/operation')
        .send({ username: 'lee.admin' })
        .expect(201);
      const changed = await stream.next(e => {
        if (e.event !== 'status') return false;
        const web = rowOf(JSON.parse(e.data!), 'prod', 'web');
        return web.argocd[0].operation?.initiatedBy === 'lee.admin';
      });
      expect(Number(changed.id)).toBeGreaterThan(Number(first.id));
    } finally {
      stream.close();
    }
  });

  it('answers 200 with errors on the rows when an Argo CD instance is down', async () => {
    const config = statusConfigFor(sandbox);
    const closedPort = await freePort();
    const { server: other } = await startReleaseBackend({
      config: {
        ...alwaysOpen,
        ...config,
        argocd: {
          instances: [
            {
              ...config.argocd.instances[0],
              url: `http://127.0.0.1:${closedPort}/argocd/beta`,
            },
            config.argocd.instances[1],
          ],
        },
      },
    });
    const res = await request(other)
      .get('/api/release/status')
      .set('authorization', as('kim.minjun'));
    expect(res.status).toBe(200);
    const status = res.body as ReleaseStatus;
    for (const row of status.environments[0].apps) {
      expect(row.errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^Argo CD \(beta, http:\/\/127\.0\.0\.1:\d+\/argocd\/beta\/api\/v1\/applications\): list applications failed: connect ECONNREFUSED 127\.0\.0\.1:\d+; check that Argo CD 'beta' is up and that argocd\.instances has its URL right$/,
          ),
        ]),
      );
    }
    expect(rowOf(status, 'prod', 'web').errors).toBeUndefined();
  });
});

describe('the status routes on their own', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise(resolve => s.close(resolve));
    }
  });

  async function serve(status?: StatusCache) {
    const router = Router();
    addStatusRoutes(router, {
      httpAuth: mockServices.httpAuth(),
      status,
      heartbeatMs: 20,
    });
    const app = express();
    app.use(router);
    app.use(
      (error: Error, _req: Request, res: Response, _next: NextFunction) => {
        const code =
          (
            {
              ServiceUnavailableError: 503,
              AuthenticationError: 401,
            } as Record<string, number>
          )[error.name] ?? 500;
        res
          .status(code)
          .json({ error: { name: error.name, message: error.message } });
      },
    );
    const s = app.listen(0, '127.0.0.1');
    await new Promise(resolve => s.once('listening', resolve));
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  const cacheWithFakes = () =>
    new StatusCache({
      systems: fakeSystems().systems,
      layout: readReleaseLayout(new ConfigReader({})),
      environments: ['beta', 'prod'],
      logger: mockServices.logger.mock(),
      timers: new ManualTimers(),
    });

  it('answers 503 with a reason when the backend runs no status cache', async () => {
    const url = await serve();
    const res = await fetch(`${url}/status`, {
      headers: { authorization: mockCredentials.user.header() },
    });
    expect(res.status).toBe(503);
    expect((await res.json()).error.message).toBe(
      'The live status is not available: this backend runs no status cache',
    );
  });

  it('sends heartbeats, and lets go of the subscription when the reader leaves', async () => {
    const cache = cacheWithFakes();
    const url = await serve(cache);
    const stream = await openEventStream(`${url}/status/stream`, {
      authorization: mockCredentials.user.header(),
    });
    await stream.next(e => e.event === 'status');
    expect(cache.subscribers).toBe(1);
    const beat = await stream.next(e => e.comment !== undefined);
    expect(beat.comment).toMatch(/^heartbeat \d{4}-\d\d-\d\dT/);
    stream.close();
    await eventually(() => cache.subscribers === 0);
    await cache.stop();
  });

  it('ends every stream when the cache stops', async () => {
    const cache = cacheWithFakes();
    const url = await serve(cache);
    const stream = await openEventStream(`${url}/status/stream`, {
      authorization: mockCredentials.user.header(),
    });
    await stream.next(e => e.event === 'status');
    await cache.stop();
    await stream.ended();
    expect(cache.subscribers).toBe(0);
  });
});
