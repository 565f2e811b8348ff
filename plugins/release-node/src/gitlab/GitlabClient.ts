import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  Branches,
  Commits,
  MergeRequests,
  Pipelines,
  ProjectMembers,
  Projects,
  Repositories,
  RepositoryFiles,
  Users,
  type Gitlab,
} from '@gitbeaker/rest';
import { mergeRequestCommits } from './commitGraph';
import { defaultRetryPolicy, type RetryPolicy } from '../http/retry';
import { SystemError } from '../http/SystemError';
import {
  GITBEAKER_HOST,
  GitlabRequestError,
  createGitlabRequester,
} from './requester';
import { EditConflictError } from './yamlEdit';

/** @public */
export interface GitlabClientOptions {
  /** e.g. https://gitlab.example.com/api/v4 (the sandbox: `<sandbox>/gitlab/api/v4`). */
  apiBaseUrl: string;
  /** Where people open GitLab's pages, e.g. https://gitlab.example.com; apiBaseUrl without /api/v4 unless set. */
  webBaseUrl?: string;
  /** Personal, project or group access token (sent as PRIVATE-TOKEN). */
  token: string;
  /** The IaC project `check()` looks at (default kop/kop-deploy-prod). */
  iacProject?: string;
  /** Its branch the portal commits to (default main). */
  iacBranch?: string;
  /** Per attempt, default 15000. */
  timeoutMs?: number;
  /** Retries of calls that failed for the server's sake (429, 5xx, no answer). */
  retry?: RetryPolicy;
  /** Tries of one commit that meets GitLab's "branch moved" answer, the first included (default 4). */
  commitAttempts?: number;
  /** How the client waits (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  fetchImpl?: typeof fetch;
  logger?: LoggerService;
}

/** @public */
export interface GitlabCommit {
  sha: string;
  shortSha: string;
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committedDate: string;
  parentShas: string[];
  webUrl: string;
}

/** @public */
export interface GitlabMergeRequest {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: string;
  sourceBranch: string;
  targetBranch: string;
  /** Head of the source branch. */
  sha: string;
  mergeCommitSha?: string;
  squashCommitSha?: string;
  mergedAt?: string;
  author?: string;
  webUrl: string;
  /** e.g. mergeable, ci_still_running, not_open. */
  detailedMergeStatus?: string;
  /** Status of the head pipeline, when GitLab says (single merge request answers). */
  pipelineStatus?: string;
  /** Paths the merge request changed (filled by `compare`). */
  changedPaths?: string[];
}

/** @public */
export interface GitlabComparedCommit extends GitlabCommit {
  /** The merged merge request this commit belongs to (its merge commit or one of its commits). */
  mergeRequestIid?: number;
}

/** What lies between two refs. @public */
export interface GitlabComparison {
  project: string;
  from: string;
  to: string;
  /** Oldest first. */
  commits: GitlabComparedCommit[];
  /** Merged merge requests whose merge commit lies in between, oldest merge first. */
  mergeRequests: GitlabMergeRequest[];
  /** Every path added, changed, renamed or deleted between the two (old and new names). */
  changedPaths: string[];
}

/** @public */
export interface GitlabBranch {
  name: string;
  sha: string;
  protected: boolean;
  canPush: boolean;
  webUrl: string;
}

/** @public */
export interface GitlabPipeline {
  id: number;
  status: string;
  ref: string;
  sha: string;
  webUrl: string;
}

/** @public */
export interface GitlabFile {
  content: string;
  /** The last commit that changed this file (what a later update names as last known). */
  lastCommitId: string;
  /** The commit the ref pointed at when read. */
  commitId: string;
  blobId: string;
}

/** Files as they are on the branch now: path → text, undefined when absent. @public */
export type GitlabFiles = Record<string, string | undefined>;

/** @public */
export interface GitlabCommitEditsOptions {
  project: string;
  branch: string;
  /** The whole commit message (title, blank line, release notes). */
  message: string;
  /** Files the edit reads. */
  paths: string[];
  /**
   * Given the files as they are now, the new contents of those that change (null deletes). Called
   * again after every re-read, so it must be pure. Throws {@link EditConflictError} when the change
   * cannot be applied (a key is not where expected): then nothing is committed and nothing is retried.
   */
  edit: (files: GitlabFiles) => Record<string, string | null>;
  author?: { name: string; email: string };
}

/** @public */
export interface GitlabCommitEditsResult {
  /** False when the branch already held the edited contents (nothing to commit). */
  committed: boolean;
  /** The new commit, or the branch head that already held the contents. */
  sha: string;
  /** Commit requests sent (re-reads after GitLab's race answer included). */
  attempts: number;
  webUrl?: string;
  /** The new commit's parents: a revision among them cannot hold the commit. */
  parents?: string[];
}

/** @public */
export interface GitlabCheckResult {
  system: 'GitLab';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

/**
 * GitLab's 400 answers when the branch (or a file) moved between our read and our commit: re-read and
 * re-apply. Gitaly's ref update race, GitLab's "Please refresh", and the per-file optimistic lock.
 */
const RACE =
  /reference does not point to expected object|please refresh and try again|could not update refs\/|has changed since you started editing it|a file with this name (already exists|doesn't exist)/i;

const ACCESS_NAMES: Record<number, string> = {
  10: 'guest',
  20: 'reporter',
  30: 'developer',
  40: 'maintainer',
  50: 'owner',
};

const sleepReal = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

type Api = Pick<
  InstanceType<typeof Gitlab<false>>,
  | 'Branches'
  | 'Commits'
  | 'MergeRequests'
  | 'Pipelines'
  | 'ProjectMembers'
  | 'Projects'
  | 'Repositories'
  | 'RepositoryFiles'
  | 'Users'
>;
type Json = Record<string, any>;

function toCommit(c: Json): GitlabCommit {
  return {
    sha: c.id,
    shortSha: c.short_id ?? String(c.id).slice(0, 8),
    title: c.title ?? String(c.message ?? '').split('\n')[0],
    message: c.message ?? c.title ?? '',
    authorName: c.author_name,
    authorEmail: c.author_email,
    authoredDate: c.authored_date ?? c.created_at,
    committedDate: c.committed_date ?? c.created_at,
    parentShas: c.parent_ids ?? [],
    webUrl: c.web_url,
  };
}

function toMergeRequest(m: Json): GitlabMergeRequest {
  return {
    id: m.id,
    iid: m.iid,
    title: m.title,
    description: m.description ?? '',
    state: m.state,
    sourceBranch: m.source_branch,
    targetBranch: m.target_branch,
    sha: m.sha,
    mergeCommitSha: m.merge_commit_sha ?? undefined,
    squashCommitSha: m.squash_commit_sha ?? undefined,
    mergedAt: m.merged_at ?? undefined,
    author: m.author?.username,
    webUrl: m.web_url,
    detailedMergeStatus: m.detailed_merge_status,
    pipelineStatus: m.head_pipeline?.status ?? m.pipeline?.status,
  };
}

function toBranch(b: Json): GitlabBranch {
  return {
    name: b.name,
    sha: b.commit?.id,
    protected: Boolean(b.protected),
    canPush: Boolean(b.can_push),
    webUrl: b.web_url,
  };
}

/**
 * The portal's GitLab client, on `@gitbeaker/rest` with a requester of our own: a timeout per attempt,
 * bounded retries honouring Retry-After (reads only after a 5xx), errors that say
 * "GitLab: <action> failed …" and never hold the token.
 *
 * @public
 */
export class GitlabClient {
  private readonly api: Api;
  private readonly options: GitlabClientOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly iacProject: string;
  readonly iacBranch: string;
  /** Where people open GitLab's pages, without a trailing slash. */
  readonly webBaseUrl: string;

  /**
   * Reads Backstage's `integrations.gitlab[]` (host, apiBaseUrl, token): the entry for `host`, or the
   * first; and `release.iac.repo` / `release.iac.branch` for the IaC project.
   */
  static fromConfig(
    config: Config,
    options: Partial<Omit<GitlabClientOptions, 'apiBaseUrl' | 'token'>> & {
      host?: string;
    } = {},
  ): GitlabClient {
    const { host: wanted, ...rest } = options;
    const entries = config.getOptionalConfigArray('integrations.gitlab') ?? [];
    const entry = wanted
      ? entries.find(e => e.getString('host') === wanted)
      : entries[0];
    if (!entry) {
      throw new Error(
        wanted
          ? `integrations.gitlab has no entry for host ${wanted}`
          : 'integrations.gitlab has no entry',
      );
    }
    const host = entry.getString('host');
    const token = entry.getOptionalString('token');
    if (!token) throw new Error(`integrations.gitlab (${host}) has no token`);
    return new GitlabClient({
      apiBaseUrl:
        entry.getOptionalString('apiBaseUrl') ?? `https://${host}/api/v4`,
      // Backstage's own key for the web base of a GitLab integration.
      webBaseUrl: entry.getOptionalString('baseUrl'),
      token,
      iacProject:
        config.getOptionalString('release.iac.repos.prod') ??
        config.getOptionalString('release.iac.repo') ??
        'kop/kop-deploy-prod',
      iacBranch: config.getOptionalString('release.iac.branch') ?? 'main',
      ...rest,
    });
  }

  constructor(options: GitlabClientOptions) {
    if (!options.token) throw new Error('GitLab token is required');
    if (!/^https?:\/\//.test(options.apiBaseUrl)) {
      throw new Error(
        `GitLab apiBaseUrl must be an http(s) URL, got '${options.apiBaseUrl}'`,
      );
    }
    this.options = options;
    this.sleep = options.sleep ?? sleepReal;
    this.iacProject = options.iacProject ?? 'kop/kop-deploy-prod';
    this.iacBranch = options.iacBranch ?? 'main';
    this.webBaseUrl = (
      options.webBaseUrl ?? options.apiBaseUrl.replace(/\/api\/v4\/*$/, '')
    ).replace(/\/+$/, '');
    const resource = {
      host: GITBEAKER_HOST,
      token: options.token,
      queryTimeout: null,
      requesterFn: createGitlabRequester({
        apiBaseUrl: options.apiBaseUrl,
        timeoutMs: options.timeoutMs ?? 15_000,
        retry: options.retry ?? defaultRetryPolicy,
        fetchImpl: options.fetchImpl,
        sleep: options.sleep,
      }),
    };
    // Only the resources the portal calls: gitbeaker's whole `Gitlab` builds ~150 (about 1 ms).
    this.api = {
      Branches: new Branches<false>(resource),
      Commits: new Commits<false>(resource),
      MergeRequests: new MergeRequests<false>(resource),
      Pipelines: new Pipelines<false>(resource),
      ProjectMembers: new ProjectMembers<false>(resource),
      Projects: new Projects<false>(resource),
      Repositories: new Repositories<false>(resource),
      RepositoryFiles: new RepositoryFiles<false>(resource),
      Users: new Users<false>(resource),
    };
  }

  private redact(text: string): string {
    const token = this.options.token;
    return token ? text.split(token).join('[redacted]') : text;
  }

  private failure(action: string, error: unknown): SystemError {
    if (error instanceof SystemError) return error;
    if (error instanceof GitlabRequestError) {
      return new SystemError({
        system: 'GitLab',
        action,
        url: error.url,
        status: error.status,
        detail: this.redact(error.description),
        retryable: error.retryable,
      });
    }
    return new SystemError({
      system: 'GitLab',
      action,
      detail: this.redact(String((error as Error)?.message ?? error)),
    });
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.failure(action, e);
    }
  }

  private static status(error: unknown): number | undefined {
    return error instanceof GitlabRequestError ? error.status : undefined;
  }

  /** A project's web page, e.g. `-/commits/main` of kop/kop-deploy-prod. */
  projectUrl(project: string, page?: string): string {
    const path = project.split('/').map(encodeURIComponent).join('/');
    return page
      ? `${this.webBaseUrl}/${path}/-/${page}`
      : `${this.webBaseUrl}/${path}`;
  }

  /** A branch, or undefined when it does not exist. */
  async branch(
    project: string,
    name: string,
  ): Promise<GitlabBranch | undefined> {
    try {
      return toBranch(await this.api.Branches.show(project, name));
    } catch (e) {
      if (GitlabClient.status(e) === 404) return undefined;
      throw this.failure(`read branch ${name} of ${project}`, e);
    }
  }

  /** The commit a ref (branch, tag, sha) points at, or undefined. */
  async resolveRef(project: string, ref: string): Promise<string | undefined> {
    try {
      return ((await this.api.Commits.show(project, ref)) as Json).id;
    } catch (e) {
      if (GitlabClient.status(e) === 404) return undefined;
      throw this.failure(`resolve ${ref} in ${project}`, e);
    }
  }

  /** Branches whose name matches GitLab's search (`^deploy-` anchors at the start), up to `limit`. */
  async listBranches(
    project: string,
    options: { search?: string; limit?: number } = {},
  ): Promise<GitlabBranch[]> {
    const limit = options.limit ?? 100;
    try {
      const list = (await this.api.Branches.all(project, {
        ...(options.search ? { search: options.search } : {}),
        perPage: Math.min(limit, 100),
        maxPages: Math.ceil(limit / 100),
      })) as Json[];
      return list.slice(0, limit).map(toBranch);
    } catch (e) {
      throw this.failure(`list branches of ${project}`, e);
    }
  }

  /** The newest commits of a ref, newest first. */
  async listCommits(
    project: string,
    options: { ref: string; limit?: number },
  ): Promise<GitlabCommit[]> {
    const limit = options.limit ?? 20;
    try {
      const list = (await this.api.Commits.all(project, {
        refName: options.ref,
        perPage: Math.min(limit, 100),
        maxPages: 1,
      })) as Json[];
      return list.slice(0, limit).map(toCommit);
    } catch (e) {
      throw this.failure(`list commits of ${options.ref} in ${project}`, e);
    }
  }

  /**
   * Creates `name` at `ref`. When the branch already exists at that very commit (a retry after a lost
   * answer) it is returned as is; anywhere else it is an error.
   */
  async createBranch(
    project: string,
    name: string,
    ref: string,
  ): Promise<GitlabBranch> {
    const action = `create branch ${name} from ${ref} in ${project}`;
    try {
      return toBranch(await this.api.Branches.create(project, name, ref));
    } catch (e) {
      if (
        GitlabClient.status(e) === 400 &&
        /already exists/i.test((e as GitlabRequestError).description)
      ) {
        const [existing, sha] = await Promise.all([
          this.branch(project, name),
          this.resolveRef(project, ref),
        ]);
        if (existing && sha && existing.sha === sha) return existing;
      }
      throw this.failure(action, e);
    }
  }

  /**
   * Whether `commit` is in the history of `revision` (or is it), from GitLab's merge base of the
   * two: one commit's answer, not a comparison's commits and diffs.
   */
  async holds(
    project: string,
    revision: string,
    commit: string,
  ): Promise<boolean> {
    if (revision === commit) return true;
    try {
      const base = (await this.api.Repositories.mergeBase(project, [
        revision,
        commit,
      ])) as Json;
      return base.id === commit;
    } catch (e) {
      // Histories that share no commit have no merge base: GitLab answers 400.
      if (GitlabClient.status(e) === 400) return false;
      throw this.failure(
        `find the merge base of ${revision} and ${commit} in ${project}`,
        e,
      );
    }
  }

  /**
   * The commits between two refs (those in `to` and not in `from`), the merged merge requests they
   * carry, and every path that changed.
   */
  async compare(
    project: string,
    from: string,
    to: string,
  ): Promise<GitlabComparison> {
    const action = `compare ${from}...${to} in ${project}`;
    const result = (await this.call(action, () =>
      this.api.Repositories.compare(project, from, to),
    )) as Json;
    const commits: GitlabComparedCommit[] = (result.commits ?? []).map(
      toCommit,
    );
    const changedPaths = [
      ...new Set<string>(
        (result.diffs ?? []).flatMap((d: Json) => [d.old_path, d.new_path]),
      ),
    ]
      .filter(Boolean)
      .sort();
    const mergeRequests = commits.length
      ? await this.mergeRequestsIn(project, commits, action)
      : [];
    return { project, from, to, commits, mergeRequests, changedPaths };
  }

  /** The merged merge requests between two refs (see {@link GitlabClient.compare}). */
  async mergedMergeRequestsBetween(
    project: string,
    from: string,
    to: string,
  ): Promise<GitlabMergeRequest[]> {
    return (await this.compare(project, from, to)).mergeRequests;
  }

  private async mergeRequestsIn(
    project: string,
    commits: GitlabComparedCommit[],
    action: string,
  ): Promise<GitlabMergeRequest[]> {
    const bySha = new Map(commits.map(c => [c.sha, c]));
    const oldest = Math.min(...commits.map(c => Date.parse(c.committedDate)));
    // A merge request is updated at or after its merge, and its merge commit is dated at the merge.
    const updatedAfter = new Date(
      (Number.isFinite(oldest) ? oldest : 0) - 86_400_000,
    ).toISOString();
    const merged = (await this.call(action, () =>
      this.api.MergeRequests.all({
        projectId: project,
        state: 'merged',
        updatedAfter,
        perPage: 100,
      }),
    )) as Json[];
    const found: GitlabMergeRequest[] = [];
    for (const raw of merged) {
      const mr = toMergeRequest(raw);
      const landed = mergeRequestCommits(mr, bySha);
      if (!landed) continue;
      const { anchor, shas: mine } = landed;
      for (const sha of mine) bySha.get(sha)!.mergeRequestIid = mr.iid;
      mr.changedPaths = await this.commitPaths(project, anchor, action);
      found.push(mr);
    }
    return found.sort(
      (a, b) => Date.parse(a.mergedAt ?? '') - Date.parse(b.mergedAt ?? ''),
    );
  }

  /** Paths one commit changed (a merge commit: against its first parent). */
  async commitPaths(
    project: string,
    sha: string,
    action = `read the changes of ${sha} in ${project}`,
  ): Promise<string[]> {
    const diffs = (await this.call(action, () =>
      this.api.Commits.showDiff(project, sha),
    )) as Json[];
    return [...new Set<string>(diffs.flatMap(d => [d.old_path, d.new_path]))]
      .filter(Boolean)
      .sort();
  }

  /** One merge request, with its head pipeline's status. */
  async mergeRequest(
    project: string,
    iid: number,
  ): Promise<GitlabMergeRequest> {
    return toMergeRequest(
      await this.call(`read merge request !${iid} of ${project}`, () =>
        this.api.MergeRequests.show(project, iid),
      ),
    );
  }

  /**
   * Merge requests from a branch (into any branch unless `targetBranch` says), newest first, in any
   * state unless `state` says. List answers carry no pipeline: read one with
   * {@link GitlabClient.mergeRequest} for that.
   */
  async listMergeRequests(
    project: string,
    options: {
      sourceBranch: string;
      targetBranch?: string;
      state?: 'opened' | 'merged' | 'closed';
      limit?: number;
    },
  ): Promise<GitlabMergeRequest[]> {
    const limit = options.limit ?? 20;
    const list = (await this.call(
      `list merge requests from ${options.sourceBranch} in ${project}`,
      () =>
        this.api.MergeRequests.all({
          projectId: project,
          sourceBranch: options.sourceBranch,
          ...(options.targetBranch
            ? { targetBranch: options.targetBranch }
            : {}),
          ...(options.state ? { state: options.state } : {}),
          orderBy: 'created_at',
          sort: 'desc',
          perPage: Math.min(limit, 100),
          maxPages: 1,
        }),
    )) as Json[];
    return list.slice(0, limit).map(toMergeRequest);
  }

  /**
   * Opens a merge request. When one is already open for the same branches (a retry after a lost
   * answer) that one is returned.
   */
  async createMergeRequest(
    project: string,
    options: {
      sourceBranch: string;
      targetBranch: string;
      title: string;
      description?: string;
      removeSourceBranch?: boolean;
    },
  ): Promise<GitlabMergeRequest> {
    const action = `open a merge request ${options.sourceBranch} → ${options.targetBranch} in ${project}`;
    try {
      return toMergeRequest(
        await this.api.MergeRequests.create(
          project,
          options.sourceBranch,
          options.targetBranch,
          options.title,
          {
            description: options.description,
            removeSourceBranch: options.removeSourceBranch ?? true,
          },
        ),
      );
    } catch (e) {
      if (GitlabClient.status(e) === 409) {
        const open = (await this.call(action, () =>
          this.api.MergeRequests.all({
            projectId: project,
            state: 'opened',
            sourceBranch: options.sourceBranch,
            targetBranch: options.targetBranch,
          }),
        )) as Json[];
        if (open[0]) return this.mergeRequest(project, open[0].iid);
      }
      throw this.failure(action, e);
    }
  }

  /**
   * Merges a merge request (a merge commit). `sha` makes GitLab refuse when the source moved since it
   * was checked. Merging one that is already merged returns it.
   */
  async mergeMergeRequest(
    project: string,
    iid: number,
    options: {
      sha?: string;
      message?: string;
      removeSourceBranch?: boolean;
    } = {},
  ): Promise<GitlabMergeRequest> {
    const action = `merge !${iid} of ${project}`;
    try {
      return toMergeRequest(
        await this.api.MergeRequests.merge(project, iid, {
          sha: options.sha,
          mergeCommitMessage: options.message,
          shouldRemoveSourceBranch: options.removeSourceBranch,
        }),
      );
    } catch (e) {
      const status = GitlabClient.status(e);
      if (status === 405 || status === 422 || status === 406) {
        const now = await this.mergeRequest(project, iid);
        if (now.state === 'merged') return now;
        throw this.failure(
          action,
          new GitlabRequestError({
            status,
            description: `${(e as GitlabRequestError).description} (state ${
              now.state
            }, ${now.detailedMergeStatus ?? 'unknown merge status'})`,
            retryable: false,
            url: (e as GitlabRequestError).url,
          }),
        );
      }
      throw this.failure(action, e);
    }
  }

  /** The newest pipeline of a ref (and commit, when given), or undefined when none ran. */
  async pipelineStatus(
    project: string,
    ref: string | undefined,
    sha?: string,
  ): Promise<GitlabPipeline | undefined> {
    const list = (await this.call(
      `read the pipelines of ${ref ?? sha} in ${project}`,
      () =>
        this.api.Pipelines.all(project, {
          ...(ref ? { ref } : {}),
          sha,
          orderBy: 'id',
          sort: 'desc',
          perPage: 1,
          maxPages: 1,
        }),
    )) as Json[];
    const p = list[0];
    return p
      ? {
          id: p.id,
          status: p.status,
          ref: p.ref,
          sha: p.sha,
          webUrl: p.web_url,
        }
      : undefined;
  }

  /** A file's text at a ref, or undefined when the file (or the ref) is not there. */
  async readFile(
    project: string,
    ref: string,
    path: string,
  ): Promise<GitlabFile | undefined> {
    try {
      const f = (await this.api.RepositoryFiles.show(
        project,
        path,
        ref,
      )) as Json;
      return {
        content: Buffer.from(
          f.content ?? '',
          f.encoding === 'base64' ? 'base64' : 'utf8',
        ).toString('utf8'),
        lastCommitId: f.last_commit_id,
        commitId: f.commit_id,
        blobId: f.blob_id,
      };
    } catch (e) {
      if (GitlabClient.status(e) === 404) return undefined;
      throw this.failure(`read ${path} at ${ref} in ${project}`, e);
    }
  }

  /**
   * One commit of several files through the Commits API. Reads the files, applies `edit`, and commits
   * with each file's last known commit, so GitLab refuses when anything moved in between. On GitLab's
   * 400 race answer it re-reads, re-applies and tries again, a bounded number of times. A conflict the
   * edit reports fails at once, before anything is sent. Never forces a branch.
   */
  async commitEdits(
    options: GitlabCommitEditsOptions,
  ): Promise<GitlabCommitEditsResult> {
    const { project, branch } = options;
    const title = options.message.split('\n')[0];
    const action = `commit "${title}" to ${branch} of ${project}`;
    const attempts = Math.max(1, this.options.commitAttempts ?? 4);
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const read = await Promise.all(
        options.paths.map(
          async p => [p, await this.readFile(project, branch, p)] as const,
        ),
      );
      const files: GitlabFiles = Object.fromEntries(
        read.map(([p, f]) => [p, f?.content]),
      );
      let changes: Record<string, string | null>;
      try {
        changes = options.edit({ ...files });
      } catch (e) {
        if (e instanceof EditConflictError) {
          throw new SystemError({
            system: 'GitLab',
            action,
            detail: `content conflict, nothing committed: ${this.redact(
              e.message,
            )}`,
            retryable: false,
            cause: e,
          });
        }
        throw this.failure(action, e);
      }
      const known = new Map(read);
      const actions: Json[] = [];
      for (const [path, next] of Object.entries(changes)) {
        if (!known.has(path)) {
          throw new SystemError({
            system: 'GitLab',
            action,
            detail: `the edit changed ${path}, which it did not read`,
          });
        }
        const current = known.get(path);
        if (next === null) {
          if (current) {
            actions.push({
              action: 'delete',
              filePath: path,
              lastCommitId: current.lastCommitId,
            });
          }
        } else if (!current) {
          actions.push({ action: 'create', filePath: path, content: next });
        } else if (current.content !== next) {
          actions.push({
            action: 'update',
            filePath: path,
            content: next,
            lastCommitId: current.lastCommitId,
          });
        }
      }
      if (!actions.length) {
        const head =
          read.find(([, f]) => f)?.[1]?.commitId ??
          (await this.branch(project, branch))?.sha;
        if (!head) {
          throw new SystemError({
            system: 'GitLab',
            action,
            detail: `branch ${branch} not found`,
          });
        }
        return { committed: false, sha: head, attempts: attempt - 1 };
      }
      try {
        const commit = (await this.api.Commits.create(
          project,
          branch,
          options.message,
          actions as any,
          options.author
            ? {
                authorName: options.author.name,
                authorEmail: options.author.email,
              }
            : {},
        )) as Json;
        return {
          committed: true,
          sha: commit.id,
          attempts: attempt,
          webUrl: commit.web_url,
          ...(Array.isArray(commit.parent_ids)
            ? { parents: commit.parent_ids as string[] }
            : {}),
        };
      } catch (e) {
        last = e;
        const raced =
          e instanceof GitlabRequestError &&
          e.status === 400 &&
          RACE.test(e.description);
        // No answer: the commit may have landed; the re-read tells (then nothing is left to change).
        const unanswered =
          e instanceof GitlabRequestError && e.status === undefined;
        if (!(raced || unanswered) || attempt === attempts) break;
        this.options.logger?.warn(
          `GitLab: ${action}: ${
            raced ? 'the branch moved' : 'no answer'
          }, re-reading (try ${attempt + 1} of ${attempts})`,
        );
        await this.sleep(Math.min(2_000, 100 * 2 ** (attempt - 1)));
      }
    }
    if (
      last instanceof GitlabRequestError &&
      last.status === 400 &&
      RACE.test(last.description)
    ) {
      throw new SystemError({
        system: 'GitLab',
        action,
        status: 400,
        detail: `the branch kept moving, gave up after ${attempts} tries: ${this.redact(
          last.description,
        )}`,
        retryable: true,
      });
    }
    throw this.failure(action, last);
  }

  /**
   * Whether GitLab answers, the token works, and it can push to the IaC project's branch — as data,
   * never thrown, for the set-up check.
   */
  async check(): Promise<GitlabCheckResult> {
    const checks: GitlabCheckResult['checks'] = [];
    const done = () => ({
      system: 'GitLab' as const,
      ok: checks.every(c => c.ok),
      checks,
    });
    // " (HTTP 401): 401 Unauthorized" or ": no answer within 15000 ms"
    const why = (e: unknown) => {
      const { status, detail } = this.failure('check', e);
      return `${status ? ` (HTTP ${status})` : ''}${
        detail ? `: ${detail}` : ''
      }`;
    };
    let user: Json;
    try {
      user = await this.api.Users.showCurrentUser();
      checks.push({
        name: 'reachable',
        ok: true,
        detail: `${this.options.apiBaseUrl} answers`,
      });
      checks.push({
        name: 'token',
        ok: true,
        detail: `the token acts as ${user.username}`,
      });
    } catch (e) {
      const status = GitlabClient.status(e);
      checks.push({
        name: 'reachable',
        ok: status !== undefined,
        detail:
          status !== undefined
            ? `${this.options.apiBaseUrl} answers`
            : `${this.options.apiBaseUrl} does not answer${why(e)}`,
      });
      checks.push({
        name: 'token',
        ok: false,
        detail:
          status !== undefined
            ? `the token is refused${why(e)}`
            : 'not checked: GitLab does not answer',
      });
      return done();
    }
    const project = this.iacProject;
    let level: number | undefined;
    try {
      const p = (await this.api.Projects.show(project)) as Json;
      checks.push({
        name: 'iac-project',
        ok: true,
        detail: `${project} is visible`,
      });
      level =
        p.permissions?.project_access?.access_level ??
        p.permissions?.group_access?.access_level;
    } catch (e) {
      checks.push({
        name: 'iac-project',
        ok: false,
        detail: `${project}${why(e)}`,
      });
      return done();
    }
    try {
      const member = (await this.api.ProjectMembers.show(project, user.id, {
        includeInherited: true,
      })) as Json;
      level = member.access_level;
    } catch {
      // Not a member by name (e.g. shared through a group): the project's permissions say.
    }
    const enough = (level ?? 0) >= 30;
    checks.push({
      name: 'iac-access',
      ok: enough,
      detail: `${user.username} is ${
        level ? `${ACCESS_NAMES[level] ?? 'level'} (${level})` : 'not a member'
      } on ${project}${
        enough ? '' : '; developer (30) or maintainer (40) is needed'
      }`,
    });
    try {
      const b = toBranch(await this.api.Branches.show(project, this.iacBranch));
      checks.push({
        name: 'iac-push',
        ok: b.canPush,
        detail: b.canPush
          ? `can push to ${this.iacBranch} of ${project}`
          : `cannot push to ${this.iacBranch} of ${project}${
              b.protected ? ' (protected: maintainers only)' : ''
            }`,
      });
    } catch (e) {
      checks.push({
        name: 'iac-push',
        ok: false,
        detail: `branch ${this.iacBranch} of ${project}${why(e)}`,
      });
    }
    return done();
  }
}
