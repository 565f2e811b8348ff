import { mockCredentials } from '@backstage/backend-test-utils';
import { GitlabClient } from '@internal/plugin-release-node';
import type { Knex } from 'knex';
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
const api = '/api/release';
type Server = Parameters<typeof request>[0];

/** A deploy branch cut in GitLab that Jenkins has not built. */
const unbuilt = 'deploy-2026-01-15';

const item = {
  title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
  app: 'hybris',
  source: { type: 'mr', project: 'kop/hybris', iid: 412 },
};

// At file level: the backends run until the file ends, so their databases and sandboxes must too.
const databases = createTestDatabases();
const sandboxes: Array<Awaited<ReturnType<typeof startTestSandbox>>> = [];
afterAll(() => Promise.all(sandboxes.map(s => s.dispose())));

describe.each(databaseIds)(
  'a release whose plan builds first (release.plan.build), on %s against the sandbox',
  databaseId => {
    let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
    let knex: Knex;
    let server: Server;
    /** The same backend without the build stage, as before it was switched on. */
    let withoutBuild: Server;

    beforeAll(async () => {
      sandbox = await startTestSandbox();
      sandboxes.push(sandbox);
      const gitlab = new GitlabClient({
        apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
        token: sandboxGitlabTokens.maintainer,
      });
      await gitlab.createBranch(seedFacts.hybris.project, unbuilt, 'master');
      knex = await initMigrated(databases, databaseId);
      const systems = sandboxSystemsConfig(sandbox);
      ({ server } = await startReleaseBackend({
        knex,
        config: {
          ...alwaysOpen,
          ...systems,
          release: { ...alwaysOpen.release, plan: { build: true } },
        },
      }));
      ({ server: withoutBuild } = await startReleaseBackend({
        config: { ...alwaysOpen, ...systems },
      }));
    });

    const create = (version: string, on: Server = server) =>
      request(on)
        .post(`${api}/releases`)
        .set('authorization', as('kim.minjun'))
        .send({
          grade: 'B',
          dbUpdate: false,
          apps: [{ app: 'hybris', version }],
          items: [item],
        });

    const stored = async () => (await knex('releases').select('id')).length;

    it('stores a deploy branch GitLab has and Jenkins never built: its build step builds it', async () => {
      const before = await stored();
      const res = await create(unbuilt);
      expect([res.status, res.body.error?.message]).toEqual([201, undefined]);
      expect(res.body.apps).toEqual([
        expect.objectContaining({ app: 'hybris', version: unbuilt }),
      ]);
      expect(await stored()).toBe(before + 1);
      const read = await request(server)
        .get(`${api}/releases/${res.body.id}`)
        .set('authorization', as('kim.minjun'));
      expect(read.body.apps[0].version).toBe(unbuilt);
      // Without the build stage, nothing would ever build it: refused as before.
      const refused = await create(unbuilt, withoutBuild);
      expect([refused.status, refused.body.error?.message]).toEqual([
        400,
        `apps[0].version: '${unbuilt}' has no Jenkins build among the newest 1000 of kop/hybris-build`,
      ]);
    });

    it('needs no answer from Jenkins to take the branch', async () => {
      sandbox.context.faults.add({
        path: '/jenkins/',
        count: 1000,
        status: 502,
      });
      try {
        const res = await create(unbuilt);
        expect([res.status, res.body.error?.message]).toEqual([201, undefined]);
      } finally {
        sandbox.context.faults.clear();
      }
    });

    it('still refuses a deploy branch GitLab does not have, naming the field and storing nothing', async () => {
      const before = await stored();
      const res = await create('deploy-2026-12-31');
      expect([res.status, res.body.error?.message]).toEqual([
        400,
        "apps[0].version: 'deploy-2026-12-31' is not a branch or tag of kop/hybris",
      ]);
      expect(await stored()).toBe(before);
    });

    it('offers the branch in the version picker marked as one the release builds; built branches are not', async () => {
      const candidates = async (on: Server) => {
        const res = await request(on)
          .get(`${api}/candidates?app=hybris`)
          .set('authorization', as('kim.minjun'));
        expect(res.status).toBe(200);
        return res.body.candidates as Array<{
          version: string;
          buildPlanned?: boolean;
        }>;
      };
      const offered = await candidates(server);
      expect(offered.map(c => [c.version, c.buildPlanned ?? false])).toEqual([
        [unbuilt, true],
        ...[...seedFacts.hybris.deployBranches]
          .reverse()
          .map(branch => [branch, false]),
      ]);
      expect((await candidates(withoutBuild)).every(c => !c.buildPlanned)).toBe(
        true,
      );
    });
  },
);
