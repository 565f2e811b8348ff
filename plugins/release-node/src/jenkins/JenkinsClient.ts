import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { fetchWithRetry, type RetryPolicy } from '../http/retry';
import { SystemError } from '../http/SystemError';
import {
  realClock,
  redactSecrets,
  type CallClock,
} from '../http/retryingCaller';

/** A build as Jenkins' JSON API shows it, cut to what the portal reads. */
interface RawBuild {
  number: number;
  building: boolean;
  result: JenkinsResult | null;
  description?: string | null;
  duration?: number;
  artifacts?: Array<{ fileName: string; relativePath: string }>;
  actions?: Array<{
    _class?: string;
    parameters?: Array<{ name: string; value?: unknown }>;
    /** The git plugin's BuildData: the commit this build checked out. */
    lastBuiltRevision?: { SHA1?: string; branch?: Array<{ name?: string }> };
  }>;
}

/** Jenkins' `builds` lists a job's newest 100 builds; only `allBuilds` goes further back. */
const NEWEST_BUILDS = 100;

/** The fields of RawBuild, as Jenkins' `tree` names them. */
// Not the git plugin's buildsByBranchName: it holds every branch the job ever built, per build.
const BUILD_TREE =
  'number,building,result,description,duration,artifacts[fileName,relativePath],actions[parameters[name,value],lastBuiltRevision[SHA1,branch[name]]]';

/** @public */
export interface JenkinsClientOptions {
  /** e.g. https://jenkins.example.com (the sandbox: `<sandbox>/jenkins`). */
  baseUrl: string;
  /** User the API token belongs to. */
  username: string;
  apiToken: string;
  /** The jobs' "Trigger builds remotely" token, sent with every trigger when set. */
  buildToken?: string;
  /** Per request, default 15000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: CallClock;
  logger?: LoggerService;
  /** Artifact of the hybris build that holds the image tag; default `image-tag.txt`. */
  imageTagArtifact?: string;
  /** Jobs `check()` looks at, e.g. kop/hybris-build. */
  jobs?: string[];
  fetch?: typeof fetch;
}

/** @public */
export type JenkinsResult =
  | 'SUCCESS'
  | 'UNSTABLE'
  | 'FAILURE'
  | 'NOT_BUILT'
  | 'ABORTED';

/** @public */
export interface JenkinsBuild {
  job: string;
  number: number;
  building: boolean;
  /** null while building. */
  result: JenkinsResult | null;
  url: string;
  consoleUrl: string;
  description?: string;
  parameters: Record<string, string>;
  artifacts: Array<{ fileName: string; relativePath: string; url: string }>;
  durationMs: number;
  /** Each git checkout the build recorded (the git plugin's lastBuiltRevision), with its branches. */
  revisions: JenkinsRevision[];
}

/** A commit a build checked out, as the git plugin records it. @public */
export interface JenkinsRevision {
  sha: string;
  /** e.g. refs/remotes/origin/deploy-2026-02-05. */
  branches: string[];
}

const COMMIT_SHA = /^[0-9a-f]{40}$/;

/**
 * The commit a build built from `branch`: its only git checkout, or of several (a pipeline that
 * also checks out its library) the one on that branch; undefined when it recorded none.
 *
 * @public
 */
export function builtCommitOf(
  build: Pick<JenkinsBuild, 'revisions'>,
  branch?: string,
): string | undefined {
  const { revisions } = build;
  if (revisions.length === 1) return revisions[0].sha;
  const onBranch = revisions.filter(
    r =>
      branch !== undefined &&
      r.branches.some(name => name === branch || name.endsWith(`/${branch}`)),
  );
  return onBranch.length === 1 ? onBranch[0].sha : undefined;
}

/** @public */
export interface JenkinsQueueItem {
  id: number;
  cancelled: boolean;
  why?: string;
  /** Set once the item has left the queue and become a build. */
  buildNumber?: number;
}

/** @public */
export interface JenkinsCheckResult {
  system: 'Jenkins';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Jenkins' remote access API: trigger a parameterised build (API token as basic auth, a crumb when
 * Jenkins issues one, the job's remote trigger token), follow the queue item to the build number,
 * wait for the result, and read links and the built image tag.
 *
 * The image tag is read from the build's artifact `image-tag.txt` (configurable): the hybris job
 * writes the tag it pushed there and archives it. An artifact is what the build actually produced,
 * unlike a parameter (what was asked) or the description (free text a person may edit).
 *
 * @public
 */
export class JenkinsClient {
  private readonly base: string;
  private readonly auth: string;
  private readonly clock: CallClock;
  private readonly options: JenkinsClientOptions;

  /** Reads `jenkins.*`; undefined when Jenkins is not configured. */
  static fromConfig(
    config: Config,
    options: Pick<JenkinsClientOptions, 'logger' | 'clock' | 'jobs'> = {},
  ): JenkinsClient | undefined {
    const jenkins = config.getOptionalConfig('jenkins');
    if (!jenkins) return undefined;
    const { jobs, ...rest } = options;
    return new JenkinsClient({
      baseUrl: jenkins.getString('baseUrl'),
      username: jenkins.getString('username'),
      apiToken: jenkins.getString('apiToken'),
      buildToken: jenkins.getOptionalString('buildToken'),
      timeoutMs: jenkins.getOptionalNumber('timeoutMs'),
      imageTagArtifact: jenkins.getOptionalString('imageTagArtifact'),
      jobs: jobs ?? [
        config.getOptionalString('release.apps.hybris.build.jenkinsJob') ??
          'kop/hybris-build',
        config.getOptionalString('release.beta.paymentTests.jenkinsJob') ??
          'kop/payment-tests',
      ],
      ...rest,
    });
  }

  constructor(options: JenkinsClientOptions) {
    if (!options.apiToken) throw new Error('jenkins.apiToken is required');
    this.options = options;
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.auth = `Basic ${Buffer.from(
      `${options.username}:${options.apiToken}`,
    ).toString('base64')}`;
    this.clock = options.clock ?? realClock;
  }

  private redact(text: string): string {
    return redactSecrets(text, [
      this.options.apiToken,
      this.options.buildToken,
      this.auth.slice('Basic '.length),
    ]);
  }

  private fail(
    action: string,
    detail: string,
    extra: { status?: number; retryable?: boolean; url?: string } = {},
  ): SystemError {
    return new SystemError({
      system: 'Jenkins',
      action,
      detail: this.redact(detail),
      ...extra,
      url: extra.url && this.redact(extra.url),
    });
  }

  /** `/job/kop/job/hybris-build` for `kop/hybris-build`; refuses anything that is not a plain name. */
  jobPath(job: string): string {
    const segments = job.split('/');
    if (
      segments.some(s => !SEGMENT.test(s) || s === '.' || s === '..') ||
      segments.length > 5
    ) {
      throw this.fail(
        'find job',
        `'${job}' is not a job name like kop/hybris-build`,
      );
    }
    return segments.map(s => `/job/${encodeURIComponent(s)}`).join('');
  }

  /** Links a person can open. */
  links(job: string, number: number) {
    const build = `${this.base}${this.jobPath(job)}/${number}/`;
    return {
      buildUrl: build,
      consoleUrl: `${build}console`,
      artifactUrl: (relativePath: string) =>
        `${build}artifact/${relativePath
          .split('/')
          .map(encodeURIComponent)
          .join('/')}`,
    };
  }

  private async request(
    action: string,
    path: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      idempotent?: boolean;
      /** Statuses that are answers, not failures (e.g. 404 from the crumb issuer). */
      accept?: number[];
    } = {},
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    // Errors show the resource, not the tree of fields asked for.
    const shown = url.split('?')[0];
    let response: Response;
    try {
      response = await fetchWithRetry({
        system: 'Jenkins',
        action,
        url,
        init: {
          method: init.method ?? 'GET',
          headers: { authorization: this.auth, ...init.headers },
          body: init.body,
          redirect: 'manual',
        },
        timeoutMs: this.options.timeoutMs ?? 15_000,
        retry: this.options.retry,
        idempotent: init.idempotent ?? true,
        fetchImpl: this.options.fetch,
        sleep: ms => this.clock.sleep(ms),
      });
    } catch (e) {
      // fetchWithRetry names the system and action; keep only what failed.
      const message = (e as SystemError).detail;
      throw this.fail(action, message || 'no answer', {
        retryable: true,
        url: shown,
      });
    }
    if (response.ok || init.accept?.includes(response.status)) return response;
    const text = (await response.text().catch(() => ''))
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 160);
    const known: Record<number, string> = {
      401: 'the user or API token was refused',
      404: 'not found',
      429: 'rate limited',
    };
    const detail = known[response.status] ?? (text || 'unexpected answer');
    const failure = this.fail(action, detail, {
      status: response.status,
      retryable: response.status === 429 || response.status >= 500,
      url: shown,
    });
    this.options.logger?.warn(failure.message);
    throw failure;
  }

  private async json<T>(action: string, path: string): Promise<T> {
    const response = await this.request(action, path, {
      headers: { accept: 'application/json' },
    });
    try {
      return (await response.json()) as T;
    } catch {
      throw this.fail(action, 'the answer is not JSON', {
        url: `${this.base}${path.split('?')[0]}`,
      });
    }
  }

  /** The crumb header (and session cookie) for a POST, or nothing when CSRF protection is off. */
  private async crumbHeaders(action: string): Promise<Record<string, string>> {
    const response = await this.request(action, '/crumbIssuer/api/json', {
      headers: { accept: 'application/json' },
      accept: [404],
    });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return {};
    }
    const body = (await response.json()) as {
      crumb?: string;
      crumbRequestField?: string;
    };
    if (!body.crumb || !body.crumbRequestField) return {};
    const cookies = response.headers
      .getSetCookie()
      .map(c => c.split(';')[0])
      .filter(Boolean);
    return {
      [body.crumbRequestField]: body.crumb,
      ...(cookies.length ? { cookie: cookies.join('; ') } : {}),
    };
  }

  /**
   * Queues a build of `job` with `parameters` (POST …/buildWithParameters). Not repeated after a 5xx,
   * so one call never queues two builds.
   */
  async triggerBuild(
    job: string,
    parameters: Record<string, string> = {},
  ): Promise<{ queueId: number }> {
    const action = `trigger ${job}`;
    const path = this.jobPath(job);
    const headers = await this.crumbHeaders(action);
    const form = new URLSearchParams(parameters);
    if (this.options.buildToken) form.set('token', this.options.buildToken);
    const response = await this.request(
      action,
      `${path}/${
        Object.keys(parameters).length ? 'buildWithParameters' : 'build'
      }`,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        idempotent: false,
      },
    );
    const location = response.headers.get('location') ?? '';
    await response.body?.cancel().catch(() => undefined);
    const match = /\/queue\/item\/(\d+)\/?$/.exec(location);
    if (!match) {
      throw this.fail(action, 'Jenkins did not say where the build was queued');
    }
    this.options.logger?.info(`Jenkins: queued ${job} as item ${match[1]}`);
    return { queueId: Number(match[1]) };
  }

  async getQueueItem(queueId: number): Promise<JenkinsQueueItem> {
    const item = await this.json<{
      id: number;
      cancelled?: boolean;
      why?: string | null;
      executable?: { number: number } | null;
    }>(`read queue item ${queueId}`, `/queue/item/${queueId}/api/json`);
    return {
      id: item.id,
      cancelled: Boolean(item.cancelled),
      why: item.why ?? undefined,
      buildNumber: item.executable?.number,
    };
  }

  /** Polls the queue item until it is a build; fails when it is cancelled or takes too long. */
  async waitForBuildNumber(
    queueId: number,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<number> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 10 * 60_000);
    for (;;) {
      const item = await this.getQueueItem(queueId);
      if (item.buildNumber !== undefined) return item.buildNumber;
      if (item.cancelled) {
        throw this.fail(`wait for queue item ${queueId}`, 'it was cancelled');
      }
      if (this.clock.now() >= deadline) {
        throw this.fail(
          `wait for queue item ${queueId}`,
          `still queued${item.why ? ` (${item.why})` : ''}`,
          { retryable: true },
        );
      }
      await this.clock.sleep(options.pollMs ?? 2_000);
    }
  }

  async getBuild(job: string, number: number): Promise<JenkinsBuild> {
    const raw = await this.json<RawBuild>(
      `read ${job} #${number}`,
      `${this.jobPath(job)}/${number}/api/json?tree=${BUILD_TREE}`,
    );
    return this.toBuild(job, raw);
  }

  /** The job's newest builds (up to `limit`), newest first, each whole (parameters, result, artifacts), in one call. */
  async listBuilds(job: string, limit = 10): Promise<JenkinsBuild[]> {
    const field = limit > NEWEST_BUILDS ? 'allBuilds' : 'builds';
    const raw = await this.json<{
      builds?: RawBuild[];
      allBuilds?: RawBuild[];
    }>(
      `list builds of ${job}`,
      `${this.jobPath(job)}/api/json?tree=${field}[${BUILD_TREE}]{0,${limit}}`,
    );
    return (raw[field] ?? [])
      .sort((a, b) => b.number - a.number)
      .slice(0, limit)
      .map(b => this.toBuild(job, b));
  }

  /**
   * The job's builds, newest first: the newest 100 when one of them is `wanted` (or there are no
   * more), else the newest `limit`. Jenkins reads every build of a job from disk to answer
   * `allBuilds`, whatever its range, so the older ones are asked for only when needed.
   */
  async searchBuilds(
    job: string,
    wanted: (build: JenkinsBuild) => boolean,
    limit = 1000,
  ): Promise<JenkinsBuild[]> {
    const newest = await this.listBuilds(job, Math.min(limit, NEWEST_BUILDS));
    if (newest.length < NEWEST_BUILDS || limit <= NEWEST_BUILDS) return newest;
    return newest.some(wanted) ? newest : this.listBuilds(job, limit);
  }

  private toBuild(job: string, raw: RawBuild): JenkinsBuild {
    const links = this.links(job, raw.number);
    const parameters: Record<string, string> = {};
    const revisions: JenkinsRevision[] = [];
    for (const action of raw.actions ?? []) {
      for (const p of action?.parameters ?? []) {
        if (p.value !== undefined && p.value !== null)
          parameters[p.name] = String(p.value);
      }
      const built = action?.lastBuiltRevision;
      if (typeof built?.SHA1 === 'string' && COMMIT_SHA.test(built.SHA1)) {
        revisions.push({
          sha: built.SHA1,
          branches: (built.branch ?? []).flatMap(b =>
            typeof b?.name === 'string' ? [b.name] : [],
          ),
        });
      }
    }
    return {
      job,
      number: raw.number,
      building: raw.building,
      result: raw.result,
      url: links.buildUrl,
      consoleUrl: links.consoleUrl,
      description: raw.description ?? undefined,
      parameters,
      artifacts: (raw.artifacts ?? []).map(a => ({
        fileName: a.fileName,
        relativePath: a.relativePath,
        url: links.artifactUrl(a.relativePath),
      })),
      durationMs: raw.duration ?? 0,
      revisions,
    };
  }

  /** Polls the build until it has finished; returns it whatever its result. */
  async waitForBuild(
    job: string,
    number: number,
    options: {
      timeoutMs?: number;
      pollMs?: number;
      onProgress?: (build: JenkinsBuild) => void;
    } = {},
  ): Promise<JenkinsBuild> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 2 * 60 * 60_000);
    for (;;) {
      const build = await this.getBuild(job, number);
      options.onProgress?.(build);
      if (!build.building) return build;
      if (this.clock.now() >= deadline) {
        throw this.fail(`wait for ${job} #${number}`, 'still building', {
          retryable: true,
        });
      }
      await this.clock.sleep(options.pollMs ?? 10_000);
    }
  }

  /** Trigger, follow the queue, wait for the result. */
  async runBuild(
    job: string,
    parameters: Record<string, string>,
    options: {
      queueTimeoutMs?: number;
      buildTimeoutMs?: number;
      pollMs?: number;
      onProgress?: (build: JenkinsBuild) => void;
    } = {},
  ): Promise<JenkinsBuild> {
    const { queueId } = await this.triggerBuild(job, parameters);
    const number = await this.waitForBuildNumber(queueId, {
      timeoutMs: options.queueTimeoutMs,
      pollMs: options.pollMs,
    });
    return this.waitForBuild(job, number, {
      timeoutMs: options.buildTimeoutMs,
      pollMs: options.pollMs,
      onProgress: options.onProgress,
    });
  }

  /** The image tag a (hybris) build pushed, from its `image-tag.txt` artifact. */
  async readImageTag(job: string, number: number): Promise<string> {
    const action = `read the image tag of ${job} #${number}`;
    const artifact = this.options.imageTagArtifact ?? 'image-tag.txt';
    const path = `${this.jobPath(job)}/${number}/artifact/${artifact
      .split('/')
      .map(encodeURIComponent)
      .join('/')}`;
    const response = await this.request(action, path);
    const tag = (await response.text()).trim();
    if (!IMAGE_TAG.test(tag)) {
      throw this.fail(action, `${artifact} does not hold an image tag`);
    }
    return tag;
  }

  /** Whether the API token works, and each job exists and can be built. Never throws. */
  async check(
    jobs: string[] = this.options.jobs ?? [],
  ): Promise<JenkinsCheckResult> {
    const checks: JenkinsCheckResult['checks'] = [];
    try {
      const me = await this.json<{ id?: string }>('sign in', '/me/api/json');
      const anonymous = !me.id || me.id === 'anonymous';
      checks.push({
        name: 'API token',
        ok: !anonymous,
        detail: anonymous
          ? 'Jenkins sees an anonymous user'
          : `signed in as ${me.id}`,
      });
      if (anonymous) return { system: 'Jenkins', ok: false, checks };
    } catch (e) {
      checks.push({
        name: 'API token',
        ok: false,
        detail: (e as Error).message,
      });
      return { system: 'Jenkins', ok: false, checks };
    }
    for (const job of jobs) {
      const name = `job ${job}`;
      try {
        const info = await this.json<{ buildable?: boolean }>(
          `read ${job}`,
          `${this.jobPath(job)}/api/json?tree=name,buildable`,
        );
        checks.push({
          name,
          ok: info.buildable !== false,
          detail: info.buildable === false ? 'is disabled' : 'can be built',
        });
      } catch (e) {
        checks.push({ name, ok: false, detail: (e as Error).message });
      }
    }
    return { system: 'Jenkins', ok: checks.every(c => c.ok), checks };
  }
}
