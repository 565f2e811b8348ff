import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  releaseApps,
  type ReleaseStatus,
  type ReleaseStatusApp,
  type ReleaseStatusArgoApp,
  type ReleaseStatusColour,
  type ReleaseStatusPoint,
} from '@internal/plugin-release-common';
import {
  argocdAppsOf,
  readSwitchColour,
  ArgoCdApplicationWatcher,
  countPods,
  gateQuery,
  readYamlValues,
  summarizeApplication,
  type ArgoCdAppState,
  type ArgoCdClient,
  type ArgoCdError,
  type ArgoCdWatchEvent,
  type GateMetric,
  type GitlabClient,
  type HybrisClusterClient,
  type HybrisClusterStatus,
  type PrometheusClient,
  type ReleaseIntegrations,
  type ReleaseLayout,
  type v1alpha1Application,
} from '@internal/plugin-release-node';

/** The part of an Argo CD client the status cache reads. */
export type StatusArgoCd = Pick<
  ArgoCdClient,
  'instance' | 'listApplications' | 'getResourceTree' | 'watchApplications'
> &
  Partial<Pick<ArgoCdClient, 'applicationUrl'>>;

/**
 * The systems the status cache reads; each getter throws a message saying what to configure when
 * the system is not set up.
 */
export interface StatusSystems {
  /** The Argo CD instance serving an environment. */
  argocdFor(environment: string): StatusArgoCd;
  hybris(): Pick<HybrisClusterClient, 'clusterStatus'>;
  prometheus(): Pick<PrometheusClient, 'queryRange'>;
  gitlab(): Pick<GitlabClient, 'readFile'>;
}

/** The portal's integrations as the status cache reads them. */
export function statusSystemsOf(
  integrations: Pick<ReleaseIntegrations, 'get'>,
): StatusSystems {
  return {
    argocdFor: environment =>
      integrations.get('argocd').forEnvironment(environment),
    hybris: () => integrations.get('hybris'),
    prometheus: () => integrations.get('prometheus'),
    gitlab: () => integrations.get('gitlab'),
  };
}

/** Timers, injectable so tests can drive the refresh loop. */
export interface StatusTimers {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: StatusTimers = {
  setInterval: (run, ms) => setInterval(run, ms).unref(),
  clearInterval: handle => clearInterval(handle as NodeJS.Timeout),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
};

/** One app row: which Argo CD apps it is made of. */
export interface StatusAppDefinition {
  app: string;
  argocdApps: string[];
}

export interface StatusCacheOptions {
  systems: StatusSystems;
  layout: ReleaseLayout;
  /** Environments in promotion order (release.environments). */
  environments: string[];
  logger: LoggerService;
  /** Plain apps shown after hybris, cms and web (the bench's simulated apps). */
  extraApps?: StatusAppDefinition[];
  /** Cluster status, metrics and resource trees (default 10 s). */
  clusterIntervalMs?: number;
  /** The full Argo CD list, a safety net beside the watch stream (default 60 s). */
  argocdListIntervalMs?: number;
  /** Longest wait for any one upstream call before its rows show an error (default 5 s). */
  callTimeoutMs?: number;
  /** The error-rate plot's window and step (default 15 min every 1 min). */
  metricWindowMs?: number;
  metricStepMs?: number;
  /** Changes arriving within this long are sent as one (default 50 ms). */
  flushDelayMs?: number;
  /** Backoff of the Argo CD stream's reconnects. */
  watchReconnect?: { baseDelayMs?: number; maxDelayMs?: number };
  timers?: StatusTimers;
  now?: () => number;
}

/** One serialized snapshot: what GET /status sends and each stream event carries. */
export interface StatusSnapshotBody {
  /** Counts changes since the cache started. */
  version: number;
  json: string;
  buffer: Buffer;
  /** The same bytes gzipped, made once per snapshot for every viewer that accepts gzip. */
  gzipped(): Buffer;
  etag: string;
}

/** Told of every change, and when the cache stops. */
export interface StatusListener {
  change(body: StatusSnapshotBody): void;
  close(): void;
}

type Scalar = string | number | boolean;

const SHA = /^[0-9a-f]{40}$/;
const HEALTH_ORDER = [
  'Degraded',
  'Missing',
  'Unknown',
  'Progressing',
  'Suspended',
  'Healthy',
];
const SYNC_ORDER = ['OutOfSync', 'Unknown', 'Synced'];

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** The worst of `values` by `order`; anything unlisted counts as Unknown. */
function worst(values: string[], order: string[]): string {
  if (values.length === 0) return 'Unknown';
  const rank = (v: string) => {
    const i = order.indexOf(v);
    return i < 0 ? order.indexOf('Unknown') : i;
  };
  return values.reduce((a, b) => (rank(b) < rank(a) ? b : a));
}

/** registry/kop/hybris:2026.11.12-1 → 2026.11.12-1. */
function imageTag(image: string): string | undefined {
  const bare = image.split('@')[0];
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? bare.slice(colon + 1) : undefined;
}

function distinct<T>(values: Array<T | undefined>): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}

/** Where the read of a values file at a ref is kept. */
const valueKey = (project: string, ref: string, file: string) =>
  `${project}@${ref}:${file}`;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function argoCdHint(instance: string): string {
  return `check that Argo CD '${instance}' is up and that argocd.instances has its URL right`;
}

/** An Argo CD failure, naming the instance and what to check. */
function explainArgoCd(instance: string, e: unknown): string {
  const error = e as Partial<ArgoCdError>;
  const message = messageOf(e).replace(/^Argo CD: /, `Argo CD (${instance}): `);
  if (error.reason === 'unauthorized' || error.status === 403) {
    return `${message}; renew the token of '${instance}' in argocd.instances`;
  }
  return `${message}; ${argoCdHint(instance)}`;
}

/**
 * A value read from one system: refreshed on demand with one call at a time, bounded by a timeout
 * after which it reports "no answer" (a late answer still lands).
 */
class Slot<T> {
  value?: T;
  /** When `value` was read. */
  at?: number;
  error?: string;
  private flight?: Promise<void>;
  private again = false;

  constructor(
    private readonly env: {
      timers: StatusTimers;
      now: () => number;
      timeoutMs: number;
      settled(): void;
    },
    private readonly load: () => Promise<T>,
    private readonly describe: {
      /** What did not answer, e.g. "Argo CD (beta): list applications". */
      what: string;
      /** What a person can check, added to a timeout. */
      hint?: string;
      /** Turns a failure into a message a person can act on. */
      explain?: (e: unknown) => string;
    },
  ) {}

  get loading(): boolean {
    return this.flight !== undefined;
  }

  get known(): boolean {
    return this.at !== undefined;
  }

  /** Reads again (joining a read under way); resolves when it lands or times out. */
  refresh(): Promise<void> {
    if (!this.flight) {
      // Through a promise, so a getter that throws (a system not configured) is a failed read.
      this.flight = Promise.resolve()
        .then(() => this.load())
        .then(
          value => {
            this.value = value;
            this.at = this.env.now();
            this.error = undefined;
          },
          e => {
            this.error = (this.describe.explain ?? messageOf)(e);
          },
        )
        .finally(() => {
          this.flight = undefined;
          this.env.settled();
          if (this.again) {
            this.again = false;
            this.refresh().catch(() => undefined);
          }
        });
    }
    const flight = this.flight;
    return new Promise<void>(resolve => {
      const timer = this.env.timers.setTimeout(() => {
        if (this.flight === flight) {
          const { what, hint } = this.describe;
          this.error = `${what}: no answer within ${seconds(
            this.env.timeoutMs,
          )}${hint ? `; ${hint}` : ''}`;
          this.env.settled();
        }
        resolve();
      }, this.env.timeoutMs);
      flight.then(() => {
        this.env.timers.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Reads again now, or right after the read under way (which may have started before a change). */
  request(): void {
    if (this.flight) this.again = true;
    else this.refresh().catch(() => undefined);
  }

  /** The error with how old the shown value is, or undefined when fine. */
  problem(): string | undefined {
    if (!this.error) return undefined;
    return this.at === undefined
      ? this.error
      : `${this.error}; showing what was seen at ${iso(this.at)}`;
  }
}

/** One Argo CD instance: the apps it holds that the dashboard shows, fed by a list and the stream. */
interface InstanceState {
  name: string;
  client: StatusArgoCd;
  environments: string[];
  apps: Map<string, { state: ArgoCdAppState; resourceVersion?: number }>;
  list: Slot<void>;
  watcher?: ArgoCdApplicationWatcher;
  streamUp: boolean;
  streamError?: string;
  /** A list or a stream replay has answered at least once. */
  seen: boolean;
  /** Counts changes to what the rows of this instance show (apps, list, stream). */
  revision: number;
}

/** What the cache holds of one hybris colour in one environment. */
interface ColourSlots {
  tree: Slot<{ pods: number; ready: number }>;
  cluster: Slot<HybrisClusterStatus>;
  errorRate?: Slot<ReleaseStatusPoint[]>;
}

interface ValuesRead {
  values: Record<string, Scalar>;
  /** The commit the ref pointed at. */
  commitId?: string;
  /** False when the file is not there. */
  exists: boolean;
}

/**
 * The live status of every app per environment, kept in memory: fed by one Argo CD application
 * stream per instance (reopened with backoff), a periodic refresh of the hybris cluster status,
 * the error metric and the colours' pods, and a slower full Argo CD list as a safety net. Viewers
 * read the cache, never the systems: a cold cache fills with calls made in parallel, shared by every
 * request that waits for it, and a system that fails or does not answer shows as an error on its
 * rows.
 */
export class StatusCache {
  private readonly systems: StatusSystems;
  private readonly layout: ReleaseLayout;
  private readonly environments: string[];
  private readonly logger: LoggerService;
  private readonly rows: StatusAppDefinition[];
  /** Every Argo CD app some row shows: a list of N apps is checked in O(N), not O(N × rows). */
  private readonly wantedApps: Set<string>;
  private readonly timers: StatusTimers;
  private readonly now: () => number;
  private readonly options: StatusCacheOptions;
  private readonly slotEnv: {
    timers: StatusTimers;
    now: () => number;
    timeoutMs: number;
    settled(): void;
  };

  private readonly instances = new Map<string, InstanceState>();
  /** Environment → its Argo CD instance, or why there is none. */
  private readonly instanceOf = new Map<
    string,
    { instance?: InstanceState; error?: string }
  >();
  private readonly colourSlots = new Map<string, ColourSlots>();
  private readonly valueSlots = new Map<string, Slot<ValuesRead>>();
  private readonly keysByFile = new Map<string, string[]>();
  /** `<environment>/<file>` → the values last shown for it, standing in while a newer commit is read. */
  private readonly shownValues = new Map<string, Slot<ValuesRead>>();
  private readonly errorMetric?: GateMetric;

  private readonly listeners = new Set<StatusListener>();
  private readonly intervals: unknown[] = [];
  private started = false;
  private stopped = false;
  private filled?: Promise<void>;
  /** The first fill is done: changes from now on are news. */
  private ready = false;
  private flushTimer?: unknown;
  private dirty = false;

  private readonly rowJson = new Map<string, string>();
  /** The instance revision each row was built at; hybris rows read more than their instance. */
  private readonly rowRevision = new Map<string, number>();
  /** A row was built anew since the last snapshot. */
  private rowsChanged = false;
  private errorsJson = '[]';
  private version = 0;
  private updatedAt: number;
  private body?: StatusSnapshotBody;

  constructor(options: StatusCacheOptions) {
    this.options = options;
    this.systems = options.systems;
    this.layout = options.layout;
    this.environments = options.environments;
    this.logger = options.logger;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.updatedAt = this.now();
    this.slotEnv = {
      timers: this.timers,
      now: this.now,
      timeoutMs: options.callTimeoutMs ?? 5000,
      settled: () => this.changed(),
    };
    const { hybris } = this.layout.apps;
    this.rows = [
      ...releaseApps.map(app => ({
        app,
        argocdApps: argocdAppsOf(this.layout, app),
      })),
      ...(options.extraApps ?? []),
    ];
    this.wantedApps = new Set(this.rows.flatMap(r => r.argocdApps));
    const addKeys = (file: string, keys: string[]) =>
      this.keysByFile.set(file, [
        ...new Set([...(this.keysByFile.get(file) ?? []), ...keys]),
      ]);
    addKeys(hybris.switch.values, hybris.switch.keys);
    for (const c of Object.values(hybris.colours)) {
      addKeys(c.values, [c.replicas]);
    }
    this.errorMetric =
      hybris.gates.metrics.find(m => m.name === 'error-rate') ??
      hybris.gates.metrics.find(m => /error/i.test(m.name));
  }

  // ------------------------------------------------------------------ public

  /** Starts the stream and the refresh loop; the first snapshot fills in parallel. Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.setUp();
    this.filled = this.fill();
    const fast = this.options.clusterIntervalMs ?? 10_000;
    const slow = this.options.argocdListIntervalMs ?? 60_000;
    this.intervals.push(
      this.timers.setInterval(() => this.refreshFast(), fast),
      this.timers.setInterval(() => this.refreshArgoCd(), slow),
    );
  }

  /** Stops the streams and timers and closes every subscriber. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const handle of this.intervals) this.timers.clearInterval(handle);
    if (this.flushTimer !== undefined)
      this.timers.clearTimeout(this.flushTimer);
    for (const listener of [...this.listeners]) listener.close();
    this.listeners.clear();
    await Promise.all([...this.instances.values()].map(i => i.watcher?.stop()));
  }

  /** The current snapshot, serialized; waits for the first fill (started now if need be). */
  async snapshotBody(): Promise<StatusSnapshotBody> {
    this.start();
    if (!this.filled) {
      throw new ServiceUnavailableError(
        'The live status has stopped: the backend is shutting down',
      );
    }
    await this.filled;
    this.flush();
    return this.currentBody();
  }

  /** The current snapshot as an object. */
  async snapshot(): Promise<ReleaseStatus> {
    return JSON.parse((await this.snapshotBody()).json);
  }

  /** Tells `listener` of each change until the returned function is called or the cache stops. */
  subscribe(listener: StatusListener): () => void {
    if (this.stopped) {
      listener.close();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Reads everything again now, as the timers do; resolves when every read landed or timed out. */
  async refresh(): Promise<void> {
    this.start();
    await this.filled;
    await Promise.all([this.refreshFast(), this.refreshArgoCd()]);
    this.flush();
  }

  // ------------------------------------------------------------- set-up

  private setUp(): void {
    for (const environment of this.environments) {
      let client: StatusArgoCd;
      try {
        client = this.systems.argocdFor(environment);
      } catch (e) {
        this.instanceOf.set(environment, { error: messageOf(e) });
        continue;
      }
      let instance = this.instances.get(client.instance);
      if (!instance) {
        instance = this.createInstance(client);
        this.instances.set(client.instance, instance);
      }
      instance.environments.push(environment);
      this.instanceOf.set(environment, { instance });
      const colours = Object.keys(this.layout.apps.hybris.colours);
      for (const colour of colours) {
        this.colourSlots.set(
          `${environment}/${colour}`,
          this.createColourSlots(environment, colour, instance),
        );
      }
    }
  }

  private createInstance(client: StatusArgoCd): InstanceState {
    const name = client.instance;
    const instance: InstanceState = {
      name,
      client,
      environments: [],
      apps: new Map(),
      streamUp: false,
      seen: false,
      revision: 0,
      list: new Slot<void>(
        {
          ...this.slotEnv,
          settled: () => {
            instance.revision += 1;
            this.changed();
          },
        },
        async () => {
          const apps = await client.listApplications();
          this.applyList(instance, apps);
        },
        {
          what: `Argo CD (${name}): list applications`,
          hint: argoCdHint(name),
          explain: e => explainArgoCd(name, e),
        },
      ),
    };
    return instance;
  }

  private createColourSlots(
    environment: string,
    colour: string,
    instance: InstanceState,
  ): ColourSlots {
    const argocdApp = this.layout.apps.hybris.colours[colour].argocdApp;
    const slots: ColourSlots = {
      tree: new Slot(
        this.slotEnv,
        async () => {
          const { total, ready } = countPods(
            await instance.client.getResourceTree(argocdApp),
          );
          return { pods: total, ready };
        },
        {
          what: `Argo CD (${instance.name}): resource tree of ${argocdApp}`,
          hint: argoCdHint(instance.name),
          explain: e => explainArgoCd(instance.name, e),
        },
      ),
      cluster: new Slot(
        this.slotEnv,
        () => this.systems.hybris().clusterStatus(environment, colour),
        {
          what: `hybris: the cluster status of ${colour} in ${environment}`,
          hint: `check hybris.clusterStatus.${environment}.${colour} in app-config and that the pods answer`,
        },
      ),
    };
    const metric = this.errorMetric;
    if (metric) {
      slots.errorRate = new Slot(
        this.slotEnv,
        () => this.readErrorRate(metric, environment, colour),
        {
          what: `Prometheus: ${metric.name} of ${colour} in ${environment}`,
          hint: 'check that prometheus.baseUrl in app-config answers',
        },
      );
    }
    return slots;
  }

  // ------------------------------------------------------------- reading

  /**
   * Every read of a cold cache at once: each one is named by the release layout, so none waits for
   * another's answer. Only the values at a synced commit the branch has moved past depend on one (the
   * head's commit); they are read next, so the first snapshot never shows the head's as live.
   */
  private async fill(): Promise<void> {
    // The values at the IaC branch head usually are those at the synced revision: read them at once.
    const heads = this.environments.flatMap(environment => {
      const project = this.layout.iac.repos[environment];
      if (!project || !this.instanceOf.get(environment)?.instance) return [];
      return [...this.keysByFile.keys()].map(file =>
        this.valueSlot(project, this.layout.iac.branch, file),
      );
    });
    // GitLab's reads first: they are the slowest, so the other calls' set-up overlaps with them.
    await Promise.all([
      ...heads.map(slot => slot.refresh()),
      // While GitLab is still reading, build the rows that need only the Argo CD list.
      ...[...this.instances.values()].map(i =>
        i.list.refresh().then(() => this.buildRows(i.environments, false)),
      ),
      ...[...this.colourSlots.values()].flatMap(s => [
        s.tree.refresh(),
        s.cluster.refresh(),
        ...(s.errorRate ? [s.errorRate.refresh()] : []),
      ]),
    ]);
    // Between an IaC commit and its sync the head holds values that do not run yet.
    const behind = this.valueReads().filter(
      // When GitLab failed at the head, asking it again at once would only wait as long again.
      ({ project, file, slot }) =>
        !slot.known && !this.headSlot(project, file)?.error,
    );
    await Promise.all(behind.map(({ slot }) => slot.refresh()));
    this.ready = true;
    this.dirty = true;
    // After the first snapshot is out, so the stream's replay competes with neither the cold reads
    // nor the answer the first viewers wait for.
    setImmediate(() => {
      for (const instance of this.instances.values()) this.startWatch(instance);
    });
  }

  private refreshFast(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    return Promise.all([
      ...[...this.colourSlots.values()].flatMap(s => [
        s.tree.refresh(),
        s.cluster.refresh(),
        ...(s.errorRate ? [s.errorRate.refresh()] : []),
      ]),
      // While an instance's stream is down, its list is the only news: read it as often.
      ...[...this.instances.values()]
        .filter(i => !i.streamUp)
        .map(i => i.list.refresh()),
      ...this.valueReads()
        .map(r => r.slot)
        .filter(slot => slot.error && !slot.loading)
        .map(slot => slot.refresh()),
    ]);
  }

  private refreshArgoCd(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    return Promise.all([...this.instances.values()].map(i => i.list.refresh()));
  }

  private startWatch(instance: InstanceState): void {
    if (this.stopped || instance.watcher) return;
    const watcher = new ArgoCdApplicationWatcher(
      o => instance.client.watchApplications(o),
      { reconnect: this.options.watchReconnect },
    );
    watcher.on('connected', () => {
      instance.revision += 1;
      instance.streamUp = true;
      instance.streamError = undefined;
      this.changed();
    });
    watcher.on('reconnecting', (error: Error) => {
      if (instance.streamUp || !instance.streamError) {
        this.logger.warn(
          `Status: the Argo CD (${instance.name}) application stream failed, reconnecting: ${error.message}`,
        );
      }
      instance.revision += 1;
      instance.streamUp = false;
      instance.streamError = `Argo CD (${
        instance.name
      }): the application stream failed (${
        error.message
      }); reconnecting, and listing the apps every ${seconds(
        this.options.clusterIntervalMs ?? 10_000,
      )} meanwhile`;
      this.changed();
    });
    watcher.on('stopped', (error?: Error) => {
      instance.revision += 1;
      instance.streamUp = false;
      if (error && !this.stopped) {
        this.logger.warn(
          `Status: the Argo CD (${instance.name}) application stream was refused: ${error.message}`,
        );
        instance.streamError = `Argo CD (${
          instance.name
        }): the application stream was refused (${
          error.message
        }); check the token of this instance in argocd.instances; listing the apps every ${seconds(
          this.options.clusterIntervalMs ?? 10_000,
        )} meanwhile`;
        this.changed();
      }
    });
    watcher.on('event', (event: ArgoCdWatchEvent) =>
      this.applyEvent(instance, event),
    );
    instance.watcher = watcher;
    watcher.start();
  }

  private wanted(name: string): boolean {
    return this.wantedApps.has(name);
  }

  private applyList(instance: InstanceState, apps: v1alpha1Application[]) {
    const listed = new Set<string>();
    for (const app of apps) {
      const name = app.metadata?.name ?? '';
      if (!this.wanted(name)) continue;
      listed.add(name);
      this.upsert(instance, app);
    }
    for (const name of [...instance.apps.keys()]) {
      if (!listed.has(name)) {
        instance.apps.delete(name);
        this.appChanged(instance, name);
      }
    }
    instance.seen = true;
    instance.revision += 1;
  }

  private applyEvent(instance: InstanceState, event: ArgoCdWatchEvent) {
    const name = event.application.metadata?.name ?? '';
    if (!this.wanted(name)) return;
    instance.seen = true;
    instance.revision += 1;
    if (event.type === 'DELETED') {
      instance.apps.delete(name);
      this.appChanged(instance, name);
      return;
    }
    this.upsert(instance, event.application);
  }

  /** Keeps the newer of what is held and what came (a list may answer after a stream event). */
  private upsert(instance: InstanceState, app: v1alpha1Application) {
    const name = app.metadata?.name ?? '';
    const version = Number(app.metadata?.resourceVersion);
    const resourceVersion = Number.isFinite(version) ? version : undefined;
    const held = instance.apps.get(name);
    if (
      held?.resourceVersion !== undefined &&
      resourceVersion !== undefined &&
      resourceVersion <= held.resourceVersion
    ) {
      return;
    }
    instance.apps.set(name, {
      state: summarizeApplication(instance.name, app),
      resourceVersion,
    });
    this.appChanged(instance, name);
  }

  /** A colour's pods move with its app: read its tree again when the app changes. */
  private appChanged(instance: InstanceState, name: string) {
    instance.revision += 1;
    // The first fill reads every tree anyway.
    if (this.ready) this.requestTrees(instance, name);
    this.changed();
  }

  private requestTrees(instance: InstanceState, name: string) {
    for (const [colour, c] of Object.entries(this.layout.apps.hybris.colours)) {
      if (c.argocdApp !== name) continue;
      for (const environment of instance.environments) {
        this.colourSlots.get(`${environment}/${colour}`)?.tree.request();
      }
    }
  }

  private async readErrorRate(
    metric: GateMetric,
    environment: string,
    colour: string,
  ): Promise<ReleaseStatusPoint[]> {
    const end = this.now();
    const stepMs = this.options.metricStepMs ?? 60_000;
    const answer = await this.systems
      .prometheus()
      .queryRange(gateQuery(metric.query, { environment, colour }), {
        start: end - (this.options.metricWindowMs ?? 15 * 60_000),
        end,
        stepMs,
      });
    return (answer.result[0]?.points ?? [])
      .filter(p => Number.isFinite(p.value))
      .map(p => ({
        t: Math.round(p.time / 1000),
        v: Math.round(p.value * 10_000) / 10_000,
      }));
  }

  private valueSlot(
    project: string,
    ref: string,
    file: string,
  ): Slot<ValuesRead> {
    const key = valueKey(project, ref, file);
    let slot = this.valueSlots.get(key);
    if (!slot) {
      const keys = this.keysByFile.get(file) ?? [];
      slot = new Slot<ValuesRead>(
        this.slotEnv,
        async () => {
          const read = await this.systems.gitlab().readFile(project, ref, file);
          const commitId = SHA.test(ref) ? ref : read?.commitId;
          if (!read) return { values: {}, commitId, exists: false };
          const values = readYamlValues(read.content, keys, { file });
          // What a branch read found is what that commit holds: keep it under the commit too.
          if (commitId && commitId !== ref) {
            this.seedValueSlot(project, commitId, file, values);
          }
          return { values, commitId, exists: true };
        },
        {
          what: `GitLab: ${file} at ${ref.slice(0, 12)} in ${project}`,
          hint: 'check integrations.gitlab in app-config',
          explain: e =>
            `GitLab: could not read ${file} at ${ref.slice(
              0,
              12,
            )} in ${project}: ${messageOf(e).replace(/^GitLab: /, '')}`,
        },
      );
      this.valueSlots.set(key, slot);
    }
    return slot;
  }

  /** The read of a values file at the IaC branch head, once the fill has asked for it. */
  private headSlot(
    project: string,
    file: string,
  ): Slot<ValuesRead> | undefined {
    return this.valueSlots.get(valueKey(project, this.layout.iac.branch, file));
  }

  private seedValueSlot(
    project: string,
    commit: string,
    file: string,
    values: Record<string, Scalar>,
  ) {
    const slot = this.valueSlot(project, commit, file);
    if (slot.known || slot.loading) return;
    slot.value = { values, commitId: commit, exists: true };
    slot.at = this.now();
  }

  /**
   * The values file of an Argo CD app at the revision it synced (immutable, so read once), starting
   * the read when it is not there yet; undefined while the revision is unknown. Until that read
   * lands, the values last shown for the file stand in (at first, those at the branch head).
   */
  private valuesAt(
    environment: string,
    argocdApp: string,
    file: string,
  ): Slot<ValuesRead> | undefined {
    const read = this.valueRead(environment, argocdApp, file);
    if (!read) return undefined;
    const { slot, project } = read;
    const shownKey = `${environment}/${file}`;
    if (slot.known) {
      this.shownValues.set(shownKey, slot);
      return slot;
    }
    const head = this.headSlot(project, file);
    // Wait for the branch head's read: it may turn out to be this very commit.
    if (head?.loading && !head.known) return head;
    if (!slot.loading && !slot.error) {
      // GitLab did not answer at the branch head: say so now rather than ask it again at once.
      if (head?.error && !head.known) slot.error = head.error;
      else slot.refresh().catch(() => undefined);
    }
    if (slot.error) return slot;
    const standIn = this.shownValues.get(shownKey) ?? head;
    return standIn?.known ? standIn : slot;
  }

  /** Where the values of an Argo CD app are, at the revision it synced; undefined while unknown. */
  private valueRead(environment: string, argocdApp: string, file: string) {
    const instance = this.instanceOf.get(environment)?.instance;
    const project = this.layout.iac.repos[environment];
    const state = instance?.apps.get(argocdApp)?.state;
    const revision = state?.syncedRevision ?? state?.comparedRevision;
    if (!project || !revision) return undefined;
    return { project, file, slot: this.valueSlot(project, revision, file) };
  }

  /** Every values file the hybris rows need now, read or not. */
  private valueReads() {
    const { hybris } = this.layout.apps;
    return this.environments.flatMap(environment =>
      [
        this.valueRead(
          environment,
          hybris.switch.argocdApp,
          hybris.switch.values,
        ),
        ...Object.values(hybris.colours).map(c =>
          this.valueRead(environment, c.argocdApp, c.values),
        ),
      ].filter(<T>(r: T | undefined): r is T => r !== undefined),
    );
  }

  /** Drops values read at revisions nothing runs any more. */
  private pruneValues(): void {
    if (this.valueSlots.size <= 100) return;
    const keep = new Set(this.valueReads().map(r => r.slot));
    for (const [key, slot] of this.valueSlots) {
      if (!keep.has(slot) && !slot.loading) this.valueSlots.delete(key);
    }
  }

  // ------------------------------------------------------------- building

  private changed(): void {
    this.dirty = true;
    // Before the first fill is done nobody listens, and building rows would start reads early.
    if (this.stopped || this.flushTimer !== undefined || !this.ready) return;
    this.flushTimer = this.timers.setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.options.flushDelayMs ?? 50);
  }

  /** Rebuilds the rows; when any changed, a new snapshot goes to every subscriber. */
  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.buildRows(this.environments, true);
    let changed = this.rowsChanged;
    this.rowsChanged = false;
    const errors = JSON.stringify(this.topErrors());
    if (errors !== this.errorsJson) {
      this.errorsJson = errors;
      changed = true;
    }
    if (!changed) return;
    this.version += 1;
    this.updatedAt = this.now();
    this.body = undefined;
    this.pruneValues();
    if (this.listeners.size === 0) return;
    const body = this.currentBody();
    for (const listener of [...this.listeners]) {
      try {
        listener.change(body);
      } catch (e) {
        this.logger.warn(`Status: a subscriber failed: ${messageOf(e)}`);
      }
    }
  }

  /**
   * Builds the rows of `environments` whose instance changed since they were built; the hybris rows
   * (which also read GitLab, the cluster status and Prometheus) only when `hybris` is set.
   */
  private buildRows(environments: string[], hybris: boolean): void {
    for (const environment of environments) {
      const instance = this.instanceOf.get(environment)?.instance;
      for (const def of this.rows) {
        const isHybris = def.app === 'hybris';
        if (isHybris && !hybris) continue;
        const key = `${environment}/${def.app}`;
        const revision = instance && !isHybris ? instance.revision : undefined;
        if (revision !== undefined && this.rowRevision.get(key) === revision) {
          continue;
        }
        const json = JSON.stringify(this.buildRow(environment, def));
        if (revision === undefined) this.rowRevision.delete(key);
        else this.rowRevision.set(key, revision);
        if (this.rowJson.get(key) !== json) {
          this.rowJson.set(key, json);
          this.rowsChanged = true;
        }
      }
    }
  }

  private currentBody(): StatusSnapshotBody {
    if (!this.body) {
      const environments = this.environments.map(
        environment =>
          `{"name":${JSON.stringify(environment)},"apps":[${this.rows
            .map(def => this.rowJson.get(`${environment}/${def.app}`) ?? '')
            .join(',')}]}`,
      );
      const errors =
        this.errorsJson === '[]' ? '' : `,"errors":${this.errorsJson}`;
      const json = `{"updatedAt":${JSON.stringify(
        iso(this.updatedAt),
      )},"environments":[${environments.join(',')}]${errors}}`;
      const buffer = Buffer.from(json, 'utf8');
      let gzipped: Buffer | undefined;
      this.body = {
        version: this.version,
        json,
        buffer,
        gzipped: () => {
          // Level 1: the rows repeat themselves, so it is nearly as small as the default and 3x faster.
          gzipped ??= gzipSync(buffer, { level: 1 });
          return gzipped;
        },
        etag: `W/"${createHash('sha1').update(buffer).digest('base64url')}"`,
      };
    }
    return this.body;
  }

  private topErrors(): string[] {
    return [...this.instances.values()]
      .map(i => (i.streamUp ? undefined : i.streamError))
      .filter((e): e is string => !!e);
  }

  private buildRow(
    environment: string,
    def: StatusAppDefinition,
  ): ReleaseStatusApp {
    const errors: string[] = [];
    const where = this.instanceOf.get(environment);
    const instance = where?.instance;
    if (where?.error) errors.push(where.error);
    const argocd: ReleaseStatusArgoApp[] = [];
    if (instance) {
      const listProblem = instance.list.problem();
      // A live stream is fresher than a failed list: only both failing is worth a word.
      if (listProblem && !instance.streamUp) errors.push(listProblem);
      for (const name of def.argocdApps) {
        const held = instance.apps.get(name)?.state;
        if (held) {
          argocd.push(
            this.argoAppStatus(held, instance.client.applicationUrl?.(name)),
          );
        } else if (instance.seen) {
          errors.push(
            `Argo CD (${instance.name}): there is no application '${name}' the token may read; check release.apps.${def.app} and the app in Argo CD`,
          );
        }
      }
    }
    const row: ReleaseStatusApp = {
      app: def.app,
      versions: [],
      sync: worst(
        argocd.map(a => a.sync),
        SYNC_ORDER,
      ),
      health: worst(
        argocd.map(a => a.health),
        HEALTH_ORDER,
      ),
      argocd,
    };
    if (def.app === 'hybris' && instance) {
      this.addHybris(row, environment, instance, errors);
    } else {
      row.versions = distinct(argocd.flatMap(a => a.images.map(imageTag)));
      row.version = distinct(argocd[0]?.images.map(imageTag) ?? [])[0];
    }
    if (errors.length) row.errors = [...new Set(errors)];
    return row;
  }

  private argoAppStatus(
    s: ArgoCdAppState,
    url: string | undefined,
  ): ReleaseStatusArgoApp {
    const out: ReleaseStatusArgoApp = {
      name: s.name,
      instance: s.instance,
      ...(url ? { url } : {}),
      sync: s.syncStatus,
      health: s.healthStatus,
      images: s.images,
    };
    if (s.healthMessage) out.healthMessage = s.healthMessage;
    if (s.syncedRevision) out.revision = s.syncedRevision;
    if (s.targetRevision) out.targetRevision = s.targetRevision;
    if (s.operation) {
      out.operation = {
        phase: s.operation.phase,
        running: s.operation.running,
        ...(s.operation.message ? { message: s.operation.message } : {}),
        ...(s.operation.startedAt ? { startedAt: s.operation.startedAt } : {}),
        ...(s.operation.finishedAt
          ? { finishedAt: s.operation.finishedAt }
          : {}),
        ...(s.operation.initiatedBy
          ? { initiatedBy: s.operation.initiatedBy }
          : {}),
      };
    }
    if (s.conditions.length) out.conditions = s.conditions;
    return out;
  }

  private addHybris(
    row: ReleaseStatusApp,
    environment: string,
    instance: InstanceState,
    errors: string[],
  ): void {
    const { hybris } = this.layout.apps;
    const live = this.liveColour(environment, errors);
    if (live) row.liveColour = live;
    row.colours = Object.entries(hybris.colours).map(([colour, c]) => {
      const state = instance.apps.get(c.argocdApp)?.state;
      const slots = this.colourSlots.get(`${environment}/${colour}`);
      const out: ReleaseStatusColour = {
        colour,
        argocdApp: c.argocdApp,
        live: colour === live,
        replicas: {
          ready: slots?.tree.value?.ready ?? 0,
          pods: slots?.tree.value?.pods ?? 0,
        },
      };
      const version = distinct(state?.images.map(imageTag) ?? [])[0];
      if (version) out.version = version;
      const values = this.valuesAt(environment, c.argocdApp, c.values);
      const desired = values?.value?.values[c.replicas];
      if (typeof desired === 'number') out.replicas.desired = desired;
      else if (values?.value && !values.error) {
        errors.push(
          `GitLab: ${c.replicas} is not a number in ${
            c.values
          } at ${values.value.commitId?.slice(0, 12)} of ${
            this.layout.iac.repos[environment]
          }; check release.apps.hybris.colours.${colour}.replicas`,
        );
      }
      const status = slots?.cluster.value;
      if (status) {
        out.cluster = {
          up: status.up,
          viewSize: status.viewSize,
          ...(status.expectedNodes !== undefined
            ? { expectedNodes: status.expectedNodes }
            : {}),
          complete: status.complete,
          missing: status.missing,
        };
      }
      if (slots?.errorRate?.value) {
        out.errorRate = slots.errorRate.value;
        if (this.errorMetric?.max !== undefined) {
          out.errorRateMax = this.errorMetric.max;
        }
      }
      for (const problem of [
        slots?.tree.problem(),
        slots?.cluster.problem(),
        slots?.errorRate?.problem(),
        values?.problem(),
      ]) {
        if (problem) errors.push(problem);
      }
      return out;
    });
    const running = row.colours.filter(
      c => c.live || (c.replicas.desired ?? c.replicas.pods) > 0,
    );
    row.versions = distinct(
      [...running]
        .sort((a, b) => Number(b.live) - Number(a.live))
        .map(c => c.version),
    );
    const liveVersion = row.colours.find(c => c.live)?.version;
    if (liveVersion) row.version = liveVersion;
  }

  /** The colour every switch key names, at the revision the switch app synced. */
  private liveColour(
    environment: string,
    errors: string[],
  ): string | undefined {
    const { switch: sw, colours } = this.layout.apps.hybris;
    const slot = this.valuesAt(environment, sw.argocdApp, sw.values);
    const problem = slot?.problem();
    if (problem) errors.push(problem);
    const read = slot?.value;
    if (!read) return undefined;
    const at = `${sw.values} at ${read.commitId?.slice(0, 12) ?? '?'} of ${
      this.layout.iac.repos[environment]
    }`;
    if (!read.exists) {
      errors.push(
        `GitLab: ${at} is not there; check release.apps.hybris.switch.values`,
      );
      return undefined;
    }
    const reading = readSwitchColour(
      this.layout.apps.hybris,
      key => read.values[key],
    );
    if ('unknown' in reading) {
      const { key, value } = reading.unknown;
      errors.push(
        `hybris: ${key} in ${at} is ${
          value === undefined ? 'missing' : `'${value}'`
        }, not one of the colours ${Object.keys(colours).join(', ')}`,
      );
      return undefined;
    }
    if ('mixed' in reading) {
      errors.push(
        `hybris: the switch keys in ${at} name more than one colour (${reading.mixed}): a switch is half done`,
      );
      return undefined;
    }
    return reading.colour;
  }
}
