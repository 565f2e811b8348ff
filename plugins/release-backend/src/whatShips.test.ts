import { mockCredentials } from '@backstage/backend-test-utils';
import { whatShipsSchema } from '@internal/plugin-release-common';
import {
  ArgoCdClient,
  GitlabClient,
  JenkinsClient,
  spliceYamlValues,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import type { Server } from 'node:http';
import { sandboxGitlabTokens, seedFacts } from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from './__testUtils__/databases';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
/** The seed's announcement item of the one hybris MR between what runs and the candidate. */
const footerItem = {
  title: FOOTER,
  app: 'hybris',
  source: { type: 'asana', gid: '1209000000000042' },
};

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
      items: [footerItem],
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
      items: [footerItem],
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

// At file level: the backends run until the file ends, so their databases and sandboxes must too.
const databases = createTestDatabases();
const sandboxes: Array<Awaited<ReturnType<typeof startTestSandbox>>> = [];
afterAll(() => Promise.all(sandboxes.map(s => s.dispose())));

describe.each(databaseIds)(
  "POST /what-ships when hybris runs its build's image tag, on %s against the sandbox",
  databaseId => {
    const { running, candidate, project } = seedFacts.hybris;
    const job = 'kop/hybris-build';
    let server: Server;
    /** The same backend without Jenkins. */
    let withoutJenkins: Server;
    let gitlab: GitlabClient;
    let built: { number: number; url: string; tag: string; sha: string };
    /** The deploy branch's head once it moved on after the build. */
    let movedOn: string;

    beforeAll(async () => {
      const sandbox = await startTestSandbox();
      sandboxes.push(sandbox);
      const knex: Knex = await initMigrated(databases, databaseId);
      const systems = sandboxSystemsConfig(sandbox);
      ({ server } = await startReleaseBackend({
        knex,
        config: { ...alwaysOpen, ...systems },
      }));
      const { jenkins: _jenkins, ...noJenkins } = systems;
      ({ server: withoutJenkins } = await startReleaseBackend({
        config: { ...alwaysOpen, ...noJenkins },
      }));
      gitlab = new GitlabClient({
        apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
        token: sandboxGitlabTokens.maintainer,
      });
      // Jenkins built the deploy branch that runs before the sandbox started, at the branch's head.
      const jenkins = new JenkinsClient(systems.jenkins);
      const build = (
        await jenkins.searchBuilds(job, b => b.parameters.BRANCH === running)
      ).find(b => b.parameters.BRANCH === running)!;
      built = {
        number: build.number,
        url: build.url,
        tag: await jenkins.readImageTag(job, build.number),
        sha: (await gitlab.resolveRef(project, running))!,
      };
      // A deploy wrote that build's tag, and Argo CD runs it.
      await gitlab.commitEdits({
        project: 'kop/kop-deploy-prod',
        branch: 'main',
        message: `[kop] hybris ${built.tag} → blue`,
        paths: ['hybris/values-blue.yaml'],
        edit: files => ({
          'hybris/values-blue.yaml': spliceYamlValues(
            files['hybris/values-blue.yaml']!,
            { 'image.tag': built.tag },
          ),
        }),
      });
      const argocd = new ArgoCdClient({
        instance: systems.argocd.instances.find(i => i.name === 'prod')!,
      });
      await argocd.hardRefresh('hybris-blue');
      const { operationKey } = await argocd.sync('hybris-blue');
      await argocd.waitForOperation('hybris-blue', { operationKey });
      // The deploy branch moved on after the build.
      movedOn = (
        await gitlab.commitEdits({
          project,
          branch: running,
          message: 'hotfix after the build',
          paths: ['docs/after-the-build.md'],
          edit: () => ({ 'docs/after-the-build.md': 'built later\n' }),
        })
      ).sha;
    });

    const post = (on: Server) =>
      request(on)
        .post('/api/release/what-ships')
        .set('authorization', as('kim.minjun'))
        .send({
          app: 'hybris',
          environment: 'prod',
          candidate,
          items: [footerItem],
        });

    it('counts from the commit Jenkins says that build built, however the deploy branch moved on since', async () => {
      const res = await post(server);
      expect(res.status).toBe(200);
      expect(built.tag).toBe(`${running}-${built.number}`);
      expect(res.body).toMatchObject({
        deployed: {
          version: built.tag,
          source: 'iac',
          sha: built.sha,
          commit: {
            from: 'build',
            url: gitlab.projectUrl(project, `commit/${built.sha}`),
            build: { job, number: built.number, url: built.url },
          },
        },
        candidate: { version: candidate },
        newer: true,
        ahead: 2,
        behind: 0,
        missingItems: [],
        warnings: [],
      });
      expect(
        res.body.mergeRequests.map((m: any) => [m.title, m.item, m.mixedIn]),
      ).toEqual([[FOOTER, 0, false]]);
      expect(whatShipsSchema.parse(res.body)).toEqual(res.body);
    });

    it('without Jenkins nothing says which commit the tag was built from: counts from its branch and says so', async () => {
      const res = await post(withoutJenkins);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        deployed: {
          version: built.tag,
          sha: movedOn,
          commit: { from: 'branch', ref: running },
        },
        newer: false,
        behind: 1,
        warnings: [
          `hybris runs ${
            built.tag
          }, and no release recorded a build that pushed it, and Jenkins was not asked: what ships is counted from the head of ${running} (${movedOn.slice(
            0,
            8,
          )}), which may have moved on since that build`,
        ],
      });
    });
  },
);
