import express from 'express';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxContext, SandboxService } from '../types';
import { seededJenkinsBuilds } from './seed';
import { applyTree, parseTree, TreeSyntaxError } from './tree';

export { seededJenkinsBuilds, type SeededJenkinsBuild } from './seed';

export interface JenkinsSandboxOptions {
  /** User the API token belongs to; default `kop-bot`. */
  username?: string;
  /** Default `jenkins-sandbox-token`. */
  apiToken?: string;
  /** The jobs' "Trigger builds remotely" token; default `kop-build-token`. */
  buildToken?: string;
  /** Whether POSTs need a crumb from /crumbIssuer (default true; false answers 404 there). */
  crumbs?: boolean;
  /** Simulated ms in the queue and per job running, before `timeScale`. */
  queueMs?: number;
  buildMs?: Partial<Record<string, number>>;
  /** Payment-test brands whose run fails. */
  failBrands?: string[];
  /**
   * The git repository the hybris build checks out: each build records the commit its branch
   * pointed at when it ran, shown as the git plugin shows it (`hudson.plugins.git.util.BuildData`).
   * Without it builds show no git data, as a job without SCM.
   */
  checkout?: JenkinsCheckout;
}

/** Where the hybris job's sources come from. */
export interface JenkinsCheckout {
  /** The GitLab project, e.g. kop/hybris. */
  project: string;
  /** The commit a branch points at now; undefined when there is no such branch. */
  headOf(branch: string): Promise<string | undefined>;
  /** The clone URL the git plugin lists in `remoteUrls`, from the sandbox's own address. */
  remoteUrl(origin: string): string;
}

/** Builds asked to fail through `POST /jenkins/_sandbox/failures`: the next `count` matching builds. */
interface FailureRule {
  job: string;
  parameters: Record<string, string>;
  count: number;
}

export const jenkinsSandboxDefaults = {
  username: 'kop-bot',
  apiToken: 'jenkins-sandbox-token',
  buildToken: 'kop-build-token',
  jobs: ['kop/hybris-build', 'kop/payment-tests', 'kop/post-deploy-tests'],
};

interface JobDefinition {
  description: string;
  parameters: Array<{ name: string; default: string; choices?: string[] }>;
  buildMs: number;
}

const jobs: Record<string, JobDefinition> = {
  'kop/hybris-build': {
    description:
      'Builds hybris from a deploy-YYYY-MM-DD branch and pushes the image',
    parameters: [{ name: 'BRANCH', default: '' }],
    buildMs: 20_000,
  },
  'kop/payment-tests': {
    description: 'Payment tests for one brand on one environment',
    parameters: [
      { name: 'BRAND', default: 'ks', choices: ['ks', 'tc', 'g4'] },
      { name: 'ENVIRONMENT', default: 'beta', choices: ['beta', 'prod'] },
    ],
    buildMs: 8_000,
  },
  'kop/post-deploy-tests': {
    description:
      'Smoke tests of the storefront, backoffice and API after a deploy',
    parameters: [
      { name: 'ENVIRONMENT', default: 'prod', choices: ['beta', 'prod'] },
    ],
    buildMs: 6_000,
  },
};

interface Build {
  job: string;
  number: number;
  queueId: number;
  parameters: Record<string, string>;
  cause: string;
  queuedAt: number;
  startAt: number;
  endAt: number;
  result: 'SUCCESS' | 'FAILURE';
  log: string[];
  artifacts: Record<string, string>;
  description?: string;
  /** The commit the build checked out, and the branch it was on (hybris, with `checkout`). */
  revision?: { sha: string; branch: string };
}

interface State {
  queueSeq: number;
  next: Record<string, number>;
  builds: Build[];
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * A stand-in for Jenkins' remote access API under `/jenkins`: folder `kop` with the jobs
 * `hybris-build` and `payment-tests`, basic auth with the API token, crumbs, the remote trigger
 * token, `buildWithParameters` → queue item → build that runs for a simulated (timeScale'd) time.
 * The hybris build's image tag is `<BRANCH>-<build number>` (e.g. deploy-2026-11-25-3), in the
 * artifact `image-tag.txt` and the build description; with `checkout` it records the commit its
 * branch pointed at when it ran. A new data directory starts with `seededJenkinsBuilds`: a
 * successful hybris build of each deploy branch the GitLab seed has.
 */
export function createJenkinsService(
  options: JenkinsSandboxOptions = {},
): (ctx: SandboxContext) => Promise<SandboxService> {
  return async ctx => {
    const username = options.username ?? jenkinsSandboxDefaults.username;
    const apiToken = options.apiToken ?? jenkinsSandboxDefaults.apiToken;
    const buildToken = options.buildToken ?? jenkinsSandboxDefaults.buildToken;
    const crumbs = options.crumbs ?? true;
    const crumbKey = randomBytes(16);
    const file = join(ctx.dataDir, 'jenkins.json');
    const loaded = existsSync(file);
    const state: State = loaded
      ? JSON.parse(readFileSync(file, 'utf8'))
      : { queueSeq: 0, next: {}, builds: [] };
    const save = () => writeFileSync(file, JSON.stringify(state));
    const failures: FailureRule[] = [];
    /** Whether a build of `job` with `parameters` was asked to fail; takes one of the rule's count. */
    const askedToFail = (job: string, parameters: Record<string, string>) => {
      const rule = failures.find(
        f =>
          f.job === job &&
          f.count > 0 &&
          Object.entries(f.parameters).every(([k, v]) => parameters[k] === v),
      );
      if (rule) rule.count -= 1;
      return Boolean(rule);
    };
    const crumbFor = (session: string) =>
      createHmac('sha256', crumbKey).update(session).digest('hex');

    const root = (req: express.Request) =>
      `${req.protocol}://${req.get('host')}${req.baseUrl}/`;
    const jobPath = (job: string) =>
      job
        .split('/')
        .map(s => `job/${encodeURIComponent(s)}/`)
        .join('');

    /** A build of `job` with `params` over the job's defaults, run from `queuedAt` to the end. */
    function run(
      job: string,
      params: Record<string, string>,
      cause: string,
      times: Pick<Build, 'queuedAt' | 'startAt' | 'endAt'>,
      head?: string,
    ): Build {
      const definition = jobs[job];
      const parameters: Record<string, string> = {};
      for (const p of definition.parameters) {
        parameters[p.name] = params[p.name] ?? p.default;
      }
      const number = (state.next[job] ?? 1) as number;
      state.next[job] = number + 1;
      state.queueSeq += 1;
      const build: Build = {
        job,
        number,
        queueId: state.queueSeq,
        parameters,
        cause,
        ...times,
        result: 'SUCCESS',
        log: [cause],
        artifacts: {},
      };
      const failing = askedToFail(job, parameters);
      if (job === 'kop/hybris-build') {
        const branch = parameters.BRANCH || `deploy-${today()}`;
        build.parameters.BRANCH = branch;
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(branch)) {
          build.result = 'FAILURE';
          build.log.push(`ERROR: '${branch}' is not a branch name`);
        } else if (failing) {
          build.result = 'FAILURE';
          build.log.push(
            `Checking out kop/hybris ${branch}`,
            'Running ant clean all',
            'BUILD FAILED: compilation of the platform extensions failed',
          );
        } else if (options.checkout && !head) {
          build.result = 'FAILURE';
          build.log.push(
            `ERROR: Couldn't find any revision to build: ${branch} is not a branch of ${options.checkout.project}`,
          );
        } else {
          const tag = `${branch}-${number}`;
          if (head) build.revision = { sha: head, branch };
          build.log.push(
            `Checking out kop/hybris ${branch}${head ? ` at ${head}` : ''}`,
            'Running ant clean all',
            `Pushing registry.kop.example/kop/hybris:${tag}`,
          );
          build.artifacts['image-tag.txt'] = `${tag}\n`;
          build.description = `image ${tag}`;
        }
      } else if (job === 'kop/post-deploy-tests') {
        const env = parameters.ENVIRONMENT;
        build.log.push(`Post-deploy smoke tests on ${env}`);
        build.result = failing ? 'FAILURE' : 'SUCCESS';
        build.log.push(
          'storefront home: passed',
          failing
            ? 'checkout with a saved card: FAILED (timeout after 30s)'
            : 'checkout with a saved card: passed',
        );
        build.description = `smoke on ${env}`;
      } else {
        const brand = parameters.BRAND;
        const env = parameters.ENVIRONMENT;
        build.log.push(`Payment tests for brand ${brand} on ${env}`);
        const known = jobs[job].parameters[0].choices!.includes(brand);
        if (!known || failing || (options.failBrands ?? []).includes(brand)) {
          build.result = 'FAILURE';
          build.log.push(
            known
              ? `card payment ${brand}: FAILED (PG answered 502)`
              : `unknown brand ${brand}`,
          );
        } else {
          build.log.push(
            `card payment ${brand}: passed`,
            `point payment ${brand}: passed`,
          );
        }
        build.artifacts[
          `payment-report-${brand}.txt`
        ] = `${brand} ${env} ${build.result}\n`;
        build.description = `${brand} on ${env}`;
      }
      build.log.push(`Finished: ${build.result}`);
      state.builds.push(build);
      return build;
    }

    /** The commit the hybris job would check out for these parameters now, with `checkout`. */
    async function headFor(job: string, params: Record<string, string>) {
      const branch = params.BRANCH;
      if (job !== 'kop/hybris-build' || !options.checkout || !branch) {
        return undefined;
      }
      try {
        return await options.checkout.headOf(branch);
      } catch {
        // A name git refuses is no branch; the build fails on it.
        return undefined;
      }
    }

    async function trigger(
      job: string,
      params: Record<string, string>,
      cause: string,
    ): Promise<Build> {
      const head = await headFor(job, params);
      const queuedAt = Date.now();
      const startAt =
        queuedAt + Math.round((options.queueMs ?? 1_000) * ctx.timeScale);
      const endAt =
        startAt +
        Math.round(
          (options.buildMs?.[job] ?? jobs[job].buildMs) * ctx.timeScale,
        );
      const build = run(job, params, cause, { queuedAt, startAt, endAt }, head);
      save();
      return build;
    }

    if (!loaded) {
      for (const seeded of seededJenkinsBuilds) {
        const startAt = Date.parse(seeded.startedAt);
        run(
          seeded.job,
          seeded.parameters,
          `Started by user ${username}`,
          {
            queuedAt: startAt - 5_000,
            startAt,
            endAt: startAt + seeded.durationMs,
          },
          await headFor(seeded.job, seeded.parameters),
        );
      }
      save();
    }

    const started = (b: Build) => Date.now() >= b.startAt;
    const building = (b: Build) => Date.now() < b.endAt;
    const status = (b: Build) => {
      if (!started(b)) return 'queued';
      return building(b) ? 'building' : b.result;
    };

    function buildJson(b: Build, req: express.Request) {
      const url = `${root(req)}${jobPath(b.job)}${b.number}/`;
      const done = !building(b);
      return {
        _class: 'hudson.model.FreeStyleBuild',
        number: b.number,
        id: String(b.number),
        url,
        displayName: `#${b.number}`,
        fullDisplayName: `${b.job.replace('/', ' » ')} #${b.number}`,
        description: done ? b.description ?? null : null,
        building: !done,
        result: done ? b.result : null,
        timestamp: b.startAt,
        duration: done ? b.endAt - b.startAt : 0,
        estimatedDuration: b.endAt - b.startAt,
        queueId: b.queueId,
        artifacts: done
          ? Object.keys(b.artifacts).map(name => ({
              displayPath: name,
              fileName: name,
              relativePath: name,
            }))
          : [],
        actions: [
          {
            _class: 'hudson.model.ParametersAction',
            parameters: Object.entries(b.parameters).map(([name, value]) => ({
              _class: 'hudson.model.StringParameterValue',
              name,
              value,
            })),
          },
          {
            _class: 'hudson.model.CauseAction',
            causes: [{ shortDescription: b.cause }],
          },
          ...(b.revision ? [buildData(b, req)] : []),
        ],
      };
    }

    /** A revision as the git plugin shows it: the commit and the remote branch it was on. */
    const revisionJson = (r: { sha: string; branch: string }) => ({
      SHA1: r.sha,
      branch: [{ SHA1: r.sha, name: `refs/remotes/origin/${r.branch}` }],
    });

    /**
     * The git plugin's action on a build: the revision this build checked out, and, carried over
     * from build to build as the plugin does, the newest build of every branch the job has built.
     */
    function buildData(b: Build, req: express.Request) {
      const byBranch: Record<string, unknown> = {};
      state.builds
        .filter(o => o.job === b.job && o.number <= b.number && o.revision)
        .sort((x, y) => x.number - y.number)
        .forEach(o => {
          byBranch[`refs/remotes/origin/${o.revision!.branch}`] = {
            _class: 'hudson.plugins.git.util.Build',
            buildNumber: o.number,
            buildResult: null,
            marked: revisionJson(o.revision!),
            revision: revisionJson(o.revision!),
          };
        });
      return {
        _class: 'hudson.plugins.git.util.BuildData',
        buildsByBranchName: byBranch,
        lastBuiltRevision: revisionJson(b.revision!),
        remoteUrls: [
          options.checkout!.remoteUrl(`${req.protocol}://${req.get('host')}`),
        ],
        scmName: '',
      };
    }

    /** Answers `read()`, cut down to `?tree=` when asked, as Jenkins does; a bad tree is a 400. */
    function withTree(
      req: express.Request,
      res: express.Response,
      read: (deep: boolean) => unknown,
    ) {
      const tree = typeof req.query.tree === 'string' ? req.query.tree : '';
      if (!tree) {
        res.json(read(false));
        return;
      }
      try {
        res.json(applyTree(read(true), parseTree(tree)));
      } catch (e) {
        if (!(e instanceof TreeSyntaxError)) throw e;
        res.status(400).type('text/plain').send(e.message);
      }
    }

    function jobJson(
      job: string,
      req: express.Request,
      { deep = false }: { deep?: boolean } = {},
    ) {
      const builds = state.builds
        .filter(b => b.job === job && started(b))
        .sort((a, b) => b.number - a.number);
      // Asked with a tree, Jenkins reads each build's own fields; otherwise it names them only.
      const ref = (b?: Build) => {
        if (!b) return null;
        if (deep) return buildJson(b, req);
        return {
          _class: 'hudson.model.FreeStyleBuild',
          number: b.number,
          url: `${root(req)}${jobPath(job)}${b.number}/`,
        };
      };
      return {
        _class: 'hudson.model.FreeStyleProject',
        name: job.split('/').pop(),
        fullName: job,
        displayName: job.split('/').pop(),
        description: jobs[job].description,
        url: `${root(req)}${jobPath(job)}`,
        buildable: true,
        inQueue: state.builds.some(b => b.job === job && !started(b)),
        nextBuildNumber: state.next[job] ?? 1,
        // As Jenkins core: `builds` is the newest 100, `allBuilds` only when a tree names it.
        builds: builds.slice(0, 100).map(ref),
        ...(deep ? { allBuilds: builds.map(ref) } : {}),
        lastBuild: ref(builds[0]),
        lastCompletedBuild: ref(builds.find(b => !building(b))),
        property: [
          {
            _class: 'hudson.model.ParametersDefinitionProperty',
            parameterDefinitions: jobs[job].parameters.map(p => ({
              _class: p.choices
                ? 'hudson.model.ChoiceParameterDefinition'
                : 'hudson.model.StringParameterDefinition',
              name: p.name,
              type: p.choices
                ? 'ChoiceParameterDefinition'
                : 'StringParameterDefinition',
              defaultParameterValue: { name: p.name, value: p.default },
              ...(p.choices ? { choices: p.choices } : {}),
            })),
          },
        ],
      };
    }

    const router = express.Router();
    router.use(express.urlencoded({ extended: false }));
    router.use((_req, res, next) => {
      res.setHeader('X-Jenkins', '2.479.3');
      next();
    });

    /** Who is calling: the API token user, or nobody (a trigger token may still let them build). */
    router.use((req, res, next) => {
      const header = req.get('authorization');
      if (!header) {
        res.locals.user = undefined;
        next();
        return;
      }
      const [scheme, encoded] = header.split(' ');
      const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
        .toString('utf8')
        .split(':');
      if (
        scheme !== 'Basic' ||
        user !== username ||
        rest.join(':') !== apiToken
      ) {
        res
          .status(401)
          .type('text/plain')
          .send('Invalid password/token for user');
        return;
      }
      res.locals.user = user;
      next();
    });

    // The sandbox's own control: tests make the next builds of a job (with these parameters) fail.
    router.post('/_sandbox/failures', express.json(), (req, res) => {
      const body = req.body ?? {};
      const count = body.count ?? 1;
      if (!jobs[body.job]) {
        res
          .status(400)
          .json({ error: `job: one of ${Object.keys(jobs).join(', ')}` });
        return;
      }
      if (!Number.isInteger(count) || count < 1) {
        res.status(400).json({ error: 'count: a whole number above 0' });
        return;
      }
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(body.parameters ?? {})) {
        if (typeof v === 'string') parameters[k] = v;
      }
      failures.push({ job: body.job, parameters, count });
      res.status(201).json({ job: body.job, parameters, count });
    });

    router.get('/crumbIssuer/api/json', (_req, res) => {
      if (!crumbs) {
        res.status(404).type('text/plain').send('Not Found');
        return;
      }
      if (!res.locals.user) {
        res.status(403).type('text/plain').send('Authentication required');
        return;
      }
      const session = randomBytes(12).toString('hex');
      res.cookie('JSESSIONID.sandbox', session, { httpOnly: true });
      res.json({
        _class: 'hudson.security.csrf.DefaultCrumbIssuer',
        crumb: crumbFor(session),
        crumbRequestField: 'Jenkins-Crumb',
      });
    });

    const signedIn = (res: express.Response) => {
      if (res.locals.user) return true;
      res.status(403).type('text/plain').send('Authentication required');
      return false;
    };

    router.get(['/api/json', '/me/api/json'], (req, res) => {
      if (!signedIn(res)) return;
      if (req.path.startsWith('/me')) {
        res.json({
          _class: 'hudson.model.User',
          id: username,
          fullName: 'kop release bot',
          absoluteUrl: `${root(req)}user/${username}`,
        });
        return;
      }
      res.json({
        _class: 'hudson.model.Hudson',
        mode: 'NORMAL',
        nodeName: '',
        url: root(req),
        jobs: [
          {
            _class: 'com.cloudbees.hudson.plugins.folder.Folder',
            name: 'kop',
            url: `${root(req)}job/kop/`,
          },
        ],
      });
    });

    router.get('/queue/item/:id/api/json', (req, res) => {
      if (!signedIn(res)) return;
      const build = state.builds.find(b => b.queueId === Number(req.params.id));
      if (!build) {
        res.status(404).type('text/plain').send('Not Found');
        return;
      }
      const task = {
        _class: 'hudson.model.FreeStyleProject',
        name: build.job.split('/').pop(),
        url: `${root(req)}${jobPath(build.job)}`,
      };
      if (!started(build)) {
        res.json({
          _class: 'hudson.model.Queue$WaitingItem',
          id: build.queueId,
          blocked: false,
          buildable: false,
          cancelled: false,
          stuck: false,
          inQueueSince: build.queuedAt,
          why: `In the quiet period. Expires in ${Math.max(
            0,
            Math.ceil((build.startAt - Date.now()) / 1000),
          )} sec`,
          task,
          executable: null,
        });
        return;
      }
      res.json({
        _class: 'hudson.model.Queue$LeftItem',
        id: build.queueId,
        blocked: false,
        buildable: false,
        cancelled: false,
        stuck: false,
        inQueueSince: build.queuedAt,
        why: null,
        task,
        executable: {
          _class: 'hudson.model.FreeStyleBuild',
          number: build.number,
          url: `${root(req)}${jobPath(build.job)}${build.number}/`,
        },
      });
    });

    router.all(/^\/job\/.+/, (req, res, next) => {
      jobRoute(req, res).catch(next);
    });

    async function jobRoute(req: express.Request, res: express.Response) {
      const segments = req.path
        .split('/')
        .filter(Boolean)
        .map(decodeURIComponent);
      const names: string[] = [];
      let i = 0;
      while (segments[i] === 'job' && segments[i + 1] !== undefined) {
        names.push(segments[i + 1]);
        i += 2;
      }
      const job = names.join('/');
      const rest = segments.slice(i);
      const notFound = () =>
        res.status(404).type('text/plain').send('Not Found');
      if (job === 'kop' && rest.join('/') === 'api/json') {
        if (!signedIn(res)) return;
        res.json({
          _class: 'com.cloudbees.hudson.plugins.folder.Folder',
          name: 'kop',
          fullName: 'kop',
          url: `${root(req)}job/kop/`,
          jobs: Object.keys(jobs).map(j => ({
            _class: 'hudson.model.FreeStyleProject',
            name: j.split('/').pop(),
            url: `${root(req)}${jobPath(j)}`,
          })),
        });
        return;
      }
      if (!jobs[job]) {
        notFound();
        return;
      }
      const action = rest.join('/');
      if (action === 'build' || action === 'buildWithParameters') {
        if (req.method !== 'POST') {
          res.status(405).type('text/plain').send('Method Not Allowed');
          return;
        }
        const params: Record<string, string> = {};
        for (const source of [req.query, req.body ?? {}]) {
          for (const [k, v] of Object.entries(source as object)) {
            if (typeof v === 'string') params[k] = v;
          }
        }
        const byToken =
          params.token !== undefined && params.token === buildToken;
        if (!res.locals.user && !byToken) {
          res
            .status(403)
            .type('text/plain')
            .send(
              params.token === undefined
                ? 'Authentication required'
                : 'Invalid token',
            );
          return;
        }
        if (res.locals.user && crumbs) {
          const session = req
            .get('cookie')
            ?.split(';')
            .map(c => c.trim().split('='))
            .find(([k]) => k === 'JSESSIONID.sandbox')?.[1];
          if (!session || req.get('jenkins-crumb') !== crumbFor(session)) {
            res
              .status(403)
              .type('text/plain')
              .send('No valid crumb was included in the request');
            return;
          }
        }
        delete params.token;
        delete params.delay;
        const build = await trigger(
          job,
          params,
          res.locals.user
            ? `Started by user ${res.locals.user}`
            : 'Started by remote host',
        );
        res
          .status(201)
          .setHeader('Location', `${root(req)}queue/item/${build.queueId}/`)
          .end();
        return;
      }
      if (!signedIn(res)) return;
      if (action === 'api/json') {
        withTree(req, res, deep => jobJson(job, req, { deep }));
        return;
      }
      const number = Number(rest[0]);
      const build = state.builds.find(
        b => b.job === job && b.number === number && started(b),
      );
      if (!build) {
        notFound();
        return;
      }
      const sub = rest.slice(1).join('/');
      if (sub === 'api/json') {
        withTree(req, res, () => buildJson(build, req));
        return;
      }
      if (sub === 'consoleText' || sub === 'console') {
        const fraction = building(build)
          ? (Date.now() - build.startAt) /
            Math.max(1, build.endAt - build.startAt)
          : 1;
        const lines = build.log.slice(
          0,
          fraction >= 1
            ? build.log.length
            : Math.max(1, Math.floor((build.log.length - 1) * fraction)),
        );
        res.type('text/plain').send(`${lines.join('\n')}\n`);
        return;
      }
      if (rest[1] === 'artifact' && !building(build)) {
        const content = build.artifacts[rest.slice(2).join('/')];
        if (content !== undefined) {
          res.type('text/plain').send(content);
          return;
        }
      }
      notFound();
    }

    return {
      name: 'Jenkins',
      prefix: '/jenkins',
      router,
      async describe() {
        return state.builds.map(b => ({
          job: b.job,
          build: b.number,
          status: status(b),
          parameters: Object.entries(b.parameters)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          'image tag': b.artifacts['image-tag.txt']?.trim() ?? '',
          commit: b.revision?.sha.slice(0, 12) ?? '',
          cause: b.cause,
        }));
      },
    };
  };
}
