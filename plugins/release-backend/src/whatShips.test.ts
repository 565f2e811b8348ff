import { mockCredentials } from '@backstage/backend-test-utils';
import { whatShipsSchema } from '@internal/plugin-release-common';
import type { Server } from 'node:http';
import { sandboxGitlabTokens, seedFacts } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';

describe('POST /what-ships against the sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let server: Server;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const { integrations, argocd } = sandboxSystemsConfig(sandbox);
    ({ server } = await startReleaseBackend({
      config: { ...alwaysOpen, integrations, argocd },
    }));
  });
  afterAll(() => sandbox.dispose());

  const post = (body: unknown, authorization = as('kim.minjun')) =>
    request(server)
      .post('/api/release/what-ships')
      .set('authorization', authorization)
      .send(body as object);

  it('answers a signed-in user with the hybris MRs between what runs and the candidate, items matched', async () => {
    const res = await post({
      app: 'hybris',
      environment: 'prod',
      candidate: seedFacts.hybris.candidate,
      items: [
        {
          title: FOOTER,
          app: 'hybris',
          source: { type: 'asana', gid: '1209000000000042' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      app: 'hybris',
      environment: 'prod',
      project: 'kop/hybris',
      deployed: {
        version: seedFacts.hybris.running,
        source: 'iac',
        argocdApp: 'hybris-blue',
      },
      candidate: { version: seedFacts.hybris.candidate },
      newer: true,
      behind: 0,
      dbUpdate: false,
      minimumGrade: 'A',
      missingItems: [],
      warnings: [],
    });
    expect(
      res.body.mergeRequests.map((m: any) => [m.title, m.item, m.mixedIn]),
    ).toEqual([[FOOTER, 0, false]]);
    expect(res.body.proposedItems).toEqual([
      expect.objectContaining({ title: FOOTER, app: 'hybris' }),
    ]);
    // The answer is exactly the documented shape: parsing it drops nothing and refuses nothing.
    expect(whatShipsSchema.parse(res.body)).toEqual(res.body);
  });

  it('flags a DB change and an MR no item lists as mixed in', async () => {
    const cut = await fetch(
      `${sandbox.url}/gitlab/api/v4/projects/kop%2Fhybris/repository/branches`,
      {
        method: 'POST',
        headers: {
          'private-token': sandboxGitlabTokens.maintainer,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ branch: 'deploy-2026-01-09', ref: 'master' }),
      },
    );
    expect(cut.status).toBe(201);
    const res = await post({
      app: 'hybris',
      environment: 'prod',
      candidate: 'deploy-2026-01-09',
      items: [
        {
          title: FOOTER,
          app: 'hybris',
          source: { type: 'asana', gid: '1209000000000042' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dbUpdate: true, minimumGrade: 'D' });
    expect(res.body.changeClasses.dbChange).toContain(
      'bin/custom/kopcore/resources/items.xml',
    );
    expect(
      res.body.mergeRequests.map((m: any) => [m.title, m.mixedIn]),
    ).toEqual([
      [FOOTER, false],
      ['[HYBRIS] 재입고 알림 타입 추가', true],
    ]);
  });

  it('refuses a caller without a token or with a bad one', async () => {
    const body = {
      app: 'web',
      environment: 'prod',
      candidate: 'a7ed4db1',
    };
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      expect((await post(body, header)).status).toBe(401);
    }
  });

  it.each([
    [
      { app: 'payments', environment: 'prod', candidate: 'a7ed4db1' },
      400,
      'app: Invalid enum value',
    ],
    [{ app: 'web', candidate: 'a7ed4db1' }, 400, 'environment: Required'],
    [
      { app: 'web', environment: 'prod', candidate: '../../etc/passwd' },
      400,
      'candidate: must be a deploy branch, tag or commit SHA',
    ],
    [
      { app: 'web', environment: 'staging', candidate: 'a7ed4db1' },
      400,
      "environment: unknown environment 'staging'",
    ],
    [
      { app: 'hybris', environment: 'prod', candidate: 'master' },
      400,
      "candidate: 'master' is not a hybris version",
    ],
    [
      { app: 'web', environment: 'prod', candidate: 'deadbeef' },
      404,
      "candidate: 'deadbeef' is not a branch, tag or commit of kop/web",
    ],
    [
      {
        app: 'web',
        environment: 'prod',
        candidate: 'a7ed4db1',
        items: [{ title: 'x', source: { type: 'mr', project: 'kop/web' } }],
      },
      400,
      'items.0.source.iid: Required',
    ],
    [
      { app: 'web', environment: 'prod', candidate: 'a7ed4db1', extra: 1 },
      400,
      "body: Unrecognized key(s) in object: 'extra'",
    ],
  ])(
    'answers bad input with a status and a message naming the field (%#)',
    async (body, status, message) => {
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
    },
  );
});
