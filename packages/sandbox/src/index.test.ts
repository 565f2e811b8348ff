import express from 'express';
import { startSandbox, type RunningSandbox } from './index';

describe('sandbox', () => {
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      services: [
        () => {
          const router = express.Router();
          router.get('/api/ping', (_req, res) => {
            res.json({ pong: true });
          });
          return {
            name: 'Echo',
            prefix: '/echo',
            router,
            describe: async () => [{ calls: 1 }],
          };
        },
      ],
    });
  });
  afterAll(() => sandbox.close());

  it('binds 127.0.0.1 and serves each stand-in under its prefix', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${sandbox.url}/echo/api/ping`);
    expect(await res.json()).toEqual({ pong: true });
  });

  it('plays injected faults for the next N matching calls, then answers normally', async () => {
    const add = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        path: '/echo/api/ping',
        count: 2,
        status: 429,
        headers: { 'retry-after': '7' },
      }),
    });
    expect(add.status).toBe(201);
    const first = await fetch(`${sandbox.url}/echo/api/ping`);
    expect([first.status, first.headers.get('retry-after')]).toEqual([
      429,
      '7',
    ]);
    expect((await fetch(`${sandbox.url}/echo/api/ping`)).status).toBe(429);
    expect((await fetch(`${sandbox.url}/echo/api/ping`)).status).toBe(200);
  });

  it('refuses a malformed fault', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'echo', count: 1, status: 500 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      message: 'fault path must start with /',
    });
  });

  it('shows what each stand-in holds on its page', async () => {
    const html = await (await fetch(`${sandbox.url}/`)).text();
    expect(html).toContain('<h2>Echo</h2>');
    expect(html).toContain('<td>1</td>');
  });
});
