import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../index';
import { GitRepos } from '../git/GitRepos';
import { gitlabService, sandboxGitlabTokens, seedFacts } from './index';

const MAINTAINER = sandboxGitlabTokens.maintainer;
const READER = sandboxGitlabTokens.readOnly;
const enc = encodeURIComponent;

describe('GitLab sandbox', () => {
  let dataDir: string;
  let sandbox: RunningSandbox;
  let clock = Date.parse('2026-01-08T01:00:00Z');

  const start = (dir: string) =>
    startSandbox({
      dataDir: dir,
      timeScale: 1,
      services: [
        ctx =>
          gitlabService(ctx, GitRepos.forContext(ctx), { now: () => clock }),
      ],
    });

  const api = async (
    path: string,
    init: RequestInit & { token?: string | null } = {},
  ) => {
    const { token = MAINTAINER, ...rest } = init;
    const headers: Record<string, string> = {
      ...(rest.body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { 'private-token': token } : {}),
      ...((rest.headers as Record<string, string>) ?? {}),
    };
    const res = await fetch(`${sandbox.url}/gitlab/api/v4${path}`, {
      ...rest,
      headers,
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // raw files are text
    }
    return { status: res.status, headers: res.headers, body };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kop-gitlab-'));
    sandbox = await start(dataDir);
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 without a token or with a wrong one, and names the user of a good one (PRIVATE-TOKEN or Bearer)', async () => {
    expect(await api('/user', { token: null })).toMatchObject({
      status: 401,
      body: { message: '401 Unauthorized' },
    });
    expect((await api('/user', { token: 'glpat-wrong' })).status).toBe(401);
    expect((await api('/user')).body).toMatchObject({
      username: 'kop-release-bot',
      bot: true,
    });
    const bearer = await api('/user', {
      token: null,
      headers: { authorization: `Bearer ${READER}` },
    });
    expect(bearer.body.username).toBe('kop-viewer');
  });

  it('finds projects by URL-encoded path or id, with the caller’s access level', async () => {
    const project = await api(`/projects/${enc('kop/hybris')}`);
    expect(project.body).toMatchObject({
      id: 101,
      path_with_namespace: 'kop/hybris',
      default_branch: 'master',
      permissions: { project_access: { access_level: 40 } },
    });
    expect((await api('/projects/104')).body.path_with_namespace).toBe(
      'kop/kop-deploy-prod',
    );
    expect(await api(`/projects/${enc('kop/nope')}`)).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    const member = await api(
      `/projects/${enc('kop/kop-deploy-prod')}/members/all/12`,
    );
    expect(member.body).toMatchObject({
      username: 'kop-viewer',
      access_level: 20,
    });
  });

  it('seeds deploy branches for hybris and pre-release for cms, and says who can push where', async () => {
    const hybris = await api(
      `/projects/${enc('kop/hybris')}/repository/branches`,
    );
    expect(hybris.body.map((b: any) => b.name)).toEqual([
      ...seedFacts.hybris.deployBranches,
      'master',
    ]);
    const cms = await api(
      `/projects/${enc('kop/cms')}/repository/branches?search=pre`,
    );
    expect(cms.body.map((b: any) => b.name)).toEqual(['pre-release']);
    const main = `/projects/${enc(
      'kop/kop-deploy-prod',
    )}/repository/branches/main`;
    expect((await api(main)).body).toMatchObject({
      protected: true,
      can_push: true,
    });
    expect((await api(main, { token: READER })).body.can_push).toBe(false);
    expect((await api(`/projects/101/repository/branches/nope`)).status).toBe(
      404,
    );
  });

  it('keeps the IaC repository with hybris live on blue, with comments in the values files', async () => {
    const iac = `/projects/${enc('kop/kop-deploy-prod')}/repository/files`;
    const blue = await api(`${iac}/${enc('hybris/values-blue.yaml')}?ref=main`);
    expect(blue.status).toBe(200);
    expect(blue.body).toMatchObject({
      file_path: 'hybris/values-blue.yaml',
      encoding: 'base64',
      ref: 'main',
    });
    expect(blue.body.last_commit_id).toMatch(/^[0-9a-f]{40}$/);
    const text = Buffer.from(blue.body.content, 'base64').toString('utf8');
    expect(text).toContain(`tag: ${seedFacts.hybris.running}`);
    expect(text).toContain('replicaCount: 9');
    expect(text).toMatch(/^# hybris — blue colour/);
    const green = await api(
      `${iac}/${enc('hybris/values-green.yaml')}/raw?ref=main`,
    );
    expect(green.body).toContain('replicaCount: 0');
    const sw = await api(`${iac}/${enc('hybris/values.yaml')}/raw?ref=main`);
    expect(sw.body.match(/hybrisServiceName: blue/g)).toHaveLength(3);
    const tree = await api(
      `/projects/${enc(
        'kop/kop-deploy-prod',
      )}/repository/tree?path=argocd/apps&ref=main`,
    );
    expect(tree.body.map((e: any) => e.name)).toContain('hybris-blue.yaml');
    expect(await api(`${iac}/${enc('nope.yaml')}?ref=main`)).toMatchObject({
      status: 404,
      body: { message: '404 File Not Found' },
    });
    expect(
      (await api(`${iac}/${enc('../../etc/passwd')}?ref=main`)).status,
    ).toBe(404);
  });

  it('compares two deploy branches: commits oldest first, diffs with paths, merged MRs by merge commit', async () => {
    const { running, candidate } = seedFacts.hybris;
    const res = await api(
      `/projects/${enc(
        'kop/hybris',
      )}/repository/compare?from=${running}&to=${candidate}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.commits.map((c: any) => c.title)).toEqual([
      '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      "Merge branch 'feature/revert-footer-ceo-name' into 'master'",
    ]);
    expect(res.body.diffs.map((d: any) => d.new_path)).toEqual([
      'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag',
    ]);
    const merged = await api(
      `/projects/${enc(
        'kop/hybris',
      )}/merge_requests?state=merged&target_branch=master`,
    );
    const mergeShas = res.body.commits.map((c: any) => c.id);
    expect(
      merged.body
        .filter((m: any) => mergeShas.includes(m.merge_commit_sha))
        .map((m: any) => m.title),
    ).toEqual(['[HYBRIS] 푸터 대표이사 성명 변경 작업 원복']);
    const toMaster = await api(
      `/projects/${enc(
        'kop/hybris',
      )}/repository/compare?from=${candidate}&to=master`,
    );
    expect(toMaster.body.diffs.map((d: any) => d.new_path)).toContain(
      'bin/custom/kopcore/resources/items.xml',
    );
    expect(
      (await api(`/projects/101/repository/compare?from=nope&to=master`))
        .status,
    ).toBe(404);
  });

  it('answers the merge base of two refs, 404 naming a ref it lacks and 400 without two refs', async () => {
    const { running, candidate } = seedFacts.hybris;
    const path = `/projects/${enc('kop/hybris')}/repository/merge_base`;
    const compared = await api(
      `/projects/${enc(
        'kop/hybris',
      )}/repository/compare?from=${running}&to=${candidate}`,
    );
    const base = await api(`${path}?refs[]=${candidate}&refs[]=${running}`);
    expect(base.status).toBe(200);
    // The candidate holds the running version: their merge base is the running version itself.
    expect(base.body.id).toBe(
      compared.body.commits[0].parent_ids.find(Boolean),
    );
    expect(base.body).toHaveProperty('title');
    expect(await api(`${path}?refs[]=nope&refs[]=${running}`)).toMatchObject({
      status: 404,
      body: { message: 'Could not find ref: nope' },
    });
    expect((await api(`${path}?refs[]=${running}`)).status).toBe(400);
  });

  it('lists commits of a ref page by page with GitLab’s pagination headers, and shows one commit', async () => {
    const first = await api(
      `/projects/101/repository/commits?ref_name=master&per_page=3`,
    );
    expect(first.body).toHaveLength(3);
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('link')).toContain('rel="next"');
    const total = Number(first.headers.get('x-total'));
    expect(total).toBeGreaterThan(10);
    const one = await api(
      `/projects/101/repository/commits/${first.body[0].id}`,
    );
    expect(one.body).toMatchObject({ id: first.body[0].id, project_id: 101 });
    expect(one.body.stats.total).toBeGreaterThan(0);
    const diff = await api(
      `/projects/101/repository/commits/${first.body[0].id}/diff`,
    );
    expect(diff.body[0]).toHaveProperty('new_path');
  });

  it('commits several files at once with the Commits API, refuses a read-only token and a stale file', async () => {
    const path = `/projects/${enc('kop/kop-deploy-prod')}`;
    const before = await api(
      `${path}/repository/files/${enc('hybris/values-green.yaml')}?ref=main`,
    );
    const content = Buffer.from(before.body.content, 'base64')
      .toString('utf8')
      .replace('tag: deploy-2025-12-23', 'tag: deploy-2026-01-08')
      .replace('replicaCount: 0', 'replicaCount: 3');
    const body = (lastCommit: string) =>
      JSON.stringify({
        branch: 'main',
        commit_message: '[kop] hybris deploy-2026-01-08 → green 3',
        actions: [
          {
            action: 'update',
            file_path: 'hybris/values-green.yaml',
            content,
            last_commit_id: lastCommit,
          },
        ],
      });
    const denied = await api(`${path}/repository/commits`, {
      method: 'POST',
      token: READER,
      body: body(before.body.last_commit_id),
    });
    expect(denied.status).toBe(403);
    const ok = await api(`${path}/repository/commits`, {
      method: 'POST',
      body: body(before.body.last_commit_id),
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      title: '[kop] hybris deploy-2026-01-08 → green 3',
      author_name: 'kop release portal',
      parent_ids: [before.body.commit_id],
    });
    const raw = await api(
      `${path}/repository/files/${enc(
        'hybris/values-green.yaml',
      )}/raw?ref=main`,
    );
    expect(raw.body).toContain('replicaCount: 3');
    expect(raw.body).toContain('# 9 replicas is "normal"');
    const stale = await api(`${path}/repository/commits`, {
      method: 'POST',
      body: body(before.body.last_commit_id),
    });
    expect(stale).toMatchObject({
      status: 400,
      body: {
        message:
          'You are attempting to update a file that has changed since you started editing it.',
      },
    });
    const forced = await api(`${path}/repository/commits`, {
      method: 'POST',
      body: JSON.stringify({ ...JSON.parse(body(ok.body.id)), force: true }),
    });
    expect(forced.status).toBe(400);
  });

  it('answers concurrent commits to one branch either 201 or GitLab’s 400 race, never losing a commit', async () => {
    const path = `/projects/${enc('kop/kop-deploy-prod')}`;
    const head = (await api(`${path}/repository/branches/main`)).body.commit.id;
    const answers = await Promise.all(
      [1, 2, 3, 4].map(n =>
        api(`${path}/repository/commits`, {
          method: 'POST',
          body: JSON.stringify({
            branch: 'main',
            commit_message: `concurrent ${n}`,
            actions: [
              {
                action: 'create',
                file_path: `notes/${n}.md`,
                content: `${n}\n`,
              },
            ],
          }),
        }),
      ),
    );
    const lost = answers.filter(a => a.status !== 201);
    expect(lost.map(a => [a.status, a.body.message])).toEqual(
      lost.map(() => [
        400,
        '9:Could not update refs/heads/main. Please refresh and try again.',
      ]),
    );
    const won = answers.length - lost.length;
    expect(won).toBeGreaterThanOrEqual(1);
    const compare = await api(
      `${path}/repository/compare?from=${head}&to=main`,
    );
    expect(compare.body.commits).toHaveLength(won);
  });

  it('runs the cms flow: branch from pre-release, MR to master, pipeline running then success, merge commit', async () => {
    const cms = `/projects/${enc('kop/cms')}`;
    const branch = await api(`${cms}/repository/branches`, {
      method: 'POST',
      body: JSON.stringify({
        branch: 'release/2026-01-08',
        ref: 'pre-release',
      }),
    });
    expect(branch.status).toBe(201);
    expect(
      (
        await api(`${cms}/repository/branches`, {
          method: 'POST',
          body: JSON.stringify({
            branch: 'release/2026-01-08',
            ref: 'pre-release',
          }),
        })
      ).body,
    ).toEqual({ message: 'Branch already exists' });
    expect(
      (
        await api(`${cms}/repository/branches`, {
          method: 'POST',
          token: READER,
          body: JSON.stringify({ branch: 'x', ref: 'pre-release' }),
        })
      ).status,
    ).toBe(403);

    const mr = await api(`${cms}/merge_requests`, {
      method: 'POST',
      body: JSON.stringify({
        source_branch: 'release/2026-01-08',
        target_branch: 'master',
        title: 'Release 2026-01-08',
        remove_source_branch: true,
      }),
    });
    expect(mr.status).toBe(201);
    expect(mr.body).toMatchObject({
      iid: 6,
      state: 'opened',
      detailed_merge_status: 'ci_still_running',
      head_pipeline: { status: 'running', ref: 'release/2026-01-08' },
    });
    const pipelines = await api(`${cms}/pipelines?ref=release/2026-01-08`);
    expect(pipelines.body[0].status).toBe('running');
    expect(
      (await api(`${cms}/merge_requests/6/merge`, { method: 'PUT' })).status,
    ).toBe(405);

    clock += 31_000;
    expect(
      (await api(`${cms}/pipelines?ref=release/2026-01-08`)).body[0].status,
    ).toBe('success');
    expect(
      (
        await api(`${cms}/merge_requests/6/merge`, {
          method: 'PUT',
          token: READER,
        })
      ).status,
    ).toBe(401);
    const merged = await api(`${cms}/merge_requests/6/merge`, {
      method: 'PUT',
      body: JSON.stringify({ sha: mr.body.sha }),
    });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({
      state: 'merged',
      merged_by: { username: 'kop-release-bot' },
    });
    const commit = await api(
      `${cms}/repository/commits/${merged.body.merge_commit_sha}`,
    );
    expect(commit.body.parent_ids).toHaveLength(2);
    expect(commit.body.message).toContain('See merge request kop/cms!6');
    expect(
      (await api(`${cms}/repository/branches/${enc('release/2026-01-08')}`))
        .status,
    ).toBe(404);
    expect(
      (await api(`${cms}/merge_requests/6/merge`, { method: 'PUT' })).status,
    ).toBe(405);
    const list = await api(
      `${cms}/merge_requests?state=merged&target_branch=master&updated_after=${new Date(
        clock - 3600_000,
      ).toISOString()}`,
    );
    expect(list.body.map((m: any) => m.iid)).toEqual([6]);
  });

  it('plays injected faults on the full GitLab path before the API answers', async () => {
    const path = `/gitlab/api/v4/projects/${enc(
      'kop/kop-deploy-prod',
    )}/repository/commits`;
    sandbox.context.faults.add({
      path,
      method: 'POST',
      count: 1,
      status: 400,
      body: {
        message:
          'reference update: reference does not point to expected object',
      },
    });
    const res = await api(
      `/projects/${enc('kop/kop-deploy-prod')}/repository/commits`,
      {
        method: 'POST',
        body: JSON.stringify({
          branch: 'main',
          commit_message: 'x',
          actions: [],
        }),
      },
    );
    expect(res.body.message).toBe(
      'reference update: reference does not point to expected object',
    );
  });

  it('shows projects, recent merge requests and IaC commits on the sandbox page, and no token', async () => {
    const rows = await sandbox.services[0].describe!();
    const text = JSON.stringify(rows);
    expect(text).toContain('kop/kop-deploy-prod');
    expect(text).toContain('[CMS] KS 템플릿 업데이트');
    expect(text).toContain('IaC commit');
    expect(text).not.toContain(MAINTAINER);
    expect(text).not.toContain(READER);
  });

  it('keeps merge requests and repositories across a restart on the same data directory', async () => {
    const again = await startSandbox({
      dataDir,
      services: [ctx => gitlabService(ctx)],
    });
    try {
      const res = await fetch(
        `${again.url}/gitlab/api/v4/projects/${enc(
          'kop/cms',
        )}/merge_requests/6`,
        { headers: { 'private-token': MAINTAINER } },
      );
      expect((await res.json()).state).toBe('merged');
    } finally {
      await again.close();
    }
  });
});
