import { ConfigReader } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import {
  readReleaseLayout,
  spliceYamlValues,
} from '@internal/plugin-release-node';
import { gitlabService, sandboxGitlabTokens } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { readOnlyGuard } from '../__testUtils__/readOnly';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createIacUpdateAction } from './iacUpdate';

const PROD = 'kop/kop-deploy-prod';
const BETA = 'kop/kop-deploy-beta';
const GREEN = 'hybris/values-green.yaml';
const enc = encodeURIComponent;
const notes =
  '[kop] 배포합니다.\n- 배포버전: hybris(deploy-2026-01-08)\n- 배포등급: B(낮음)\n- DB 업데이트 여부: N\n- 배포내역\n\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
// One sandbox for the file: each test changes its own environment and files.
const greenStep = {
  environment: 'prod',
  changes: [
    {
      argocdApp: 'hybris-green',
      key: 'image.tag',
      value: 'deploy-2026-01-08-3',
    },
    { argocdApp: 'hybris-green', key: 'replicaCount', value: 3, expected: 0 },
  ],
  notes,
};

describe('kop:iac:update against the sandbox GitLab', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  const api = (path: string) =>
    fetch(`${kop.url}/gitlab/api/v4${path}`, {
      headers: { 'private-token': sandboxGitlabTokens.maintainer },
    }).then(r => r.json());
  const head = async (project = PROD) =>
    (await kop.integrations.gitlab.branch(project, 'main'))!.sha;
  const action = (release: object = {}) =>
    createIacUpdateAction({
      integrations: kop.integrations,
      layout: readReleaseLayout(new ConfigReader({ release })),
      product: 'kop',
      pollMs: 10,
    });
  /** Someone else edits a values file by hand. */
  const editByHand = (
    project: string,
    path: string,
    values: Record<string, string | number>,
  ) =>
    kop.integrations.gitlab.commitEdits({
      project,
      branch: 'main',
      message: 'by hand',
      paths: [path],
      edit: files => ({ [path]: spliceYamlValues(files[path]!, values) }),
    });

  beforeAll(async () => {
    kop = await startKopSandbox({ services: [ctx => gitlabService(ctx)] });
  });
  afterAll(() => kop.stop());

  it('returns the exact diff and the blobs in a dry run, and writes nothing', async () => {
    const before = await head();
    const guard = readOnlyGuard(kop.url);
    const ctx = actionContext(greenStep, { dryRun: true });
    await guard.run(() => action().handler(ctx));

    expect(guard.writes).toEqual([]);
    expect(await head()).toBe(before);
    const out = outputsOf(ctx);
    expect(out.diff).toBe(
      [
        'diff --git a/hybris/values-green.yaml b/hybris/values-green.yaml',
        '--- a/hybris/values-green.yaml',
        '+++ b/hybris/values-green.yaml',
        '@@ -3,11 +3,11 @@',
        ' image:',
        '   repository: registry.kop.example/kop/hybris',
        '   # The deploy branch the image was built from (Jenkins kop/hybris-build).',
        '-  tag: deploy-2025-12-23',
        '+  tag: deploy-2026-01-08-3',
        '   pullPolicy: IfNotPresent',
        ' ',
        ' # 9 replicas is "normal"; the idle colour runs 0.',
        '-replicaCount: 0',
        '+replicaCount: 3',
        ' ',
        ' colour: green',
        ' jgroups:',
        '',
      ].join('\n'),
    );
    const file = await kop.integrations.gitlab.readFile(PROD, 'main', GREEN);
    expect(out.expectedBlobs).toEqual({ [GREEN]: file!.blobId });
    expect(out.baseSha).toBe(before);
    expect(out.changed).toBe(true);
    expect(out.message).toBe(
      `[kop] prod: hybris-green image.tag=deploy-2026-01-08-3, replicaCount=3\n\n${notes}`,
    );
    expect(out.commitSha).toBeUndefined();
  });

  it('commits exactly the shown diff once, with the release notes in the message', async () => {
    const preview = actionContext(greenStep, { dryRun: true });
    await action().handler(preview);
    const shown = outputsOf(preview);

    const checkpoints = new CheckpointStore();
    const ctx = actionContext(
      {
        ...greenStep,
        expectedBlobs: shown.expectedBlobs,
        baseSha: shown.baseSha,
      },
      {
        checkpoints,
        user: { name: '이서연', email: 'lee.seoyeon@kop.example' },
      },
    );
    await action().handler(ctx);
    const out = outputsOf(ctx);
    const sha = await head();
    expect(out.commitSha).toBe(sha);
    expect(out.diff).toBe(shown.diff);

    const commit = await api(
      `/projects/${enc(PROD)}/repository/commits/${sha}`,
    );
    expect(commit.message.trim()).toBe(shown.message);
    expect(commit.author_email).toBe('lee.seoyeon@kop.example');
    expect(commit.parent_ids).toEqual([shown.baseSha]);
    const diffs = await api(
      `/projects/${enc(PROD)}/repository/commits/${sha}/diff`,
    );
    expect(diffs.map((d: { new_path: string }) => d.new_path)).toEqual([GREEN]);
    expect(shown.diff.endsWith(diffs[0].diff)).toBe(true);

    // The task is retried from the start: the checkpoint holds the commit, nothing is sent again.
    const retry = actionContext(greenStep, { checkpoints });
    await action().handler(retry);
    expect(await head()).toBe(sha);
    expect(checkpoints.ran).toEqual(['iac-plan-prod', 'iac-commit-prod']);
    expect(outputsOf(retry).commitSha).toBe(sha);

    // Killed after the commit landed but before its checkpoint was kept: the rerun sees the values
    // already there (not a conflict with the diff it showed) and commits nothing.
    const lost = new CheckpointStore();
    lost.values.set('iac-plan-prod', checkpoints.values.get('iac-plan-prod')!);
    const resumed = actionContext(
      {
        ...greenStep,
        expectedBlobs: shown.expectedBlobs,
        baseSha: shown.baseSha,
      },
      { checkpoints: lost },
    );
    await action().handler(resumed);
    expect(lost.ran).toEqual(['iac-commit-prod']);
    expect(await head()).toBe(sha);
    expect(outputsOf(resumed).commitSha).toBe(sha);

    // A new task asking for the same values finds nothing to change.
    const again = actionContext(greenStep);
    await action().handler(again);
    expect(await head()).toBe(sha);
    expect(outputsOf(again)).toMatchObject({
      changed: false,
      diff: '',
      commitSha: sha,
    });
  });

  it('refuses when a file changed underneath since the diff was shown, committing nothing', async () => {
    const betaStep = { ...greenStep, environment: 'beta' };
    const preview = actionContext(betaStep, { dryRun: true });
    await action().handler(preview);
    const shown = outputsOf(preview);
    await editByHand(BETA, GREEN, { 'resources.limits.memory': '20Gi' });
    const moved = await head(BETA);

    for (const given of [
      { expectedBlobs: shown.expectedBlobs },
      { baseSha: shown.baseSha },
    ]) {
      const ctx = actionContext({ ...betaStep, ...given });
      const error = await action()
        .handler(ctx)
        .catch(e => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toMatch(
        /^hybris\/values-green\.yaml in kop\/kop-deploy-beta changed since the diff was shown/,
      );
      expect(await head(BETA)).toBe(moved);
    }
  });

  it('still commits when only other files moved since the diff was shown', async () => {
    const webStep = {
      environment: 'prod',
      changes: [{ argocdApp: 'web', key: 'replicaCount', value: 4 }],
    };
    const preview = actionContext(webStep, { dryRun: true });
    await action().handler(preview);
    const shown = outputsOf(preview);
    await editByHand(PROD, 'cms/values.yaml', { replicaCount: 4 });

    const ctx = actionContext({ ...webStep, baseSha: shown.baseSha });
    await action().handler(ctx);
    expect(outputsOf(ctx).diff).toBe(shown.diff);
    expect(outputsOf(ctx).commitSha).toBe(await head());
  });

  it('opens one merge request and merges it in merge-request mode', async () => {
    const cmsStep = {
      environment: 'beta',
      changes: [
        { argocdApp: 'cms', key: 'replicaCount', value: 2, expected: 3 },
        { argocdApp: 'cms-internal', key: 'replicaCount', value: 1 },
      ],
      notes,
    };
    const before = await head(BETA);
    const checkpoints = new CheckpointStore();
    const ctx = actionContext(cmsStep, { checkpoints });
    await action({ iac: { mode: 'merge-request' } }).handler(ctx);
    const out = outputsOf(ctx);
    const after = await head(BETA);
    expect(out.commitSha).toBe(after);
    expect(out.mergeRequestUrl).toMatch(
      /\/kop\/kop-deploy-beta\/-\/merge_requests\/\d+$/,
    );

    const mrs = await api(`/projects/${enc(BETA)}/merge_requests?state=merged`);
    expect(mrs).toHaveLength(1);
    expect(mrs[0]).toMatchObject({
      description: notes,
      target_branch: 'main',
      merge_commit_sha: after,
    });
    const merge = await api(
      `/projects/${enc(BETA)}/repository/commits/${after}`,
    );
    expect(merge.parent_ids[0]).toBe(before);
    const diffs = await api(
      `/projects/${enc(BETA)}/repository/compare?from=${before}&to=${after}`,
    );
    expect(
      diffs.diffs.map((d: { new_path: string }) => d.new_path).sort(),
    ).toEqual(['cms-internal/values.yaml', 'cms/values.yaml']);

    await action({ iac: { mode: 'merge-request' } }).handler(
      actionContext(cmsStep, { checkpoints }),
    );
    expect(await head(BETA)).toBe(after);
    expect(await api(`/projects/${enc(BETA)}/merge_requests`)).toHaveLength(1);
  });

  it.each([
    [
      'a key the layout does not allow',
      [
        {
          argocdApp: 'hybris-green',
          key: 'resources.limits.memory',
          value: '32Gi',
        },
      ],
      "changes[0].key 'resources.limits.memory' may not be changed on hybris-green; allowed: image.tag, replicaCount",
    ],
    [
      'an app that is not in the layout',
      [{ argocdApp: '../secrets', key: 'replicaCount', value: 1 }],
      "changes[0].argocdApp '../secrets' is not an Argo CD app of the release layout",
    ],
    [
      'a negative replica count',
      [{ argocdApp: 'web', key: 'replicaCount', value: -1 }],
      'changes[0].value (replicaCount of web) must be a whole number of replicas from 0 to 60, got -1',
    ],
    [
      'an absurd replica count',
      [{ argocdApp: 'hybris-blue', key: 'replicaCount', value: '900' }],
      'changes[0].value (replicaCount of hybris-blue) must be a whole number of replicas from 0 to 60, got "900"',
    ],
    [
      'a switch to something that is not a colour',
      [{ argocdApp: 'hybris', key: 'api.hybrisServiceName', value: 'purple' }],
      'changes[0].value (api.hybrisServiceName of hybris) must name a hybris colour (blue, green), got "purple"',
    ],
    [
      'an image tag with a space',
      [{ argocdApp: 'cms', key: 'image.tag', value: 'abc def' }],
      'changes[0].value (image.tag of cms) must be an image tag',
    ],
    [
      'a value that is not what the form saw',
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
  ])(
    'refuses %s, naming the field, and commits nothing',
    async (_name, changes, message) => {
      const before = await head();
      const error = await action()
        .handler(actionContext({ environment: 'prod', changes }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(message);
      expect(await head()).toBe(before);
    },
  );

  it.each(['stage', 'constructor'])(
    'refuses the unknown environment %s',
    async environment => {
      await expect(
        action().handler(actionContext({ ...greenStep, environment })),
      ).rejects.toThrow(
        `environment must be one of beta, prod, got '${environment}'`,
      );
    },
  );

  it('refuses when a key is not where config says', async () => {
    const before = await head();
    const error = await action({ apps: { web: { imageKey: 'image.version' } } })
      .handler(
        actionContext({
          environment: 'prod',
          changes: [
            { argocdApp: 'web', key: 'image.version', value: 'a7ed4db1' },
          ],
        }),
      )
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'IaC values: key image.version is not there in web/values.yaml',
    );
    expect(await head()).toBe(before);
  });
});
