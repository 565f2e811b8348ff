import { InputError } from '@backstage/errors';
import { gitlabService, sandboxGitlabTokens, seedFacts } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { readOnlyGuard } from '../__testUtils__/readOnly';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createGitlabReleaseBranchAction } from './gitlabReleaseBranch';

const HYBRIS = seedFacts.hybris.project;
const CMS = seedFacts.cms.project;
const enc = encodeURIComponent;
const notes = '[kop] 배포합니다.\n- 배포내역\n\t- [CMS] KS 템플릿 업데이트';

describe('kop:gitlab:release-branch against the sandbox GitLab', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  // The sandbox judges pipelines by this clock and the action sleeps on it: no real waiting.
  let now = Date.parse('2026-01-08T01:00:00Z');
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  const action = () =>
    createGitlabReleaseBranchAction({
      integrations: kop.integrations,
      layout: kop.layout,
      clock,
      pollMs: 60_000,
      now: () => new Date(now),
    });
  const gitlab = () => kop.integrations.gitlab;
  const api = (path: string) =>
    fetch(`${kop.url}/gitlab/api/v4${path}`, {
      headers: { 'private-token': sandboxGitlabTokens.maintainer },
    }).then(r => r.json());
  const branches = async (project: string) =>
    (await api(`/projects/${enc(project)}/repository/branches?per_page=100`))
      .map((b: { name: string }) => b.name)
      .sort();
  const mergeRequests = (project: string, state = 'all') =>
    api(`/projects/${enc(project)}/merge_requests?state=${state}`);

  beforeAll(async () => {
    kop = await startKopSandbox({
      timeScale: 1,
      services: [
        ctx =>
          gitlabService(ctx, undefined, {
            now: () => now,
            pipelineMs: 5 * 60_000,
          }),
      ],
    });
  });
  afterAll(() => kop.stop());

  describe('hybris', () => {
    it('names the deploy branch and its commit in a dry run, and writes nothing', async () => {
      const before = await branches(HYBRIS);
      const master = await gitlab().resolveRef(HYBRIS, 'master');
      const guard = readOnlyGuard(kop.url);
      const ctx = actionContext(
        { app: 'hybris' as const, date: '2026-01-09' },
        { dryRun: true },
      );
      await guard.run(() => action().handler(ctx));
      expect(guard.writes).toEqual([]);
      expect(outputsOf(ctx)).toEqual({
        project: HYBRIS,
        branch: 'deploy-2026-01-09',
        version: 'deploy-2026-01-09',
        sha: master,
      });
      expect(await branches(HYBRIS)).toEqual(before);
    });

    it('cuts deploy-YYYY-MM-DD (today in Korea) from master once', async () => {
      now = Date.parse('2026-01-09T16:30:00Z'); // 2026-01-10 01:30 in Korea
      const master = await gitlab().resolveRef(HYBRIS, 'master');
      const checkpoints = new CheckpointStore();
      const ctx = actionContext({ app: 'hybris' as const }, { checkpoints });
      await action().handler(ctx);
      expect(outputsOf(ctx)).toEqual({
        project: HYBRIS,
        branch: 'deploy-2026-01-10',
        version: 'deploy-2026-01-10',
        sha: master,
      });
      expect((await gitlab().branch(HYBRIS, 'deploy-2026-01-10'))!.sha).toBe(
        master,
      );

      const after = await branches(HYBRIS);
      await action().handler(
        actionContext({ app: 'hybris' as const }, { checkpoints }),
      );
      expect(checkpoints.ran).toEqual(['hybris-cut-from', 'hybris-branch']);
      // A new task for the same day finds its branch already at the same commit.
      await action().handler(actionContext({ app: 'hybris' as const }));
      expect(await branches(HYBRIS)).toEqual(after);
    });

    it('refuses a deploy branch that exists at another commit, naming it', async () => {
      const before = await branches(HYBRIS);
      const error = await action()
        .handler(actionContext({ app: 'hybris' as const, date: '2026-01-06' }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /^branch deploy-2026-01-06 already exists in kop\/hybris at [0-9a-f]{8}, not at master \([0-9a-f]{8}\)/,
      );
      expect(await branches(HYBRIS)).toEqual(before);
    });

    it('merges develop into master through a merge request, waits for its pipeline, then cuts', async () => {
      const master = (await gitlab().resolveRef(HYBRIS, 'master'))!;
      await gitlab().createBranch(HYBRIS, 'develop', master);
      await gitlab().commitEdits({
        project: HYBRIS,
        branch: 'develop',
        message: '[HYBRIS] 재입고 알림 문구',
        paths: ['config/restock.properties'],
        edit: () => ({
          'config/restock.properties': 'restock.mail.subject=재입고 알림\n',
        }),
      });
      const started = now;
      const ctx = actionContext({
        app: 'hybris' as const,
        date: '2026-01-12',
        mergeFrom: 'develop',
      });
      await action().handler(ctx);
      const out = outputsOf(ctx);
      const merged = await gitlab().resolveRef(HYBRIS, 'master');
      expect(out).toMatchObject({
        branch: 'deploy-2026-01-12',
        sha: merged,
        mergeSha: merged,
        mergeRequestUrl: expect.stringMatching(
          /\/kop\/hybris\/-\/merge_requests\/\d+$/,
        ),
      });
      expect(now - started).toBeGreaterThanOrEqual(5 * 60_000);
      const commit = await api(
        `/projects/${enc(HYBRIS)}/repository/commits/${merged}`,
      );
      expect(commit.parent_ids[0]).toBe(master);
      expect((await gitlab().branch(HYBRIS, 'deploy-2026-01-12'))!.sha).toBe(
        merged,
      );
      expect(
        await gitlab().readFile(
          HYBRIS,
          'deploy-2026-01-12',
          'config/restock.properties',
        ),
      ).toBeDefined();
    });
  });

  describe('cms', () => {
    it('says what would ship in a dry run, and writes nothing', async () => {
      const before = await branches(CMS);
      const mrs = (await mergeRequests(CMS)).length;
      const preRelease = await gitlab().resolveRef(CMS, 'pre-release');
      const guard = readOnlyGuard(kop.url);
      const ctx = actionContext(
        { app: 'cms' as const, date: '2026-01-08' },
        { dryRun: true },
      );
      await guard.run(() => action().handler(ctx));
      expect(guard.writes).toEqual([]);
      expect(outputsOf(ctx)).toEqual({
        project: CMS,
        branch: 'release/2026-01-08',
        sha: preRelease,
      });
      expect(ctx.logger.info).toHaveBeenCalledWith(
        expect.stringContaining('[CMS] KS CMS-상세HTML 수정 요청'),
      );
      expect(await branches(CMS)).toEqual(before);
      expect(await mergeRequests(CMS)).toHaveLength(mrs);
    });

    it('refuses a ref that is not on pre-release', async () => {
      const error = await action()
        .handler(actionContext({ app: 'cms' as const, ref: 'master' }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        "ref 'master' is not on pre-release of kop/cms; only pre-release is released",
      );
    });

    it('fails with the merge request when its pipeline fails, merging nothing', async () => {
      const master = await gitlab().resolveRef(CMS, 'master');
      const ctx = actionContext({
        app: 'cms' as const,
        date: '2026-01-07',
        title: 'Release 2026-01-07 [ci-fail]',
      });
      await expect(action().handler(ctx)).rejects.toThrow(
        /^GitLab: merge request !\d+ of kop\/cms: its pipeline failed: http.*\/kop\/cms\/-\/merge_requests\/\d+$/,
      );
      expect(await gitlab().resolveRef(CMS, 'master')).toBe(master);
      // Leave nothing open for the next test.
      const open = await mergeRequests(CMS, 'opened');
      for (const mr of open.filter((m: { title: string }) =>
        m.title.includes('[ci-fail]'),
      )) {
        await fetch(
          `${kop.url}/gitlab/api/v4/projects/${enc(
            CMS,
          )}/repository/branches/${enc(mr.source_branch)}`,
          {
            method: 'DELETE',
            headers: { 'private-token': sandboxGitlabTokens.maintainer },
          },
        );
      }
    });

    it('gives up waiting for a pipeline after the timeout', async () => {
      const master = await gitlab().resolveRef(CMS, 'master');
      const ctx = actionContext({
        app: 'cms' as const,
        branch: 'release/slow',
        pipelineTimeoutMinutes: 2,
      });
      await expect(action().handler(ctx)).rejects.toThrow(
        /was still not mergeable after 2 min \(ci_still_running, pipeline running\)/,
      );
      expect(await gitlab().resolveRef(CMS, 'master')).toBe(master);
    });

    it('branches from pre-release, opens a merge request to master, waits for its pipeline and merges once', async () => {
      const preRelease = await gitlab().resolveRef(CMS, 'pre-release');
      const checkpoints = new CheckpointStore();
      const input = {
        app: 'cms' as const,
        date: '2026-01-08',
        description: notes,
      };
      const ctx = actionContext(input, { checkpoints });
      await action().handler(ctx);
      const out = outputsOf(ctx);
      const master = await gitlab().resolveRef(CMS, 'master');
      expect(out).toMatchObject({
        project: CMS,
        branch: 'release/2026-01-08',
        sha: preRelease,
        mergeSha: master,
        version: master!.slice(0, 8),
        mergeRequestUrl: expect.stringMatching(
          /\/kop\/cms\/-\/merge_requests\/\d+$/,
        ),
      });
      const mr = (await mergeRequests(CMS, 'merged')).find(
        (m: { iid: number }) => m.iid === out.mergeRequestIid,
      );
      expect(mr).toMatchObject({
        title: 'Release 2026-01-08',
        description: notes,
        source_branch: 'release/2026-01-08',
        target_branch: 'master',
        merge_commit_sha: master,
      });

      const count = (await mergeRequests(CMS)).length;
      await action().handler(actionContext(input, { checkpoints }));
      expect(checkpoints.ran).toEqual([
        'cms-cut-from',
        'cms-branch',
        'cms-merge-request',
        'cms-merge',
      ]);
      expect(await mergeRequests(CMS)).toHaveLength(count);
      expect(await gitlab().resolveRef(CMS, 'master')).toBe(master);
    });
  });
});
