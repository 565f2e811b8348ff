import { mockCredentials } from '@backstage/backend-test-utils';
import type { Server } from 'node:http';
import { closedPort, seededJenkinsBuilds, seedFacts } from 'sandbox';
import request from 'supertest';
import { JenkinsClient } from '@internal/plugin-release-node';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));

const draft = {
  grade: 'B',
  dbUpdate: false,
  apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 4 },
    },
  ],
};

describe('the release form routes against the sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let server: Server;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const { integrations, jenkins } = sandboxSystemsConfig(sandbox);
    ({ server } = await startReleaseBackend({
      config: { ...alwaysOpen, integrations, jenkins },
    }));
  });
  afterAll(() => sandbox.dispose());

  it('offers hybris deploy branches newest first, with the newest Jenkins build of each', async () => {
    const jenkins = new JenkinsClient({
      baseUrl: `${sandbox.url}/jenkins`,
      username: 'kop-bot',
      apiToken: 'jenkins-sandbox-token',
      buildToken: 'kop-build-token',
    });
    // The sandbox's Jenkins built each deploy branch once, oldest first; the candidate is built again.
    const { queueId } = await jenkins.triggerBuild('kop/hybris-build', {
      BRANCH: seedFacts.hybris.candidate,
    });
    const rebuilt = seededJenkinsBuilds.length + 1;
    expect(await jenkins.waitForBuildNumber(queueId)).toBe(rebuilt);

    const res = await request(server)
      .get('/api/release/candidates?app=hybris')
      .set('authorization', as('kim.minjun'));
    expect(res.status).toBe(200);
    expect(res.body.from).toBe('branches ^deploy- of kop/hybris');
    const branches = [...seedFacts.hybris.deployBranches].reverse();
    expect(
      res.body.candidates.map(
        (c: { version: string; build?: { number: number } }) => [
          c.version,
          c.build?.number,
        ],
      ),
    ).toEqual(
      branches.map((branch, i) => [
        branch,
        i === 0 ? rebuilt : branches.length - i,
      ]),
    );
    const newest = res.body.candidates[0];
    expect(newest).toMatchObject({
      version: seedFacts.hybris.candidate,
      source: 'branch',
      build: { number: rebuilt },
    });
    expect(newest.label).toMatch(
      new RegExp(`^deploy-2026-01-08 · #${rebuilt} `),
    );
    expect(res.body.candidates[1]).toMatchObject({
      label: `${branches[1]} · #${branches.length - 1} SUCCESS`,
      build: { result: 'SUCCESS', building: false },
    });
  });

  it('offers cms commits of pre-release and web commits of master, newest first', async () => {
    const cms = await request(server)
      .get('/api/release/candidates?app=cms&limit=3')
      .set('authorization', as('kim.minjun'));
    expect(cms.status).toBe(200);
    expect(cms.body.from).toBe('commits of pre-release in kop/cms');
    expect(cms.body.candidates).toHaveLength(3);
    for (const c of cms.body.candidates) {
      expect(c.version).toMatch(/^[0-9a-f]{40}$/);
      expect(c.source).toBe('commit');
    }
    const dates = cms.body.candidates.map((c: { date: string }) => c.date);
    expect([...dates].sort().reverse()).toEqual(dates);
    const web = await request(server)
      .get('/api/release/candidates?app=web')
      .set('authorization', as('kim.minjun'));
    expect(web.body.from).toBe('commits of master in kop/web');
  });

  it('names the field of a bad candidates query and refuses anonymous callers', async () => {
    const bad = await request(server)
      .get('/api/release/candidates?app=payments')
      .set('authorization', as('kim.minjun'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^app: /);
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      const refused = await request(server)
        .get('/api/release/candidates?app=web')
        .set('authorization', header);
      expect(refused.status).toBe(401);
    }
  });

  it('says which system failed, where and why, without its credentials', async () => {
    const port = await closedPort();
    const nowhere = `http://127.0.0.1:${port}`;
    const systems = sandboxSystemsConfig(sandbox);
    const jenkinsDown = await startReleaseBackend({
      config: {
        ...alwaysOpen,
        integrations: systems.integrations,
        jenkins: { ...systems.jenkins, baseUrl: `${nowhere}/jenkins` },
      },
    });
    const branches = await request(jenkinsDown.server)
      .get('/api/release/candidates?app=hybris')
      .set('authorization', as('kim.minjun'));
    expect(branches.status).toBe(200);
    expect(branches.body.candidates.length).toBeGreaterThan(0);
    expect(branches.body.buildsError).toBe(
      `Jenkins (${nowhere}/jenkins/job/kop/job/hybris-build/api/json): list builds of kop/hybris-build failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );

    const [gitlab] = systems.integrations.gitlab;
    const gitlabDown = await startReleaseBackend({
      config: {
        ...alwaysOpen,
        integrations: {
          gitlab: [{ ...gitlab, apiBaseUrl: `${nowhere}/gitlab/api/v4` }],
        },
        jenkins: systems.jenkins,
      },
    });
    const commits = await request(gitlabDown.server)
      .get('/api/release/candidates?app=web')
      .set('authorization', as('kim.minjun'));
    expect(commits.status).toBe(500);
    expect(commits.body.error.message).toBe(
      `GitLab (${nowhere}/gitlab/api/v4/projects/kop%2Fweb/repository/commits?ref_name=master&per_page=20): list commits of master in kop/web failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const said = JSON.stringify([branches.body, commits.body]);
    for (const secret of [gitlab.token, systems.jenkins.apiToken]) {
      expect(said).not.toContain(secret);
    }
  });

  it('previews the announcement and approvers of a draft and stores nothing', async () => {
    const res = await request(server)
      .post('/api/release/preview')
      .set('authorization', as('kim.minjun'))
      .send(draft);
    expect(res.status).toBe(200);
    expect(res.body.notes.announcement).toBe(
      [
        '[kop] 배포합니다.',
        `- 배포버전: hybris(${seedFacts.hybris.candidate})`,
        '- 배포등급: B(낮음)',
        '- DB 업데이트 여부: N',
        '- 배포내역',
        '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      ].join('\n'),
    );
    expect(res.body.approvals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          stage: 'approval',
          role: 'pl',
          group: 'group:default/role-pl',
          teams: ['group:default/kop-hybris'],
        }),
        expect.objectContaining({ stage: 'signoff', role: 'superior' }),
      ]),
    );
    const list = await request(server)
      .get('/api/release/releases')
      .set('authorization', as('kim.minjun'));
    expect(list.body.items).toEqual([]);
  });

  it('refuses a draft below the DB-change floor without a reason, naming the grade', async () => {
    const res = await request(server)
      .post('/api/release/preview')
      .set('authorization', as('kim.minjun'))
      .send({ ...draft, dbUpdate: true });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^gradeReason: grade B is below D/);
  });

  it('shows the IaC diff the release ends with: hybris on the idle colour, traffic switched to it', async () => {
    const res = await request(server)
      .post('/api/release/preview?environment=prod')
      .set('authorization', as('kim.minjun'))
      .send(draft);
    expect(res.status).toBe(200);
    expect(res.body.iac.environment).toBe('prod');
    expect(res.body.iac.error).toBeUndefined();
    const diff: string = res.body.iac.diff;
    expect(diff).toContain('+++ b/hybris/values-green.yaml');
    expect(diff).toContain(`+  tag: ${seedFacts.hybris.candidate}`);
    expect(diff).toContain('+replicaCount: 9');
    expect(diff).toContain('+++ b/hybris/values.yaml');
    expect(diff).toContain('+  hybrisServiceName: green # www.kop.example');
    expect(diff).not.toContain('values-blue.yaml');
  });

  it('marks a form dry run in the audit trail, and the review page leaves no trace', async () => {
    const audit = async () =>
      (
        await request(server)
          .get('/api/release/audit')
          .set('authorization', as('kim.minjun'))
      ).body.items as Array<{ action: string; meta?: object; after?: object }>;
    const before = (await audit()).length;
    await request(server)
      .post('/api/release/preview')
      .set('authorization', as('kim.minjun'))
      .send(draft)
      .expect(200);
    expect(await audit()).toHaveLength(before);
    await request(server)
      .post('/api/release/preview?dryRun=true')
      .set('authorization', as('kim.minjun'))
      .send(draft)
      .expect(200);
    const rows = await audit();
    expect(rows).toHaveLength(before + 1);
    expect(rows[rows.length - 1]).toMatchObject({
      action: 'release.create',
      actor: 'user:default/kim.minjun',
      outcome: 'success',
      meta: { dryRun: true },
      after: { grade: 'B', state: 'prepared' },
    });
    const verify = await request(server)
      .get('/api/release/audit/verify')
      .set('authorization', as('kim.minjun'));
    expect(verify.body.ok).toBe(true);
  });

  it("serves a stored release's IaC diff for its page, and names a bad environment", async () => {
    const created = await request(server)
      .post('/api/release/releases')
      .set('authorization', as('kim.minjun'))
      .send(draft);
    expect(created.status).toBe(201);
    const res = await request(server)
      .get(`/api/release/releases/${created.body.id}/iac?environment=beta`)
      .set('authorization', as('choi.yuna'));
    expect(res.status).toBe(200);
    expect(res.body.environment).toBe('beta');
    expect(res.body.diff).toContain(`+  tag: ${seedFacts.hybris.candidate}`);
    expect(res.body.diff).toContain(
      '+  hybrisServiceName: green # www.kop.example',
    );
    const bad = await request(server)
      .get(`/api/release/releases/${created.body.id}/iac?environment=staging`)
      .set('authorization', as('choi.yuna'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /^environment: must be one of beta, prod/,
    );
  });
});
