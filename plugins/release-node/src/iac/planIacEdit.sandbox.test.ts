import { ConfigReader } from '@backstage/config';
import { rmSync } from 'node:fs';
import {
  defaultSandboxServices,
  hybrisColourValues,
  hybrisSwitchValues,
  sandboxGitlabTokens,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { GitlabClient } from '../gitlab/GitlabClient';
import { readReleaseLayout } from '../layout';
import { gitBlobId } from './gitBlob';
import { planIacEdit, type IacChange } from './planIacEdit';
import { spliceYamlValues } from './spliceYamlValues';

jest.setTimeout(120_000);

const PROD = 'kop/kop-deploy-prod';
const BETA = 'kop/kop-deploy-beta';
const SWITCH = 'hybris/values.yaml';
const GREEN = 'hybris/values-green.yaml';

describe('planIacEdit against the sandbox IaC repositories', () => {
  let sandbox: RunningSandbox;
  let gitlab: GitlabClient;
  const layout = (release: object = {}) =>
    readReleaseLayout(new ConfigReader({ release }));
  const head = async (project: string) =>
    (await gitlab.branch(project, 'main'))!.sha;
  const plan = (
    environment: string,
    changes: IacChange[],
    more: { expectedBlobs?: Record<string, string>; baseSha?: string } = {},
  ) => planIacEdit({ gitlab, layout: layout(), environment, changes, ...more });
  /** Someone else edits a values file by hand. */
  const editByHand = (
    project: string,
    path: string,
    values: Record<string, string | number>,
  ) =>
    gitlab.commitEdits({
      project,
      branch: 'main',
      message: 'by hand',
      paths: [path],
      edit: files => ({ [path]: spliceYamlValues(files[path]!, values) }),
    });

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
    gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
    });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  it('shows the traffic switch to green as git would, comments and formatting kept, writing nothing', async () => {
    const before = await head(PROD);
    const result = await plan(
      'prod',
      ['storefront', 'backoffice', 'api'].map(part => ({
        argocdApp: 'hybris',
        key: `${part}.hybrisServiceName`,
        value: 'green',
      })),
    );

    // The whole file is what the team would have written by hand: only the three values differ.
    expect(result.files).toEqual({ [SWITCH]: hybrisSwitchValues('green') });
    expect(result.diff).toBe(
      [
        'diff --git a/hybris/values.yaml b/hybris/values.yaml',
        '--- a/hybris/values.yaml',
        '+++ b/hybris/values.yaml',
        '@@ -1,11 +1,11 @@',
        ' # hybris — traffic switch (Argo CD app: hybris)',
        ' # The three hybrisServiceName values name the live colour. Switch all three together.',
        ' storefront:',
        '-  hybrisServiceName: blue # www.kop.example',
        '+  hybrisServiceName: green # www.kop.example',
        '   host: www.kop.example',
        ' backoffice:',
        '-  hybrisServiceName: blue',
        '+  hybrisServiceName: green',
        '   host: backoffice.kop.example',
        ' api:',
        '-  hybrisServiceName: blue',
        '+  hybrisServiceName: green',
        '   host: api.kop.example',
        '',
      ].join('\n'),
    );
    const file = await gitlab.readFile(PROD, 'main', SWITCH);
    expect(result).toMatchObject({
      project: PROD,
      branch: 'main',
      baseSha: before,
      expectedBlobs: { [SWITCH]: file!.blobId },
      changed: true,
      requiredBlobs: {},
    });
    expect(gitBlobId(file!.content)).toBe(file!.blobId);
    expect(await head(PROD)).toBe(before);
  });

  it('plans several files of one environment in one diff, replica counts written as numbers', async () => {
    const result = await plan('beta', [
      {
        argocdApp: 'hybris-green',
        key: 'image.tag',
        value: 'deploy-2026-01-08',
      },
      { argocdApp: 'web', key: 'replicaCount', value: '5' },
      { argocdApp: 'hybris-green', key: 'replicaCount', value: 3 },
    ]);
    expect(Object.keys(result.expectedBlobs)).toEqual([
      GREEN,
      'web/values.yaml',
    ]);
    expect(result.files[GREEN]).toBe(
      hybrisColourValues('green', 'deploy-2026-01-08', 3),
    );
    expect(result.files['web/values.yaml']).toContain('\nreplicaCount: 5\n');
    expect(result.diff.match(/^diff --git .*$/gm)).toEqual([
      `diff --git a/${GREEN} b/${GREEN}`,
      'diff --git a/web/values.yaml b/web/values.yaml',
    ]);
    expect(result.diff).toContain('-replicaCount: 3\n+replicaCount: 5\n');
    expect(result.project).toBe(BETA);
  });

  it('answers an empty diff when the file already holds the values', async () => {
    const current = await gitlab.readFile(PROD, 'main', GREEN);
    const result = await plan('prod', [
      { argocdApp: 'hybris-green', key: 'replicaCount', value: 0 },
    ]);
    expect(result).toMatchObject({
      diff: '',
      changed: false,
      files: { [GREEN]: current!.content },
      expectedBlobs: { [GREEN]: current!.blobId },
    });
  });

  it.each<[string, string, IacChange[], string]>([
    [
      'a key the layout does not allow, naming it',
      'prod',
      [
        { argocdApp: 'hybris-green', key: 'replicaCount', value: 3 },
        {
          argocdApp: 'hybris-green',
          key: 'resources.limits.memory',
          value: '32Gi',
        },
      ],
      "changes[1].key 'resources.limits.memory' may not be changed on hybris-green; allowed: image.tag, replicaCount",
    ],
    [
      'an unknown environment',
      'stage',
      [{ argocdApp: 'web', key: 'replicaCount', value: 1 }],
      "environment must be one of beta, prod, got 'stage'",
    ],
    [
      'an app that is not in the layout',
      'prod',
      [{ argocdApp: '../secrets', key: 'replicaCount', value: 1 }],
      "changes[0].argocdApp '../secrets' is not an Argo CD app of the release layout (hybris-blue, hybris-green, hybris, cms, cms-internal, web)",
    ],
    [
      'an absurd replica count',
      'prod',
      [{ argocdApp: 'hybris-blue', key: 'replicaCount', value: '900' }],
      'changes[0].value (replicaCount of hybris-blue) must be a whole number of replicas from 0 to 60, got "900"',
    ],
    [
      'the same key twice',
      'prod',
      [
        { argocdApp: 'cms', key: 'replicaCount', value: 1 },
        { argocdApp: 'cms', key: 'replicaCount', value: 2 },
      ],
      'changes[1] sets replicaCount of cms/values.yaml a second time',
    ],
    [
      'a value that is not what the form saw',
      'prod',
      [
        {
          argocdApp: 'hybris-blue',
          key: 'replicaCount',
          value: 3,
          expected: 5,
        },
      ],
      'IaC values: key replicaCount in hybris/values-blue.yaml is 9, expected 5',
    ],
  ])('refuses %s', async (_name, environment, changes, message) => {
    const before = await head(PROD);
    const error = await plan(environment, changes).catch(e => e);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe(message);
    expect(await head(PROD)).toBe(before);
  });

  it('refuses expectedBlobs or a baseSha that name nothing this change reads', async () => {
    const web = [{ argocdApp: 'web', key: 'replicaCount', value: 2 }];
    const blob = gitBlobId('x');
    await expect(
      plan('prod', web, { expectedBlobs: { [GREEN]: blob } }),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: `expectedBlobs names ${GREEN}, which this change does not touch (web/values.yaml)`,
    });
    await expect(
      plan('prod', web, { expectedBlobs: { 'web/values.yaml': 'abc' } }),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: 'expectedBlobs.web/values.yaml must be a git blob id, got "abc"',
    });
    await expect(plan('prod', web, { baseSha: 'main' })).rejects.toMatchObject({
      name: 'InputError',
      message: 'baseSha must be a commit SHA, got "main"',
    });
  });

  it('refuses a key that is not where config says, naming the file', async () => {
    const error = await planIacEdit({
      gitlab,
      layout: layout({ apps: { web: { imageKey: 'image.version' } } }),
      environment: 'prod',
      changes: [{ argocdApp: 'web', key: 'image.version', value: 'a7ed4db1' }],
    }).catch(e => e);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe(
      'IaC values: key image.version is not there in web/values.yaml',
    );
  });

  it('refuses an IaC branch that does not exist, naming the setting', async () => {
    const error = await planIacEdit({
      gitlab,
      layout: layout({ iac: { branch: 'release' } }),
      environment: 'prod',
      changes: [{ argocdApp: 'web', key: 'replicaCount', value: 2 }],
    }).catch(e => e);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe(
      'IaC repository kop/kop-deploy-prod has no branch release (release.iac.branch)',
    );
  });

  it('refuses stale expectedBlobs or baseSha once the file moved, and plans again from the new blobs', async () => {
    const changes = [
      { argocdApp: 'hybris-green', key: 'replicaCount', value: 4 },
    ];
    const shown = await plan('beta', changes);
    // The same blobs and base still plan the same diff while nothing moved.
    expect(
      await plan('beta', changes, {
        expectedBlobs: shown.expectedBlobs,
        baseSha: shown.baseSha,
      }),
    ).toMatchObject({ diff: shown.diff, requiredBlobs: shown.expectedBlobs });

    await editByHand(BETA, GREEN, { 'resources.limits.memory': '20Gi' });
    for (const given of [
      { expectedBlobs: shown.expectedBlobs },
      { baseSha: shown.baseSha },
    ]) {
      const error = await plan('beta', changes, given).catch(e => e);
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        `${GREEN} in ${BETA} changed since the diff was shown (blob ${shown.expectedBlobs[
          GREEN
        ].slice(0, 8)}, now ${gitBlobId(
          (await gitlab.readFile(BETA, 'main', GREEN))!.content,
        ).slice(0, 8)}); show the diff again`,
      );
    }

    const again = await plan('beta', changes);
    expect(again.expectedBlobs[GREEN]).not.toBe(shown.expectedBlobs[GREEN]);
    expect(again.files[GREEN]).toContain('memory: 20Gi');
    expect(again.files[GREEN]).toContain('\nreplicaCount: 4\n');
  });

  it('still plans from a baseSha when only other files moved since', async () => {
    const changes = [{ argocdApp: 'cms', key: 'replicaCount', value: 1 }];
    const shown = await plan('beta', changes);
    await editByHand(BETA, 'web/values.yaml', { replicaCount: 6 });
    const result = await plan('beta', changes, { baseSha: shown.baseSha });
    expect(result.diff).toBe(shown.diff);
    expect(result.baseSha).not.toBe(shown.baseSha);
  });
});
