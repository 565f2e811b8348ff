import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SandboxContext } from '../types';
import {
  IN_CLUSTER,
  type ArgoSandboxAppDefinition,
  type ArgoSandboxProject,
} from './defaults';
import type {
  ArgoSandboxAppRef,
  DesiredState,
  DesiredStateSource,
} from './desiredState';

/* Wire shapes (a subset of Argo CD's swagger definitions; the sandbox imports no plugin code). */
type Json = Record<string, unknown>;

export interface WireInfo {
  name?: string;
  value?: string;
}

export interface WireOperation {
  sync: {
    revision?: string;
    prune?: boolean;
    dryRun?: boolean;
    resources?: Json[];
    source?: Json;
  };
  initiatedBy: { username?: string; automated?: boolean };
  info?: WireInfo[];
}

export interface WireOperationState {
  operation: WireOperation;
  phase: 'Running' | 'Terminating' | 'Succeeded' | 'Failed' | 'Error';
  message?: string;
  startedAt: string;
  finishedAt?: string;
  syncResult?: { revision: string; source: Json; resources: Json[] };
}

interface WireHistory {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: Json;
  initiatedBy: { username?: string; automated?: boolean };
}

/** A failure answered the way Argo CD's grpc-gateway does: `{ error, code, message }`. */
export class ArgoApiError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}

/** gRPC codes Argo CD answers with. */
const GRPC = {
  InvalidArgument: 3,
  NotFound: 5,
  PermissionDenied: 7,
  FailedPrecondition: 9,
  Unauthenticated: 16,
};

/** Argo CD's answer to a second operation (util/argo SetAppOperation, wrapped by the server). */
export const IN_PROGRESS_MESSAGE =
  'error setting app operation: rpc error: code = FailedPrecondition desc = another operation is already in progress';

export interface SimPod {
  name: string;
  uid: string;
  image: string;
  template: string;
  createdAt: number;
  readyAt: number;
  ready: boolean;
  /** Ready for Kubernetes, but never joins the JGroups view (the fault knob). */
  neverJoins: boolean;
  timer?: NodeJS.Timeout;
}

interface Workload {
  replicas: number;
  image: string;
  template: string;
  restarts: number;
  pods: SimPod[];
}

export interface PodFaults {
  /** This many pods of the app never join the cluster view. */
  neverJoin: number;
  /** Extra start time of every new pod (ms before timeScale). */
  slowStartMs: number;
}

interface SimApp {
  def: Required<Omit<ArgoSandboxAppDefinition, 'podStartMs'>> & {
    podStartMs: number;
  };
  uid: string;
  createdAt: string;
  resourceVersion: number;
  operation?: WireOperation;
  operationState?: WireOperationState;
  operationTimers: NodeJS.Timeout[];
  pendingFinish?: () => void;
  hold: boolean;
  history: WireHistory[];
  nextHistoryId: number;
  live?: DesiredState;
  compared?: DesiredState;
  comparisonError?: string;
  lastAutoSync?: string;
  reconciling?: Promise<void>;
  reconciledAt?: string;
  health: { status: string; message?: string; since: string };
  workload: Workload;
  faults: PodFaults;
}

export interface ArgoCdSimulationOptions {
  desiredState: DesiredStateSource;
  apps: ArgoSandboxAppDefinition[];
  projects: ArgoSandboxProject[];
  /** How long a sync operation runs (ms before timeScale); default 1500. */
  operationMs?: number;
  /** Treat the first state read from git as already deployed (pods up); default true. */
  seedLive?: boolean;
  /** Where replicas and the image are in each app's values. */
  valueKeys?: {
    replicas?: string;
    imageTag?: string;
    imageRepository?: string;
  };
}

const iso = (ms: number = Date.now()) =>
  new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const hash = (text: string, length: number) =>
  createHash('sha1').update(text).digest('hex').slice(0, length);

const suffix = () => randomUUID().replace(/-/g, '').slice(0, 5);

export function valueAt(values: unknown, path: string): unknown {
  let v: unknown = values;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Json)[key];
  }
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Json)
        .sort()
        .map(k => [k, sortKeys((v as Json)[k])]),
    );
  }
  return v;
}

const RUNNING = new Set(['Running', 'Terminating']);

function glob(pattern: string | undefined, value: string): boolean {
  const p = pattern ?? '';
  const negate = p.startsWith('!');
  const re = new RegExp(
    `^${(negate ? p.slice(1) : p)
      .split('*')
      .map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value) !== negate;
}

/**
 * The simulated Argo CD controller and cluster: apps, their operations, and the pods their
 * Deployments run. Changes are announced on `changes` ('change', app key).
 */
export class ArgoCdSimulation {
  readonly changes = new EventEmitter();
  private readonly apps = new Map<string, SimApp>();
  private readonly projects: ArgoSandboxProject[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private resourceVersion = 1000;
  private closed = false;
  private seeded?: Promise<void>;
  private readonly keys: {
    replicas: string;
    imageTag: string;
    imageRepository: string;
  };

  constructor(
    private readonly context: SandboxContext,
    private readonly options: ArgoCdSimulationOptions,
  ) {
    this.changes.setMaxListeners(0);
    this.projects = options.projects;
    this.keys = {
      replicas: options.valueKeys?.replicas ?? 'replicaCount',
      imageTag: options.valueKeys?.imageTag ?? 'image.tag',
      imageRepository: options.valueKeys?.imageRepository ?? 'image.repository',
    };
    for (const d of options.apps) {
      const key = `${d.instance}/${d.name}`;
      if (this.apps.has(key)) throw new Error(`app ${key} is defined twice`);
      const now = iso();
      this.apps.set(key, {
        def: {
          instance: d.instance,
          name: d.name,
          project: d.project ?? 'kop',
          namespace: d.namespace ?? 'kop',
          server: d.server ?? IN_CLUSTER,
          repoURL:
            d.repoURL ??
            `https://gitlab.sandbox/kop/kop-deploy-${d.instance}.git`,
          path: d.path ?? d.name,
          valueFiles: d.valueFiles ?? ['values.yaml'],
          targetRevision: d.targetRevision ?? 'main',
          labels: d.labels ?? {},
          autoSync: d.autoSync ?? false,
          workload: d.workload ?? 'Deployment',
          services: d.services ?? [],
          podStartMs:
            d.podStartMs ?? (d.name.startsWith('hybris') ? 40_000 : 6_000),
        },
        uid: randomUUID(),
        createdAt: now,
        resourceVersion: ++this.resourceVersion,
        operationTimers: [],
        hold: false,
        history: [],
        nextHistoryId: 0,
        health: { status: 'Missing', since: now },
        workload: {
          replicas: 0,
          image: '',
          template: '',
          restarts: 0,
          pods: [],
        },
        faults: { neverJoin: 0, slowStartMs: 0 },
      });
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Reads every app's desired state once (lazily, so the IaC repository may be seeded first). */
  ready(): Promise<void> {
    if (!this.seeded) {
      this.seeded = Promise.all(
        [...this.apps.values()].map(a => this.reconcileApp(a)),
      ).then(() => undefined);
    }
    return this.seeded;
  }

  /** Re-reads git and re-compares, like a refresh (all apps, one instance, or one app). */
  async refresh(instance?: string, name?: string): Promise<void> {
    await this.ready();
    await Promise.all(
      [...this.apps.values()]
        .filter(
          a =>
            (!instance || a.def.instance === instance) &&
            (!name || a.def.name === name),
        )
        .map(a => this.reconcileApp(a)),
    );
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.changes.removeAllListeners();
  }

  // ---------------------------------------------------------------- reads

  instances(): string[] {
    return [...new Set([...this.apps.values()].map(a => a.def.instance))];
  }

  appNames(instance: string): string[] {
    return [...this.apps.values()]
      .filter(a => a.def.instance === instance)
      .map(a => a.def.name)
      .sort();
  }

  has(instance: string, name: string): boolean {
    return this.apps.has(`${instance}/${name}`);
  }

  labels(instance: string, name: string): Record<string, string> {
    return this.app(instance, name).def.labels;
  }

  project(instance: string, name: string): string {
    return this.app(instance, name).def.project;
  }

  /** The Application as Argo CD's API shows it. */
  application(instance: string, name: string): Json {
    return this.toWire(this.app(instance, name));
  }

  appProject(instance: string, name: string): Json {
    const project = this.projects.find(
      p => p.name === name && (!p.instance || p.instance === instance),
    );
    if (!project) {
      throw new ArgoApiError(
        404,
        GRPC.NotFound,
        `appprojects.argoproj.io "${name}" not found`,
      );
    }
    return {
      metadata: {
        name,
        namespace: 'argocd',
        uid: hash(`project/${instance}/${name}`, 32).replace(
          /^(.{8})(.{4})(.{4})(.{4})(.{12})$/,
          '$1-$2-$3-$4-$5',
        ),
        resourceVersion: '1',
        creationTimestamp: iso(0),
      },
      spec: {
        description: `kop apps in ${instance}`,
        sourceRepos: ['*'],
        destinations: project.destinations.map(d => ({ ...d })),
      },
      status: {},
    };
  }

  /** The live state of an app's workload, for the hybris stand-in and the sandbox page. */
  workload(
    instance: string,
    name: string,
  ): {
    replicas: number;
    image: string;
    /** The current pod template: pods of another one are old ones leaving. */
    template: string;
    pods: Array<Omit<SimPod, 'timer'> & { joined: boolean }>;
  } {
    const w = this.app(instance, name).workload;
    return {
      replicas: w.replicas,
      image: w.image,
      template: w.template,
      pods: w.pods.map(({ timer: _t, ...p }) => ({
        ...p,
        joined: p.ready && !p.neverJoins,
      })),
    };
  }

  /** The values the app last applied (its live state), if any. */
  liveValues(instance: string, name: string): object | undefined {
    return this.app(instance, name).live?.values;
  }

  resourceVersionOf(instance: string, name: string): number {
    return this.app(instance, name).resourceVersion;
  }

  // ------------------------------------------------------------ operations

  async sync(
    instance: string,
    name: string,
    request: {
      revision?: string;
      prune?: boolean;
      dryRun?: boolean;
      infos?: WireInfo[];
      resources?: Json[];
    },
    initiatedBy: { username?: string; automated?: boolean },
  ): Promise<Json> {
    await this.ready();
    const app = this.app(instance, name);
    if (
      app.def.autoSync &&
      !initiatedBy.automated &&
      request.revision &&
      request.revision !== app.def.targetRevision &&
      !request.dryRun
    ) {
      throw new ArgoApiError(
        400,
        GRPC.FailedPrecondition,
        `Cannot sync to ${request.revision}: auto-sync currently set to ${app.def.targetRevision}`,
      );
    }
    const asked = request.revision || app.def.targetRevision;
    const desired = await this.read(app, asked);
    if (!desired) {
      throw new ArgoApiError(
        400,
        GRPC.FailedPrecondition,
        `error resolving repo revision: rpc error: code = Unknown desc = unable to resolve '${asked}' to a commit SHA`,
      );
    }
    const op: WireOperation = {
      sync: {
        revision: desired.revision,
        prune: request.prune ?? false,
        dryRun: request.dryRun ?? false,
        ...(request.resources?.length ? { resources: request.resources } : {}),
      },
      initiatedBy,
      ...(request.infos?.length ? { info: request.infos } : {}),
    };
    this.begin(app, op, desired, asked === app.def.targetRevision);
    return this.toWire(app);
  }

  async rollback(
    instance: string,
    name: string,
    request: { id?: number; dryRun?: boolean; prune?: boolean },
    initiatedBy: { username?: string },
  ): Promise<Json> {
    await this.ready();
    const app = this.app(instance, name);
    if (app.def.autoSync) {
      throw new ArgoApiError(
        400,
        GRPC.FailedPrecondition,
        'rollback cannot be initiated when auto-sync is enabled',
      );
    }
    const entry = app.history.find(h => h.id === Number(request.id ?? 0));
    if (!entry) {
      throw new ArgoApiError(
        400,
        GRPC.InvalidArgument,
        `application ${name} does not have deployment with id ${
          request.id ?? 0
        }`,
      );
    }
    const desired = await this.read(app, entry.revision);
    if (!desired) {
      throw new ArgoApiError(
        400,
        GRPC.FailedPrecondition,
        `unable to read revision ${entry.revision}`,
      );
    }
    this.begin(
      app,
      {
        sync: {
          revision: entry.revision,
          prune: request.prune ?? false,
          dryRun: request.dryRun ?? false,
          source: entry.source,
        },
        initiatedBy,
      },
      desired,
      false,
    );
    return this.toWire(app);
  }

  terminate(instance: string, name: string): void {
    const app = this.app(instance, name);
    if (!app.operation || !app.operationState) {
      throw new ArgoApiError(
        400,
        GRPC.InvalidArgument,
        'Unable to terminate operation. No operation is in progress',
      );
    }
    app.operationTimers.forEach(t => this.cancel(t));
    app.operationTimers = [];
    app.pendingFinish = undefined;
    app.operationState.phase = 'Terminating';
    this.touch(app);
    this.later(0, () => {
      if (!app.operationState) return;
      app.operationState = {
        ...app.operationState,
        phase: 'Failed',
        message: 'Operation terminated',
        finishedAt: iso(),
      };
      app.operation = undefined;
      this.touch(app);
    });
  }

  /** Keeps operations on this app Running until released (for races and demos). */
  hold(instance: string, name: string, hold: boolean): void {
    const app = this.app(instance, name);
    app.hold = hold;
    if (!hold && app.pendingFinish) {
      const finish = app.pendingFinish;
      app.pendingFinish = undefined;
      finish();
    }
  }

  /** Restarts the workload (a new ReplicaSet; old pods leave as new ones are ready). */
  restart(instance: string, name: string): void {
    const app = this.app(instance, name);
    const w = app.workload;
    if (app.def.workload === 'none' || !app.live) {
      throw new ArgoApiError(
        400,
        GRPC.InvalidArgument,
        `${app.def.name} has no workload to restart`,
      );
    }
    w.restarts += 1;
    this.roll(app, w.replicas, w.image, true);
    this.touch(app);
  }

  setFaults(
    instance: string,
    name: string,
    faults: Partial<PodFaults>,
  ): PodFaults {
    const app = this.app(instance, name);
    app.faults = { ...app.faults, ...faults };
    const w = app.workload;
    const current = w.pods.filter(p => p.template === w.template);
    current.forEach(p => {
      if (app.faults.neverJoin === 0) p.neverJoins = false;
    });
    let marked = current.filter(p => p.neverJoins).length;
    for (const pod of current) {
      if (marked >= app.faults.neverJoin) break;
      if (!pod.ready && !pod.neverJoins) {
        pod.neverJoins = true;
        marked++;
      }
    }
    this.touch(app);
    return { ...app.faults };
  }

  faults(instance: string, name: string): PodFaults {
    return { ...this.app(instance, name).faults };
  }

  // ------------------------------------------------------------- internals

  private app(instance: string, name: string): SimApp {
    const app = this.apps.get(`${instance}/${name}`);
    if (!app) {
      // Argo CD hides whether an app exists from callers it cannot check: 403, not 404.
      throw new ArgoApiError(403, GRPC.PermissionDenied, 'permission denied');
    }
    return app;
  }

  private ref(app: SimApp): ArgoSandboxAppRef {
    return {
      instance: app.def.instance,
      name: app.def.name,
      repoURL: app.def.repoURL,
      path: app.def.path,
      valueFiles: app.def.valueFiles,
      targetRevision: app.def.targetRevision,
    };
  }

  private async read(
    app: SimApp,
    revision: string,
  ): Promise<DesiredState | undefined> {
    try {
      return await this.options.desiredState(this.ref(app), revision);
    } catch {
      return undefined;
    }
  }

  private scaled(ms: number): number {
    return Math.max(0, ms * this.context.timeScale);
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    timer.unref?.();
    this.timers.add(timer);
    return timer;
  }

  private cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Why the app's project does not allow its destination (Argo CD's InvalidSpecError), if so. */
  private invalidSpec(app: SimApp): string | undefined {
    const project = this.projects.find(
      p =>
        p.name === app.def.project &&
        (!p.instance || p.instance === app.def.instance),
    );
    if (!project) {
      return `Application referencing project ${app.def.project} which does not exist`;
    }
    let matched = false;
    for (const d of project.destinations) {
      const server = glob(d.server, app.def.server);
      const namespace = glob(d.namespace, app.def.namespace);
      if (server && namespace) matched = true;
      else if (d.namespace?.startsWith('!') && !namespace && server)
        return this.notPermitted(app);
      else if (d.server?.startsWith('!') && !server && namespace)
        return this.notPermitted(app);
    }
    return matched ? undefined : this.notPermitted(app);
  }

  private notPermitted(app: SimApp): string {
    return `application destination server '${app.def.server}' and namespace '${app.def.namespace}' do not match any of the allowed destinations in project '${app.def.project}'`;
  }

  private touch(app: SimApp): void {
    app.resourceVersion = ++this.resourceVersion;
    this.updateHealth(app);
    this.changes.emit('change', `${app.def.instance}/${app.def.name}`);
  }

  private source(app: SimApp, revision?: string): Json {
    return {
      repoURL: app.def.repoURL,
      path: app.def.path,
      targetRevision: revision ?? app.def.targetRevision,
      helm: { valueFiles: [...app.def.valueFiles] },
    };
  }

  private begin(
    app: SimApp,
    op: WireOperation,
    desired: DesiredState,
    /** Synced to the target branch: the read is also the newest comparison. */
    isTarget: boolean,
  ): void {
    // Checked after the git read, with no await until the operation is set: one at a time.
    if (app.operation) {
      throw new ArgoApiError(400, GRPC.FailedPrecondition, IN_PROGRESS_MESSAGE);
    }
    app.operation = op;
    app.operationState = undefined;
    this.touch(app);
    const started = this.later(0, () => {
      app.operationState = {
        operation: op,
        phase: 'Running',
        message: 'one or more tasks are running',
        startedAt: iso(),
      };
      this.touch(app);
    });
    const finish = () => this.finish(app, op, desired, isTarget);
    const done = this.later(
      this.scaled(this.options.operationMs ?? 1500),
      () => {
        if (app.hold) app.pendingFinish = finish;
        else finish();
      },
    );
    app.operationTimers = [started, done];
  }

  private finish(
    app: SimApp,
    op: WireOperation,
    desired: DesiredState,
    isTarget: boolean,
  ): void {
    if (app.operation !== op) return;
    const invalid = this.invalidSpec(app);
    if (invalid) {
      app.operationState = {
        operation: op,
        phase: 'Error',
        message: invalid,
        startedAt: app.operationState?.startedAt ?? iso(),
        finishedAt: iso(),
      };
      app.operation = undefined;
      app.operationTimers = [];
      this.touch(app);
      return;
    }
    if (isTarget && !op.sync.dryRun) {
      app.compared = desired;
      app.comparisonError = undefined;
    }
    const startedAt = app.operationState?.startedAt ?? iso();
    const source = (op.sync.source as Json) ?? this.source(app);
    const dryRun = !!op.sync.dryRun;
    if (!dryRun) {
      this.apply(app, desired);
      app.history.push({
        id: app.nextHistoryId++,
        revision: desired.revision,
        deployedAt: iso(),
        deployStartedAt: startedAt,
        source,
        initiatedBy: op.initiatedBy,
      });
      app.history = app.history.slice(-10);
    }
    app.operationState = {
      operation: op,
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      startedAt,
      finishedAt: iso(),
      syncResult: {
        revision: desired.revision,
        source,
        resources: this.resourceRefs(app).map(r => ({
          ...r,
          status: 'Synced',
          message: `${
            r.kind === 'Service'
              ? 'service'
              : `${r.kind.toLowerCase()}.${r.group}`
          }/${r.name} ${dryRun ? 'configured (dry run)' : 'configured'}`,
          hookPhase: 'Running',
          syncPhase: 'Sync',
        })),
      },
    };
    app.operation = undefined;
    app.operationTimers = [];
    this.touch(app);
    void this.reconcileApp(app);
  }

  /** Applies a desired state to the live cluster (the workload moves over time). */
  private apply(app: SimApp, desired: DesiredState, instant = false): void {
    app.live = {
      revision: desired.revision,
      values: structuredClone(desired.values),
    };
    if (app.def.workload === 'none') return;
    const replicas = Number(valueAt(desired.values, this.keys.replicas) ?? 1);
    const tag = String(valueAt(desired.values, this.keys.imageTag) ?? 'latest');
    const repository = String(
      valueAt(desired.values, this.keys.imageRepository) ??
        `registry.kop.internal/kop/${app.def.name}`,
    );
    this.roll(
      app,
      Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
      `${repository}:${tag}`,
      false,
      instant,
    );
  }

  private roll(
    app: SimApp,
    replicas: number,
    image: string,
    restart: boolean,
    instant = false,
  ): void {
    const w = app.workload;
    const template = hash(`${image}#${w.restarts}`, 10);
    w.replicas = replicas;
    if (template !== w.template || restart) {
      w.image = image;
      w.template = template;
    }
    const current = w.pods.filter(p => p.template === w.template);
    if (current.length < replicas) {
      for (let i = current.length; i < replicas; i++)
        this.createPod(app, instant);
    } else if (current.length > replicas) {
      const doomed = [...current]
        .sort(
          (a, b) =>
            Number(a.ready) - Number(b.ready) || b.createdAt - a.createdAt,
        )
        .slice(0, current.length - replicas);
      doomed.forEach(p => this.removePod(app, p));
    }
    if (replicas === 0) {
      w.pods
        .filter(p => p.template !== w.template)
        .forEach(p => this.removePod(app, p));
    }
    this.retireOldPods(app);
  }

  private createPod(app: SimApp, instant: boolean): void {
    const w = app.workload;
    const now = Date.now();
    const current = w.pods.filter(p => p.template === w.template);
    const pod: SimPod = {
      name: `${app.def.name}-${w.template}-${suffix()}`,
      uid: randomUUID(),
      image: w.image,
      template: w.template,
      createdAt: now,
      readyAt: instant
        ? now
        : now + this.scaled(app.def.podStartMs + app.faults.slowStartMs),
      ready: instant,
      neverJoins:
        !instant &&
        current.filter(p => p.neverJoins).length < app.faults.neverJoin,
    };
    w.pods.push(pod);
    if (!instant) {
      pod.timer = this.later(pod.readyAt - now, () => {
        pod.timer = undefined;
        pod.ready = true;
        this.retireOldPods(app);
        this.touch(app);
      });
    }
  }

  private removePod(app: SimApp, pod: SimPod): void {
    this.cancel(pod.timer);
    app.workload.pods = app.workload.pods.filter(p => p !== pod);
  }

  /** Rolling update: an old pod leaves for each new pod that is ready; all go once the new set is. */
  private retireOldPods(app: SimApp): void {
    const w = app.workload;
    const old = w.pods
      .filter(p => p.template !== w.template)
      .sort((a, b) => a.createdAt - b.createdAt);
    if (old.length === 0) return;
    const readyNew = w.pods.filter(
      p => p.template === w.template && p.ready,
    ).length;
    const keep = Math.max(0, w.replicas - readyNew);
    old
      .slice(0, Math.max(0, old.length - keep))
      .forEach(p => this.removePod(app, p));
  }

  private updateHealth(app: SimApp): void {
    let status: string;
    let message: string | undefined;
    if (!app.live) {
      status = 'Missing';
    } else if (app.def.workload === 'none') {
      status = 'Healthy';
    } else {
      const w = app.workload;
      const current = w.pods.filter(p => p.template === w.template);
      const ready = current.filter(p => p.ready).length;
      const old = w.pods.length - current.length;
      if (current.length < w.replicas) {
        status = 'Progressing';
        message = `Waiting for rollout to finish: ${current.length} out of ${w.replicas} new replicas have been updated...`;
      } else if (old > 0) {
        status = 'Progressing';
        message = `Waiting for rollout to finish: ${old} old replicas are pending termination...`;
      } else if (ready < w.replicas) {
        status = 'Progressing';
        message = `Waiting for rollout to finish: ${ready} of ${w.replicas} updated replicas are available...`;
      } else {
        status = 'Healthy';
      }
    }
    if (status !== app.health.status) {
      app.health = { status, message, since: iso() };
    } else {
      app.health.message = message;
    }
  }

  private syncStatus(app: SimApp): 'Synced' | 'OutOfSync' | 'Unknown' {
    if (!app.compared) return 'Unknown';
    if (!app.live) return 'OutOfSync';
    return deepEqual(app.live.values, app.compared.values)
      ? 'Synced'
      : 'OutOfSync';
  }

  private reconcileApp(app: SimApp): Promise<void> {
    if (!app.reconciling) {
      app.reconciling = this.doReconcile(app).finally(() => {
        app.reconciling = undefined;
      });
    }
    return app.reconciling;
  }

  private async doReconcile(app: SimApp): Promise<void> {
    const before = JSON.stringify([
      this.syncStatus(app),
      app.compared?.revision,
      app.comparisonError,
    ]);
    const desired = await this.read(app, app.def.targetRevision);
    if (this.closed) return;
    app.reconciledAt = iso();
    if (desired) {
      app.compared = desired;
      app.comparisonError = undefined;
    } else {
      app.compared = undefined;
      app.comparisonError = `rpc error: code = Unknown desc = unable to resolve '${app.def.targetRevision}' to a commit SHA in ${app.def.repoURL} (${app.def.path})`;
    }
    let changed =
      before !==
      JSON.stringify([
        this.syncStatus(app),
        app.compared?.revision,
        app.comparisonError,
      ]);
    if (
      desired &&
      !app.live &&
      app.history.length === 0 &&
      !app.operation &&
      this.options.seedLive !== false
    ) {
      this.seed(app, desired);
      changed = true;
    }
    if (changed) this.touch(app);
    if (
      desired &&
      app.def.autoSync &&
      this.syncStatus(app) === 'OutOfSync' &&
      !app.operation &&
      app.lastAutoSync !== desired.revision
    ) {
      app.lastAutoSync = desired.revision;
      try {
        this.begin(
          app,
          {
            sync: { revision: desired.revision, prune: false, dryRun: false },
            initiatedBy: { automated: true },
          },
          desired,
          true,
        );
      } catch {
        // someone started an operation meanwhile: the next refresh tries again
      }
    }
  }

  /** Treats the first state read from git as what already ran before the sandbox started. */
  private seed(app: SimApp, desired: DesiredState): void {
    this.apply(app, desired, true);
    const at = iso();
    const op: WireOperation = {
      sync: { revision: desired.revision, prune: false, dryRun: false },
      initiatedBy: { username: 'admin' },
    };
    app.history.push({
      id: app.nextHistoryId++,
      revision: desired.revision,
      deployedAt: at,
      deployStartedAt: at,
      source: this.source(app),
      initiatedBy: op.initiatedBy,
    });
    app.operationState = {
      operation: op,
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      startedAt: at,
      finishedAt: at,
      syncResult: {
        revision: desired.revision,
        source: this.source(app),
        resources: [],
      },
    };
  }

  private resourceRefs(app: SimApp): Array<{
    group: string;
    version: string;
    kind: string;
    namespace: string;
    name: string;
  }> {
    const refs = [];
    if (app.def.workload === 'Deployment') {
      refs.push({
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: app.def.namespace,
        name: app.def.name,
      });
    } else if (app.def.workload === 'Rollout') {
      refs.push({
        group: 'argoproj.io',
        version: 'v1alpha1',
        kind: 'Rollout',
        namespace: app.def.namespace,
        name: app.def.name,
      });
    }
    for (const service of app.def.services) {
      refs.push({
        group: '',
        version: 'v1',
        kind: 'Service',
        namespace: app.def.namespace,
        name: service,
      });
    }
    return refs;
  }

  /** The resource tree: workload → ReplicaSets → Pods, and the Services. */
  resourceTree(instance: string, name: string): Json {
    const app = this.app(instance, name);
    const w = app.workload;
    const nodes: Json[] = [];
    const nodeUid = (key: string) =>
      hash(`${app.uid}/${key}`, 32).replace(
        /^(.{8})(.{4})(.{4})(.{4})(.{12})$/,
        '$1-$2-$3-$4-$5',
      );
    if (!app.live) return { nodes: [] };
    for (const ref of this.resourceRefs(app)) {
      const isWorkload = ref.kind !== 'Service';
      nodes.push({
        ...ref,
        uid: nodeUid(`${ref.kind}/${ref.name}`),
        resourceVersion: String(app.resourceVersion),
        health: isWorkload
          ? {
              status: app.health.status,
              ...(app.health.message ? { message: app.health.message } : {}),
            }
          : { status: 'Healthy' },
        ...(isWorkload && w.image ? { images: [w.image] } : {}),
      });
    }
    if (app.def.workload !== 'none') {
      const templates = [...new Set(w.pods.map(p => p.template))];
      if (!templates.includes(w.template) && w.template)
        templates.push(w.template);
      const parentKind = app.def.workload;
      for (const template of templates) {
        const rsName = `${app.def.name}-${template}`;
        nodes.push({
          group: 'apps',
          version: 'v1',
          kind: 'ReplicaSet',
          namespace: app.def.namespace,
          name: rsName,
          uid: nodeUid(`ReplicaSet/${rsName}`),
          parentRefs: [
            {
              group: parentKind === 'Rollout' ? 'argoproj.io' : 'apps',
              kind: parentKind,
              namespace: app.def.namespace,
              name: app.def.name,
              uid: nodeUid(`${parentKind}/${app.def.name}`),
            },
          ],
          info: [{ name: 'Revision', value: `Rev:${template}` }],
          health: { status: 'Healthy' },
        });
      }
      for (const pod of w.pods) {
        nodes.push({
          group: '',
          version: 'v1',
          kind: 'Pod',
          namespace: app.def.namespace,
          name: pod.name,
          uid: pod.uid,
          createdAt: iso(pod.createdAt),
          parentRefs: [
            {
              group: 'apps',
              kind: 'ReplicaSet',
              namespace: app.def.namespace,
              name: `${app.def.name}-${pod.template}`,
              uid: nodeUid(`ReplicaSet/${app.def.name}-${pod.template}`),
            },
          ],
          info: [
            { name: 'Status Reason', value: 'Running' },
            { name: 'Containers', value: pod.ready ? '1/1' : '0/1' },
          ],
          images: [pod.image],
          health: { status: pod.ready ? 'Healthy' : 'Progressing' },
        });
      }
    }
    return { nodes };
  }

  private toWire(app: SimApp): Json {
    const status = this.syncStatus(app);
    const destination = {
      server: app.def.server,
      namespace: app.def.namespace,
    };
    const invalid = this.invalidSpec(app);
    const conditions = [
      ...(app.comparisonError
        ? [
            {
              type: 'ComparisonError',
              message: app.comparisonError,
              lastTransitionTime: app.reconciledAt ?? app.createdAt,
            },
          ]
        : []),
      ...(invalid
        ? [
            {
              type: 'InvalidSpecError',
              message: invalid,
              lastTransitionTime: app.createdAt,
            },
          ]
        : []),
    ];
    const wire: Json = {
      metadata: {
        name: app.def.name,
        namespace: 'argocd',
        uid: app.uid,
        resourceVersion: String(app.resourceVersion),
        generation: app.history.length + 1,
        creationTimestamp: app.createdAt,
        labels: { ...app.def.labels },
      },
      spec: {
        project: app.def.project,
        source: this.source(app),
        destination,
        ...(app.def.autoSync
          ? { syncPolicy: { automated: { prune: false, selfHeal: false } } }
          : {}),
      },
      status: {
        sync: {
          status,
          ...(app.compared ? { revision: app.compared.revision } : {}),
          comparedTo: { source: this.source(app), destination },
        },
        health: {
          status: app.health.status,
          ...(app.health.message ? { message: app.health.message } : {}),
          lastTransitionTime: app.health.since,
        },
        ...(app.operationState
          ? { operationState: structuredClone(app.operationState) }
          : {}),
        resources: this.resourceRefs(app).map(r => ({
          ...r,
          status,
          health: {
            status: r.kind === 'Service' ? 'Healthy' : app.health.status,
            ...(r.kind !== 'Service' && app.health.message
              ? { message: app.health.message }
              : {}),
          },
        })),
        history: structuredClone(app.history),
        summary: app.workload.image ? { images: [app.workload.image] } : {},
        ...(conditions.length ? { conditions } : {}),
        reconciledAt: app.reconciledAt ?? app.createdAt,
        sourceType: 'Helm',
        controllerNamespace: 'argocd',
      },
    };
    if (app.operation) wire.operation = structuredClone(app.operation);
    return wire;
  }

  /** For the sandbox page. */
  operationPhase(instance: string, name: string): string {
    const app = this.app(instance, name);
    if (app.operation && !app.operationState) return 'Pending';
    const phase = app.operationState?.phase ?? '';
    return RUNNING.has(phase) && app.hold ? `${phase} (held)` : phase;
  }

  syncedRevision(instance: string, name: string): string | undefined {
    return this.app(instance, name).live?.revision;
  }

  summary(instance: string, name: string): { sync: string; health: string } {
    const app = this.app(instance, name);
    return { sync: this.syncStatus(app), health: app.health.status };
  }
}
