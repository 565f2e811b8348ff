import type {
  DeployGate,
  DeployGateCheck,
  DeployPlanStep,
} from '@internal/plugin-release-common';
import { countPods } from '../argocd/ArgoCdClient';
import {
  HybrisGate,
  instantValues,
  type GateCheckResult,
} from '../gate/HybrisGate';
import {
  findReleaseMergeRequest,
  mergeRequestPipeline,
} from '../gitlab/releaseBranch';
import { SystemError } from '../http/SystemError';
import { failedFrom } from './failures';
import { revisionHolds } from './sync';
import type {
  StepContext,
  StepOutputs,
  StepProgress,
  StepReading,
  StepReadings,
  StepSettings,
} from './types';

type GateOf<T extends DeployGate['type']> = Extract<DeployGate, { type: T }>;

interface GateRun {
  step: DeployPlanStep;
  ctx: StepContext;
  outputs: StepOutputs;
  settings: StepSettings;
  now: () => number;
}

/** How long a person waits for an approval before the step looks again without an event. */
const APPROVAL_POLL_MS = 60_000;

const short = (sha: string) => sha.slice(0, 8);

function formatMs(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.max(0, Math.round(ms))} ms`;
}

function failedChecks(readings: StepReading[]): string {
  return readings
    .filter(r => !r.ok)
    .map(r => `${r.name}: ${r.detail}`)
    .join('; ');
}

function bounds(check: { min?: number; max?: number }) {
  return {
    ...(check.min !== undefined ? { min: check.min } : {}),
    ...(check.max !== undefined ? { max: check.max } : {}),
  };
}

/**
 * The gate part of a step: passed once (and remembered in the outputs), or waiting with what it
 * read, or failed.
 */
export async function runGate(run: GateRun): Promise<StepProgress> {
  const { step, outputs, now } = run;
  const gate = (outputs.gate ??= { startedAt: now() });
  if (gate.passedAt !== undefined) return { status: 'done', outputs };
  switch (step.gate.type) {
    case 'none':
      gate.passedAt = now();
      return { status: 'done', outputs };
    case 'healthy':
      return healthyGate(run, step.gate);
    case 'hybris':
      return hybrisGate(run, step.gate);
    case 'watch':
      return watchGate(run, step.gate);
    case 'pipeline':
      return pipelineGate(run, step.gate);
    case 'commit-pipeline':
      return commitPipelineGate(run, step.gate);
    case 'approval':
    case 'acknowledgement':
      return personGate(run, step.gate);
    default:
      return {
        status: 'failed',
        error: `${
          step.id
        } has a gate the engine does not know: ${JSON.stringify(step.gate)}`,
        retryable: false,
        outputs,
      };
  }
}

/** Waiting, or failed once the gate's limit (when the runner sets one) has passed. */
function notYet(
  run: GateRun,
  reason: string,
  readings: StepReadings,
  wakeAfterMs: number,
  limitMs: number | undefined,
  what: string,
): StepProgress {
  const { outputs, now } = run;
  const gate = outputs.gate!;
  let wake = wakeAfterMs;
  if (limitMs !== undefined) {
    const waited = now() - gate.startedAt;
    if (waited >= limitMs) {
      return {
        status: 'failed',
        error: `${what} did not pass within ${formatMs(limitMs)}: ${reason}`,
        retryable: false,
        readings,
        outputs,
      };
    }
    readings.timeoutLeftMs = limitMs - waited;
    wake = Math.min(wake, limitMs - waited);
  }
  return {
    status: 'waiting',
    reason,
    readings,
    wakeAfterMs: Math.max(0, wake),
    outputs,
  };
}

/** Every app synced to the step's commit (or a later one holding it), Healthy, nothing running. */
async function healthyGate(
  run: GateRun,
  gate: GateOf<'healthy'>,
): Promise<StepProgress> {
  const { ctx, outputs, settings, now } = run;
  const commit = outputs.git?.sha;
  const checks: StepReading[] = [];
  for (const app of gate.argocdApps) {
    const state = await ctx.argocd.getApplicationState(app);
    const synced = state.syncedRevision;
    const holds = commit
      ? (!!synced && synced === outputs.sync?.[app]?.syncedRevision) ||
        (await revisionHolds(ctx, synced, commit, outputs.git?.parents))
      : state.syncStatus === 'Synced';
    const running = !!state.operation?.running;
    checks.push({
      name: app,
      ok: holds && state.healthStatus === 'Healthy' && !running,
      detail: `${state.healthStatus}${
        state.healthMessage ? ` (${state.healthMessage})` : ''
      }, ${state.syncStatus}, runs ${synced ? short(synced) : 'nothing'}${
        commit && !holds ? `, not ${short(commit)} yet` : ''
      }${running ? ', an operation is running' : ''}`,
    });
  }
  if (checks.every(c => c.ok)) {
    outputs.gate!.passedAt = now();
    return { status: 'done', outputs };
  }
  return notYet(
    run,
    `waiting for ${failedChecks(checks)}`,
    { checks },
    settings.pollMs,
    settings.gateTimeoutMs,
    `${gate.argocdApps.join(', ')} turning Healthy`,
  );
}

/**
 * The hybris gate: pods ready (Argo CD's resource tree), the JGroups view and the metrics
 * (HybrisGate, with the checks the approved plan holds), all continuously for the soak.
 */
async function hybrisGate(
  run: GateRun,
  gate: GateOf<'hybris'>,
): Promise<StepProgress> {
  const { step, ctx, outputs, settings, now } = run;
  const state = outputs.gate!;
  const { environment } = ctx.plan;
  const what = `the gate of hybris ${gate.colour} in ${environment}`;
  if (!ctx.gate) {
    return {
      status: 'failed',
      error: `${what} needs Prometheus and hybris, and the engine was given neither`,
      retryable: false,
      outputs,
    };
  }
  const { prometheus, hybris } = ctx.gate;
  // HybrisGate turns every read failure into a failed check; a system's outage must stop the step.
  const outages: SystemError[] = [];
  const noted =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await read(...args);
      } catch (e) {
        if (e instanceof SystemError && e.retryable) outages.push(e);
        throw e;
      }
    };
  const evaluator = new HybrisGate({
    prometheus: { query: noted((q: string) => prometheus.query(q)) },
    hybris: {
      clusterStatus: noted((env: string, colour: string) =>
        hybris.clusterStatus(env, colour),
      ),
    },
    gates: {
      clusterStatus: ctx.layout.apps.hybris.gates.clusterStatus,
      metrics: gate.checks
        .filter((c): c is DeployGateCheck & { query: string } => !!c.query)
        .map(c => ({ name: c.name, query: c.query, ...bounds(c) })),
      soakMs: gate.soakMs,
    },
  });
  const at = now();
  const app =
    ctx.layout.apps.hybris.colours[gate.colour]?.argocdApp ?? step.sync[0];
  const podCheck = gate.checks.find(c => c.name === 'pods-ready');
  const [evaluation, pods] = await Promise.all([
    evaluator.evaluateGate({
      environment,
      colour: gate.colour,
      expectedNodes: gate.expectedNodes,
    }),
    podCheck
      ? ctx.argocd.getResourceTree(app).then(countPods)
      : Promise.resolve(undefined),
  ]);
  const checks: StepReading[] = [];
  if (podCheck && pods) {
    const wanted = podCheck.min ?? gate.expectedNodes;
    checks.push({
      name: 'pods-ready',
      ok:
        pods.ready >= wanted &&
        (podCheck.max === undefined || pods.ready <= podCheck.max),
      value: pods.ready,
      ...bounds(podCheck),
      detail: `pods ${pods.ready}/${wanted} ready`,
    });
  }
  checks.push(
    ...evaluation.checks.map((c: GateCheckResult) => ({
      name: c.name,
      ok: c.ok,
      ...(c.value !== undefined ? { value: c.value } : {}),
      ...bounds(c.threshold),
      detail: c.detail,
    })),
  );
  if (outages.length) {
    return failedFrom(
      new SystemError({
        system: outages[0].system,
        action: `read ${what}`,
        detail: outages.map(e => e.message).join('; '),
        retryable: true,
      }),
      outputs,
      { checks },
    );
  }

  const ok = checks.every(c => c.ok);
  const last = state.lastCheckedAt;
  const unwatched = last !== undefined && at - last > settings.maxUnwatchedMs;
  if (!ok) {
    delete state.holdingSince;
    state.failing = checks.filter(c => !c.ok).map(c => c.name);
  } else if (state.holdingSince === undefined || unwatched) {
    state.holdingSince =
      last === undefined || unwatched
        ? at
        : await heldSince(ctx, gate, state.failing ?? [], last, at);
    delete state.failing;
  }
  state.lastCheckedAt = at;
  const heldMs = state.holdingSince === undefined ? 0 : at - state.holdingSince;
  if (ok && heldMs >= gate.soakMs) {
    state.passedAt = at;
    return { status: 'done', outputs };
  }
  const leftMs = gate.soakMs - heldMs;
  const readings: StepReadings = {
    checks,
    hold: { kind: 'soak', requiredMs: gate.soakMs, heldMs, leftMs },
  };
  return notYet(
    run,
    ok
      ? `every check holds; ${formatMs(leftMs)} of the ${formatMs(
          gate.soakMs,
        )} soak left`
      : `waiting for ${failedChecks(checks)}`,
    readings,
    ok ? Math.min(settings.pollMs, leftMs) : settings.pollMs,
    settings.gateTimeoutMs,
    what,
  );
}

/** Range points per metric when the soak's start is looked up: enough to place it within a step. */
const SOAK_START_POINTS = 100;

/**
 * When every check began to hold, between the last look (something failed) and now (all hold).
 * Metrics that failed then are placed by Prometheus' own samples, so the soak starts when the data
 * turned good, not when the engine next looked; any other check failing then starts it now.
 */
async function heldSince(
  ctx: StepContext,
  gate: GateOf<'hybris'>,
  failing: string[],
  last: number,
  at: number,
): Promise<number> {
  const range = ctx.gate?.prometheus.queryRange?.bind(ctx.gate.prometheus);
  const metrics = gate.checks.filter(
    (c): c is DeployGateCheck & { query: string } =>
      !!c.query && failing.includes(c.name),
  );
  if (!range || metrics.length !== failing.length) return at;
  const stepMs = Math.max(100, Math.ceil((at - last) / SOAK_START_POINTS));
  try {
    const since = await Promise.all(
      metrics.map(async check => {
        const answer = await range(check.query, {
          start: last,
          end: at,
          stepMs,
        });
        const byTime = new Map<number, number[]>();
        for (const series of answer.result) {
          for (const p of series.points) {
            byTime.set(p.time, [...(byTime.get(p.time) ?? []), p.value]);
          }
        }
        const times = [...byTime.keys()].sort((a, b) => b - a);
        let from: number | undefined;
        for (const t of times) {
          if (!judgeValues(byTime.get(t)!, check).ok) break;
          from = t;
        }
        return from ?? at;
      }),
    );
    return Math.min(at, Math.max(last, ...since));
  } catch {
    // The samples only refine the start; without them the soak counts from this look.
    return at;
  }
}

/** Values of one metric at one moment, judged as the hybris gate judges them. */
function judgeValues(
  all: number[],
  check: { min?: number; max?: number },
): { ok: boolean; value?: number; detail: string } {
  // NaN says nothing about the colour (no traffic yet): no data, never a breach.
  const values = all.filter(v => !Number.isNaN(v));
  if (!values.length) {
    return {
      ok: false,
      detail: 'no data: the query matched no series with a value',
    };
  }
  const within = (v: number) =>
    (check.max === undefined || v <= check.max) &&
    (check.min === undefined || v >= check.min);
  const offending = values.find(v => !within(v));
  const worst =
    check.max !== undefined ? Math.max(...values) : Math.min(...values);
  const value = offending ?? worst;
  const shown = Math.round(value * 1000) / 1000;
  const range = [
    check.min !== undefined ? `min ${check.min}` : '',
    check.max !== undefined ? `max ${check.max}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  let detail = `${shown}, ${range}`;
  if (check.max !== undefined && !(value <= check.max)) {
    detail = `${shown} is above the max ${check.max}`;
  } else if (check.min !== undefined && !(value >= check.min)) {
    detail = `${shown} is below the min ${check.min}`;
  }
  return { ok: offending === undefined, value, detail };
}

/** One metric check read from Prometheus, judged as the hybris gate judges it. */
async function readMetric(
  ctx: StepContext,
  check: DeployGateCheck & { query: string },
): Promise<StepReading> {
  const values = instantValues(await ctx.gate!.prometheus.query(check.query));
  if (typeof values === 'string') {
    return { name: check.name, ok: false, ...bounds(check), detail: values };
  }
  return { name: check.name, ...bounds(check), ...judgeValues(values, check) };
}

/**
 * The watch after the switch: every metric is read at each look; one out of its bounds is a
 * breach, and the step fails with `breach` so the engine switches back at once.
 */
async function watchGate(
  run: GateRun,
  gate: GateOf<'watch'>,
): Promise<StepProgress> {
  const { ctx, outputs, settings, now } = run;
  const state = outputs.gate!;
  const what = `the watch of hybris ${gate.colour} in ${ctx.plan.environment} after the switch`;
  if (!ctx.gate) {
    return {
      status: 'failed',
      error: `${what} needs Prometheus, and the engine was given none`,
      retryable: false,
      outputs,
    };
  }
  const at = now();
  const checks = await Promise.all(
    gate.checks
      .filter((c): c is DeployGateCheck & { query: string } => !!c.query)
      .map(c => readMetric(ctx, c)),
  );
  state.lastCheckedAt = at;
  const breached = checks.filter(c => !c.ok && c.value !== undefined);
  const watchedMs = at - state.startedAt;
  const readings: StepReadings = {
    checks,
    hold: {
      kind: 'watch',
      requiredMs: gate.windowMs,
      heldMs: Math.min(watchedMs, gate.windowMs),
      leftMs: Math.max(0, gate.windowMs - watchedMs),
    },
  };
  if (breached.length) {
    return {
      status: 'failed',
      error: `${what}: ${failedChecks(breached)}`,
      retryable: false,
      breach: true,
      readings,
      outputs,
    };
  }
  if (checks.every(c => c.ok) && watchedMs >= gate.windowMs) {
    state.passedAt = at;
    return { status: 'done', outputs };
  }
  const leftMs = gate.windowMs - watchedMs;
  return notYet(
    run,
    checks.every(c => c.ok)
      ? `every metric within bounds; ${formatMs(leftMs)} of the ${formatMs(
          gate.windowMs,
        )} watch left`
      : `waiting for ${failedChecks(checks)}`,
    readings,
    leftMs > 0 ? Math.min(settings.pollMs, leftMs) : settings.pollMs,
    settings.gateTimeoutMs,
    what,
  );
}

/** A pipeline that failed fails its step for good, with what was read. */
function pipelineFailed(
  error: string,
  reading: StepReading,
  outputs: StepOutputs,
): StepProgress {
  return {
    status: 'failed',
    error,
    retryable: false,
    system: 'GitLab',
    readings: { checks: [reading] },
    outputs,
  };
}

/** The merge request's pipeline: success passes, failure fails, anything else waits. */
async function pipelineGate(
  run: GateRun,
  gate: GateOf<'pipeline'>,
): Promise<StepProgress> {
  const { ctx, outputs, settings, now } = run;
  const known = outputs.call?.mergeRequest?.iid;
  const mr = known
    ? await ctx.gitlab.mergeRequest(gate.project, known)
    : await findReleaseMergeRequest(ctx.gitlab, gate.project, {
        sourceBranch: gate.sourceBranch,
      });
  if (!mr) {
    return {
      status: 'failed',
      error: `GitLab: no merge request from ${gate.sourceBranch} in ${gate.project} to wait for`,
      retryable: false,
      system: 'GitLab',
      outputs,
    };
  }
  const pipeline = mergeRequestPipeline(gate.project, mr);
  const reading: StepReading = {
    name: 'pipeline',
    ok: pipeline.state === 'passed',
    detail: pipeline.detail,
  };
  if (pipeline.state === 'passed') {
    outputs.gate!.passedAt = now();
    return { status: 'done', outputs };
  }
  if (pipeline.state === 'failed') {
    return pipelineFailed(pipeline.detail, reading, outputs);
  }
  return notYet(
    run,
    pipeline.detail,
    { checks: [reading] },
    settings.pipelinePollMs,
    settings.pipelineTimeoutMs,
    `the pipeline of ${gate.sourceBranch} in ${gate.project}`,
  );
}

/**
 * The version's own pipeline (cms, web): the newest pipeline of the commit the version names;
 * success passes and is recorded as the version's build, failure fails, anything else waits.
 */
async function commitPipelineGate(
  run: GateRun,
  gate: GateOf<'commit-pipeline'>,
): Promise<StepProgress> {
  const { step, ctx, outputs, settings, now } = run;
  const what = `the pipeline of ${gate.ref} in ${gate.project}`;
  const sha = await ctx.gitlab.resolveRef(gate.project, gate.ref);
  if (!sha) {
    return {
      status: 'failed',
      error: `GitLab: ${gate.ref} is not a commit or tag of ${gate.project}`,
      retryable: false,
      system: 'GitLab',
      outputs,
    };
  }
  const pipeline = await ctx.gitlab.pipelineStatus(
    gate.project,
    undefined,
    sha,
  );
  const detail = pipeline
    ? `pipeline #${pipeline.id} ${pipeline.status}`
    : `no pipeline of ${short(sha)} yet`;
  const reading: StepReading = {
    name: 'pipeline',
    ok: pipeline?.status === 'success',
    detail,
  };
  if (pipeline && ['success', 'failed'].includes(pipeline.status)) {
    outputs.build = {
      system: 'gitlab',
      job: gate.project,
      app: step.app ?? '',
      version: gate.ref,
      triggered: false,
      number: pipeline.id,
      url: pipeline.webUrl,
      result: pipeline.status === 'success' ? 'success' : 'failed',
    };
  }
  if (pipeline?.status === 'success') {
    outputs.gate!.passedAt = now();
    return { status: 'done', outputs };
  }
  if (pipeline && ['failed', 'canceled'].includes(pipeline.status)) {
    return pipelineFailed(
      `GitLab: ${what} #${pipeline.id} ${pipeline.status}: ${pipeline.webUrl}`,
      reading,
      outputs,
    );
  }
  return notYet(
    run,
    detail,
    { checks: [reading] },
    settings.pipelinePollMs,
    settings.pipelineTimeoutMs,
    what,
  );
}

/** A sign-off or an acknowledgement: given when the engine says so, else waited for. */
function personGate(
  run: GateRun,
  gate: GateOf<'approval'> | GateOf<'acknowledgement'>,
): StepProgress {
  const { ctx, outputs, now } = run;
  const key = gate.type === 'approval' ? gate.stage : gate.subject;
  const given = ctx.approvals?.[key];
  const name = gate.type === 'approval' ? 'sign-off' : 'db-schema';
  if (given) {
    outputs.gate!.passedAt = now();
    outputs.gate!.givenBy = given.by;
    return { status: 'done', outputs };
  }
  return {
    status: 'waiting',
    reason:
      gate.type === 'approval'
        ? `waiting for the sign-off of a ${gate.roles.join(' or ')}`
        : 'waiting for a person to confirm that the running version tolerates the new database schema',
    readings: { checks: [{ name, ok: false, detail: 'not given yet' }] },
    wakeAfterMs: APPROVAL_POLL_MS,
    outputs,
  };
}
