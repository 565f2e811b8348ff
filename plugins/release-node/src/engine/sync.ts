import type { DeployPlanStep } from '@internal/plugin-release-common';
import {
  summarizeApplication,
  type ArgoCdAppState,
} from '../argocd/ArgoCdClient';
import { ArgoCdError } from '../argocd/errors';
import { leaseLost, type Unfinished } from './failures';
import type {
  StepContext,
  StepOutputs,
  StepSettings,
  StepSyncOutput,
} from './types';

const short = (sha: string) => sha.slice(0, 8);

/**
 * Whether the app's synced revision holds the commit: the commit itself, or a later commit of the
 * IaC branch that has it among its ancestors.
 */
export async function revisionHolds(
  ctx: Pick<StepContext, 'gitlab' | 'plan'>,
  synced: string | undefined,
  commit: string,
  parents: string[] = [],
): Promise<boolean> {
  if (!synced) return false;
  if (synced === commit) return true;
  // The revision the step committed on top of: known without asking GitLab.
  if (parents.includes(synced)) return false;
  return ctx.gitlab.holds(ctx.plan.iac.project, synced, commit);
}

/** The operation key of the portal's n-th sync of an app in a step: the same after a restart. */
export function syncOperationKey(
  releaseId: string,
  stepId: string,
  app: string,
  attempt: number,
): string {
  return `${syncKeyPrefix(releaseId, stepId, app)}${attempt}`;
}

function syncKeyPrefix(releaseId: string, stepId: string, app: string) {
  return `release/${releaseId}/${stepId}/${app}#`;
}

function startedBy(state: ArgoCdAppState): string {
  if (state.operation?.automated) return 'automated sync';
  return state.operation?.initiatedBy ?? 'someone else';
}

/**
 * The sync part of a step, one app after the other: an app that already runs a revision holding
 * the step's commit is left alone; an operation running on it is waited for (the portal never
 * terminates one it did not start); else it is synced to the commit, after a hard refresh when
 * Argo CD has not seen the commit yet, and synced again (bounded) when the sync did not land.
 */
export async function runSync(
  step: DeployPlanStep,
  ctx: StepContext,
  outputs: StepOutputs,
  settings: StepSettings,
  now: () => number,
): Promise<Unfinished | undefined> {
  if (!step.sync.length) return undefined;
  const revision = outputs.git?.sha;
  if (!revision) {
    return {
      status: 'failed',
      error: `${step.id} syncs ${step.sync.join(
        ', ',
      )} but has no commit to sync to`,
      retryable: false,
      outputs,
    };
  }
  outputs.sync ??= {};
  for (const app of step.sync) {
    const record = (outputs.sync[app] ??= { attempts: 0 });
    if (record.syncedRevision) continue;
    const unfinished = await syncApp(
      app,
      revision,
      record,
      step,
      ctx,
      outputs,
      settings,
      now,
    );
    if (unfinished) return unfinished;
  }
  return undefined;
}

async function syncApp(
  app: string,
  revision: string,
  record: StepSyncOutput,
  step: DeployPlanStep,
  ctx: StepContext,
  outputs: StepOutputs,
  settings: StepSettings,
  now: () => number,
): Promise<Unfinished | undefined> {
  const { argocd } = ctx;
  const label = `${argocd.instance}/${app}`;
  const prefix = syncKeyPrefix(ctx.plan.releaseId, step.id, app);
  const state = summarizeApplication(
    argocd.instance,
    await argocd.getApplication(app),
  );
  const key = state.operation?.operationKey;
  const own = key?.startsWith(prefix)
    ? Number(key.slice(prefix.length))
    : undefined;
  // A sync the portal started and then lost the record of (a restart) still counts as its own.
  if (own !== undefined && Number.isInteger(own) && own > record.attempts) {
    record.attempts = own;
  }
  const since = (record.since ??= now());
  const waited = now() - since;
  const reading = {
    name: app,
    ok: false,
    detail: `${state.syncStatus}/${state.healthStatus}, synced ${
      state.syncedRevision ? short(state.syncedRevision) : 'nothing'
    }`,
  };
  const waiting = (reason: string): Unfinished => {
    if (waited >= settings.syncTimeoutMs) {
      return {
        status: 'failed',
        error: `Argo CD: ${reason}, for ${Math.round(
          waited / 60_000,
        )} min; the portal gives up waiting and terminates nothing`,
        retryable: false,
        system: 'Argo CD',
        readings: { checks: [reading] },
        outputs,
      };
    }
    return {
      status: 'waiting',
      reason,
      readings: {
        checks: [reading],
        timeoutLeftMs: settings.syncTimeoutMs - waited,
      },
      wakeAfterMs: settings.pollMs,
      outputs,
    };
  };

  if (state.operation?.running) {
    if (own !== undefined) {
      return waiting(`${label} is syncing to ${short(revision)}`);
    }
    return waiting(
      `another operation is in progress on ${label} (started by ${startedBy(
        state,
      )}); waiting for it, never terminating it`,
    );
  }
  if (
    await revisionHolds(
      ctx,
      state.syncedRevision,
      revision,
      outputs.git?.parents,
    )
  ) {
    record.syncedRevision = state.syncedRevision;
    delete record.since;
    return undefined;
  }
  if (record.attempts >= settings.syncAttempts) {
    const last = state.operation
      ? `; the last operation ${state.operation.phase}${
          state.operation.message ? `: ${state.operation.message}` : ''
        }`
      : '';
    return {
      status: 'failed',
      error: `Argo CD: ${label} does not run ${short(revision)} after ${
        record.attempts
      } syncs by the portal${last}`,
      retryable: false,
      system: 'Argo CD',
      readings: { checks: [reading] },
      outputs,
    };
  }
  const lost = leaseLost(ctx, outputs);
  if (lost) return lost;
  if (state.comparedRevision !== revision) await argocd.hardRefresh(app);
  const attempt = record.attempts + 1;
  try {
    await argocd.sync(app, {
      // Argo CD refuses a revision other than the target under automated sync; the target holds it.
      ...(state.autoSync ? {} : { revision }),
      operationKey: syncOperationKey(ctx.plan.releaseId, step.id, app, attempt),
      busyTimeoutMs: 0,
    });
  } catch (e) {
    if (e instanceof ArgoCdError && e.reason === 'operation-in-progress') {
      return waiting(
        `another operation is in progress on ${label}; waiting for it, never terminating it`,
      );
    }
    throw e;
  }
  record.attempts = attempt;
  ctx.logger?.info(
    `${step.id}: syncing ${label} to ${short(revision)} (sync ${attempt})`,
  );
  return waiting(`${label} is syncing to ${short(revision)}`);
}
