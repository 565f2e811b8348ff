import { mockCredentials } from '@backstage/backend-test-utils';
import {
  releaseSchema,
  type ReleaseConfigChange,
} from '@internal/plugin-release-common';
import { GitlabClient } from '@internal/plugin-release-node';
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { sandboxGitlabTokens, seedFacts } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';
import {
  sandboxEngineConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const IAC = ['kop/kop-deploy-beta', 'kop/kop-deploy-prod'];
const WEB = 'web/values.yaml';

describe('config releases: POST /releases with config, against the sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let server: Server;
  let gitlab: GitlabClient;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
    });
    ({ server } = await startReleaseBackend({
      config: {
        ...sandboxEngineConfig(sandbox),
        ...alwaysOpen,
        // The engine looks again every 100 ms, so a deploy moves on while a test watches.
        release: { ...alwaysOpen.release, engine: { pollMs: 100 } },
      },
    }));
  });
  afterAll(() => sandbox.dispose());

  /** What the form holds after showing the diff (POST /iac/preview): the edit and what it was read from. */
  async function shown(changes: ReleaseConfigChange[], environment = 'prod') {
    const res = await request(server)
      .post('/api/release/iac/preview')
      .set('authorization', as('kim.minjun'))
      .send({ environment, changes });
    expect(res.status).toBe(200);
    return {
      environment,
      changes,
      expectedBlobs: res.body.expectedBlobs as Record<string, string>,
      baseSha: res.body.baseSha as string,
      reason: '주말 트래픽 대비 증설 (weekend traffic)',
    };
  }

  const create = (body: object) =>
    request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send(body);

  /** Everything a refused create could have written: the releases, and every IaC branch head. */
  const written = async () => ({
    releases: (
      await request(server)
        .get('/api/release/releases')
        .set('authorization', as('kim.minjun'))
    ).body.items.map((r: { id: string }) => r.id),
    iac: await Promise.all(
      IAC.map(async project =>
        (await gitlab.listBranches(project)).map(b => `${b.name}@${b.sha}`),
      ),
    ),
  });

  const webTag = async () =>
    /^ {2}tag: (\S+)$/m.exec(
      (await gitlab.readFile(seedFacts.iac.project, 'main', WEB))!.content,
    )![1];

  it('creates a grade A config release at the versions that run, and commits nothing', async () => {
    const before = await written();
    const config = await shown([
      { argocdApp: 'web', key: 'replicaCount', value: '5' },
    ]);
    const res = await create({
      title: '[설정 변경] web replicaCount=5',
      grade: 'A',
      dbUpdate: false,
      config,
    });
    expect(res.status).toBe(201);
    expect(releaseSchema.parse(res.body)).toMatchObject({
      title: '[설정 변경] web replicaCount=5',
      state: 'prepared',
      grade: 'A',
      config,
      items: [],
      apps: [
        {
          app: 'web',
          version: await webTag(),
          previousVersion: await webTag(),
          strategy: 'sync',
        },
      ],
    });
    expect((await written()).iac).toEqual(before.iac);

    const notes = await request(server)
      .get(`/api/release/releases/${res.body.id}/notes`)
      .set('authorization', as('kim.minjun'));
    expect(notes.body.announcement).toContain('\t- [설정] web replicaCount=5');
    expect(notes.body.asana).toContain(`변경 사유: ${config.reason}`);

    // The release page's IaC diff is the config change's, read now.
    const iac = await request(server)
      .get(`/api/release/releases/${res.body.id}/iac?environment=prod`)
      .set('authorization', as('kim.minjun'));
    expect(iac.body.diff).toContain('-replicaCount: 3\n+replicaCount: 5\n');
  });

  it('takes hybris at the version the live colour runs, and lets its replicas rise', async () => {
    const res = await create({
      grade: 'A',
      dbUpdate: false,
      config: await shown([
        { argocdApp: 'hybris-blue', key: 'replicaCount', value: 12 },
      ]),
    });
    expect(res.status).toBe(201);
    expect(res.body.apps).toEqual([
      {
        app: 'hybris',
        version: seedFacts.hybris.running,
        previousVersion: seedFacts.hybris.running,
        strategy: 'blue-green-steps',
      },
    ]);
  });

  it.each([
    [
      'another grade',
      { grade: 'B' },
      [{ argocdApp: 'web', key: 'replicaCount', value: 5 }],
      'grade: a config release is grade A, not B',
    ],
    [
      'a DB update',
      { dbUpdate: true },
      [{ argocdApp: 'web', key: 'replicaCount', value: 5 }],
      'dbUpdate: ',
    ],
    [
      'apps beside config',
      { apps: [{ app: 'web', version: 'a7ed4db1' }] },
      [{ argocdApp: 'web', key: 'replicaCount', value: 5 }],
      'apps: a config release names none',
    ],
    [
      'one switch key alone',
      {},
      [
        {
          argocdApp: 'hybris',
          key: 'storefront.hybrisServiceName',
          value: 'green',
        },
      ],
      "config.changes[0].key: 'storefront.hybrisServiceName' is a switch key",
    ],
    [
      'the live colour below its normal count',
      {},
      [{ argocdApp: 'hybris-blue', key: 'replicaCount', value: 0 }],
      'config.changes[0].value: is 0: hybris-blue is the live colour, which never goes below its normal 9 replicas',
    ],
    [
      'a version as a config change',
      {},
      [{ argocdApp: 'web', key: 'image.tag', value: 'a7ed4db1' }],
      "config.changes[0].key: 'image.tag' is the version of web",
    ],
    [
      'an unknown Argo CD app',
      {},
      [{ argocdApp: 'hybris-purple', key: 'replicaCount', value: 3 }],
      "config.changes[0].argocdApp: 'hybris-purple' is not an Argo CD app",
    ],
    [
      'a key the layout does not allow',
      {},
      [{ argocdApp: 'web', key: 'resources.limits.memory', value: '32Gi' }],
      "config.changes[0].key: 'resources.limits.memory' may not be changed on web",
    ],
  ])(
    'refuses %s with 400 naming the field, and writes nothing',
    async (_name, over, changes, message) => {
      const before = await written();
      // The preview refuses what the layout does not allow; the form would have shown no diff.
      const preview = await request(server)
        .post('/api/release/iac/preview')
        .set('authorization', as('kim.minjun'))
        .send({ environment: 'prod', changes });
      const config =
        preview.status === 200
          ? await shown(changes as ReleaseConfigChange[])
          : {
              environment: 'prod',
              changes,
              expectedBlobs: {},
              baseSha: 'a'.repeat(40),
            };
      const res = await create({
        grade: 'A',
        dbUpdate: false,
        config,
        ...over,
      });
      expect([res.status, res.body.error?.message]).toEqual([
        400,
        expect.stringContaining(message),
      ]);
      expect(res.body.error.message.startsWith(message.split(':')[0])).toBe(
        true,
      );
      expect(await written()).toEqual(before);
    },
  );

  it('refuses a change that does not carry the blob of the file it touches', async () => {
    const config = await shown([
      { argocdApp: 'web', key: 'replicaCount', value: 4 },
    ]);
    const res = await create({
      grade: 'A',
      dbUpdate: false,
      config: { ...config, expectedBlobs: {} },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /^config\.expectedBlobs: has no blob/,
    );
  });

  it('refuses an unknown environment, naming it', async () => {
    const config = await shown([
      { argocdApp: 'web', key: 'replicaCount', value: 4 },
    ]);
    const res = await create({
      grade: 'A',
      dbUpdate: false,
      config: { ...config, environment: 'stage' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      "config.environment: must be one of beta, prod, got 'stage'",
    );
  });

  it('still requires apps and items of a release without config', async () => {
    const res = await create({ grade: 'B', dbUpdate: false });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('apps: must name at least one app');
  });

  it('refuses with 409, writing nothing, when the file changed after its diff was shown', async () => {
    const config = await shown(
      [{ argocdApp: 'web', key: 'replicaCount', value: 6 }],
      'beta',
    );
    const project = 'kop/kop-deploy-beta';
    await gitlab.commitEdits({
      project,
      branch: 'main',
      message: 'web: tuned by hand',
      paths: [WEB],
      edit: files => ({ [WEB]: `${files[WEB]}# tuned by hand\n` }),
    });
    const before = await written();
    const res = await create({ grade: 'A', dbUpdate: false, config });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /^config\.expectedBlobs: web\/values\.yaml changed at [0-9a-f]{8} of kop\/kop-deploy-beta since the diff was shown/,
    );
    expect(await written()).toEqual(before);
  });

  it('deploys a config change and aborts it: one revert commit per step, last first, every IaC file back byte for byte', async () => {
    const git = (...args: string[]) =>
      execFileSync(
        'git',
        [
          '--git-dir',
          join(sandbox.context.dataDir, 'git', `${seedFacts.iac.project}.git`),
          ...args,
        ],
        { encoding: 'utf8' },
      );
    const post = (path: string, who: string, body: object = {}) =>
      request(server)
        .post(`/api/release${path}`)
        .set('authorization', as(who))
        .send(body);
    const get = (path: string) =>
      request(server)
        .get(`/api/release${path}`)
        .set('authorization', as('kim.minjun'));
    /** The release's state once it is `state`, read every 100 ms for 30 s at most. */
    const reaches = async (id: string, state: string) => {
      let now = '';
      for (let i = 0; i < 300 && now !== state; i++) {
        if (i) await new Promise(r => setTimeout(r, 100));
        now = (await get(`/releases/${id}`)).body.state;
      }
      return now;
    };
    const branch = seedFacts.iac.branch;
    const before = git('rev-parse', branch).trim();

    // Blue (live) raised 9 → 12, green (idle) 0 → 3, web 3 → 5.
    const res = await create({
      title: '[설정 변경] hybris, web replicaCount',
      grade: 'A',
      dbUpdate: false,
      config: await shown([
        { argocdApp: 'hybris-blue', key: 'replicaCount', value: 12 },
        { argocdApp: 'hybris-green', key: 'replicaCount', value: 3 },
        { argocdApp: 'web', key: 'replicaCount', value: 5 },
      ]),
    });
    expect(res.status).toBe(201);
    const id = res.body.id;
    const plan = await get(`/releases/${id}/plan?environment=prod`);
    expect(plan.body.steps.map((s: { id: string }) => s.id)).toEqual([
      'config.hybris-blue',
      'config.hybris-green',
      'config.web',
      'signoff',
      'announce',
    ]);
    const { fingerprint } = plan.body;
    await post(`/releases/${id}/request-approval`, 'kim.minjun').expect(200);
    await post(`/releases/${id}/approvals`, 'choi.yuna', {
      decision: 'approve',
      fingerprint,
    }).expect(200);
    await post(`/releases/${id}/deploy`, 'kim.minjun', {
      environment: 'prod',
      fingerprint,
    }).expect(201);

    // Every config step committed and healthy: the release waits for its sign-off.
    expect(await reaches(id, 'awaiting_signoff')).toBe('awaiting_signoff');
    const deployed = git('rev-parse', branch).trim();
    expect(
      git('diff', '--numstat', before, deployed).trim().split('\n'),
    ).toEqual([
      '1\t1\thybris/values-blue.yaml',
      '1\t1\thybris/values-green.yaml',
      '1\t1\tweb/values.yaml',
    ]);

    const abort = await post(`/releases/${id}/abort`, 'han.jisoo', {
      reason: 'the weekend campaign was called off',
    });
    expect([abort.status, abort.body.error?.message]).toEqual([200, undefined]);
    expect(abort.body.plan.notes).toEqual([
      'config: puts back, last step first: replicaCount of web 5 → 3, replicaCount of hybris-green 3 → 0, replicaCount of hybris-blue 12 → 9',
    ]);
    expect(await reaches(id, 'aborted')).toBe('aborted');
    expect((await get(`/releases/${id}/deploy`)).body.runs).toMatchObject([
      { kind: 'abort', state: 'done' },
      { kind: 'deploy', state: 'aborted' },
    ]);
    expect(
      git(
        'log',
        '--reverse',
        '--format=%(trailers:key=Release-Step,valueonly)',
        `${deployed}..${branch}`,
      )
        .split('\n')
        .filter(Boolean),
    ).toEqual([
      'abort.config.web',
      'abort.config.hybris-green',
      'abort.config.hybris-blue',
    ]);
    expect(git('diff', before, branch)).toBe('');
    expect(git('rev-parse', `${branch}^{tree}`)).toBe(
      git('rev-parse', `${before}^{tree}`),
    );
  });
});
