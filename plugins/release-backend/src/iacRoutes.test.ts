import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { GitlabClient } from '@internal/plugin-release-node';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import {
  defaultSandboxServices,
  hybrisColourValues,
  sandboxGitlabTokens,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const IAC = ['kop/kop-deploy-beta', 'kop/kop-deploy-prod'];
const GREEN = 'hybris/values-green.yaml';
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

describe('the IaC form routes against the sandbox', () => {
  let sandbox: RunningSandbox;
  let server: Server;
  let gitlab: GitlabClient;
  const config = () => ({
    ...alwaysOpen,
    integrations: {
      gitlab: [
        {
          host: new URL(sandbox.url).host,
          apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
          token: sandboxGitlabTokens.maintainer,
        },
      ],
    },
  });
  /** Every IaC branch and its head, to show that nothing moved and nothing was added. */
  const iacBranches = async () =>
    Promise.all(
      IAC.map(async project =>
        (await gitlab.listBranches(project)).map(b => `${b.name}@${b.sha}`),
      ),
    );
  /**
   * Runs `fn` with every write method to the sandbox GitLab set to fail; answers the writes that
   * reached it (each one uses up a fault).
   */
  const gitlabWritesDuring = async (fn: () => Promise<void>) => {
    const { faults } = sandbox.context;
    WRITES.forEach(method =>
      faults.add({ path: '/gitlab/', method, count: 1000, status: 500 }),
    );
    try {
      await fn();
      return faults
        .pending()
        .filter(f => f.count < 1000)
        .map(f => `${f.method} ×${1000 - f.count}`);
    } finally {
      faults.clear();
    }
  };

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
    gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
    });
    ({ server } = await startReleaseBackend({ config: config() }));
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  it('lists the environments and every Argo CD app with its values file and editable keys', async () => {
    const res = await request(server)
      .get('/api/release/iac/targets')
      .set('authorization', as('kim.minjun'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      environments: ['beta', 'prod'],
      targets: [
        {
          argocdApp: 'hybris-blue',
          app: 'hybris',
          file: 'hybris/values-blue.yaml',
          keys: ['image.tag', 'replicaCount'],
        },
        {
          argocdApp: 'hybris-green',
          app: 'hybris',
          file: GREEN,
          keys: ['image.tag', 'replicaCount'],
        },
        {
          argocdApp: 'hybris',
          app: 'hybris',
          file: 'hybris/values.yaml',
          keys: [
            'storefront.hybrisServiceName',
            'backoffice.hybrisServiceName',
            'api.hybrisServiceName',
          ],
        },
        ...['cms', 'cms-internal'].map(argocdApp => ({
          argocdApp,
          app: 'cms',
          file: `${argocdApp}/values.yaml`,
          keys: ['replicaCount', 'image.tag'],
        })),
        {
          argocdApp: 'web',
          app: 'web',
          file: 'web/values.yaml',
          keys: ['replicaCount', 'image.tag'],
        },
      ],
    });
  });

  it('previews the exact diff with the blobs and commit it was read from, and commits nothing', async () => {
    const before = await iacBranches();
    let res: request.Response | undefined;
    const writes = await gitlabWritesDuring(async () => {
      res = await request(server)
        .post('/api/release/iac/preview')
        .set('authorization', as('kim.minjun'))
        .send({
          environment: 'prod',
          changes: [
            {
              argocdApp: 'hybris-green',
              key: 'image.tag',
              value: 'deploy-2026-01-08',
            },
            { argocdApp: 'hybris-green', key: 'replicaCount', value: 9 },
          ],
        });
    });
    expect(writes).toEqual([]);
    expect(res!.status).toBe(200);
    const file = await gitlab.readFile('kop/kop-deploy-prod', 'main', GREEN);
    expect(res!.body).toEqual({
      diff: [
        `diff --git a/${GREEN} b/${GREEN}`,
        `--- a/${GREEN}`,
        `+++ b/${GREEN}`,
        '@@ -3,11 +3,11 @@',
        ' image:',
        '   repository: registry.kop.example/kop/hybris',
        '   # The deploy branch the image was built from (Jenkins kop/hybris-build).',
        '-  tag: deploy-2025-12-23',
        '+  tag: deploy-2026-01-08',
        '   pullPolicy: IfNotPresent',
        ' ',
        ' # 9 replicas is "normal"; the idle colour runs 0.',
        '-replicaCount: 0',
        '+replicaCount: 9',
        ' ',
        ' colour: green',
        ' jgroups:',
        '',
      ].join('\n'),
      expectedBlobs: { [GREEN]: file!.blobId },
      baseSha: file!.commitId,
      changed: true,
    });
    expect(file!.content).toBe(
      hybrisColourValues('green', 'deploy-2025-12-23', 0),
    );
    expect(await iacBranches()).toEqual(before);
  });

  it('answers changed: false and an empty diff when the values are already there', async () => {
    const res = await request(server)
      .post('/api/release/iac/preview')
      .set('authorization', as('kim.minjun'))
      .send({
        environment: 'beta',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: 3 }],
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ diff: '', changed: false });
    expect(Object.keys(res.body.expectedBlobs)).toEqual(['web/values.yaml']);
  });

  it.each([
    [
      'a key the layout does not allow',
      {
        environment: 'prod',
        changes: [
          {
            argocdApp: 'hybris-green',
            key: 'resources.limits.memory',
            value: '32Gi',
          },
        ],
      },
      "changes[0].key 'resources.limits.memory' may not be changed on hybris-green; allowed: image.tag, replicaCount",
    ],
    [
      'an unknown environment',
      {
        environment: 'stage',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: 1 }],
      },
      "environment must be one of beta, prod, got 'stage'",
    ],
    [
      'an absurd replica count',
      {
        environment: 'prod',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: 900 }],
      },
      'changes[0].value (replicaCount of web) must be a whole number of replicas from 0 to 60, got 900',
    ],
    [
      'a value that is not a plain value',
      {
        environment: 'prod',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: { n: 1 } }],
      },
      'changes.0.value: ',
    ],
    [
      'a field the route does not take',
      {
        environment: 'prod',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: 1 }],
        title: 'x',
      },
      "body: Unrecognized key(s) in object: 'title'",
    ],
    [
      'no changes',
      { environment: 'prod', changes: [] },
      'changes: must name at least one key',
    ],
  ])(
    'refuses %s with 400 naming the field, and commits nothing',
    async (_name, body, message) => {
      const before = await iacBranches();
      const res = await request(server)
        .post('/api/release/iac/preview')
        .set('authorization', as('kim.minjun'))
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message.startsWith(message)).toBe(true);
      expect(await iacBranches()).toEqual(before);
    },
  );

  it('refuses anonymous callers and bad tokens on both routes', async () => {
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      const targets = await request(server)
        .get('/api/release/iac/targets')
        .set('authorization', header);
      expect(targets.status).toBe(401);
      const preview = await request(server)
        .post('/api/release/iac/preview')
        .set('authorization', header)
        .send({
          environment: 'prod',
          changes: [{ argocdApp: 'web', key: 'replicaCount', value: 1 }],
        });
      expect(preview.status).toBe(401);
    }
  });

  it('lets a user without release.create read the targets but not preview an edit', async () => {
    const denied = await startReleaseBackend({
      config: config(),
      permission: AuthorizeResult.DENY,
    });
    const targets = await request(denied.server)
      .get('/api/release/iac/targets')
      .set('authorization', as('kim.minjun'));
    expect(targets.status).toBe(200);
    const preview = await request(denied.server)
      .post('/api/release/iac/preview')
      .set('authorization', as('kim.minjun'))
      .send({
        environment: 'prod',
        changes: [{ argocdApp: 'web', key: 'replicaCount', value: 1 }],
      });
    expect(preview.status).toBe(403);
    expect(preview.body.error.message).toBe(
      'You lack the release.create permission',
    );
  });
});
