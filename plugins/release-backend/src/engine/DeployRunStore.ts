import type { Knex } from 'knex';
import type { DeployPlan } from '@internal/plugin-release-common';
import {
  activeRunStates,
  type DeployRun,
  type DeployRunKind,
  type DeployRunState,
  type DeployRunStep,
  type DeployStepState,
} from './types';

type RunRow = {
  id: string;
  release_id: string;
  environment: string;
  kind: string;
  plan: string;
  fingerprint: string;
  state: string;
  started_by: string;
  active_release_id: string | null;
  lease_owner: string | null;
  lease_expires_at: number | string | null;
  wake_at: number | string | null;
  paused_reason?: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
};

type StepRow = {
  run_id: string;
  index: number;
  step_id: string;
  kind: string;
  state: string;
  outputs: string | null;
  attempts: number;
  last_error: string | null;
  waiting_reason: string | null;
  readings: string | null;
  skip_reason: string | null;
  wake_at: number | string | null;
  started_at: string | null;
  finished_at: string | null;
};

/** The columns of a run a write may change. */
export type RunChange = Partial<{
  /** A plan rebased onto someone else's change, with its fingerprint, once approved. */
  plan: DeployPlan;
  fingerprint: string;
  state: DeployRunState;
  pausedReason: string | null;
  wakeAt: number | null;
  updatedAt: string;
}>;

/** The columns of a step a write may change; null clears one. */
export type StepChange = Partial<{
  state: DeployStepState;
  outputs: object | null;
  attempts: number;
  lastError: string | null;
  waitingReason: string | null;
  readings: object | null;
  skipReason: string | null;
  wakeAt: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}>;

/** The write of a backend whose lease on the run was taken by another: nothing was recorded. */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`The lease on deploy run ${runId} was taken by another backend`);
  }
}

const num = (value: number | string | null) =>
  value === null ? undefined : Number(value);
const parse = (value: string | null) =>
  value === null ? undefined : JSON.parse(value);
const json = (value: object | null) =>
  value === null ? null : JSON.stringify(value);

function toStep(row: StepRow): DeployRunStep {
  return {
    index: Number(row.index),
    stepId: row.step_id,
    kind: row.kind as DeployRunStep['kind'],
    state: row.state as DeployStepState,
    outputs: parse(row.outputs),
    attempts: Number(row.attempts),
    lastError: row.last_error ?? undefined,
    waitingReason: row.waiting_reason ?? undefined,
    readings: parse(row.readings),
    skipReason: row.skip_reason ?? undefined,
    wakeAt: num(row.wake_at),
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
  };
}

function toRun(row: RunRow, steps: StepRow[]): DeployRun {
  return {
    id: row.id,
    releaseId: row.release_id,
    environment: row.environment,
    kind: row.kind as DeployRunKind,
    plan: JSON.parse(row.plan) as DeployPlan,
    fingerprint: row.fingerprint,
    state: row.state as DeployRunState,
    startedBy: row.started_by,
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: num(row.lease_expires_at),
    wakeAt: num(row.wake_at),
    pausedReason: row.paused_reason ?? undefined,
    revision: Number(row.revision),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    steps: steps.map(toStep),
  };
}

function stepColumns(change: StepChange): Partial<StepRow> {
  const columns: Partial<StepRow> = {};
  if (change.state !== undefined) columns.state = change.state;
  if (change.outputs !== undefined) columns.outputs = json(change.outputs);
  if (change.attempts !== undefined) columns.attempts = change.attempts;
  if (change.lastError !== undefined) columns.last_error = change.lastError;
  if (change.waitingReason !== undefined)
    columns.waiting_reason = change.waitingReason;
  if (change.readings !== undefined) columns.readings = json(change.readings);
  if (change.skipReason !== undefined) columns.skip_reason = change.skipReason;
  if (change.wakeAt !== undefined) columns.wake_at = change.wakeAt;
  if (change.startedAt !== undefined) columns.started_at = change.startedAt;
  if (change.finishedAt !== undefined) columns.finished_at = change.finishedAt;
  return columns;
}

function runColumns(change: RunChange, state?: DeployRunState) {
  const to = change.state ?? state;
  return {
    ...(change.plan !== undefined ? { plan: JSON.stringify(change.plan) } : {}),
    ...(change.fingerprint !== undefined
      ? { fingerprint: change.fingerprint }
      : {}),
    ...(change.state !== undefined ? { state: change.state } : {}),
    ...(change.wakeAt !== undefined ? { wake_at: change.wakeAt } : {}),
    ...(change.pausedReason !== undefined
      ? { paused_reason: change.pausedReason }
      : {}),
    ...(change.updatedAt !== undefined ? { updated_at: change.updatedAt } : {}),
    // A run that is over frees its release for the next one.
    ...(change.state !== undefined && to && !activeRunStates.includes(to)
      ? { active_release_id: null }
      : {}),
  };
}

/**
 * Deploy runs and their steps in the plugin's database. A backend claims a run with one conditional
 * update and records a step's result only while it still holds the claim, so of two backends at
 * most one ever records a step. Writes that go with an audit row take the caller's transaction.
 */
export class DeployRunStore {
  constructor(private readonly knex: Knex) {}

  async insert(tx: Knex.Transaction, run: DeployRun): Promise<void> {
    await tx<RunRow>('deploy_runs').insert({
      id: run.id,
      release_id: run.releaseId,
      environment: run.environment,
      kind: run.kind,
      plan: JSON.stringify(run.plan),
      fingerprint: run.fingerprint,
      state: run.state,
      started_by: run.startedBy,
      active_release_id: activeRunStates.includes(run.state)
        ? run.releaseId
        : null,
      lease_owner: null,
      lease_expires_at: null,
      wake_at: run.wakeAt ?? null,
      revision: run.revision,
      created_at: run.createdAt,
      updated_at: run.updatedAt,
    });
    // An abort with nothing in flight has no step to store.
    if (run.steps.length === 0) return;
    await tx<StepRow>('deploy_steps').insert(
      run.steps.map(s => ({
        run_id: run.id,
        index: s.index,
        step_id: s.stepId,
        kind: s.kind,
        state: s.state,
        outputs: null,
        attempts: 0,
        last_error: null,
        waiting_reason: null,
        readings: null,
        skip_reason: null,
        wake_at: null,
        started_at: null,
        finished_at: null,
      })),
    );
  }

  async get(
    id: string,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<DeployRun | undefined> {
    const row = await db<RunRow>('deploy_runs').where({ id }).first();
    return row ? this.withSteps(row, db) : undefined;
  }

  /** The run, its row locked until the transaction ends (PostgreSQL; SQLite writes one at a time). */
  async lock(tx: Knex.Transaction, id: string): Promise<DeployRun | undefined> {
    const query = tx<RunRow>('deploy_runs').where({ id }).first();
    if (tx.client.config.client === 'pg') query.forUpdate();
    const row = await query;
    return row ? this.withSteps(row, tx) : undefined;
  }

  /** The run of a release that is not over, if any. */
  async active(
    releaseId: string,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<DeployRun | undefined> {
    const row = await db<RunRow>('deploy_runs')
      .where({ active_release_id: releaseId })
      .first();
    return row ? this.withSteps(row, db) : undefined;
  }

  /** A release's runs, newest first. */
  async listFor(releaseId: string): Promise<DeployRun[]> {
    const rows = await this.knex<RunRow>('deploy_runs')
      .where({ release_id: releaseId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return Promise.all(rows.map(r => this.withSteps(r, this.knex)));
  }

  /** Runs due by `now` that no other backend holds, the longest waiting first. */
  async due(owner: string, now: number, limit: number): Promise<string[]> {
    const rows = await this.knex<RunRow>('deploy_runs')
      .select('id')
      .whereIn('state', ['running', 'waiting'])
      .andWhere('wake_at', '<=', now)
      .andWhere(free =>
        free
          .whereNull('lease_owner')
          .orWhere('lease_owner', owner)
          .orWhere('lease_expires_at', '<', now),
      )
      .orderBy('wake_at', 'asc')
      .limit(limit);
    return rows.map(r => r.id);
  }

  /** Waiting runs, of one environment when given. */
  async waiting(environment?: string): Promise<string[]> {
    const query = this.knex<RunRow>('deploy_runs')
      .select('id')
      .where({ state: 'waiting' });
    if (environment) query.andWhere({ environment });
    return (await query).map(r => r.id);
  }

  /**
   * Takes the run for `owner` until `now + leaseMs` when nobody else holds it or their lease has
   * expired; `dueBy` also asks that the run be due. One statement: of two backends, one wins.
   */
  async claim(
    id: string,
    owner: string,
    now: number,
    leaseMs: number,
    dueBy?: number,
  ): Promise<boolean> {
    const query = this.knex<RunRow>('deploy_runs')
      .where({ id })
      .whereIn('state', ['running', 'waiting'])
      .andWhere(free =>
        free
          .whereNull('lease_owner')
          .orWhere('lease_owner', owner)
          .orWhere('lease_expires_at', '<', now),
      );
    if (dueBy !== undefined) query.andWhere('wake_at', '<=', dueBy);
    const count = await query.update({
      lease_owner: owner,
      lease_expires_at: now + leaseMs,
    });
    return count === 1;
  }

  /** Extends the owner's lease; false when another backend has taken it. */
  async renew(
    id: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean> {
    const count = await this.knex<RunRow>('deploy_runs')
      .where({ id, lease_owner: owner })
      .update({ lease_expires_at: now + leaseMs });
    return count === 1;
  }

  /** Lets any backend take the run at once. */
  async release(id: string, owner: string): Promise<void> {
    await this.knex<RunRow>('deploy_runs')
      .where({ id, lease_owner: owner })
      .update({ lease_owner: null, lease_expires_at: null });
  }

  /**
   * Writes the run and its step as the lease holder: the update checks the lease, so a backend
   * whose lease was taken writes nothing and gets {@link LeaseLost}.
   */
  async recordUnderLease(
    tx: Knex | Knex.Transaction,
    lease: { runId: string; owner: string; now: number; leaseMs: number },
    run: RunChange,
    step?: { index: number; change: StepChange },
  ): Promise<void> {
    const count = await tx<RunRow>('deploy_runs')
      .where({ id: lease.runId, lease_owner: lease.owner })
      .update({
        ...runColumns(run),
        lease_expires_at: lease.now + lease.leaseMs,
        revision: tx.raw('revision + 1'),
      });
    if (count !== 1) throw new LeaseLost(lease.runId);
    if (step) await this.updateStep(tx, lease.runId, step.index, step.change);
  }

  /** Writes a person's change of a run read locked at `revision`; false when it changed meanwhile. */
  async update(
    tx: Knex.Transaction,
    id: string,
    revision: number,
    run: RunChange,
    step?: { index: number; change: StepChange },
  ): Promise<boolean> {
    const count = await tx<RunRow>('deploy_runs')
      .where({ id, revision })
      .update({ ...runColumns(run), revision: revision + 1 });
    if (count !== 1) return false;
    if (step) await this.updateStep(tx, id, step.index, step.change);
    return true;
  }

  private async updateStep(
    tx: Knex | Knex.Transaction,
    runId: string,
    index: number,
    change: StepChange,
  ) {
    const columns = stepColumns(change);
    if (Object.keys(columns).length === 0) return;
    await tx<StepRow>('deploy_steps')
      .where({ run_id: runId, index })
      .update(columns);
  }

  private async withSteps(
    row: RunRow,
    db: Knex | Knex.Transaction,
  ): Promise<DeployRun> {
    const steps = await db<StepRow>('deploy_steps')
      .where({ run_id: row.id })
      .orderBy('index', 'asc');
    return toRun(row, steps);
  }
}
