/**
 * yarn bench:engine: one whole release of hybris + cms + web through the real deploy engine, wired
 * as the backend wires it (createReleaseEngine, the release-node executor over real clients, the
 * scheduler's tick), on a real database, against the sandbox in its own thread, with pods that take
 * a fixed time to start. Twice: woken by the real StatusCache as plugin.ts wakes it, and by its
 * polls alone. Prints (a) how soon the next step starts once a gate's condition is true in the
 * sandbox, (b) the whole release time over the waits the world imposes, (c) the engine's own time
 * per step.
 *
 * Prints figures only; it exits non-zero only when something crashes or a run does not finish.
 *
 *   yarn bench:engine [--db postgres|sqlite] [--poll-ms 1000] [--mode events|polling] [--trace]
 *   KOP_BENCH_PG=postgresql://user@host:port  (default: the test database URL, else 127.0.0.1:5432)
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type {
  LifecycleService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  releaseSignalChannel,
  type CreateReleaseRequest,
  type DeployPlan,
} from '@internal/plugin-release-common';
import {
  gateQuery,
  readDeployPlanSettings,
  readGradePolicy,
  readReleaseLayout,
  readReleasePortalConfig,
  ReleaseIntegrations,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { sandboxGitlabTokens, seedFacts } from 'sandbox';
import { migrateUp } from '../src/database/migrate';
import { readEngineSettings } from '../src/engine/config';
import {
  createReleaseEngine,
  type EngineSystems,
} from '../src/engine/createReleaseEngine';
import { DeployRunStore } from '../src/engine/DeployRunStore';
import { scheduleDeployEngine } from '../src/engine/scheduleDeployEngine';
import { wakeOnStatusChanges } from '../src/engine/wakeOnStatus';
import { ReleaseService } from '../src/service/ReleaseService';
import { StatusCache, statusSystemsOf } from '../src/status/StatusCache';
import { alwaysOpen } from '../src/__testUtils__/alwaysOpen';
import { HYBRIS_TEAM } from '../src/__testUtils__/org';
import {
  cleanUpOnExit,
  cleanups,
  databases,
  type DatabaseId,
  type OpenedDatabase,
} from './databases';
import {
  stepFigures,
  sumInherent,
  unionMs,
  type BusySpan,
  type Inherent,
  type RunRecord,
  type StepFigure,
} from './engineFigures';
import { percentile } from './load';
import { sandboxSystemsConfig } from './sandboxConfig';
import { SandboxWorker } from './sandboxWorker';
import { actor } from './seed';
import { quietLogger } from './server';

/** The world's pace at timeScale 1: what a step must wait for, whoever runs it. */
const TIME_SCALE = 1;
const POD_START_MS: Record<string, number> = {
  'hybris-blue': 2_000,
  'hybris-green': 2_000,
  cms: 1_000,
  'cms-internal': 1_000,
  web: 1_000,
};
const SYNC_MS = 500;
const PIPELINE_MS = 5_000;
const SOAK = '3s';
const WATCH = '3s';
/** The gate metrics' PromQL window: the sandbox scrapes every second, so a rate needs 3 s. */
const METRIC_WINDOW = '3s';
const REPLICA_STEPS = [3, 6, 9];
const ENVIRONMENT = 'prod';
/** How often the sandbox thread evaluates the gate metrics for the timeline. */
const WATCH_EVERY_MS = 10;
const RUN_LIMIT_MS = 150_000;
const TARGET_REACTION_P95_MS = 1_000;
const TARGET_RATIO = 1.05;
/** The GitLab calls that write: their answer time is GitLab's (here the sandbox's git), not the engine's. */
const GITLAB_WRITES = [
  'commitEdits',
  'createBranch',
  'createMergeRequest',
  'mergeMergeRequest',
];

/** The author presses Deploy, the PL approves grade B, the director signs off. */
const dev = actor('kim.minjun');
const pl = actor('choi.yuna');
const director = actor('seo.yeongho');

type Mode = 'events' | 'polling';
const modeLabel: Record<Mode, string> = {
  events: 'StatusCache events + polls',
  polling: 'polls only',
};

const epochNow = () => performance.timeOrigin + performance.now();
const ms0 = (ms: number | undefined) =>
  ms === undefined || Number.isNaN(ms) ? '-' : Math.round(ms).toString();
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function log(mode: string, message: string) {
  process.stdout.write(`[${mode}] ${message}\n`);
}

/** The team's layout (release-node defaults) and its gate metrics over the short window. */
const teamLayout = readReleaseLayout(new ConfigReader({}));
const gateMetrics = teamLayout.apps.hybris.gates.metrics.map(m => ({
  ...m,
  query: m.query.replace(/\[\w+\]/g, `[${METRIC_WINDOW}]`),
}));

/** The release settings of the bench: short soak, watch and metric windows; a window always open. */
function benchConfig(url: string, pollMs: number) {
  return new ConfigReader({
    ...alwaysOpen,
    ...sandboxSystemsConfig(url),
    release: {
      // The bench may run at any hour.
      windows: alwaysOpen.release.windows,
      apps: {
        hybris: {
          steps: REPLICA_STEPS,
          gates: { soak: SOAK, metrics: gateMetrics },
          switch: { watch: WATCH },
        },
      },
      engine: { pollMs, pipelinePollMs: pollMs, tickMs: pollMs },
    },
  });
}

/** Each method call of a client, timed into `spans`. */
function timed<T extends object>(
  client: T,
  what: BusySpan['what'],
  spans: BusySpan[],
): T {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const start = epochNow();
        const done = () =>
          spans.push({ start, end: epochNow(), what, name: String(key) });
        const result = value.apply(target, args);
        if (result instanceof Promise) return result.finally(done);
        done();
        return result;
      };
    },
  });
}

/** Every query of the pool, timed into `spans`, but those sent while `skip()` says so. */
function timeQueries(knex: Knex, spans: BusySpan[], skip: () => boolean) {
  const started = new Map<string, number>();
  type Query = { __knexQueryUid: string; sql: string };
  const done = (_: unknown, q: Query) => {
    const start = started.get(q.__knexQueryUid);
    started.delete(q.__knexQueryUid);
    if (start !== undefined) {
      const name = q.sql.replace(/\s+/g, ' ').slice(0, 60);
      spans.push({ start, end: epochNow(), what: 'db', name });
    }
  };
  const start = (q: Query) => {
    if (!skip()) started.set(q.__knexQueryUid, epochNow());
  };
  knex.on('query', start);
  knex.on('query-response', done);
  knex.on('query-error', done);
  return () => {
    knex.off('query', start);
    knex.off('query-response', done);
    knex.off('query-error', done);
  };
}

interface Outcome {
  mode: Mode;
  record: RunRecord;
  figures: StepFigure[];
  database: string;
  wakes: { heard: number; woke: number; coalesced: number };
  /** Share of the run the backend's event loop (this thread) was busy. */
  busyShare: number;
}

/** One release through the engine in `mode`, on a fresh sandbox; both modes share the database. */
async function runOnce(
  mode: Mode,
  db: OpenedDatabase,
  pollMs: number,
): Promise<Outcome> {
  const setUpStarted = performance.now();
  const colours = Object.keys(teamLayout.apps.hybris.colours);
  const sandbox = await SandboxWorker.start({
    timeScale: TIME_SCALE,
    sandbox: {
      podStartMs: POD_START_MS,
      argocdOperationMs: SYNC_MS,
      pipelineMs: PIPELINE_MS,
    },
    watch: {
      instance: ENVIRONMENT,
      apps: Object.keys(POD_START_MS).concat('hybris'),
      colours,
      metrics: colours.flatMap(colour =>
        gateMetrics.map(m => ({
          colour,
          name: m.name,
          query: gateQuery(m.query, { environment: ENVIRONMENT, colour }),
          ...(m.min !== undefined ? { min: m.min } : {}),
          ...(m.max !== undefined ? { max: m.max } : {}),
        })),
      ),
      everyMs: WATCH_EVERY_MS,
    },
  });
  const closeSandbox = () => sandbox.close();
  cleanups.add(closeSandbox);
  const shutdown: Array<() => unknown> = [];
  const ticks: NodeJS.Timeout[] = [];
  let status: StatusCache | undefined;
  try {
    log(mode, `sandbox at ${sandbox.url}`);
    const config = benchConfig(sandbox.url, pollMs);
    const layout: ReleaseLayout = readReleaseLayout(config);
    const portal = readReleasePortalConfig(config);
    const policy = readGradePolicy(config);
    const settings = readEngineSettings(config);
    const integrations = new ReleaseIntegrations(config, quietLogger);

    // What the release core tells the pages (signals) is what the person at the page sees.
    const pages = new EventEmitter();
    // One release core for the engine and the people, as plugin.ts wires it: a sign-off wakes the run.
    const releases = new ReleaseService({
      knex: db.knex,
      logger: quietLogger,
      policy,
      product: portal.product,
      strategies: portal.strategies,
      defaultSteps: portal.defaultSteps,
      // The versions are the sandbox's own; the bench times the deploy, not their look-up.
      versions: async () => {},
      serviceTeamsOf: async () => [HYBRIS_TEAM],
      signals: {
        publish: async (signal: {
          channel: string;
          message: { state?: string } & object;
        }) => {
          if (signal.channel === releaseSignalChannel)
            pages.emit('release', signal.message);
        },
      },
    });
    // The people's calls share the pool, as the router does; their queries are not timed.
    const people = releases;
    let peopleActing = 0;

    const busy: BusySpan[] = [];
    const stopTiming = timeQueries(db.knex, busy, () => peopleActing > 0);
    shutdown.push(stopTiming);
    const clients = {
      gitlab: timed(integrations.get('gitlab'), 'gitlab', busy),
      argocd: new Map<string, ReturnType<EngineSystems['argocdFor']>>(),
      prometheus: timed(integrations.get('prometheus'), 'gate', busy),
      hybris: timed(integrations.get('hybris'), 'gate', busy),
    };
    const systems: EngineSystems = {
      gitlab: () => clients.gitlab,
      argocdFor: environment => {
        let client = clients.argocd.get(environment);
        if (!client) {
          client = timed(
            integrations.get('argocd').forEnvironment(environment),
            'argocd',
            busy,
          );
          clients.argocd.set(environment, client);
        }
        return client;
      },
      prometheus: () => clients.prometheus,
      hybris: () => clients.hybris,
    };
    const { engine, deploys } = createReleaseEngine({
      knex: db.knex,
      releases,
      layout,
      policy,
      planSettings: readDeployPlanSettings(config),
      settings,
      systems,
      logger: quietLogger,
      // The Slack outbox's part: queuing the announcement is all the step waits for.
      engine: { announce: async () => {} },
    });
    await scheduleDeployEngine({
      engine,
      logger: quietLogger,
      everyMs: settings.tickMs,
      scheduler: {
        scheduleTask: async (task: {
          frequency: { milliseconds: number };
          fn: (signal: AbortSignal) => unknown;
        }) => {
          const signal = new AbortController().signal;
          ticks.push(
            setInterval(
              () => void task.fn(signal),
              task.frequency.milliseconds,
            ),
          );
        },
      } as unknown as SchedulerService,
      lifecycle: {
        addShutdownHook: (hook: () => unknown) => shutdown.push(hook),
      } as unknown as LifecycleService,
    });

    const wakes = { heard: 0, woke: 0, coalesced: 0 };
    if (mode === 'events') {
      status = new StatusCache({
        systems: statusSystemsOf(integrations),
        layout,
        environments: portal.environments,
        logger: quietLogger,
      });
      // As plugin.ts wakes the engine; a wake that follows the running one counts as folded.
      wakeOnStatusChanges(status, engine, what => {
        wakes.heard += 1;
        if (what === 'woke') wakes.woke += 1;
        else wakes.coalesced += 1;
      });
      // plugin.ts starts the cache on the first GET /status: here a page has been opened already.
      await status.snapshot();
      // The Argo CD stream opens after the first snapshot.
      await new Promise(r => setTimeout(r, 500));
    }

    const gitlab = integrations.get('gitlab');
    const cmsVersion = await gitlab.resolveRef(
      seedFacts.cms.project,
      seedFacts.cms.from,
    );
    const webVersion = await gitlab.resolveRef(
      seedFacts.web.project,
      seedFacts.web.branch,
    );
    const request: CreateReleaseRequest = {
      title: `Bench ${mode} ${new Date().toISOString()}`,
      grade: 'B',
      dbUpdate: false,
      apps: [
        {
          app: 'hybris',
          version: seedFacts.hybris.candidate,
          strategy: 'blue-green-steps',
          steps: REPLICA_STEPS,
        },
        { app: 'cms', version: cmsVersion!, strategy: 'branch-merge-sync' },
        { app: 'web', version: webVersion!, strategy: 'sync' },
      ],
      items: [
        {
          title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
          app: 'hybris',
          source: { type: 'mr', project: 'kop/hybris', iid: 412 },
        },
      ],
    };
    const ctx = () => ({ requestId: randomUUID() });
    const created = await people.create(dev, request, ctx());
    await people.requestApproval(dev, created.id, ctx());
    const plan: DeployPlan = await deploys.plan(created.id, ENVIRONMENT);
    await people.decide(
      pl,
      created.id,
      {
        decision: 'approve',
        stage: 'approval',
        fingerprint: plan.fingerprint,
      },
      ctx(),
    );
    log(
      mode,
      `set up in ${secs(performance.now() - setUpStarted)}; plan: ${
        plan.steps.length
      } steps (${plan.steps.map(s => s.id).join(', ')})`,
    );

    // The person signs off as soon as the page shows the release waiting for it.
    let signoff: RunRecord['signoff'];
    const ended = new Promise<string>(resolve => {
      pages.on('release', (m: { releaseId: string; state: string }) => {
        if (m.releaseId !== created.id) return;
        if (m.state === 'awaiting_signoff' && !signoff) {
          const askedAt = Date.now();
          signoff = { askedAt, givenAt: NaN };
          peopleActing += 1;
          people
            .decide(
              director,
              created.id,
              { decision: 'approve', stage: 'signoff' },
              ctx(),
            )
            .then(() => {
              signoff!.givenAt = Date.now();
            })
            .catch(e => resolve(`sign-off refused: ${(e as Error).message}`))
            .finally(() => {
              peopleActing -= 1;
            });
        }
        if (['done', 'paused', 'failed', 'aborted'].includes(m.state)) {
          resolve(m.state);
        }
      });
    });

    const elu = performance.eventLoopUtilization();
    const pressAt = Date.now();
    const view = await deploys.deploy(
      dev,
      created.id,
      { environment: ENVIRONMENT, fingerprint: plan.fingerprint },
      ctx(),
    );
    const limit = new Promise<string>(resolve =>
      setTimeout(() => resolve('still running'), RUN_LIMIT_MS).unref(),
    );
    const state = await Promise.race([ended, limit]);
    const busyShare = performance.eventLoopUtilization(elu).utilization;
    await engine.idle();
    stopTiming();
    const run = await new DeployRunStore(db.knex).get(view.id);
    if (state !== 'done' || run?.state !== 'done') {
      const stuck = run?.steps.find(s => s.state !== 'done');
      throw new Error(
        `the run ended ${state} (run ${run?.state}${
          run?.pausedReason ? `: ${run.pausedReason}` : ''
        }${
          stuck
            ? `; ${stuck.stepId} ${stuck.state}${
                stuck.lastError ? `: ${stuck.lastError}` : ''
              }${stuck.waitingReason ? `: ${stuck.waitingReason}` : ''}`
            : ''
        })`,
      );
    }
    const endAt = Date.parse(run.updatedAt);
    log(mode, `done in ${secs(endAt - pressAt)}`);

    const pipelines = new Map<
      number,
      { createdAt: number; finishedAt: number }
    >();
    for (const [index, step] of plan.steps.entries()) {
      if (step.gate.type !== 'pipeline') continue;
      const iid = (
        run.steps[index].outputs as {
          call?: { mergeRequest?: { iid: number } };
        }
      ).call?.mergeRequest?.iid;
      const res = await fetch(
        `${sandbox.url}/gitlab/api/v4/projects/${encodeURIComponent(
          step.gate.project,
        )}/merge_requests/${iid}/pipelines`,
        { headers: { 'private-token': sandboxGitlabTokens.maintainer } },
      );
      const list = (await res.json()) as Array<{
        created_at: string;
        updated_at: string;
        status: string;
      }>;
      // The newest pipeline of the branch before the gate passed is the one it waited for.
      const passedAt = Date.parse(run.steps[index].finishedAt!);
      const p = list.find(
        x => x.status === 'success' && Date.parse(x.created_at) <= passedAt,
      );
      if (p) {
        pipelines.set(index, {
          createdAt: Date.parse(p.created_at),
          finishedAt: Date.parse(p.updated_at),
        });
      }
    }

    const record: RunRecord = {
      pressAt,
      endAt,
      plan,
      steps: run.steps,
      signoff,
      world: await sandbox.changes(),
      pipelines,
      busy,
    };
    const figures = stepFigures(
      record,
      colour => layout.apps.hybris.colours[colour].argocdApp,
    );
    return { mode, record, figures, database: db.version, wakes, busyShare };
  } finally {
    await status?.stop();
    ticks.forEach(t => clearInterval(t));
    for (const hook of shutdown) await hook();
    cleanups.delete(closeSandbox);
    await closeSandbox();
    log(mode, `closed (${secs(performance.now() - setUpStarted)} in all)`);
  }
}

interface Summary {
  reaction: number[];
  signoffReaction?: number;
  wallMs: number;
  signoffWaitMs: number;
  inherent: Inherent;
  inherentMs: number;
  ratio: number;
  /** GitLab's answers to the engine's writes (commits, branch, merge request, merge), ms. */
  writesMs: number;
  busy: number[];
  busyBy: StepFigure['busyBy'];
  overhead: number[];
  /** The slowest reaction of each kind of gate. */
  reactionBy: Map<string, number>;
}

function summarizeRun(o: Outcome): Summary {
  const gates = o.figures.filter(
    f => f.reactionMs !== undefined && f.gate !== 'approval',
  );
  const signoffStep = o.figures.find(f => f.gate === 'approval');
  const { signoff, pressAt, endAt } = o.record;
  // Only the person's own time is taken out: from the release asking until the sign-off is given.
  const signoffWaitMs =
    signoff && signoffStep ? signoff.givenAt - signoffStep.startedAt : 0;
  const inherent = o.figures.reduce<Inherent>(
    (sum, f) => {
      for (const k of Object.keys(sum) as Array<keyof Inherent>)
        sum[k] += f.inherent[k];
      return sum;
    },
    { sync: 0, pods: 0, settle: 0, soak: 0, watch: 0, pipeline: 0 },
  );
  const wallMs = endAt - pressAt;
  const inherentMs = sumInherent(inherent);
  const writesMs = unionMs(
    o.record.busy.filter(
      b => b.what === 'gitlab' && GITLAB_WRITES.includes(b.name),
    ),
  );
  return {
    writesMs,
    reaction: gates.map(f => f.reactionMs!),
    signoffReaction: signoffStep?.reactionMs,
    wallMs,
    signoffWaitMs,
    inherent,
    inherentMs,
    ratio: (wallMs - signoffWaitMs) / inherentMs,
    busy: o.figures.map(f => f.busyMs),
    busyBy: o.figures.reduce(
      (sum, f) => {
        for (const k of Object.keys(sum) as Array<keyof typeof sum>)
          sum[k] += f.busyBy[k];
        return sum;
      },
      { db: 0, gitlab: 0, argocd: 0, gate: 0 },
    ),
    reactionBy: gates.reduce(
      (by, f) => by.set(f.gate, Math.max(by.get(f.gate) ?? 0, f.reactionMs!)),
      new Map<string, number>(),
    ),
    overhead: o.figures
      .filter(f => f.gate !== 'approval')
      .map(f => f.spanMs - f.inherentMs),
  };
}

function table(rows: string[][]) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(rows[0])}\n`);
  process.stdout.write(`${line(widths.map(w => '-'.repeat(w)))}\n`);
  for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);
  process.stdout.write('\n');
}

function printSteps(o: Outcome, trace: boolean) {
  const at = (t: number | undefined) =>
    t === undefined ? '-' : ms0(t - o.record.pressAt);
  process.stdout.write(
    `\n[${o.mode}] per step (ms; times from the Deploy press)\n`,
  );
  table([
    [
      'step',
      'gate',
      'started',
      'condition true',
      'next started',
      'reaction',
      'inherent',
      'span',
      'engine busy: all / db / gitlab / argocd / gate reads',
    ],
    ...o.figures.map(f => [
      f.id,
      f.gate,
      at(f.startedAt),
      at(f.conditionAt),
      at(f.nextAt),
      ms0(f.reactionMs),
      ms0(f.inherentMs),
      ms0(f.spanMs),
      [f.busyMs, f.busyBy.db, f.busyBy.gitlab, f.busyBy.argocd, f.busyBy.gate]
        .map(ms0)
        .join(' / '),
    ]),
  ]);
  if (!trace) return;
  for (const f of o.figures) {
    const calls = o.record.busy.filter(
      b => b.start >= f.startedAt && b.start < f.nextAt,
    );
    process.stdout.write(
      `[${o.mode}] ${f.id}: calls from its start (+0; condition true at +${ms0(
        f.conditionAt === undefined ? undefined : f.conditionAt - f.startedAt,
      )}) to the next step (+${ms0(f.nextAt - f.startedAt)})\n`,
    );
    for (const c of calls) {
      process.stdout.write(
        `    +${ms0(c.start - f.startedAt)}..+${ms0(c.end - f.startedAt)} ${
          c.what
        } ${c.name}\n`,
      );
    }
  }
}

function printSummary(outcomes: Outcome[], pollMs: number) {
  const sums = outcomes.map(summarizeRun);
  const triple = (values: number[]) =>
    `${ms0(percentile(values, 50))} / ${ms0(percentile(values, 95))} / ${ms0(
      Math.max(...values),
    )}`;
  const pair = (values: number[]) =>
    `${ms0(percentile(values, 50))} / ${ms0(percentile(values, 95))}`;
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const rows: string[][] = [
    ['', ...outcomes.map(o => modeLabel[o.mode]), 'target'],
    [
      `(a) reaction, gate true -> next step (n=${sums[0].reaction.length}) p50 / p95 / max ms`,
      ...sums.map(
        s =>
          `${triple(s.reaction)} (${met(
            percentile(s.reaction, 95) <= TARGET_REACTION_P95_MS,
          )})`,
      ),
      `p95 <= ${TARGET_REACTION_P95_MS} ms`,
    ],
    [
      '    slowest by gate: hybris / healthy / watch / pipeline ms',
      ...sums.map(s =>
        ['hybris', 'healthy', 'watch', 'pipeline']
          .map(g => ms0(s.reactionBy.get(g)))
          .join(' / '),
      ),
      '-',
    ],
    [
      '    sign-off given -> next step ms (not in the figure above)',
      ...sums.map(s => ms0(s.signoffReaction)),
      '-',
    ],
    [
      '(b) release time, less the sign-off wait / inherent waits',
      ...sums.map(
        s => `${s.ratio.toFixed(3)} (${met(s.ratio <= TARGET_RATIO)})`,
      ),
      `<= ${TARGET_RATIO}`,
    ],
    [
      "    the same less GitLab's answers to the writes (its own speed)",
      ...sums.map(s =>
        ((s.wallMs - s.signoffWaitMs - s.writesMs) / s.inherentMs).toFixed(3),
      ),
      '-',
    ],
    [
      '    GitLab answering the writes (commits, branch, MR, merge)',
      ...sums.map(s => secs(s.writesMs)),
      '-',
    ],
    [
      '    release time (press -> run done)',
      ...sums.map(s => secs(s.wallMs)),
      '-',
    ],
    [
      '    waited for the person (asked -> sign-off given), taken out',
      ...sums.map(s => secs(s.signoffWaitMs)),
      '-',
    ],
    ['    inherent waits: sum', ...sums.map(s => secs(s.inherentMs)), '-'],
    [
      '      syncs / pod starts / metrics settling / soaks / watch / pipeline',
      ...sums.map(s =>
        [
          s.inherent.sync,
          s.inherent.pods,
          s.inherent.settle,
          s.inherent.soak,
          s.inherent.watch,
          s.inherent.pipeline,
        ]
          .map(v => (v / 1000).toFixed(1))
          .join(' / '),
      ),
      '-',
    ],
    [
      `(c) engine time per step, p50 / p95 ms (n=${sums[0].busy.length})`,
      ...sums.map(s => pair(s.busy)),
      '(figure)',
    ],
    [
      '    over the run: db / GitLab / Argo CD / gate reads s',
      ...sums.map(s =>
        [s.busyBy.db, s.busyBy.gitlab, s.busyBy.argocd, s.busyBy.gate]
          .map(v => (v / 1000).toFixed(1))
          .join(' / '),
      ),
      '-',
    ],
    [
      '    step span less its inherent waits, p50 / p95 ms',
      ...sums.map(s => pair(s.overhead)),
      '(figure)',
    ],
    [
      '    StatusCache changes heard / wakes / folded into a running wake',
      ...outcomes.map(o =>
        o.mode === 'events'
          ? `${o.wakes.heard} / ${o.wakes.woke} / ${o.wakes.coalesced}`
          : '-',
      ),
      '-',
    ],
    [
      '    backend event loop busy during the run',
      ...outcomes.map(o => `${Math.round(o.busyShare * 100)}%`),
      '-',
    ],
  ];
  process.stdout.write('\n');
  table(rows);
  const cpu = cpus();
  const pods = Object.entries(POD_START_MS)
    .map(([app, ms]) => `${app} ${ms} ms`)
    .join(', ');
  const notes = [
    `database: ${outcomes[0].database}; node ${process.version}; ${
      cpu.length
    } x ${cpu[0]?.model ?? 'cpu'}; load ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')}`,
    'machine: shared and noisy; the figures are printed, not asserted',
    `world (timeScale ${TIME_SCALE}): pod start ${pods}; Argo CD sync ${SYNC_MS} ms; cms pipeline ${PIPELINE_MS} ms; soak ${SOAK}; switch watch ${WATCH}; gate metrics over [${METRIC_WINDOW}], scraped every 1 s`,
    `engine: pollMs ${pollMs}, pipelinePollMs ${pollMs}, tickMs ${pollMs}; hybris steps ${REPLICA_STEPS.join(
      ', ',
    )}; ${ENVIRONMENT}`,
    `gate condition true: the sandbox thread's own change times (Argo CD operations and pods as they happen, the gate metrics evaluated every ${WATCH_EVERY_MS} ms). hybris: every check held for the soak (its end); healthy: every app Healthy at the step's commit; watch: the switch synced + the window; pipeline: its success. Next step started: deploy_steps.startedAt (the run's end after the last step)`,
    'inherent waits: what the world takes if the engine reacts at once: each sync operation (one after the other, as the executor syncs), pod starts after the last sync, metrics settling after the pods (scrape + window), soaks, the watch, the pipeline',
    'sign-off: given through ReleaseService.decide by a superior as soon as the release signals awaiting_signoff; the time from the release asking until it was given is taken out of (b); what the engine took after that stays in',
    "engine time: union of the engine pool's query spans and the engine's calls to GitLab, Argo CD, Prometheus and hybris, per step (the press and the plan count to the first step)",
  ];
  for (const line of notes) process.stdout.write(`${line}\n`);
}

async function main() {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    if (i >= 0) return argv[i + 1];
    return argv.find(a => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const id = (flag('--db') ?? 'postgres') as DatabaseId;
  if (!(id in databases))
    throw new Error(`--db: ${id} is not sqlite or postgres`);
  const pollMs = Number(flag('--poll-ms') ?? 1000);
  const modes = (flag('--mode')?.split(',') ?? ['events', 'polling']) as Mode[];
  for (const mode of modes) {
    if (!(mode in modeLabel))
      throw new Error(`--mode: ${mode} is not events or polling`);
  }
  const started = performance.now();
  const outcomes: Outcome[] = [];
  const db = await databases[id].open();
  try {
    log(id, `${db.version} at ${db.where}`);
    await migrateUp(db.knex);
    for (const mode of modes) {
      const outcome = await runOnce(mode, db, pollMs);
      printSteps(outcome, argv.includes('--trace'));
      outcomes.push(outcome);
    }
  } finally {
    await db.close();
  }
  printSummary(outcomes, pollMs);
  process.stdout.write(
    `bench wall time ${secs(performance.now() - started)}\n`,
  );
}

// Nothing may run away: past this, clean up and give up.
cleanUpOnExit(6 * 60_000, 'bench:engine');

main().then(
  () => process.exit(process.exitCode ?? 0),
  e => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    Promise.allSettled([...cleanups].map(c => c())).finally(() =>
      process.exit(1),
    );
  },
);
