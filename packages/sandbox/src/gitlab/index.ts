import { createHash } from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type Response,
} from 'express';
import type { SandboxContext, SandboxService } from '../types';
import {
  GitError,
  GitRepos,
  type CommitFileAction,
  type GitCommit,
} from '../git/GitRepos';
import {
  pipelineStatus,
  presentCommit,
  presentCurrentUser,
  presentDiff,
  presentMember,
  presentMergeRequest,
  presentPipeline,
  presentPipelineDetail,
  presentProject,
} from './present';
import { seedGitlab } from './seed';
import {
  AccessLevel,
  defaultSandboxTokens,
  isProtected,
  sandboxUsers,
  type GitlabStateStore,
  type MergeRequestRecord,
  type PipelineRecord,
  type ProjectRecord,
  type SandboxToken,
  type SandboxUser,
} from './state';

export {
  seedFacts,
  seedDate,
  SEED_BASE,
  hybrisColourValues,
  hybrisSwitchValues,
} from './seed';
export {
  AccessLevel,
  sandboxGitlabTokens,
  sandboxUsers,
  type SandboxToken,
  type SandboxUser,
} from './state';

export interface GitlabServiceOptions {
  /** Tokens the API accepts (default: a maintainer token and a read-only one, `sandboxGitlabTokens`). */
  tokens?: SandboxToken[];
  /** Run time of a pipeline at timeScale 1 (default 30 s); scaled by `context.timeScale`. */
  pipelineMs?: number;
  /** The clock pipelines are judged by (tests may move it). */
  now?: () => number;
}

/** An answer GitLab would give, thrown from a handler. */
class ApiError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body.message ?? body.error));
  }
}

const notFound = (what: string) =>
  new ApiError(404, { message: `404 ${what} Not Found` });
const forbidden = () => new ApiError(403, { message: '403 Forbidden' });

type Handler = (req: Request, res: Response) => Promise<unknown>;
const handle =
  (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

function param(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return undefined;
}

function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1';
}

/** The base of web links, from where the request came in: http://host:port/gitlab. */
function webBaseOf(req: Request): string {
  // Handlers sit under /gitlab/api/v4; GitLab's web pages live beside the API, not under it.
  const base = req.baseUrl.replace(/\/api\/v4$/, '');
  return `${req.protocol}://${req.get('host')}${base}`;
}

/** Sets GitLab's offset pagination headers and returns the page's slice bounds. */
function paginate(req: Request, res: Response, total: number) {
  const perPage = Math.min(
    100,
    Math.max(1, Number(param(req.query.per_page)) || 20),
  );
  const page = Math.max(1, Number(param(req.query.page)) || 1);
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  res.setHeader('x-total', String(total));
  res.setHeader('x-total-pages', String(totalPages));
  res.setHeader('x-per-page', String(perPage));
  res.setHeader('x-page', String(page));
  res.setHeader('x-next-page', page < totalPages ? String(page + 1) : '');
  res.setHeader('x-prev-page', page > 1 ? String(page - 1) : '');
  const link = (p: number) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) {
      const s = param(v);
      if (s !== undefined) query.set(k, s);
    }
    query.set('page', String(p));
    query.set('per_page', String(perPage));
    return `${req.protocol}://${req.get('host')}${req.baseUrl}${
      req.path
    }?${query}`;
  };
  const links = [
    `<${link(1)}>; rel="first"`,
    `<${link(totalPages)}>; rel="last"`,
  ];
  if (page < totalPages) links.unshift(`<${link(page + 1)}>; rel="next"`);
  if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
  res.setHeader('link', links.join(', '));
  return { skip: (page - 1) * perPage, limit: perPage };
}

/**
 * The GitLab stand-in: REST API v4 (the part `@gitbeaker/rest` calls for releases) over real git
 * repositories, mounted at `/gitlab` (so the API is at `/gitlab/api/v4`). Seeds kop/hybris, kop/cms,
 * kop/web and kop/kop-deploy-prod on first start.
 */
export async function gitlabService(
  context: SandboxContext,
  repos: GitRepos = GitRepos.forContext(context),
  options: GitlabServiceOptions = {},
): Promise<SandboxService> {
  const store: GitlabStateStore = await seedGitlab(repos, context.dataDir);
  const tokens = options.tokens ?? defaultSandboxTokens;
  const now = options.now ?? (() => Date.now());
  const pipelineMs = Math.max(
    0,
    (options.pipelineMs ?? 30_000) * context.timeScale,
  );
  const userByName = (username: string | null) =>
    sandboxUsers.find(u => u.username === username);

  const router = express.Router();
  router.use(express.json({ limit: '5mb' }));

  // Authentication: PRIVATE-TOKEN or Authorization: Bearer, as GitLab reads them.
  router.use('/api/v4', (req, res, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const given = req.get('private-token') ?? bearer;
    const user = userByName(
      tokens.find(t => given !== undefined && t.token === given)?.username ??
        null,
    );
    if (!user) {
      res.status(401).json({ message: '401 Unauthorized' });
      return;
    }
    res.locals.user = user;
    next();
  });

  const userOf = (res: Response): SandboxUser => res.locals.user;

  const projectOf = (req: Request): ProjectRecord => {
    const project = store.project(param(req.params.id) ?? '');
    if (!project || !repos.exists(project.path)) throw notFound('Project');
    return project;
  };

  const canPush = (user: SandboxUser, project: ProjectRecord, branch: string) =>
    user.accessLevel >=
    (isProtected(project, branch)
      ? AccessLevel.maintainer
      : AccessLevel.developer);

  const latestPipeline = (
    project: ProjectRecord,
    filter: { ref?: string; sha?: string },
  ): PipelineRecord | undefined =>
    store.state.pipelines
      .filter(
        p =>
          p.projectId === project.id &&
          (!filter.ref || p.ref === filter.ref) &&
          (!filter.sha || p.sha === filter.sha),
      )
      .sort((a, b) => b.id - a.id)[0];

  const startPipeline = (
    project: ProjectRecord,
    ref: string,
    sha: string,
    source: PipelineRecord['source'],
    failing: boolean,
  ) => {
    if (!project.ci) return undefined;
    return store.addPipeline({
      projectId: project.id,
      ref,
      sha,
      source,
      createdAt: new Date(now()).toISOString(),
      durationMs: pipelineMs,
      outcome: failing ? 'failed' : 'success',
    });
  };

  /** An open merge request follows its source branch; the state is judged now. */
  const refreshed = async (project: ProjectRecord, mr: MergeRequestRecord) => {
    if (mr.state !== 'opened') return { mr, status: 'not_open' };
    const head = await repos.branchHead(project.path, mr.sourceBranch);
    if (head && head !== mr.sha) {
      mr.sha = head;
      store.save();
    }
    if (!head) return { mr, status: 'broken_status' };
    const pipeline = latestPipeline(project, { sha: mr.sha });
    const status = pipeline
      ? pipelineStatus(pipeline, now()).status
      : undefined;
    if (project.onlyAllowMergeIfPipelineSucceeds) {
      if (status === 'running') return { mr, status: 'ci_still_running' };
      if (status !== 'success') return { mr, status: 'ci_must_pass' };
    }
    return { mr, status: 'mergeable' };
  };

  const presentMr = async (
    req: Request,
    project: ProjectRecord,
    record: MergeRequestRecord,
    conflicts = false,
  ) => {
    const { mr, status } = await refreshed(project, record);
    return presentMergeRequest(
      mr,
      project,
      webBaseOf(req),
      userByName,
      conflicts && mr.state === 'opened' ? 'broken_status' : status,
    );
  };

  const commitJson = (req: Request, project: ProjectRecord, c: GitCommit) =>
    presentCommit(c, project, webBaseOf(req));

  const api = express.Router();

  api.get('/version', (_req, res) => {
    res.json({
      version: '17.8.0-kop-sandbox',
      revision: 'sandbox',
      enterprise: false,
    });
  });

  api.get('/user', (req, res) => {
    res.json(presentCurrentUser(userOf(res), webBaseOf(req)));
  });

  api.get(
    '/projects',
    handle(async (req, res) => {
      const search = (param(req.query.search) ?? '').toLowerCase();
      const list = store.state.projects.filter(
        p => !search || p.path.toLowerCase().includes(search),
      );
      const { skip, limit } = paginate(req, res, list.length);
      res.json(
        list
          .slice(skip, skip + limit)
          .map(p =>
            presentProject(p, userOf(res), webBaseOf(req), p.createdAt),
          ),
      );
    }),
  );

  api.get(
    '/projects/:id',
    handle(async (req, res) => {
      const project = projectOf(req);
      const head = await repos.showCommit(project.path, project.defaultBranch);
      res.json(
        presentProject(
          project,
          userOf(res),
          webBaseOf(req),
          head?.committedDate ?? project.createdAt,
        ),
      );
    }),
  );

  // Members: every sandbox user is a member of every kop project at its access level.
  const members = handle(async (req, res) => {
    projectOf(req);
    const list = sandboxUsers;
    const { skip, limit } = paginate(req, res, list.length);
    res.json(
      list.slice(skip, skip + limit).map(u => presentMember(u, webBaseOf(req))),
    );
  });
  const member = handle(async (req, res) => {
    projectOf(req);
    const user = sandboxUsers.find(u => String(u.id) === req.params.userId);
    if (!user) throw notFound('Member');
    res.json(presentMember(user, webBaseOf(req)));
  });
  api.get('/projects/:id/members', members);
  api.get('/projects/:id/members/all', members);
  api.get('/projects/:id/members/all/:userId', member);
  api.get('/projects/:id/members/:userId', member);

  // Branches.
  const branchJson = async (
    req: Request,
    res: Response,
    project: ProjectRecord,
    name: string,
    sha: string,
  ) => {
    const commit = (await repos.showCommit(project.path, sha))!;
    return {
      name,
      commit: commitJson(req, project, commit),
      merged: false,
      protected: isProtected(project, name),
      developers_can_push: false,
      developers_can_merge: false,
      can_push: canPush(userOf(res), project, name),
      default: name === project.defaultBranch,
      web_url: `${webBaseOf(req)}/${project.path}/-/tree/${name}`,
    };
  };

  api.get(
    '/projects/:id/repository/branches',
    handle(async (req, res) => {
      const project = projectOf(req);
      const search = param(req.query.search);
      let list = await repos.branches(project.path);
      if (search) {
        // GitLab's search: ^ anchors at the start, $ at the end, else anywhere.
        const s = search.toLowerCase();
        const matches = (name: string) => {
          if (s.startsWith('^')) return name.startsWith(s.slice(1));
          if (s.endsWith('$')) return name.endsWith(s.slice(0, -1));
          return name.includes(s);
        };
        list = list.filter(b => matches(b.name.toLowerCase()));
      }
      const { skip, limit } = paginate(req, res, list.length);
      res.json(
        await Promise.all(
          list
            .slice(skip, skip + limit)
            .map(b => branchJson(req, res, project, b.name, b.sha)),
        ),
      );
    }),
  );

  api.get(
    '/projects/:id/repository/branches/:branch',
    handle(async (req, res) => {
      const project = projectOf(req);
      const name = req.params.branch;
      const sha = await repos
        .branchHead(project.path, name)
        .catch(() => undefined);
      if (!sha) throw notFound('Branch');
      res.json(await branchJson(req, res, project, name, sha));
    }),
  );

  api.post(
    '/projects/:id/repository/branches',
    handle(async (req, res) => {
      const project = projectOf(req);
      const input = { ...req.query, ...req.body };
      const name = param(input.branch);
      const ref = param(input.ref);
      if (!name) throw new ApiError(400, { error: 'branch is missing' });
      if (!ref) throw new ApiError(400, { error: 'ref is missing' });
      if (!canPush(userOf(res), project, name)) throw forbidden();
      if (await repos.branchHead(project.path, name).catch(() => undefined)) {
        throw new ApiError(400, { message: 'Branch already exists' });
      }
      const sha = await repos
        .resolveRef(project.path, ref)
        .catch(() => undefined);
      if (!sha) throw new ApiError(400, { message: 'Invalid reference name' });
      try {
        await repos.createBranch(project.path, name, sha);
      } catch (e) {
        if (e instanceof GitError && e.code === 'invalid') {
          throw new ApiError(400, { message: 'Branch name is invalid' });
        }
        throw e;
      }
      startPipeline(project, name, sha, 'push', false);
      res.status(201).json(await branchJson(req, res, project, name, sha));
    }),
  );

  api.delete(
    '/projects/:id/repository/branches/:branch',
    handle(async (req, res) => {
      const project = projectOf(req);
      const name = req.params.branch;
      if (
        !(await repos.branchHead(project.path, name).catch(() => undefined))
      ) {
        throw notFound('Branch');
      }
      if (!canPush(userOf(res), project, name) || isProtected(project, name)) {
        throw forbidden();
      }
      await repos.deleteBranch(project.path, name);
      res.status(204).end();
    }),
  );

  // Files and trees.
  const fileAt = async (req: Request) => {
    const project = projectOf(req);
    const ref = param(req.query.ref);
    if (!ref) throw new ApiError(400, { error: 'ref is missing' });
    const path = req.params.filePath;
    let content: string | undefined;
    let sha: string | undefined;
    try {
      sha = await repos.resolveRef(project.path, ref);
      content = sha ? await repos.readFile(project.path, sha, path) : undefined;
    } catch (e) {
      if (e instanceof GitError && e.code === 'invalid') throw notFound('File');
      throw e;
    }
    if (!sha || content === undefined) throw notFound('File');
    return { project, ref, path, sha, content };
  };

  api.get(
    '/projects/:id/repository/files/:filePath/raw',
    handle(async (req, res) => {
      const { content, sha } = await fileAt(req);
      res.setHeader('x-gitlab-commit-id', sha);
      res.type('text/plain; charset=utf-8').send(content);
    }),
  );

  api.get(
    '/projects/:id/repository/files/:filePath',
    handle(async (req, res) => {
      const { project, ref, path, sha, content } = await fileAt(req);
      const [blob, last] = await Promise.all([
        repos.blobId(project.path, sha, path),
        repos.lastCommitForPath(project.path, sha, path),
      ]);
      const buffer = Buffer.from(content, 'utf8');
      res.json({
        file_name: path.split('/').pop(),
        file_path: path,
        size: buffer.length,
        encoding: 'base64',
        content: buffer.toString('base64'),
        content_sha256: createHash('sha256').update(buffer).digest('hex'),
        ref,
        blob_id: blob,
        commit_id: sha,
        last_commit_id: last,
        execute_filemode: false,
      });
    }),
  );

  api.get(
    '/projects/:id/repository/tree',
    handle(async (req, res) => {
      const project = projectOf(req);
      const ref = param(req.query.ref) ?? project.defaultBranch;
      let entries;
      try {
        entries = await repos.listTree(project.path, ref, {
          path: param(req.query.path) || undefined,
          recursive: flag(req.query.recursive),
        });
      } catch (e) {
        if (e instanceof GitError) throw notFound('Tree');
        throw e;
      }
      const { skip, limit } = paginate(req, res, entries.length);
      res.json(
        entries.slice(skip, skip + limit).map(e => ({
          id: e.sha,
          name: e.name,
          type: e.type,
          path: e.path,
          mode: e.mode,
        })),
      );
    }),
  );

  // Commits and compare.
  api.get(
    '/projects/:id/repository/commits',
    handle(async (req, res) => {
      const project = projectOf(req);
      const ref = param(req.query.ref_name) ?? project.defaultBranch;
      const sha = await repos
        .resolveRef(project.path, ref)
        .catch(() => undefined);
      if (!sha) throw notFound('Ref');
      const filters = {
        path: param(req.query.path) || undefined,
        firstParent: flag(req.query.first_parent),
        since: param(req.query.since),
        until: param(req.query.until),
      };
      const total = await repos.countCommits(
        project.path,
        undefined,
        sha,
        filters,
      );
      const { skip, limit } = paginate(req, res, total);
      const commits = await repos.log(project.path, undefined, sha, {
        ...filters,
        skip,
        limit,
      });
      res.json(commits.map(c => commitJson(req, project, c)));
    }),
  );

  const commitDetail = async (
    req: Request,
    project: ProjectRecord,
    commit: GitCommit,
  ) => {
    const pipeline = latestPipeline(project, { sha: commit.sha });
    const shown = pipeline
      ? presentPipeline(pipeline, project, webBaseOf(req), now())
      : null;
    return {
      ...commitJson(req, project, commit),
      stats: await repos.stats(project.path, commit.sha),
      status: shown?.status ?? null,
      last_pipeline: shown,
      project_id: project.id,
    };
  };

  const commitOf = async (req: Request, project: ProjectRecord) => {
    const commit = await repos
      .showCommit(project.path, req.params.sha)
      .catch(() => undefined);
    if (!commit) throw notFound('Commit');
    return commit;
  };

  api.get(
    '/projects/:id/repository/commits/:sha',
    handle(async (req, res) => {
      const project = projectOf(req);
      res.json(await commitDetail(req, project, await commitOf(req, project)));
    }),
  );

  api.get(
    '/projects/:id/repository/commits/:sha/diff',
    handle(async (req, res) => {
      const project = projectOf(req);
      const commit = await commitOf(req, project);
      const diffs = await repos.diff(
        project.path,
        commit.parents[0],
        commit.sha,
      );
      const { skip, limit } = paginate(req, res, diffs.length);
      res.json(diffs.slice(skip, skip + limit).map(presentDiff));
    }),
  );

  api.get(
    '/projects/:id/repository/commits/:sha/merge_requests',
    handle(async (req, res) => {
      const project = projectOf(req);
      const commit = await commitOf(req, project);
      const found = store
        .mergeRequests(project.id)
        .filter(m => m.mergeCommitSha === commit.sha || m.sha === commit.sha);
      res.json(await Promise.all(found.map(m => presentMr(req, project, m))));
    }),
  );

  api.get(
    '/projects/:id/repository/merge_base',
    handle(async (req, res) => {
      const project = projectOf(req);
      const given = req.query.refs ?? req.query['refs[]'];
      const refs = (Array.isArray(given) ? given : [given])
        .map(param)
        .filter((r): r is string => !!r);
      if (refs.length !== 2) {
        throw new ApiError(400, {
          message: 'Provide exactly two refs[] to find their merge base',
        });
      }
      const shas = await Promise.all(
        refs.map(r => repos.resolveRef(project.path, r).catch(() => undefined)),
      );
      const missing = refs.find((_, i) => !shas[i]);
      if (missing)
        throw new ApiError(404, { message: `Could not find ref: ${missing}` });
      const base = await repos.mergeBase(project.path, shas[0]!, shas[1]!);
      const commit = base && (await repos.showCommit(project.path, base));
      if (!commit) {
        throw new ApiError(400, {
          message: `Could not find merge base for ${refs.join(', ')}`,
        });
      }
      res.json(commitJson(req, project, commit));
    }),
  );

  api.get(
    '/projects/:id/repository/compare',
    handle(async (req, res) => {
      const project = projectOf(req);
      const from = param(req.query.from);
      const to = param(req.query.to);
      if (!from) throw new ApiError(400, { error: 'from is missing' });
      if (!to) throw new ApiError(400, { error: 'to is missing' });
      const [fromSha, toSha] = await Promise.all(
        [from, to].map(r =>
          repos.resolveRef(project.path, r).catch(() => undefined),
        ),
      );
      if (!fromSha || !toSha) throw notFound('Ref');
      const straight = flag(req.query.straight);
      const base = straight
        ? fromSha
        : (await repos.mergeBase(project.path, fromSha, toSha)) ?? fromSha;
      const commits = (await repos.log(project.path, fromSha, toSha)).reverse();
      const diffs = await repos.diff(project.path, base, toSha);
      const last = commits[commits.length - 1];
      res.json({
        commit: last ? commitJson(req, project, last) : null,
        commits: commits.map(c => commitJson(req, project, c)),
        diffs: diffs.map(presentDiff),
        compare_timeout: false,
        compare_same_ref: fromSha === toSha,
        web_url: `${webBaseOf(req)}/${
          project.path
        }/-/compare/${fromSha}...${toSha}`,
      });
    }),
  );

  api.post(
    '/projects/:id/repository/commits',
    handle(async (req, res) => {
      const project = projectOf(req);
      const body = { ...req.query, ...req.body } as Record<string, unknown>;
      const branch = param(body.branch);
      const message = param(body.commit_message);
      if (!branch) throw new ApiError(400, { error: 'branch is missing' });
      if (!message)
        throw new ApiError(400, { error: 'commit_message is missing' });
      if (!Array.isArray(body.actions) || body.actions.length === 0) {
        throw new ApiError(400, { error: 'actions is missing' });
      }
      if (flag(body.force)) {
        // The portal must never force a branch; the sandbox refuses so a test would notice.
        throw new ApiError(400, {
          message: 'force is refused by the kop sandbox',
        });
      }
      const user = userOf(res);
      if (!canPush(user, project, branch)) {
        throw new ApiError(403, {
          message: 'You are not allowed to push into this branch',
        });
      }
      const actions: CommitFileAction[] = body.actions.map(
        (raw: unknown, i: number) => {
          const a = (raw ?? {}) as Record<string, unknown>;
          const action = param(a.action);
          const filePath = param(a.file_path);
          if (
            !action ||
            !['create', 'update', 'delete', 'move'].includes(action)
          ) {
            throw new ApiError(400, {
              error: `actions[${i}][action] does not have a valid value`,
            });
          }
          if (!filePath)
            throw new ApiError(400, {
              error: `actions[${i}][file_path] is missing`,
            });
          let content = param(a.content);
          if (content !== undefined && param(a.encoding) === 'base64') {
            content = Buffer.from(content, 'base64').toString('utf8');
          }
          if (
            (action === 'create' || action === 'update') &&
            content === undefined
          ) {
            throw new ApiError(400, {
              error: `actions[${i}][content] is missing`,
            });
          }
          return {
            action: action as CommitFileAction['action'],
            filePath,
            content,
            previousPath: param(a.previous_path),
            lastCommitId: param(a.last_commit_id),
          };
        },
      );
      const exists = await repos
        .branchHead(project.path, branch)
        .catch(() => undefined);
      const start = param(body.start_sha) ?? param(body.start_branch);
      if (!exists && !start) {
        throw new ApiError(400, {
          message: 'You can only create or edit files when you are on a branch',
        });
      }
      let commit: GitCommit;
      try {
        commit = await repos.commitFiles(project.path, {
          branch,
          startRef: exists ? undefined : start,
          message,
          author: {
            name: param(body.author_name) ?? user.name,
            email: param(body.author_email) ?? user.email,
          },
          actions,
        });
      } catch (e) {
        if (!(e instanceof GitError)) throw e;
        const messages: Partial<Record<string, string>> = {
          exists: 'A file with this name already exists',
          missing: "A file with this name doesn't exist",
          changed:
            'You are attempting to update a file that has changed since you started editing it.',
          race: `9:Could not update refs/heads/${branch}. Please refresh and try again.`,
          invalid: `Your changes could not be committed: ${e.message}`,
          not_found: `Your changes could not be committed: ${e.message}`,
        };
        const text = messages[e.code];
        if (!text) throw e;
        throw new ApiError(400, { message: text });
      }
      startPipeline(
        project,
        branch,
        commit.sha,
        'push',
        /\[ci-fail\]/.test(message),
      );
      res.status(201).json(await commitDetail(req, project, commit));
    }),
  );

  // Merge requests.
  api.get(
    '/projects/:id/merge_requests',
    handle(async (req, res) => {
      const project = projectOf(req);
      const q = (k: string) => param(req.query[k]);
      const state = q('state') ?? 'all';
      const after = q('updated_after')
        ? Date.parse(q('updated_after')!)
        : undefined;
      const before = q('updated_before')
        ? Date.parse(q('updated_before')!)
        : undefined;
      const createdAfter = q('created_after')
        ? Date.parse(q('created_after')!)
        : undefined;
      const iids = ([] as unknown[])
        .concat(req.query['iids[]'] ?? req.query.iids ?? [])
        .map(v => Number(v));
      const list = store
        .mergeRequests(project.id)
        .filter(
          m =>
            (state === 'all' || m.state === state) &&
            (!q('target_branch') || m.targetBranch === q('target_branch')) &&
            (!q('source_branch') || m.sourceBranch === q('source_branch')) &&
            (after === undefined || Date.parse(m.updatedAt) >= after) &&
            (before === undefined || Date.parse(m.updatedAt) <= before) &&
            (createdAfter === undefined ||
              Date.parse(m.createdAt) >= createdAfter) &&
            (!iids.length || iids.includes(m.iid)),
        )
        .sort((a, b) => {
          const key =
            q('order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
          const diff = Date.parse(a[key]) - Date.parse(b[key]) || a.iid - b.iid;
          return q('sort') === 'asc' ? diff : -diff;
        });
      const { skip, limit } = paginate(req, res, list.length);
      res.json(
        await Promise.all(
          list.slice(skip, skip + limit).map(m => presentMr(req, project, m)),
        ),
      );
    }),
  );

  const mrOf = (req: Request, project: ProjectRecord) => {
    const mr = store
      .mergeRequests(project.id)
      .find(m => String(m.iid) === req.params.iid);
    if (!mr) throw new ApiError(404, { message: '404 Not found' });
    return mr;
  };

  const mrDetail = async (
    req: Request,
    res: Response,
    project: ProjectRecord,
    mr: MergeRequestRecord,
  ) => {
    let conflicts = false;
    if (mr.state === 'opened') {
      conflicts = !(await repos
        .canMerge(project.path, mr.sourceBranch, mr.targetBranch)
        .catch(() => false));
    }
    const base = await presentMr(req, project, mr, conflicts);
    const pipeline = latestPipeline(project, { sha: mr.sha });
    const head = pipeline
      ? presentPipelineDetail(
          pipeline,
          project,
          webBaseOf(req),
          now(),
          userOf(res),
        )
      : null;
    const baseSha =
      mr.state === 'merged' && mr.mergeCommitSha
        ? (await repos.showCommit(project.path, mr.mergeCommitSha))?.parents[0]
        : await repos
            .mergeBase(project.path, mr.sha, mr.targetBranch)
            .catch(() => undefined);
    return {
      ...base,
      subscribed: false,
      changes_count: null,
      latest_build_started_at: head?.started_at ?? null,
      latest_build_finished_at: head?.finished_at ?? null,
      first_deployed_to_production_at: null,
      pipeline: head,
      head_pipeline: head,
      diff_refs: {
        base_sha: baseSha ?? null,
        head_sha: mr.sha,
        start_sha: baseSha ?? null,
      },
      merge_error: null,
      first_contribution: false,
      user: { can_merge: canPush(userOf(res), project, mr.targetBranch) },
    };
  };

  api.get(
    '/projects/:id/merge_requests/:iid',
    handle(async (req, res) => {
      const project = projectOf(req);
      res.json(await mrDetail(req, res, project, mrOf(req, project)));
    }),
  );

  api.get(
    '/projects/:id/merge_requests/:iid/pipelines',
    handle(async (req, res) => {
      const project = projectOf(req);
      const mr = mrOf(req, project);
      const list = store.state.pipelines
        .filter(p => p.projectId === project.id && p.ref === mr.sourceBranch)
        .sort((a, b) => b.id - a.id);
      res.json(
        list.map(p => presentPipeline(p, project, webBaseOf(req), now())),
      );
    }),
  );

  api.post(
    '/projects/:id/merge_requests',
    handle(async (req, res) => {
      const project = projectOf(req);
      const body = { ...req.query, ...req.body } as Record<string, unknown>;
      const source = param(body.source_branch);
      const target = param(body.target_branch);
      const title = param(body.title);
      if (!source)
        throw new ApiError(400, { error: 'source_branch is missing' });
      if (!target)
        throw new ApiError(400, { error: 'target_branch is missing' });
      if (!title) throw new ApiError(400, { error: 'title is missing' });
      const user = userOf(res);
      if (user.accessLevel < AccessLevel.developer) throw forbidden();
      const [sourceSha, targetSha] = await Promise.all(
        [source, target].map(b =>
          repos.branchHead(project.path, b).catch(() => undefined),
        ),
      );
      if (!sourceSha || !targetSha) {
        throw new ApiError(400, {
          message: [
            !sourceSha
              ? 'Source branch is invalid'
              : 'Target branch is invalid',
          ],
        });
      }
      const open = store
        .mergeRequests(project.id)
        .find(
          m =>
            m.state === 'opened' &&
            m.sourceBranch === source &&
            m.targetBranch === target,
        );
      if (open) {
        throw new ApiError(409, {
          message: [
            `Another open merge request already exists for this source branch: !${open.iid}`,
          ],
        });
      }
      const at = new Date(now()).toISOString();
      const record = store.addMergeRequest({
        projectId: project.id,
        title,
        description: param(body.description) ?? '',
        sourceBranch: source,
        targetBranch: target,
        state: 'opened',
        sha: sourceSha,
        mergeCommitSha: null,
        authorUsername: user.username,
        mergedByUsername: null,
        createdAt: at,
        updatedAt: at,
        mergedAt: null,
        closedAt: null,
        removeSourceBranch: flag(body.remove_source_branch),
        webUrl: '',
      });
      record.webUrl = `${webBaseOf(req)}/${project.path}/-/merge_requests/${
        record.iid
      }`;
      store.save();
      startPipeline(
        project,
        source,
        sourceSha,
        'merge_request_event',
        /\[ci-fail\]/.test(title),
      );
      res.status(201).json(await mrDetail(req, res, project, record));
    }),
  );

  api.put(
    '/projects/:id/merge_requests/:iid/merge',
    handle(async (req, res) => {
      const project = projectOf(req);
      const mr = mrOf(req, project);
      const body = { ...req.query, ...req.body } as Record<string, unknown>;
      const user = userOf(res);
      if (mr.state !== 'opened') {
        throw new ApiError(405, { message: '405 Method Not Allowed' });
      }
      if (!canPush(user, project, mr.targetBranch)) {
        throw new ApiError(401, { message: '401 Unauthorized' });
      }
      const { status } = await refreshed(project, mr);
      const expected = param(body.sha);
      if (expected && expected !== mr.sha) {
        throw new ApiError(409, {
          message: 'SHA does not match HEAD of source branch',
        });
      }
      if (
        status === 'ci_still_running' ||
        status === 'ci_must_pass' ||
        status === 'broken_status'
      ) {
        throw new ApiError(405, { message: '405 Method Not Allowed' });
      }
      const message =
        param(body.merge_commit_message) ??
        `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n\n${mr.title}\n\nSee merge request ${project.path}!${mr.iid}`;
      let merged: GitCommit;
      try {
        merged = await repos.merge(
          project.path,
          mr.sourceBranch,
          mr.targetBranch,
          message,
          {
            author: { name: user.name, email: user.email },
            expectedSourceSha: mr.sha,
          },
        );
      } catch (e) {
        if (e instanceof GitError && e.code === 'conflict') {
          throw new ApiError(422, { message: 'Branch cannot be merged' });
        }
        if (
          e instanceof GitError &&
          (e.code === 'race' || e.code === 'changed')
        ) {
          throw new ApiError(409, {
            message: 'SHA does not match HEAD of source branch',
          });
        }
        throw e;
      }
      const at = new Date(now()).toISOString();
      Object.assign(mr, {
        state: 'merged',
        mergeCommitSha: merged.sha,
        mergedByUsername: user.username,
        mergedAt: at,
        updatedAt: at,
      });
      store.save();
      if (flag(body.should_remove_source_branch) || mr.removeSourceBranch) {
        await repos
          .deleteBranch(project.path, mr.sourceBranch)
          .catch(() => undefined);
      }
      startPipeline(project, mr.targetBranch, merged.sha, 'push', false);
      res.json(await mrDetail(req, res, project, mr));
    }),
  );

  // Pipelines.
  api.get(
    '/projects/:id/pipelines',
    handle(async (req, res) => {
      const project = projectOf(req);
      const ref = param(req.query.ref);
      const sha = param(req.query.sha);
      const status = param(req.query.status);
      const t = now();
      const list = store.state.pipelines
        .filter(
          p =>
            p.projectId === project.id &&
            (!ref || p.ref === ref) &&
            (!sha || p.sha === sha) &&
            (!status || pipelineStatus(p, t).status === status),
        )
        .sort((a, b) =>
          param(req.query.sort) === 'asc' ? a.id - b.id : b.id - a.id,
        );
      const { skip, limit } = paginate(req, res, list.length);
      res.json(
        list
          .slice(skip, skip + limit)
          .map(p => presentPipeline(p, project, webBaseOf(req), t)),
      );
    }),
  );

  api.get(
    '/projects/:id/pipelines/:pipelineId',
    handle(async (req, res) => {
      const project = projectOf(req);
      const wanted = req.params.pipelineId;
      const pipeline =
        wanted === 'latest'
          ? latestPipeline(project, {
              ref: param(req.query.ref) ?? project.defaultBranch,
            })
          : store.state.pipelines.find(
              p => p.projectId === project.id && String(p.id) === wanted,
            );
      if (!pipeline) throw new ApiError(404, { message: '404 Not found' });
      res.json(
        presentPipelineDetail(
          pipeline,
          project,
          webBaseOf(req),
          now(),
          userOf(res),
        ),
      );
    }),
  );

  router.use('/api/v4', api);
  router.use('/api/v4', (_req, res) => {
    res.status(404).json({ error: '404 Not Found' });
  });
  router.use(
    (error: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) {
        next(error);
        return;
      }
      if (error instanceof ApiError) {
        res.status(error.status).json(error.body);
      } else if (error instanceof GitError && error.code === 'not_found') {
        res.status(404).json({ message: '404 Not found' });
      } else if (error instanceof GitError && error.code === 'invalid') {
        res.status(400).json({ message: error.message });
      } else if ((error as { type?: string })?.type === 'entity.parse.failed') {
        res.status(400).json({ error: 'The request body is not valid JSON' });
      } else {
        res.status(500).json({ message: '500 Internal Server Error' });
      }
    },
  );

  return {
    name: 'GitLab',
    prefix: '/gitlab',
    router,
    async describe() {
      const rows: Array<Record<string, string | number>> = [];
      for (const project of store.state.projects) {
        if (!repos.exists(project.path)) continue;
        const branches = await repos.branches(project.path);
        rows.push({
          what: 'project',
          project: project.path,
          item: `default ${project.defaultBranch}`,
          detail: `branches: ${branches.map(b => b.name).join(', ')}`,
          when: project.createdAt,
        });
      }
      const recent = [...store.state.mergeRequests]
        .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt))
        .slice(0, 10);
      for (const mr of recent) {
        const project = store.state.projects.find(p => p.id === mr.projectId)!;
        rows.push({
          what: `merge request (${mr.state})`,
          project: project.path,
          item: `!${mr.iid} ${mr.title}`,
          detail: `${mr.sourceBranch} → ${mr.targetBranch}${
            mr.mergeCommitSha ? ` @ ${mr.mergeCommitSha.slice(0, 8)}` : ''
          }`,
          when: mr.updatedAt,
        });
      }
      const iac = store.state.projects.find(p => !p.ci);
      if (iac && repos.exists(iac.path)) {
        const commits = await repos.log(
          iac.path,
          undefined,
          iac.defaultBranch,
          {
            limit: 5,
          },
        );
        for (const c of commits) {
          rows.push({
            what: 'IaC commit',
            project: iac.path,
            item: `${c.sha.slice(0, 8)} ${c.title}`,
            detail: c.changes.map(x => x.path).join(', '),
            when: c.committedDate,
          });
        }
      }
      rows.push({
        what: 'tokens',
        project: '',
        item: tokens.map(t => t.username).join(', '),
        detail:
          'PRIVATE-TOKEN or Authorization: Bearer (values in sandboxGitlabTokens)',
        when: '',
      });
      return rows;
    },
  };
}
