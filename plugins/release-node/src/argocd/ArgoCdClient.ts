import type { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { fetchWithRetry, type RetryPolicy } from '../http/retry';
import type { SystemError } from '../http/SystemError';
import type { ArgoCdInstanceConfig } from './config';
import { defaultArgoCdApps } from './config';
import { describeDestination, isDestinationPermitted } from './destinations';
import {
  ARGOCD_SYSTEM,
  ArgoCdError,
  errorDetail,
  reasonFor,
  redact,
} from './errors';
import type {
  applicationApplicationRollbackRequest,
  applicationApplicationSyncRequest,
  applicationResourceActionRunRequestV2,
  applicationResourceActionsListResponse,
  v1alpha1Application,
  v1alpha1ApplicationList,
  v1alpha1ApplicationTree,
  v1alpha1AppProject,
  v1alpha1Operation,
  v1alpha1OperationState,
  v1alpha1SyncOperationResource,
} from './types';
import {
  ArgoCdApplicationWatcher,
  watchApplicationStream,
  type ArgoCdWatchEvent,
  type ArgoCdWatchOptions,
} from './watch';

/**
 * The name of the `infos` entry the portal puts on every sync it starts; its value is the
 * operation key. Argo CD copies it to `operation.info`, which is how the portal recognises its own
 * operations (with `initiatedBy.username` when the instance's username is configured).
 *
 * @public
 */
export const PORTAL_OPERATION_INFO = 'kop-release-portal';

/** @public */
export interface ArgoCdClientOptions {
  instance: Pick<ArgoCdInstanceConfig, 'name' | 'url' | 'token'> &
    Partial<
      Pick<ArgoCdInstanceConfig, 'timeoutMs' | 'username' | 'apps' | 'webUrl'>
    >;
  fetchImpl?: typeof fetch;
  /** Injected for tests; used for backoff, Retry-After and polling. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  retry?: RetryPolicy;
  pollIntervalMs?: number;
  busyTimeoutMs?: number;
  operationTimeoutMs?: number;
  logger?: Pick<LoggerService, 'info' | 'warn'>;
}

/** @public */
export interface ArgoCdSyncOptions {
  /** Git revision to sync to; the app's targetRevision when absent. */
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: v1alpha1SyncOperationResource[];
  /**
   * Names this sync (e.g. `release-42/step-3`) so it can be found again: a sync whose key is already
   * running or was the last operation is not started twice. A random key when absent.
   */
  operationKey?: string;
  /** Longest wait for someone else's operation (ms). */
  busyTimeoutMs?: number;
}

/** @public */
export interface ArgoCdOperationStarted {
  instance: string;
  app: string;
  operationKey: string;
  /** True when this key's operation was already running or done, so nothing new was started. */
  alreadyStarted: boolean;
  application: v1alpha1Application;
}

/** @public */
export interface ArgoCdResourceRef {
  kind: string;
  name: string;
  namespace?: string;
  group?: string;
  version?: string;
}

/** What the portal shows and gates on, read from one Application. @public */
export interface ArgoCdAppState {
  instance: string;
  name: string;
  project?: string;
  syncStatus: string;
  healthStatus: string;
  healthMessage?: string;
  /** The revision the last sync applied. */
  syncedRevision?: string;
  /** The revision Argo CD last compared the live state with (the target branch's head). */
  comparedRevision?: string;
  targetRevision?: string;
  images: string[];
  resources: Array<{
    group?: string;
    kind?: string;
    namespace?: string;
    name?: string;
    status?: string;
    health?: string;
  }>;
  autoSync: boolean;
  conditions: string[];
  operation?: {
    phase: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    initiatedBy?: string;
    automated: boolean;
    /** The portal's key when the portal started it. */
    operationKey?: string;
    running: boolean;
  };
}

/** One line of a system check. @public */
export interface ArgoCdCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** @public */
export interface ArgoCdCheckReport {
  system: typeof ARGOCD_SYSTEM;
  ok: boolean;
  checks: ArgoCdCheck[];
}

const RUNNING_PHASES = new Set(['Running', 'Terminating']);

const sleepReal = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/** The operation an app has pending or running, if any. @public */
export function runningOperation(
  app: v1alpha1Application,
): v1alpha1Operation | undefined {
  if (app.operation) return app.operation;
  const state = app.status?.operationState;
  if (state && RUNNING_PHASES.has(state.phase ?? '')) {
    return state.operation ?? {};
  }
  return undefined;
}

/** The portal's key on an operation, when the portal started it. @public */
export function portalOperationKey(
  operation: v1alpha1Operation | undefined,
): string | undefined {
  return operation?.info?.find(i => i.name === PORTAL_OPERATION_INFO)?.value;
}

/** Whether automated sync is on (an `automated` block not explicitly disabled). @public */
export function isAutoSyncEnabled(app: v1alpha1Application): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return !!automated && automated.enabled !== false;
}

/**
 * Why the portal refuses an Argo CD rollback of this app, or undefined when it may roll back: with
 * automated sync on, Argo CD puts git's revision back at once, so the rollback is a git commit.
 *
 * @public
 */
export function argocdRollbackRefusal(
  app: v1alpha1Application,
): string | undefined {
  if (!isAutoSyncEnabled(app)) return undefined;
  return `Argo CD auto-sync would undo a rollback of ${
    app.metadata?.name ?? 'the app'
  }; the rollback goes through a git commit instead`;
}

/**
 * Summarises one Application (from a get, a list or a watch event) for the dashboard and gates.
 *
 * @public
 */
export function summarizeApplication(
  instance: string,
  app: v1alpha1Application,
): ArgoCdAppState {
  const status = app.status ?? {};
  const state = status.operationState;
  const op = runningOperation(app) ?? state?.operation;
  const history = status.history ?? [];
  const syncedRevision =
    (state?.phase === 'Succeeded' && !state.operation?.sync?.dryRun
      ? state.syncResult?.revision
      : undefined) ?? history[history.length - 1]?.revision;
  return {
    instance,
    name: app.metadata?.name ?? '',
    project: app.spec?.project,
    syncStatus: status.sync?.status ?? 'Unknown',
    healthStatus: status.health?.status ?? 'Unknown',
    healthMessage: status.health?.message,
    syncedRevision,
    comparedRevision: status.sync?.revision,
    targetRevision: app.spec?.source?.targetRevision,
    images: status.summary?.images ?? [],
    resources: (status.resources ?? []).map(r => ({
      group: r.group,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      status: r.status,
      health: r.health?.status,
    })),
    autoSync: isAutoSyncEnabled(app),
    conditions: (status.conditions ?? []).map(
      c => `${c.type ?? 'Condition'}: ${c.message ?? ''}`,
    ),
    operation:
      state || app.operation
        ? {
            phase: app.operation && !state ? 'Pending' : state?.phase ?? '',
            message: state?.message,
            startedAt: state?.startedAt,
            finishedAt: state?.finishedAt,
            initiatedBy: op?.initiatedBy?.username,
            automated: !!op?.initiatedBy?.automated,
            operationKey: portalOperationKey(op),
            running: !!runningOperation(app),
          }
        : undefined,
  };
}

/** Pods of an app's resource tree: how many there are and how many are ready. @public */
export function countPods(tree: v1alpha1ApplicationTree): {
  total: number;
  ready: number;
} {
  const pods = (tree.nodes ?? []).filter(
    n => n.kind === 'Pod' && (n.group ?? '') === '',
  );
  const ready = pods.filter(p => {
    const containers = p.info?.find(i => i.name === 'Containers')?.value;
    if (containers) {
      const [up, all] = containers.split('/').map(Number);
      return all > 0 && up === all && p.health?.status === 'Healthy';
    }
    return p.health?.status === 'Healthy';
  }).length;
  return { total: pods.length, ready };
}

/**
 * A typed client of one Argo CD API server (the subset of its API the portal needs). Every call has
 * a timeout and bounded retries honouring Retry-After; errors read "Argo CD: <action> failed ..."
 * and never carry the token.
 *
 * @public
 */
export class ArgoCdClient {
  readonly instance: string;
  private readonly url: string;
  private readonly webUrl: string;
  private readonly token: string;
  private readonly username?: string;
  private readonly apps: string[];
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly retry?: RetryPolicy;
  private readonly pollIntervalMs: number;
  private readonly busyTimeoutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly logger?: Pick<LoggerService, 'info' | 'warn'>;

  constructor(options: ArgoCdClientOptions) {
    this.instance = options.instance.name;
    this.url = options.instance.url.replace(/\/+$/, '');
    this.webUrl = (options.instance.webUrl ?? this.url).replace(/\/+$/, '');
    this.token = options.instance.token;
    this.username = options.instance.username;
    this.apps = options.instance.apps ?? defaultArgoCdApps;
    this.timeoutMs = options.instance.timeoutMs ?? 15_000;
    this.fetchImpl =
      options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? sleepReal;
    this.now = options.now ?? Date.now;
    this.retry = options.retry;
    this.pollIntervalMs = options.pollIntervalMs ?? 3000;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 15 * 60_000;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 30 * 60_000;
    this.logger = options.logger;
  }

  /** Where a person sees an app in the Argo CD UI. */
  applicationUrl(name: string): string {
    return `${this.webUrl}/applications/${encodeURIComponent(name)}`;
  }

  // ---------------------------------------------------------------- reads

  /** Apps by name(s), label selector and/or project. */
  async listApplications(
    filter: { names?: string[]; selector?: string; projects?: string[] } = {},
  ): Promise<v1alpha1Application[]> {
    const query = new URLSearchParams();
    if (filter.names?.length === 1) query.set('name', filter.names[0]);
    if (filter.selector) query.set('selector', filter.selector);
    for (const p of filter.projects ?? []) query.append('projects', p);
    const list = await this.request<v1alpha1ApplicationList>(
      'list applications',
      'GET',
      '/api/v1/applications',
      { query },
    );
    const items = list.items ?? [];
    if (!filter.names || filter.names.length < 2) return items;
    const wanted = new Set(filter.names);
    return items.filter(a => wanted.has(a.metadata?.name ?? ''));
  }

  async getApplication(
    name: string,
    options: { refresh?: 'normal' | 'hard' } = {},
  ): Promise<v1alpha1Application> {
    const query = new URLSearchParams();
    if (options.refresh) query.set('refresh', options.refresh);
    return this.request<v1alpha1Application>(
      `${options.refresh === 'hard' ? 'hard refresh' : 'get'} ${this.label(
        name,
      )}`,
      'GET',
      `/api/v1/applications/${encodeURIComponent(name)}`,
      { query },
    );
  }

  async getApplicationState(name: string): Promise<ArgoCdAppState> {
    return summarizeApplication(this.instance, await this.getApplication(name));
  }

  /** Makes Argo CD re-read git and re-compare (`?refresh=hard`), e.g. right after an IaC commit. */
  async hardRefresh(name: string): Promise<v1alpha1Application> {
    return this.getApplication(name, { refresh: 'hard' });
  }

  async getResourceTree(name: string): Promise<v1alpha1ApplicationTree> {
    return this.request<v1alpha1ApplicationTree>(
      `get resource tree of ${this.label(name)}`,
      'GET',
      `/api/v1/applications/${encodeURIComponent(name)}/resource-tree`,
    );
  }

  async getProject(name: string): Promise<v1alpha1AppProject> {
    return this.request<v1alpha1AppProject>(
      `get project ${this.instance}/${name}`,
      'GET',
      `/api/v1/projects/${encodeURIComponent(name)}`,
    );
  }

  // ---------------------------------------------------------- operations

  /**
   * Starts a sync. When another operation runs on the app (Argo CD's "another operation is already
   * in progress"), waits for it by polling — it never terminates an operation it did not start —
   * then syncs; gives up after busyTimeoutMs.
   */
  async sync(
    name: string,
    options: ArgoCdSyncOptions = {},
  ): Promise<ArgoCdOperationStarted> {
    const operationKey = options.operationKey ?? randomUUID();
    const body: applicationApplicationSyncRequest = {
      name,
      revision: options.revision,
      prune: options.prune ?? false,
      dryRun: options.dryRun ?? false,
      resources: options.resources,
      infos: [{ name: PORTAL_OPERATION_INFO, value: operationKey }],
    };
    return this.startOperation(
      `sync ${this.label(name)}`,
      name,
      operationKey,
      !!options.operationKey,
      options.busyTimeoutMs,
      () =>
        this.request<v1alpha1Application>(
          `sync ${this.label(name)}`,
          'POST',
          `/api/v1/applications/${encodeURIComponent(name)}/sync`,
          { body, idempotent: false },
        ),
    );
  }

  /**
   * Rolls back to a history entry (the one before the current when `id` is absent). Refused before
   * any write when automated sync is on ({@link argocdRollbackRefusal}): revert in git instead.
   * Argo CD's rollback request carries no `infos`, so the portal recognises this operation only by
   * the instance's username.
   */
  async rollback(
    name: string,
    options: {
      id?: number;
      dryRun?: boolean;
      prune?: boolean;
      busyTimeoutMs?: number;
    } = {},
  ): Promise<ArgoCdOperationStarted & { id: number; revision?: string }> {
    const action = `rollback ${this.label(name)}`;
    const app = await this.getApplication(name);
    const refusal = argocdRollbackRefusal(app);
    if (refusal) {
      throw new ArgoCdError({
        instance: this.instance,
        action,
        reason: 'auto-sync-enabled',
        detail: refusal,
      });
    }
    const history = app.status?.history ?? [];
    const target =
      options.id === undefined
        ? history[history.length - 2]
        : history.find(h => h.id === options.id);
    if (!target || target.id === undefined) {
      throw new ArgoCdError({
        instance: this.instance,
        action,
        reason: 'failed',
        detail:
          options.id === undefined
            ? 'there is no earlier deployment in the history'
            : `there is no deployment with id ${options.id} in the history`,
      });
    }
    const body: applicationApplicationRollbackRequest = {
      name,
      id: target.id,
      dryRun: options.dryRun ?? false,
      prune: options.prune ?? false,
    };
    // A rollback carries no infos, so it has no portal key to find it by.
    const started = await this.startOperation(
      action,
      name,
      '',
      false,
      options.busyTimeoutMs,
      () =>
        this.request<v1alpha1Application>(
          action,
          'POST',
          `/api/v1/applications/${encodeURIComponent(name)}/rollback`,
          { body, idempotent: false },
        ),
    );
    return { ...started, id: target.id, revision: target.revision };
  }

  /**
   * Polls until the app's operation has finished and returns its final state (Succeeded, Failed or
   * Error); with an operation key, checks that the finished operation is that one.
   */
  async waitForOperation(
    name: string,
    options: { operationKey?: string; timeoutMs?: number } = {},
  ): Promise<v1alpha1OperationState> {
    const action = `wait for the operation on ${this.label(name)}`;
    const timeoutMs = options.timeoutMs ?? this.operationTimeoutMs;
    const deadline = this.now() + timeoutMs;
    for (;;) {
      const app = await this.getApplication(name);
      const state = app.status?.operationState;
      if (!runningOperation(app) && state?.phase) {
        if (
          options.operationKey &&
          portalOperationKey(state.operation) !== options.operationKey
        ) {
          throw new ArgoCdError({
            instance: this.instance,
            action,
            reason: 'failed',
            detail: `the last operation is not the portal's '${options.operationKey}'`,
          });
        }
        return state;
      }
      if (this.now() >= deadline) {
        throw new ArgoCdError({
          instance: this.instance,
          action,
          reason: 'timeout',
          retryable: true,
          detail: `still ${state?.phase ?? 'pending'} after ${Math.round(
            timeoutMs / 1000,
          )} s`,
        });
      }
      await this.sleep(this.pollIntervalMs);
    }
  }

  /** Polls until the app reports the health (and, by default, Synced) asked for. */
  async waitForHealth(
    name: string,
    options: { health?: string; synced?: boolean; timeoutMs?: number } = {},
  ): Promise<ArgoCdAppState> {
    const want = options.health ?? 'Healthy';
    const timeoutMs = options.timeoutMs ?? this.operationTimeoutMs;
    const deadline = this.now() + timeoutMs;
    for (;;) {
      const state = await this.getApplicationState(name);
      if (
        state.healthStatus === want &&
        (options.synced === false || state.syncStatus === 'Synced') &&
        !state.operation?.running
      ) {
        return state;
      }
      if (this.now() >= deadline) {
        throw new ArgoCdError({
          instance: this.instance,
          action: `wait for ${this.label(name)} to be ${want}`,
          reason: 'timeout',
          retryable: true,
          detail: `still ${state.healthStatus}/${
            state.syncStatus
          } after ${Math.round(timeoutMs / 1000)} s`,
        });
      }
      await this.sleep(this.pollIntervalMs);
    }
  }

  /**
   * Terminates the running operation only when the portal started it (its info entry, with the
   * given key when one is given, and the instance's username when configured). Anything else is
   * refused without a write.
   */
  async terminateOperation(
    name: string,
    options: { operationKey?: string } = {},
  ): Promise<void> {
    const action = `terminate the operation on ${this.label(name)}`;
    const app = await this.getApplication(name);
    const op = runningOperation(app);
    if (!op) {
      throw new ArgoCdError({
        instance: this.instance,
        action,
        reason: 'no-operation',
        detail: 'no operation is in progress',
      });
    }
    if (!this.isPortalOperation(op, options.operationKey)) {
      const by = op.initiatedBy?.automated
        ? 'automated sync'
        : op.initiatedBy?.username ?? 'someone else';
      throw new ArgoCdError({
        instance: this.instance,
        action,
        reason: 'not-ours',
        detail: `the running operation was started by ${by}, not by this portal${
          options.operationKey ? ` as '${options.operationKey}'` : ''
        }; the portal terminates only its own operations`,
      });
    }
    // Argo CD has no conditional terminate: the check above and this call are as close as it allows.
    await this.request(
      action,
      'DELETE',
      `/api/v1/applications/${encodeURIComponent(name)}/operation`,
      { idempotent: false },
    );
  }

  /** Whether the portal started this operation. */
  isPortalOperation(
    operation: v1alpha1Operation | undefined,
    operationKey?: string,
  ): boolean {
    if (!operation || operation.initiatedBy?.automated) return false;
    if (this.username && operation.initiatedBy?.username !== this.username) {
      return false;
    }
    const key = portalOperationKey(operation);
    if (operationKey !== undefined) return key === operationKey;
    return key !== undefined || !!this.username;
  }

  // ---------------------------------------------------- resource actions

  async listResourceActions(
    name: string,
    resource: ArgoCdResourceRef,
  ): Promise<string[]> {
    const query = new URLSearchParams();
    query.set('resourceName', resource.name);
    query.set('kind', resource.kind);
    if (resource.namespace) query.set('namespace', resource.namespace);
    if (resource.group) query.set('group', resource.group);
    if (resource.version) query.set('version', resource.version);
    const res = await this.request<applicationResourceActionsListResponse>(
      `list actions of ${resource.kind} ${resource.name} in ${this.label(
        name,
      )}`,
      'GET',
      `/api/v1/applications/${encodeURIComponent(name)}/resource/actions`,
      { query },
    );
    return (res.actions ?? [])
      .filter(a => !a.disabled && a.name)
      .map(a => a.name!);
  }

  /**
   * Runs a resource action, e.g. `restart` on a Deployment or `resume` / `abort` /
   * `promote-full` on an Argo Rollouts Rollout (kind Rollout, group argoproj.io).
   */
  async runResourceAction(
    name: string,
    resource: ArgoCdResourceRef,
    actionName: string,
    parameters: Record<string, string> = {},
  ): Promise<void> {
    const body: applicationResourceActionRunRequestV2 = {
      name,
      namespace: resource.namespace,
      resourceName: resource.name,
      kind: resource.kind,
      group: resource.group ?? '',
      version: resource.version,
      action: actionName,
      resourceActionParameters: Object.entries(parameters).map(
        ([k, value]) => ({ name: k, value }),
      ),
    };
    await this.request(
      `run action ${actionName} on ${resource.kind} ${
        resource.name
      } in ${this.label(name)}`,
      'POST',
      `/api/v1/applications/${encodeURIComponent(name)}/resource/actions/v2`,
      { body, idempotent: false },
    );
  }

  // ---------------------------------------------------------------- watch

  /** The application stream; see {@link ArgoCdWatchOptions}. */
  watchApplications(
    options: ArgoCdWatchOptions = {},
  ): AsyncGenerator<ArgoCdWatchEvent, void, undefined> {
    return watchApplicationStream(
      {
        instance: this.instance,
        url: this.url,
        token: this.token,
        timeoutMs: this.timeoutMs,
        fetchImpl: this.fetchImpl,
        sleep: this.sleep,
      },
      options,
    );
  }

  /** The application stream as an EventEmitter (call `start()`). */
  createWatcher(
    options: Omit<ArgoCdWatchOptions, 'signal' | 'onConnect' | 'onError'> = {},
  ): ArgoCdApplicationWatcher {
    return new ArgoCdApplicationWatcher(
      o => this.watchApplications(o),
      options,
    );
  }

  // ---------------------------------------------------------------- check

  /**
   * Per app: it exists, and its AppProject's destinations allow its destination (the app-of-apps
   * trap: a child app whose namespace the project does not list never syncs).
   */
  async check(apps: string[] = this.apps): Promise<ArgoCdCheckReport> {
    const checks: ArgoCdCheck[] = [];
    const projects = new Map<string, Promise<v1alpha1AppProject>>();
    for (const name of apps) {
      const label = this.label(name);
      let app: v1alpha1Application;
      try {
        app = await this.getApplication(name);
      } catch (e) {
        const missing = (e as ArgoCdError).reason === 'not-found';
        checks.push({
          name: `${label} exists`,
          ok: false,
          detail: missing
            ? `no app ${name} that the token may read`
            : (e as Error).message,
        });
        continue;
      }
      const state = summarizeApplication(this.instance, app);
      checks.push({
        name: `${label} exists`,
        ok: true,
        detail: `${state.syncStatus}/${state.healthStatus}${
          state.conditions.length ? `; ${state.conditions.join('; ')}` : ''
        }`,
      });
      const projectName = app.spec?.project || 'default';
      if (!projects.has(projectName)) {
        projects.set(projectName, this.getProject(projectName));
      }
      const destination = app.spec?.destination;
      try {
        const project = await projects.get(projectName)!;
        const ok = isDestinationPermitted(
          project.spec?.destinations,
          destination,
        );
        checks.push({
          name: `${label} destination allowed by project ${projectName}`,
          ok,
          detail: ok
            ? describeDestination(destination)
            : `project ${projectName} allows ${
                (project.spec?.destinations ?? [])
                  .map(describeDestination)
                  .join(', ') || 'no destination'
              }, not ${describeDestination(destination)}`,
        });
      } catch (e) {
        checks.push({
          name: `${label} destination allowed by project ${projectName}`,
          ok: false,
          detail: (e as Error).message,
        });
      }
    }
    return { system: ARGOCD_SYSTEM, ok: checks.every(c => c.ok), checks };
  }

  // ------------------------------------------------------------- internals

  private label(app: string): string {
    return `${this.instance}/${app}`;
  }

  private async startOperation(
    action: string,
    name: string,
    operationKey: string,
    keyGiven: boolean,
    busyTimeoutMs: number | undefined,
    post: () => Promise<v1alpha1Application>,
  ): Promise<ArgoCdOperationStarted> {
    const waitMs = busyTimeoutMs ?? this.busyTimeoutMs;
    const deadline = this.now() + waitMs;
    const started = (application: v1alpha1Application, already: boolean) => ({
      instance: this.instance,
      app: name,
      operationKey,
      alreadyStarted: already,
      application,
    });
    let announced = false;
    for (;;) {
      const app = await this.getApplication(name);
      const running = runningOperation(app);
      if (running) {
        if (keyGiven && portalOperationKey(running) === operationKey) {
          return started(app, true);
        }
        if (!announced) {
          announced = true;
          this.logger?.info(
            `Argo CD ${this.label(
              name,
            )}: another operation is in progress (started by ${
              running.initiatedBy?.automated
                ? 'automated sync'
                : running.initiatedBy?.username ?? 'unknown'
            }); waiting for it, not terminating it`,
          );
        }
        if (this.now() >= deadline) {
          throw new ArgoCdError({
            instance: this.instance,
            action,
            reason: 'operation-in-progress',
            retryable: true,
            detail: `another operation is already in progress (started by ${
              running.initiatedBy?.username ?? 'unknown'
            }); waited ${Math.round(waitMs / 1000)} s`,
          });
        }
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      if (
        keyGiven &&
        portalOperationKey(app.status?.operationState?.operation) ===
          operationKey
      ) {
        return started(app, true);
      }
      try {
        return started(await post(), false);
      } catch (e) {
        // Lost a race with another operation: go back to waiting for it.
        if ((e as ArgoCdError).reason !== 'operation-in-progress') throw e;
        if (this.now() >= deadline) throw e;
        await this.sleep(this.pollIntervalMs);
      }
    }
  }

  private async request<T>(
    action: string,
    method: string,
    path: string,
    options: {
      query?: URLSearchParams;
      body?: unknown;
      idempotent?: boolean;
    } = {},
  ): Promise<T> {
    const qs = options.query?.toString();
    const url = `${this.url}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (options.body !== undefined)
      headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchWithRetry({
        system: ARGOCD_SYSTEM,
        action,
        url,
        init: {
          method,
          headers,
          body:
            options.body === undefined
              ? undefined
              : JSON.stringify(options.body),
        },
        timeoutMs: this.timeoutMs,
        retry: this.retry,
        idempotent: options.idempotent ?? method === 'GET',
        fetchImpl: this.fetchImpl,
        sleep: this.sleep,
        secrets: [this.token],
      });
    } catch (e) {
      // fetchWithRetry names the system and action; keep only what failed.
      throw new ArgoCdError({
        instance: this.instance,
        action,
        reason: 'failed',
        retryable: true,
        url: redact(url, [this.token]),
        detail: redact((e as SystemError).detail ?? 'no answer', [this.token]),
      });
    }
    const text = await response.text();
    if (!response.ok) {
      const detail = redact(errorDetail(text), [this.token]);
      throw new ArgoCdError({
        instance: this.instance,
        action,
        url: redact(url, [this.token]),
        reason: reasonFor(response.status, detail),
        status: response.status,
        detail,
        retryable: response.status === 429 || response.status >= 500,
      });
    }
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ArgoCdError({
        instance: this.instance,
        action,
        url: redact(url, [this.token]),
        reason: 'bad-answer',
        status: response.status,
        detail: 'the answer is not JSON',
      });
    }
  }
}
