import { startSandbox, type RunningSandbox } from '../index';
import { createJenkinsService, jenkinsSandboxDefaults as d } from './index';

const basic = `Basic ${Buffer.from(`${d.username}:${d.apiToken}`).toString(
  'base64',
)}`;

describe('Jenkins stand-in', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 1,
      services: [
        createJenkinsService({
          buildMs: { 'kop/payment-tests': 0 },
        }),
      ],
    });
  });
  afterAll(() => sandbox.close());

  const jenkins = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}/jenkins${path}`, init);

  async function crumb() {
    const res = await jenkins('/crumbIssuer/api/json', {
      headers: { authorization: basic },
    });
    const body = await res.json();
    return {
      authorization: basic,
      [body.crumbRequestField]: body.crumb,
      cookie: res.headers.getSetCookie()[0].split(';')[0],
    };
  }

  it('refuses a bad API token with 401 and an anonymous caller with 403', async () => {
    const bad = `Basic ${Buffer.from(`${d.username}:nope`).toString('base64')}`;
    expect(
      (await jenkins('/me/api/json', { headers: { authorization: bad } }))
        .status,
    ).toBe(401);
    expect((await jenkins('/api/json')).status).toBe(403);
  });

  it('wants a crumb with the session it was issued for', async () => {
    const headers = await crumb();
    const noCrumb = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: { authorization: basic },
      },
    );
    expect([noCrumb.status, await noCrumb.text()]).toEqual([
      403,
      'No valid crumb was included in the request',
    ]);
    const otherSession = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: { ...headers, cookie: 'JSESSIONID.sandbox=other' },
      },
    );
    expect(otherSession.status).toBe(403);
    const ok = await jenkins('/job/kop/job/payment-tests/buildWithParameters', {
      method: 'POST',
      headers,
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('location')).toMatch(
      /\/jenkins\/queue\/item\/\d+\/$/,
    );
  });

  it('lets the remote trigger token alone start a build, and refuses a wrong one', async () => {
    const body = (token: string) =>
      new URLSearchParams({ token, BRAND: 'ks' }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrong = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: form,
        body: body('nope'),
      },
    );
    expect(wrong.status).toBe(403);
    const right = await jenkins(
      '/job/kop/job/payment-tests/buildWithParameters',
      {
        method: 'POST',
        headers: form,
        body: body(d.buildToken),
      },
    );
    expect(right.status).toBe(201);
  });

  it('keeps a build in the queue and building for its simulated time', async () => {
    const res = await jenkins('/job/kop/job/hybris-build/buildWithParameters', {
      method: 'POST',
      headers: {
        ...(await crumb()),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'BRANCH=deploy-2026-11-25',
    });
    const queue = new URL(res.headers.get('location')!).pathname.replace(
      '/jenkins',
      '',
    );
    const item = await (
      await jenkins(`${queue}api/json`, { headers: { authorization: basic } })
    ).json();
    expect(item).toEqual(
      expect.objectContaining({
        _class: 'hudson.model.Queue$WaitingItem',
        executable: null,
      }),
    );
    const rows = await sandbox.services[0].describe!();
    expect(rows).toContainEqual(
      expect.objectContaining({ job: 'kop/hybris-build', status: 'queued' }),
    );
  });

  it('fails the payment tests of a brand told to fail, at once when timeScale is 0', async () => {
    const instant = await startSandbox({
      timeScale: 0,
      services: [createJenkinsService({ failBrands: ['g4'], crumbs: false })],
    });
    try {
      const trigger = (brand: string) =>
        fetch(
          `${instant.url}/jenkins/job/kop/job/payment-tests/buildWithParameters`,
          {
            method: 'POST',
            headers: {
              authorization: basic,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: `BRAND=${brand}`,
          },
        );
      expect((await trigger('ks')).status).toBe(201);
      expect((await trigger('g4')).status).toBe(201);
      const build = await (
        await fetch(
          `${instant.url}/jenkins/job/kop/job/payment-tests/2/api/json`,
          {
            headers: { authorization: basic },
          },
        )
      ).json();
      expect([build.building, build.result]).toEqual([false, 'FAILURE']);
      expect(
        (await instant.services[0].describe!()).map(r => [
          r.parameters,
          r.status,
        ]),
      ).toEqual([
        ['BRAND=ks ENVIRONMENT=beta', 'SUCCESS'],
        ['BRAND=g4 ENVIRONMENT=beta', 'FAILURE'],
      ]);
      const crumbIssuer = await fetch(
        `${instant.url}/jenkins/crumbIssuer/api/json`,
        {
          headers: { authorization: basic },
        },
      );
      expect(crumbIssuer.status).toBe(404);
    } finally {
      await instant.close();
    }
  });
});
