import { createHash } from 'node:crypto';
import { delay, http, HttpResponse, type HttpHandler } from 'msw';

/**
 * An in-memory GitLab for msw, answering with the response shapes of GitLab's REST API v4 docs
 * (projects, branches, commits, compare, merge requests, pipelines, repository files, Commits API with
 * actions and last_commit_id, user, members). It holds the same kop facts the sandbox seeds, so one
 * contract suite runs against both.
 */

interface FakeFile {
  content: string;
  lastCommitId: string;
}

interface FakeCommit {
  id: string;
  title: string;
  message: string;
  parents: string[];
  author: string;
  date: string;
  /** Paths changed against the first parent. */
  paths: string[];
  /** The whole tree, for projects whose files the suite reads. */
  files?: Map<string, FakeFile>;
}

interface FakeMergeRequest {
  id: number;
  iid: number;
  title: string;
  source_branch: string;
  target_branch: string;
  state: 'opened' | 'merged';
  sha: string;
  merge_commit_sha: string | null;
  created_at: string;
  updated_at: string;
  merged_at: string | null;
  author: string;
  merged_by: string | null;
}

interface FakePipeline {
  id: number;
  ref: string;
  sha: string;
  created: number;
  durationMs: number;
}

interface FakeProject {
  id: number;
  path: string;
  defaultBranch: string;
  protectedBranches: string[];
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  mrs: FakeMergeRequest[];
  pipelines: FakePipeline[];
}

export interface FakeFault {
  method: string;
  /** API path after /api/v4, URL-encoded as sent (e.g. /projects/kop%2Fkop-deploy-prod/repository/commits). */
  path: string;
  count: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

const users = [
  {
    id: 11,
    username: 'kop-release-bot',
    name: 'kop release portal',
    level: 40,
    bot: true,
  },
  {
    id: 12,
    username: 'kop-viewer',
    name: 'kop read-only viewer',
    level: 20,
    bot: true,
  },
];

let counter = 0;
const sha = (label: string) =>
  createHash('sha1').update(`${label}:${counter++}`).digest('hex');

export interface FakeGitlabOptions {
  apiBaseUrl: string;
  tokens: { maintainer: string; readOnly: string };
  /** The IaC files at the start (path → text). */
  iacFiles: Record<string, string>;
}

export function createFakeGitlab(options: FakeGitlabOptions) {
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  const webBase = base.replace(/\/api\/v4$/, '');
  let clock = Date.parse('2026-01-08T01:00:00Z');
  let faults: FakeFault[] = [];
  let nextId = 7000;

  const project = (
    id: number,
    path: string,
    defaultBranch: string,
    protectedBranches: string[],
  ): FakeProject => ({
    id,
    path,
    defaultBranch,
    protectedBranches,
    branches: new Map(),
    commits: new Map(),
    mrs: [],
    pipelines: [],
  });

  const commit = (
    p: FakeProject,
    fields: Omit<FakeCommit, 'id' | 'message' | 'author'> & {
      message?: string;
      author?: string;
    },
  ): FakeCommit => {
    const c: FakeCommit = {
      id: sha(fields.title),
      message: fields.message ?? fields.title,
      author: fields.author ?? 'lee.seoyeon',
      ...fields,
    };
    p.commits.set(c.id, c);
    return c;
  };

  const mergeRequest = (
    p: FakeProject,
    title: string,
    source: string,
    target: string,
    head: FakeCommit,
    merge: FakeCommit | null,
  ) => {
    p.mrs.push({
      id: nextId++,
      iid: p.mrs.length + 1,
      title,
      source_branch: source,
      target_branch: target,
      state: merge ? 'merged' : 'opened',
      sha: head.id,
      merge_commit_sha: merge?.id ?? null,
      created_at: head.date,
      updated_at: merge?.date ?? head.date,
      merged_at: merge?.date ?? null,
      author: head.author,
      merged_by: merge ? 'park.jihoon' : null,
    });
  };

  // kop/hybris: the history around the deploy branches (what the contract suite compares).
  const hybris = project(101, 'kop/hybris', 'master', ['master', 'deploy-*']);
  {
    const footer =
      'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag';
    const items = 'bin/custom/kopcore/resources/items.xml';
    const restockImpex =
      'bin/custom/kopcore/resources/impex/essentialdata-restock.impex';
    const init = commit(hybris, {
      title: 'Initial import of kop hybris',
      parents: [],
      date: '2025-12-09T09:00:00+09:00',
      paths: [footer, items],
      author: 'park.jihoon',
    });
    const f3 = commit(hybris, {
      title: '[HYBRIS] 주문 조회 API 페이지 크기 제한',
      parents: [init.id],
      date: '2026-01-01T10:00:00+09:00',
      paths: [
        'bin/custom/kopcore/src/com/kop/core/order/OrderHistoryController.java',
      ],
    });
    const m3 = commit(hybris, {
      title: "Merge branch 'feature/order-page-size' into 'master'",
      parents: [init.id, f3.id],
      date: '2026-01-02T11:00:00+09:00',
      paths: f3.paths,
    });
    const f4 = commit(hybris, {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      parents: [m3.id],
      date: '2026-01-07T10:00:00+09:00',
      paths: [footer],
    });
    const m4 = commit(hybris, {
      title: "Merge branch 'feature/revert-footer-ceo-name' into 'master'",
      parents: [m3.id, f4.id],
      date: '2026-01-07T16:00:00+09:00',
      paths: [footer],
    });
    const f5 = commit(hybris, {
      title: '[HYBRIS] 재입고 알림 타입 추가',
      parents: [m4.id],
      date: '2026-01-07T11:00:00+09:00',
      paths: [items, restockImpex],
      author: 'choi.yuna',
    });
    const m5 = commit(hybris, {
      title: "Merge branch 'feature/restock-notification' into 'master'",
      parents: [m4.id, f5.id],
      date: '2026-01-08T10:30:00+09:00',
      paths: [items, restockImpex],
    });
    const hotfix = commit(hybris, {
      title: 'hotfix: 결제 로그 레벨 되돌림',
      parents: [m5.id],
      date: '2026-01-08T11:00:00+09:00',
      paths: ['config/local.properties'],
      author: 'kim.minjun',
    });
    for (const n of [1, 2]) {
      mergeRequest(
        hybris,
        `[HYBRIS] older change ${n}`,
        `feature/old-${n}`,
        'master',
        init,
        init,
      );
    }
    mergeRequest(hybris, f3.title, 'feature/order-page-size', 'master', f3, m3);
    mergeRequest(
      hybris,
      f4.title,
      'feature/revert-footer-ceo-name',
      'master',
      f4,
      m4,
    );
    mergeRequest(
      hybris,
      f5.title,
      'feature/restock-notification',
      'master',
      f5,
      m5,
    );
    hybris.branches.set('deploy-2025-12-23', init.id);
    hybris.branches.set('deploy-2026-01-06', m3.id);
    hybris.branches.set('deploy-2026-01-08', m4.id);
    hybris.branches.set('master', hotfix.id);
  }

  // kop/cms: master and pre-release (the branch-and-merge flow).
  const cms = project(102, 'kop/cms', 'master', ['master', 'pre-release']);
  {
    const init = commit(cms, {
      title: 'Initial import of kop cms',
      parents: [],
      date: '2025-11-29T09:00:00+09:00',
      paths: ['src/templates/ks/main.html'],
    });
    const f = commit(cms, {
      title: '[CMS] KS 템플릿 업데이트',
      parents: [init.id],
      date: '2026-01-06T15:00:00+09:00',
      paths: ['src/templates/ks/main.html'],
    });
    cms.branches.set('master', init.id);
    cms.branches.set('pre-release', f.id);
  }

  // kop/kop-deploy-prod: the IaC files.
  const iac = project(104, 'kop/kop-deploy-prod', 'main', ['main']);
  {
    const files = new Map<string, FakeFile>();
    const first = commit(iac, {
      title: 'Initial kop-deploy-prod layout',
      parents: [],
      date: '2025-12-09T18:00:00+09:00',
      paths: Object.keys(options.iacFiles),
      files,
      author: 'jung.hyunwoo',
    });
    for (const [path, content] of Object.entries(options.iacFiles)) {
      files.set(path, { content, lastCommitId: first.id });
    }
    iac.branches.set('main', first.id);
  }

  const projects = [hybris, cms, iac];

  // -------------------------------------------------------------------------------------------

  const json = (
    body: unknown,
    status = 200,
    headers: Record<string, string> = {},
  ) => HttpResponse.json(body as any, { status, headers });
  const message = (status: number, text: unknown) =>
    json({ message: text }, status);

  const userOf = (request: Request) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(
      request.headers.get('authorization') ?? '',
    )?.[1];
    const token = request.headers.get('private-token') ?? bearer;
    if (token === options.tokens.maintainer) return users[0];
    if (token === options.tokens.readOnly) return users[1];
    return undefined;
  };

  const projectOf = (id: unknown) => {
    const wanted = decodeURIComponent(String(id));
    return projects.find(p => p.path === wanted || String(p.id) === wanted);
  };

  const isProtected = (p: FakeProject, branch: string) =>
    p.protectedBranches.some(b =>
      b.endsWith('*') ? branch.startsWith(b.slice(0, -1)) : b === branch,
    );
  const canPush = (p: FakeProject, branch: string, level: number) =>
    level >= (isProtected(p, branch) ? 40 : 30);

  const resolve = (p: FakeProject, ref: string) =>
    p.branches.get(ref) ??
    [...p.commits.keys()].find(id => ref.length >= 7 && id.startsWith(ref));

  const ancestors = (p: FakeProject, start: string) => {
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(p.commits.get(id)?.parents ?? []));
    }
    return seen;
  };

  const commitJson = (p: FakeProject, c: FakeCommit) => ({
    id: c.id,
    short_id: c.id.slice(0, 8),
    created_at: c.date,
    parent_ids: c.parents,
    title: c.title,
    message: c.message,
    author_name: c.author,
    author_email: `${c.author}@kop.example`,
    authored_date: c.date,
    committer_name: c.author,
    committer_email: `${c.author}@kop.example`,
    committed_date: c.date,
    trailers: {},
    web_url: `${webBase}/${p.path}/-/commit/${c.id}`,
  });

  const person = (username: string | null) =>
    username
      ? {
          id: 1,
          username,
          name: username,
          state: 'active',
          avatar_url: null,
          web_url: `${webBase}/${username}`,
        }
      : null;

  const pipelineStatus = (pl: FakePipeline) =>
    clock - pl.created >= pl.durationMs ? 'success' : 'running';

  const pipelineJson = (p: FakeProject, pl: FakePipeline) => ({
    id: pl.id,
    iid: pl.id,
    project_id: p.id,
    sha: pl.sha,
    ref: pl.ref,
    status: pipelineStatus(pl),
    source: 'merge_request_event',
    created_at: new Date(pl.created).toISOString(),
    updated_at: new Date(pl.created).toISOString(),
    web_url: `${webBase}/${p.path}/-/pipelines/${pl.id}`,
  });

  const detailedStatus = (state: string, pipeline?: string) => {
    if (state !== 'opened') return 'not_open';
    return pipeline === 'running' ? 'ci_still_running' : 'mergeable';
  };

  const mrJson = (p: FakeProject, m: FakeMergeRequest) => {
    const pl = [...p.pipelines].reverse().find(x => x.sha === m.sha);
    const status = pl ? pipelineStatus(pl) : undefined;
    return {
      id: m.id,
      iid: m.iid,
      project_id: p.id,
      title: m.title,
      description: '',
      state: m.state,
      created_at: m.created_at,
      updated_at: m.updated_at,
      merged_by: person(m.merged_by),
      merged_at: m.merged_at,
      closed_at: null,
      target_branch: m.target_branch,
      source_branch: m.source_branch,
      author: person(m.author),
      source_project_id: p.id,
      target_project_id: p.id,
      draft: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: detailedStatus(m.state, status),
      sha: m.sha,
      merge_commit_sha: m.merge_commit_sha,
      squash_commit_sha: null,
      reference: `!${m.iid}`,
      web_url: `${webBase}/${p.path}/-/merge_requests/${m.iid}`,
      head_pipeline: pl ? pipelineJson(p, pl) : null,
    };
  };

  const branchJson = (p: FakeProject, name: string, level: number) => {
    const c = p.commits.get(p.branches.get(name)!)!;
    return {
      name,
      commit: commitJson(p, c),
      merged: false,
      protected: isProtected(p, name),
      developers_can_push: false,
      developers_can_merge: false,
      can_push: canPush(p, name, level),
      default: name === p.defaultBranch,
      web_url: `${webBase}/${p.path}/-/tree/${name}`,
    };
  };

  type Resolver = Parameters<typeof http.get>[1];
  /** Every route: faults first, then authentication, then the project. */
  const route =
    (
      fn: (args: {
        request: Request;
        params: Record<string, string>;
        user: (typeof users)[number];
        p: FakeProject;
        url: URL;
      }) => Response | Promise<Response>,
    ): Resolver =>
    async ({ request, params }) => {
      const user = userOf(request);
      if (!user) return message(401, '401 Unauthorized');
      const p = params.id !== undefined ? projectOf(params.id) : projects[0];
      if (!p) return message(404, '404 Project Not Found');
      return fn({
        request,
        params: params as Record<string, string>,
        user,
        p,
        url: new URL(request.url),
      });
    };

  const faultHandler = http.all(`${base}/*`, async ({ request }) => {
    const path = new URL(request.url).pathname.slice(
      new URL(base).pathname.length,
    );
    const fault = faults.find(
      f => f.method === request.method && path.startsWith(f.path),
    );
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) faults = faults.filter(f => f !== fault);
    if (fault.delayMs) await delay(fault.delayMs);
    if (fault.status === 0) return undefined;
    return json(
      fault.body ?? { message: `fault ${fault.status}` },
      fault.status,
      fault.headers,
    );
  });

  const handlers: HttpHandler[] = [
    faultHandler,
    http.get(
      `${base}/user`,
      route(({ user }) =>
        json({
          id: user.id,
          username: user.username,
          name: user.name,
          state: 'active',
          bot: user.bot,
          web_url: `${webBase}/${user.username}`,
        }),
      ),
    ),
    http.get(
      `${base}/projects/:id`,
      route(({ p, user }) =>
        json({
          id: p.id,
          name: p.path.split('/')[1],
          path: p.path.split('/')[1],
          path_with_namespace: p.path,
          default_branch: p.defaultBranch,
          web_url: `${webBase}/${p.path}`,
          permissions: {
            project_access: { access_level: user.level, notification_level: 3 },
            group_access: null,
          },
        }),
      ),
    ),
    http.get(
      `${base}/projects/:id/members/all/:userId`,
      route(({ params }) => {
        const u = users.find(x => String(x.id) === params.userId);
        if (!u) return message(404, '404 Member Not Found');
        return json({
          id: u.id,
          username: u.username,
          name: u.name,
          state: 'active',
          access_level: u.level,
          expires_at: null,
        });
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/branches/:branch`,
      route(({ p, params, user }) => {
        const name = decodeURIComponent(params.branch);
        if (!p.branches.has(name)) return message(404, '404 Branch Not Found');
        return json(branchJson(p, name, user.level));
      }),
    ),
    http.post(
      `${base}/projects/:id/repository/branches`,
      route(async ({ p, request, user }) => {
        const body = (await request.json()) as Record<string, string>;
        if (!canPush(p, body.branch, user.level))
          return message(403, '403 Forbidden');
        if (p.branches.has(body.branch))
          return message(400, 'Branch already exists');
        const target = resolve(p, body.ref);
        if (!target) return message(400, 'Invalid reference name');
        p.branches.set(body.branch, target);
        p.pipelines.push({
          id: nextId++,
          ref: body.branch,
          sha: target,
          created: clock,
          durationMs: 30_000,
        });
        return json(branchJson(p, body.branch, user.level), 201);
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/commits/:sha/diff`,
      route(({ p, params }) => {
        const c = p.commits.get(
          resolve(p, decodeURIComponent(params.sha)) ?? '',
        );
        if (!c) return message(404, '404 Commit Not Found');
        return json(
          c.paths.map(path => ({
            diff: '@@ -1 +1 @@\n-a\n+b\n',
            new_path: path,
            old_path: path,
            a_mode: '100644',
            b_mode: '100644',
            new_file: false,
            renamed_file: false,
            deleted_file: false,
          })),
        );
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/commits/:sha`,
      route(({ p, params }) => {
        const c = p.commits.get(
          resolve(p, decodeURIComponent(params.sha)) ?? '',
        );
        if (!c) return message(404, '404 Commit Not Found');
        return json({
          ...commitJson(p, c),
          stats: { additions: 1, deletions: 1, total: 2 },
          status: null,
        });
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/merge_base`,
      route(({ p, url }) => {
        const refs = url.searchParams.getAll('refs[]');
        if (refs.length !== 2) return message(400, 'Provide exactly two refs');
        const [a, b] = refs.map(r => resolve(p, r));
        if (!a) return message(404, `Could not find ref: ${refs[0]}`);
        if (!b) return message(404, `Could not find ref: ${refs[1]}`);
        const ofA = ancestors(p, a);
        const common = [...ancestors(p, b)].filter(id => ofA.has(id));
        // The common commit whose history holds every other one, as git merge-base answers.
        const best = common.find(id => {
          const held = ancestors(p, id);
          return common.every(other => held.has(other));
        });
        if (!best) return message(400, 'Could not find merge base');
        return json(commitJson(p, p.commits.get(best)!));
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/compare`,
      route(({ p, url }) => {
        const from = resolve(p, url.searchParams.get('from') ?? '');
        const to = resolve(p, url.searchParams.get('to') ?? '');
        if (!from || !to) return message(404, '404 Ref Not Found');
        const before = ancestors(p, from);
        const between = [...ancestors(p, to)]
          .filter(id => !before.has(id))
          .map(id => p.commits.get(id)!)
          .sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
        const paths = [
          ...new Set(
            between.flatMap(c => (c.parents.length > 1 ? [] : c.paths)),
          ),
        ];
        return json({
          commit: between.length
            ? commitJson(p, between[between.length - 1])
            : null,
          commits: between.map(c => commitJson(p, c)),
          diffs: paths.sort().map(path => ({
            diff: '@@ -1 +1 @@\n-a\n+b\n',
            new_path: path,
            old_path: path,
            a_mode: '100644',
            b_mode: '100644',
            new_file: false,
            renamed_file: false,
            deleted_file: false,
          })),
          compare_timeout: false,
          compare_same_ref: from === to,
          web_url: `${webBase}/${p.path}/-/compare/${from}...${to}`,
        });
      }),
    ),
    http.get(
      `${base}/projects/:id/merge_requests`,
      route(({ p, url }) => {
        const q = (k: string) => url.searchParams.get(k);
        const after = q('updated_after') ? Date.parse(q('updated_after')!) : 0;
        const list = p.mrs.filter(
          m =>
            (!q('state') || q('state') === 'all' || m.state === q('state')) &&
            (!q('source_branch') || m.source_branch === q('source_branch')) &&
            (!q('target_branch') || m.target_branch === q('target_branch')) &&
            Date.parse(m.updated_at) >= after,
        );
        return json(
          list.reverse().map(m => mrJson(p, m)),
          200,
          {
            'x-total': String(list.length),
            'x-page': '1',
            'x-per-page': q('per_page') ?? '20',
          },
        );
      }),
    ),
    http.get(
      `${base}/projects/:id/merge_requests/:iid`,
      route(({ p, params }) => {
        const m = p.mrs.find(x => String(x.iid) === params.iid);
        return m ? json(mrJson(p, m)) : message(404, '404 Not found');
      }),
    ),
    http.post(
      `${base}/projects/:id/merge_requests`,
      route(async ({ p, request, user }) => {
        const body = (await request.json()) as Record<string, string>;
        if (user.level < 30) return message(403, '403 Forbidden');
        const head = p.branches.get(body.source_branch);
        if (!head || !p.branches.has(body.target_branch)) {
          return message(400, ['Source branch is invalid']);
        }
        const open = p.mrs.find(
          m =>
            m.state === 'opened' &&
            m.source_branch === body.source_branch &&
            m.target_branch === body.target_branch,
        );
        if (open) {
          return message(409, [
            `Another open merge request already exists for this source branch: !${open.iid}`,
          ]);
        }
        const at = new Date(clock).toISOString();
        const m: FakeMergeRequest = {
          id: nextId++,
          iid: p.mrs.length + 1,
          title: body.title,
          source_branch: body.source_branch,
          target_branch: body.target_branch,
          state: 'opened',
          sha: head,
          merge_commit_sha: null,
          created_at: at,
          updated_at: at,
          merged_at: null,
          author: user.username,
          merged_by: null,
        };
        p.mrs.push(m);
        p.pipelines.push({
          id: nextId++,
          ref: m.source_branch,
          sha: head,
          created: clock,
          durationMs: 30_000,
        });
        return json(mrJson(p, m), 201);
      }),
    ),
    http.put(
      `${base}/projects/:id/merge_requests/:iid/merge`,
      route(async ({ p, params, request, user }) => {
        const m = p.mrs.find(x => String(x.iid) === params.iid);
        if (!m) return message(404, '404 Not found');
        const text = await request.text();
        const body = (text ? JSON.parse(text) : {}) as Record<string, string>;
        if (m.state !== 'opened') return message(405, '405 Method Not Allowed');
        if (!canPush(p, m.target_branch, user.level))
          return message(401, '401 Unauthorized');
        if (body.sha && body.sha !== m.sha) {
          return message(409, 'SHA does not match HEAD of source branch');
        }
        if (mrJson(p, m).detailed_merge_status !== 'mergeable') {
          return message(405, '405 Method Not Allowed');
        }
        const at = new Date(clock).toISOString();
        const merge = commit(p, {
          title: `Merge branch '${m.source_branch}' into '${m.target_branch}'`,
          message: `Merge branch '${m.source_branch}' into '${m.target_branch}'\n\n${m.title}\n\nSee merge request ${p.path}!${m.iid}`,
          parents: [p.branches.get(m.target_branch)!, m.sha],
          date: at,
          paths: [],
          author: user.username,
        });
        p.branches.set(m.target_branch, merge.id);
        Object.assign(m, {
          state: 'merged',
          merge_commit_sha: merge.id,
          merged_at: at,
          updated_at: at,
          merged_by: user.username,
        });
        return json(mrJson(p, m));
      }),
    ),
    http.get(
      `${base}/projects/:id/pipelines`,
      route(({ p, url }) => {
        const ref = url.searchParams.get('ref');
        const want = url.searchParams.get('sha');
        const list = p.pipelines
          .filter(pl => (!ref || pl.ref === ref) && (!want || pl.sha === want))
          .sort((a, b) => b.id - a.id);
        const per = Number(url.searchParams.get('per_page') ?? 20);
        return json(list.slice(0, per).map(pl => pipelineJson(p, pl)));
      }),
    ),
    http.get(
      `${base}/projects/:id/repository/files/:path`,
      route(({ p, params, url }) => {
        const ref = url.searchParams.get('ref');
        if (!ref) return json({ error: 'ref is missing' }, 400);
        const path = decodeURIComponent(params.path);
        const c = p.commits.get(resolve(p, ref) ?? '');
        const f = c?.files?.get(path);
        if (!c || !f) return message(404, '404 File Not Found');
        const buffer = Buffer.from(f.content, 'utf8');
        return json({
          file_name: path.split('/').pop(),
          file_path: path,
          size: buffer.length,
          encoding: 'base64',
          content: buffer.toString('base64'),
          content_sha256: createHash('sha256').update(buffer).digest('hex'),
          ref,
          blob_id: createHash('sha1').update(buffer).digest('hex'),
          commit_id: c.id,
          last_commit_id: f.lastCommitId,
        });
      }),
    ),
    http.post(
      `${base}/projects/:id/repository/commits`,
      route(async ({ p, request, user }) => {
        const body = (await request.json()) as {
          branch: string;
          commit_message: string;
          actions: Array<{
            action: string;
            file_path: string;
            content?: string;
            last_commit_id?: string;
          }>;
          force?: boolean;
          author_name?: string;
        };
        if (!canPush(p, body.branch, user.level)) {
          return message(403, 'You are not allowed to push into this branch');
        }
        const head = p.commits.get(p.branches.get(body.branch) ?? '');
        if (!head?.files) {
          return message(
            400,
            'You can only create or edit files when you are on a branch',
          );
        }
        const files = new Map(head.files);
        for (const a of body.actions) {
          const current = files.get(a.file_path);
          if (a.action === 'create' && current) {
            return message(400, 'A file with this name already exists');
          }
          if (a.action !== 'create' && !current) {
            return message(400, "A file with this name doesn't exist");
          }
          if (
            current &&
            a.last_commit_id &&
            a.last_commit_id !== current.lastCommitId
          ) {
            return message(
              400,
              'You are attempting to update a file that has changed since you started editing it.',
            );
          }
        }
        const title = body.commit_message.split('\n')[0];
        const c = commit(p, {
          title,
          message: body.commit_message,
          parents: [head.id],
          date: new Date(clock).toISOString(),
          paths: body.actions.map(a => a.file_path),
          files,
          author: body.author_name ?? user.name,
        });
        for (const a of body.actions) {
          if (a.action === 'delete') files.delete(a.file_path);
          else
            files.set(a.file_path, {
              content: a.content ?? '',
              lastCommitId: c.id,
            });
        }
        p.branches.set(body.branch, c.id);
        return json(
          {
            ...commitJson(p, c),
            stats: { additions: 1, deletions: 1, total: 2 },
            status: null,
            last_pipeline: null,
            project_id: p.id,
          },
          201,
        );
      }),
    ),
  ];

  return {
    handlers,
    advance(ms: number) {
      clock += ms;
    },
    addFault(fault: FakeFault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults = [];
    },
  };
}
