import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  describeWindowOpening,
  gradePolicySchema,
  releaseNotesSchema,
  releaseSignalChannel,
} from '@internal/plugin-release-common';
import { GitlabClient, JenkinsClient } from '@internal/plugin-release-node';
import { sandboxGitlabTokens, seedFacts } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(60_000);

const as = (name: string) => mockCredentials.user.header(user(name));

const body = {
  grade: 'B',
  dbUpdate: false,
  apps: [
    { app: 'hybris', version: seedFacts.hybris.candidate },
    // The sandbox's newest web commit, read once it runs (beforeAll).
    { app: 'web', version: '' },
  ],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: {
        type: 'mr',
        project: 'kop/hybris',
        iid: 412,
        url: 'https://gitlab.example/kop/hybris/-/merge_requests/412',
      },
    },
    {
      title: '[버티컬] 대표이사 성명 변경 작업 원복',
      source: { type: 'asana', gid: '1209000000000042' },
    },
  ],
};

let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
let systems: ReturnType<typeof sandboxSystemsConfig>;
let gitlab: GitlabClient;

/** A deploy branch cut in GitLab that Jenkins has not built. */
const unbuilt = 'deploy-2026-01-15';

beforeAll(async () => {
  sandbox = await startTestSandbox();
  systems = sandboxSystemsConfig(sandbox);
  gitlab = new GitlabClient({
    apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
    token: sandboxGitlabTokens.maintainer,
  });
  await gitlab.createBranch(seedFacts.hybris.project, unbuilt, 'master');
  const [web] = await gitlab.listCommits(seedFacts.web.project, {
    ref: seedFacts.web.branch,
    limit: 1,
  });
  body.apps[1].version = web.shortSha;
});
afterAll(() => sandbox?.dispose());

/** The release backend with GitLab and Jenkins in the sandbox, where versions are looked up. */
const start = (
  options: Parameters<typeof startReleaseBackend>[0] & { config?: object } = {},
) =>
  startReleaseBackend({
    ...options,
    config: {
      integrations: systems.integrations,
      jenkins: systems.jenkins,
      ...(options.config ?? alwaysOpen),
    },
  });

/** The release `body` as its author creates it. */
const createRelease = async (server: Parameters<typeof request>[0]) =>
  (
    await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send(body)
      .expect(201)
  ).body.id as string;

describe('release API', () => {
  it('answers /health without a token, refuses everything else without one or with a bad one', async () => {
    const { server } = await start();
    await request(server)
      .get('/api/release/health')
      .set('authorization', mockCredentials.none.header())
      .expect(200);
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      const write = await request(server)
        .post('/api/release/releases')
        .set('authorization', header)
        .send(body);
      expect(write.status).toBe(401);
      const read = await request(server)
        .get('/api/release/releases')
        .set('authorization', header);
      expect(read.status).toBe(401);
    }
    const list = await request(server)
      .get('/api/release/releases')
      .set('authorization', as('kim.minjun'));
    expect(list.body.items).toEqual([]);
  });

  it('refuses a signed-in user without the permission with 403 and writes nothing', async () => {
    const { server } = await start({
      permission: AuthorizeResult.DENY,
    });
    const res = await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send(body);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'You lack the release.create permission',
    );
    const list = await request(server)
      .get('/api/release/releases')
      .set('authorization', as('kim.minjun'));
    expect(list.body.items).toEqual([]);
  });

  it.each([
    [{ ...body, grade: 'F' }, 'grade: Invalid enum value'],
    [
      { ...body, apps: [{ app: 'payments', version: 'a7ed4db1' }] },
      'apps.0.app: Invalid enum value',
    ],
    [{ ...body, apps: [] }, 'apps: must name at least one app'],
    [{ ...body, items: [] }, 'items: must list at least one item that ships'],
    [
      { ...body, apps: [{ app: 'web', version: 'a7ed4db1; rm -rf /' }] },
      "apps[0].version: 'a7ed4db1; rm -rf /' is not a web version",
    ],
    [
      {
        ...body,
        apps: [{ app: 'hybris', version: 'deploy-2026-11-25', steps: [-1, 3] }],
      },
      'apps[0].steps[0]: -1 is not a replica count',
    ],
    [{ ...body, dbUpdate: true }, 'gradeReason: grade B is below D'],
    [{ ...body, dbUpdate: 'Y' }, 'dbUpdate: Expected boolean, received string'],
    [
      { ...body, surprise: 1 },
      "body: Unrecognized key(s) in object: 'surprise'",
    ],
    [
      {
        ...body,
        items: [
          {
            title: 'x',
            source: { type: 'commit', project: 'kop/web', sha: '../../x' },
          },
        ],
      },
      'items.0.source.sha: must be a commit SHA',
    ],
  ])(
    'answers bad input with 400 naming the field, writing nothing (%#)',
    async (input, message) => {
      const { server } = await start();
      const res = await request(server)
        .post('/api/release/releases')
        .set('authorization', as('kim.minjun'))
        .send(input);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(message);
      const list = await request(server)
        .get('/api/release/releases')
        .set('authorization', as('kim.minjun'));
      expect(list.body.items).toEqual([]);
      const verify = await request(server)
        .get('/api/release/audit/verify')
        .set('authorization', as('kim.minjun'));
      expect(verify.body).toEqual({ ok: true, rows: 0 });
    },
  );

  it('takes a release from the form to approved, with who may act shown and every attempt audited', async () => {
    const { server, send, publish } = await start();
    const created = await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .set('x-request-id', 'form-submit-1')
      .send(body);
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      state: 'prepared',
      grade: 'B',
      author: user('kim.minjun'),
    });
    expect(created.body.authorGroups).toBeUndefined();

    await request(server)
      .post(`/api/release/releases/${id}/request-approval`)
      .set('authorization', as('kim.minjun'))
      .expect(200);
    expect(send).toHaveBeenCalledWith({
      recipients: {
        type: 'entity',
        entityRef: ['group:default/role-pl'],
        excludeEntityRef: user('kim.minjun'),
      },
      payload: expect.objectContaining({
        link: `/releases/${id}`,
        topic: 'release-approval',
      }),
    });

    const mine = await request(server)
      .get(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('kim.minjun'));
    expect(mine.body.stages[0]).toMatchObject({
      stage: 'approval',
      requirements: [{ key: 'approval:pl', role: 'pl', scope: 'service' }],
      you: {
        ok: false,
        code: 'self',
        message: 'The author of a release cannot approve it',
      },
    });

    const self = await request(server)
      .post(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('kim.minjun'))
      .send({ decision: 'approve' });
    expect(self.status).toBe(403);

    const pending = await request(server)
      .get('/api/release/approvals/pending')
      .set('authorization', as('choi.yuna'));
    expect(pending.body.items.map((p: any) => p.release.id)).toEqual([id]);

    const ok = await request(server)
      .post(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('choi.yuna'))
      .send({ decision: 'approve', comment: '확인했습니다' });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('approved');

    const again = await request(server)
      .post(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('choi.yuna'))
      .send({ decision: 'approve' });
    expect(again.status).toBe(409);

    // Every open page hears of each change once, refused attempts not at all.
    expect(publish.mock.calls.map(([signal]) => signal)).toEqual(
      [
        ['release.create', 'prepared', 1],
        ['release.request-approval', 'awaiting_approval', 2],
        ['release.approve', 'approved', 3],
      ].map(([action, state, revision]) => ({
        recipients: { type: 'broadcast' },
        channel: releaseSignalChannel,
        message: { releaseId: id, state, revision, action },
      })),
    );

    const trail = await request(server)
      .get(`/api/release/releases/${id}/audit`)
      .set('authorization', as('seo.yeongho'));
    expect(
      trail.body.items.map((t: any) => [t.action, t.actor, t.outcome]),
    ).toEqual([
      ['release.create', user('kim.minjun'), 'success'],
      ['release.request-approval', user('kim.minjun'), 'success'],
      ['release.approve', user('kim.minjun'), 'failure'],
      ['release.approve', user('choi.yuna'), 'success'],
    ]);
    expect(trail.body.items[0].requestId).toBe('form-submit-1');

    const notes = await request(server)
      .get(`/api/release/releases/${id}/notes`)
      .set('authorization', as('kim.minjun'));
    expect(notes.body.announcement.split('\n').slice(0, 4)).toEqual([
      '[kop] 배포합니다.',
      `- 배포버전: hybris(${seedFacts.hybris.candidate}), web(${body.apps[1].version})`,
      '- 배포등급: B(낮음)',
      '- DB 업데이트 여부: N',
    ]);
    expect(releaseNotesSchema.parse(notes.body)).toEqual(notes.body);
    const verify = await request(server)
      .get('/api/release/audit/verify')
      .set('authorization', as('kim.minjun'));
    expect(verify.body).toEqual({ ok: true, rows: 4 });
  });

  it('refuses a too-junior approver even with the permission framework allowing everything', async () => {
    const { server } = await start({
      permission: AuthorizeResult.ALLOW,
    });
    const created = await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send({ ...body, grade: 'D', dbUpdate: true });
    const id = created.body.id;
    await request(server)
      .post(`/api/release/releases/${id}/request-approval`)
      .set('authorization', as('kim.minjun'))
      .expect(200);
    const res = await request(server)
      .post(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('choi.yuna'))
      .send({ decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'Needs an approval from: service-team-lead of the service, infra-superior; you hold developer, pl',
    );
    // Nor does the framework make a developer an admin who may move others' releases.
    const move = await request(server)
      .post(`/api/release/releases/${id}/transition`)
      .set('authorization', as('park.jihoon'))
      .send({ to: 'prepared' });
    expect(move.status).toBe(403);
  });

  it('refuses a deploy outside the release windows with the next opening in the error body', async () => {
    // Open only on the weekday two days from today in Seoul, so now is outside whenever the test runs.
    const [y, m, d] = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Seoul',
    })
      .format(new Date())
      .split('-')
      .map(Number);
    const opensAt = new Date(Date.UTC(y, m - 1, d + 2, 1)); // 10:00 in Seoul
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][
      opensAt.getUTCDay()
    ];
    const { server } = await start({
      config: {
        ...alwaysOpen,
        // The plan the deploy runs is read from the sandbox's IaC and Argo CD.
        argocd: systems.argocd,
        release: {
          windows: [
            { days: [day], from: '10:00', to: '17:00', tz: 'Asia/Seoul' },
          ],
        },
      },
    });
    const id = await createRelease(server);
    const plan = await request(server)
      .get(`/api/release/releases/${id}/plan?environment=prod`)
      .set('authorization', as('kim.minjun'))
      .expect(200);
    const { fingerprint } = plan.body;
    await request(server)
      .post(`/api/release/releases/${id}/request-approval`)
      .set('authorization', as('kim.minjun'))
      .expect(200);
    await request(server)
      .post(`/api/release/releases/${id}/approvals`)
      .set('authorization', as('choi.yuna'))
      .send({ decision: 'approve', fingerprint })
      .expect(200);
    const nextWindow = {
      opensAt: opensAt.toISOString(),
      closesAt: new Date(opensAt.getTime() + 7 * 3600_000).toISOString(),
      tz: 'Asia/Seoul',
    };

    const refused = await request(server)
      .post(`/api/release/releases/${id}/deploy`)
      .set('authorization', as('kim.minjun'))
      .send({ environment: 'prod', fingerprint });
    expect(refused.status).toBe(403);
    const opening = describeWindowOpening({
      opensAt,
      closesAt: new Date(nextWindow.closesAt),
      tz: 'Asia/Seoul',
    });
    expect(opening).toMatch(/ 10:00 Asia\/Seoul \(/);
    expect(refused.body.error).toEqual({
      name: 'NotAllowedError',
      message: `Outside the release windows only grade E deploys, or team-lead may override with a reason. The next window opens ${opening}`,
      nextWindow,
    });

    const unreasoned = await request(server)
      .post(`/api/release/releases/${id}/deploy`)
      .set('authorization', as('han.jisoo'))
      .send({ environment: 'prod', fingerprint });
    expect(unreasoned.status).toBe(400);
    expect(unreasoned.body.error).toEqual({
      name: 'InputError',
      message: `reason: deploying outside the release windows needs a reason of at least 10 characters. The next window opens ${opening}`,
      nextWindow,
    });

    // Neither press started a run or moved the release.
    const deploy = await request(server)
      .get(`/api/release/releases/${id}/deploy`)
      .set('authorization', as('kim.minjun'))
      .expect(200);
    expect(deploy.body.runs).toEqual([]);
    const release = await request(server)
      .get(`/api/release/releases/${id}`)
      .set('authorization', as('kim.minjun'));
    expect(release.body.state).toBe('approved');
  });

  it('refuses /transition to the deploy states with 400 naming to, moving nothing', async () => {
    const { server } = await start();
    const id = await createRelease(server);
    for (const to of ['deploying', 'announced', 'done']) {
      const res = await request(server)
        .post(`/api/release/releases/${id}/transition`)
        .set('authorization', as('kim.minjun'))
        .send({ to });
      expect([to, res.status, res.body.error?.message]).toEqual([
        to,
        400,
        'to: must be one of prepared, beta, aborted; the deploy states move by Deploy, Pause, Resume and Abort',
      ]);
    }
    const release = await request(server)
      .get(`/api/release/releases/${id}`)
      .set('authorization', as('kim.minjun'));
    expect(release.body).toMatchObject({ state: 'prepared', revision: 1 });
  });

  it('names the bad field for transitions, approvals and queries', async () => {
    const { server } = await start();
    const id = await createRelease(server);
    const cases: Array<[string, string, object, number, string]> = [
      [
        'post',
        `/api/release/releases/${id}/transition`,
        { to: 'exploded' },
        400,
        'to: must be one of prepared, beta, aborted',
      ],
      [
        'post',
        `/api/release/releases/${id}/transition`,
        { to: 'prepared' },
        409,
        'state: a release cannot go from prepared to prepared',
      ],
      [
        'post',
        `/api/release/releases/${id}/approvals`,
        { decision: 'maybe' },
        400,
        'decision: Invalid enum value',
      ],
      [
        'post',
        `/api/release/releases/${id}/approvals`,
        { decision: 'approve' },
        409,
        'state: the release is prepared, not awaiting_approval',
      ],
      [
        'post',
        `/api/release/releases/${id}/grade`,
        { grade: 'Z' },
        400,
        'grade: Invalid enum value',
      ],
      [
        'post',
        '/api/release/releases/not-an-id/grade',
        { grade: 'A' },
        400,
        'id: must be a release id',
      ],
      [
        'get',
        '/api/release/releases?limit=100000',
        {},
        400,
        'limit: Number must be less than or equal to 200',
      ],
      [
        'get',
        '/api/release/releases?state=prepared,exploded',
        {},
        400,
        'state.1: Invalid enum value',
      ],
      [
        'get',
        '/api/release/releases?cursor=garbage',
        {},
        400,
        'cursor: not a cursor from a previous page',
      ],
      [
        'get',
        '/api/release/releases/6f1c1f7e-0000-4000-8000-000000000001',
        {},
        404,
        'No release with id',
      ],
    ];
    for (const [method, path, payload, status, message] of cases) {
      const res =
        method === 'get'
          ? await request(server)
              .get(path)
              .set('authorization', as('kim.minjun'))
          : await request(server)
              .post(path)
              .set('authorization', as('kim.minjun'))
              .send(payload);
      expect([path, res.status, res.body.error?.message]).toEqual([
        path,
        status,
        expect.stringContaining(message),
      ]);
    }
    const release = await request(server)
      .get(`/api/release/releases/${id}`)
      .set('authorization', as('kim.minjun'));
    expect(release.body).toMatchObject({
      state: 'prepared',
      grade: 'B',
      revision: 1,
    });
  });

  it('records a link on the release once, refusing bad URLs and strangers', async () => {
    const { server } = await start();
    const id = await createRelease(server);
    const path = `/api/release/releases/${id}/links`;
    const asana = {
      title: 'Asana',
      url: 'https://app.asana.com/0/1200000000000010/1200000000000099',
    };
    for (let i = 0; i < 2; i++) {
      const res = await request(server)
        .post(path)
        .set('authorization', as('kim.minjun'))
        .send(asana);
      expect([res.status, res.body.links, res.body.revision]).toEqual([
        200,
        [asana],
        2,
      ]);
    }
    const refused: Array<[string, object, number, string]> = [
      [
        'kim.minjun',
        { title: 'x', url: 'ftp://example.com/x' },
        400,
        'url: must be an http(s) URL',
      ],
      [
        'kim.minjun',
        { title: 'x', url: 'https://' },
        400,
        'url: must be a valid URL',
      ],
      ['kim.minjun', { url: 'https://example.com/x' }, 400, 'title: Required'],
      [
        'kim.minjun',
        { ...asana, extra: 1 },
        400,
        "Unrecognized key(s) in object: 'extra'",
      ],
      [
        'choi.yuna',
        { title: 'x', url: 'https://example.com/x' },
        403,
        'Only the author or a release admin may add links to this release',
      ],
    ];
    for (const [who, payload, status, message] of refused) {
      const res = await request(server)
        .post(path)
        .set('authorization', as(who))
        .send(payload);
      expect([payload, res.status, res.body.error?.message]).toEqual([
        payload,
        status,
        expect.stringContaining(message),
      ]);
    }
    await request(server)
      .post(path)
      .set('authorization', mockCredentials.none.header())
      .send(asana)
      .expect(401);
    const release = await request(server)
      .get(`/api/release/releases/${id}`)
      .set('authorization', as('kim.minjun'));
    expect(release.body).toMatchObject({ links: [asana], revision: 2 });
  });

  it('serves the configured grade policy', async () => {
    const { server } = await start({
      config: {
        ...alwaysOpen,
        release: {
          ...alwaysOpen.release,
          grades: { C: { approve: ['service-team-lead', 'infra-superior'] } },
        },
      },
    });
    const res = await request(server)
      .get('/api/release/policy')
      .set('authorization', as('kim.minjun'));
    expect(res.body.grades.C).toMatchObject({
      label: '중간',
      approve: ['service-team-lead', 'infra-superior'],
    });
    expect(res.body.grades.B).toMatchObject({
      label: '낮음',
      approve: ['pl'],
      authorIsApprover: 'team-lead',
    });
    // Exactly the documented shape: parsing drops nothing and refuses nothing.
    expect(gradePolicySchema.parse(res.body)).toEqual(res.body);
  });
  it('links a release out to Argo CD, GitLab and Grafana from config alone, and answers 404 for an unknown release', async () => {
    const { server } = await start({
      config: {
        ...alwaysOpen,
        release: {
          ...alwaysOpen.release,
          links: {
            dashboards: [
              {
                title: 'hybris',
                url: 'https://grafana.kop.example/d/hybris?var-env={environment}',
              },
            ],
          },
        },
        integrations: {
          gitlab: [
            {
              host: 'gitlab.kop.example',
              // Versions are looked up in the sandbox; people open GitLab at baseUrl.
              apiBaseUrl: systems.integrations.gitlab[0].apiBaseUrl,
              baseUrl: 'https://gitlab.kop.example',
              token: sandboxGitlabTokens.maintainer,
            },
          ],
        },
        argocd: {
          instances: ['beta', 'prod'].map(name => ({
            name,
            url: `https://argocd-${name}.kop.example`,
            token: 'argocd-never-shown',
          })),
        },
      },
    });
    const created = await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send(body);
    expect(created.status).toBe(201);
    const res = await request(server)
      .get(`/api/release/releases/${created.body.id}/links-out`)
      .set('authorization', as('choi.yuna'));
    expect(res.status).toBe(200);
    expect(res.body.problems).toBeUndefined();
    expect(res.body.links).toEqual(
      expect.arrayContaining([
        {
          system: 'gitlab',
          title: `kop/hybris @ ${seedFacts.hybris.candidate}`,
          url: `https://gitlab.kop.example/kop/hybris/-/tree/${seedFacts.hybris.candidate}`,
        },
        {
          system: 'argocd',
          environment: 'prod',
          title: 'hybris-green (prod)',
          url: 'https://argocd-prod.kop.example/applications/hybris-green',
        },
        {
          system: 'grafana',
          environment: 'beta',
          title: 'hybris',
          url: 'https://grafana.kop.example/d/hybris?var-env=beta',
        },
      ]),
    );
    expect(res.text).not.toMatch(/never-shown/);
    expect(res.text).not.toContain(sandboxGitlabTokens.maintainer);
    const missing = await request(server)
      .get(
        '/api/release/releases/00000000-0000-4000-8000-000000000000/links-out',
      )
      .set('authorization', as('choi.yuna'));
    expect(missing.status).toBe(404);
  });

  describe('looks each version up before storing the release', () => {
    const create = async (
      server: Parameters<typeof request>[0],
      apps: object[],
    ) =>
      request(server)
        .post('/api/release/releases')
        .set('authorization', as('kim.minjun'))
        .send({ ...body, apps, items: [body.items[1]] });

    /** Nothing stored and nothing audited, as for any other bad request. */
    const expectNothingWritten = async (
      server: Parameters<typeof request>[0],
    ) => {
      const list = await request(server)
        .get('/api/release/releases')
        .set('authorization', as('kim.minjun'));
      expect(list.body.items).toEqual([]);
      const verify = await request(server)
        .get('/api/release/audit/verify')
        .set('authorization', as('kim.minjun'));
      expect(verify.body).toEqual({ ok: true, rows: 0 });
    };

    it('stores a hybris deploy branch Jenkins built and a cms commit GitLab has', async () => {
      const { server } = await start();
      const [cms] = await gitlab.listCommits(seedFacts.cms.project, {
        ref: seedFacts.cms.from,
        limit: 1,
      });
      const res = await create(server, [
        { app: 'hybris', version: seedFacts.hybris.candidate },
        { app: 'cms', version: cms.sha },
      ]);
      expect(res.status).toBe(201);
      expect(res.body.apps.map((a: { version: string }) => a.version)).toEqual([
        seedFacts.hybris.candidate,
        cms.sha,
      ]);
    });

    it('stores a rollback to a deploy branch built before the newest 100 builds', async () => {
      const jenkins = new JenkinsClient(systems.jenkins);
      let last = 0;
      for (let i = 0; i < 100; i++) {
        ({ queueId: last } = await jenkins.triggerBuild('kop/hybris-build', {
          BRANCH: seedFacts.hybris.candidate,
        }));
      }
      await jenkins.waitForBuildNumber(last);
      const newest = await jenkins.listBuilds('kop/hybris-build', 100);
      const [oldest] = seedFacts.hybris.deployBranches;
      expect(newest.filter(b => b.parameters.BRANCH === oldest)).toEqual([]);

      const { server } = await start();
      const res = await create(server, [{ app: 'hybris', version: oldest }]);
      expect([res.status, res.body.error?.message]).toEqual([201, undefined]);
      expect(res.body.apps.map((a: { version: string }) => a.version)).toEqual([
        oldest,
      ]);
    });

    it.each([
      [
        'a cms commit GitLab does not have',
        [
          { app: 'hybris', version: seedFacts.hybris.candidate },
          { app: 'cms', version: 'deadbeef' },
        ],
        "apps[1].version: 'deadbeef' is not a commit or tag of kop/cms",
      ],
      [
        'a hybris deploy branch Jenkins never built',
        [{ app: 'hybris', version: unbuilt }],
        `apps[0].version: '${unbuilt}' has no Jenkins build among the newest 1000 of kop/hybris-build`,
      ],
      [
        'a hybris deploy branch GitLab does not have',
        [{ app: 'hybris', version: 'deploy-2026-12-31' }],
        "apps[0].version: 'deploy-2026-12-31' is not a branch or tag of kop/hybris",
      ],
    ])(
      'refuses %s with 400 naming the field, storing nothing',
      async (_what, apps, message) => {
        const { server } = await start();
        const res = await create(server, apps);
        expect([res.status, res.body.error?.message]).toEqual([400, message]);
        await expectNothingWritten(server);
      },
    );

    it.each([
      ['GitLab', '/gitlab/', [{ app: 'web', version: 'deadbeef' }]],
      [
        'Jenkins',
        '/jenkins/',
        [{ app: 'hybris', version: seedFacts.hybris.candidate }],
      ],
    ])(
      'answers 503 naming %s when it cannot be reached, storing nothing',
      async (system, path, apps) => {
        const { server } = await start();
        sandbox.context.faults.add({ path, count: 1000, status: 502 });
        try {
          const res = await create(server, apps);
          expect(res.status).toBe(503);
          expect(res.body.error.message).toMatch(
            new RegExp(
              `^apps\\[0\\]\\.version: cannot be checked: ${system} \\(${sandbox.url}${path}.+\\): .+ failed \\(HTTP 502\\)`,
            ),
          );
        } finally {
          sandbox.context.faults.clear();
        }
        await expectNothingWritten(server);
      },
    );

    it('answers 503 when GitLab is not configured, storing nothing', async () => {
      const { server } = await startReleaseBackend({ config: alwaysOpen });
      const res = await create(server, [{ app: 'web', version: 'deadbeef' }]);
      expect([res.status, res.body.error?.message]).toEqual([
        503,
        'apps[0].version: cannot be checked: GitLab is not configured: set integrations.gitlab in app-config',
      ]);
      await expectNothingWritten(server);
    });
  });
});
