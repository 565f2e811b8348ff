import type { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  releaseApps,
  type ReleaseStatus,
} from '@internal/plugin-release-common';
import {
  argocdAppsOf,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import { ArgoCdFeed } from './ArgoCdFeed';
import { messageOf } from './format';
import { HybrisReads } from './HybrisReads';
import {
  StatusSnapshot,
  type StatusAppDefinition,
  type StatusSnapshotBody,
} from './StatusSnapshot';
import type { StatusSystems } from './systems';
import { realTimers, type StatusTimers } from './TimedRead';

export type { StatusAppDefinition, StatusSnapshotBody } from './StatusSnapshot';
export {
  statusSystemsOf,
  type StatusArgoCd,
  type StatusSystems,
} from './systems';
export type { StatusTimers } from './TimedRead';

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

/** Told of every change, and when the cache stops. */
export interface StatusListener {
  change(body: StatusSnapshotBody): void;
  close(): void;
}

/**
 * The live status of every app per environment, kept in memory: fed by one Argo CD application
 * stream per instance (reopened with backoff), a periodic refresh of the hybris cluster status,
 * the error metric and the colours' pods, and a slower full Argo CD list as a safety net. Viewers
 * read the cache, never the systems: a cold cache fills with calls made in parallel, shared by every
 * request that waits for it, and a system that fails or does not answer shows as an error on its
 * rows. It runs the Argo CD feed, the hybris reads and the snapshot, and says when each acts.
 */
export class StatusCache {
  private readonly logger: LoggerService;
  private readonly timers: StatusTimers;
  private readonly options: StatusCacheOptions;
  private readonly argocd: ArgoCdFeed;
  private readonly hybris: HybrisReads;
  private readonly snapshotRows: StatusSnapshot;

  private readonly listeners = new Set<StatusListener>();
  private readonly appListeners = new Set<() => void>();
  private readonly intervals: unknown[] = [];
  private started = false;
  private stopped = false;
  private filled?: Promise<void>;
  /** The first fill is done: changes from now on are news. */
  private ready = false;
  private flushTimer?: unknown;
  private dirty = false;

  constructor(options: StatusCacheOptions) {
    this.options = options;
    this.logger = options.logger;
    this.timers = options.timers ?? realTimers;
    const { systems, layout, environments } = options;
    const now = options.now ?? Date.now;
    const reads = {
      timers: this.timers,
      now,
      timeoutMs: options.callTimeoutMs ?? 5000,
    };
    const rows: StatusAppDefinition[] = [
      ...releaseApps.map(app => ({
        app,
        argocdApps: argocdAppsOf(layout, app),
      })),
      ...(options.extraApps ?? []),
    ];
    this.argocd = new ArgoCdFeed({
      systems,
      environments,
      wantedApps: new Set(rows.flatMap(r => r.argocdApps)),
      logger: options.logger,
      reads,
      listWhileDownMs: options.clusterIntervalMs ?? 10_000,
      watchReconnect: options.watchReconnect,
      changed: () => this.changed(),
      appChanged: (instance, name) => {
        // The first fill reads every tree anyway.
        if (this.ready) this.hybris.requestTrees(instance, name);
        this.changed();
        this.tellAppChanged();
      },
      stopped: () => this.stopped,
    });
    this.hybris = new HybrisReads({
      systems,
      layout,
      environments,
      argocd: this.argocd,
      reads: { ...reads, settled: () => this.changed() },
      metricWindowMs: options.metricWindowMs,
      metricStepMs: options.metricStepMs,
    });
    this.snapshotRows = new StatusSnapshot({
      layout,
      environments,
      rows,
      argocd: this.argocd,
      hybris: this.hybris,
      now,
    });
  }

  /** Starts the stream and the refresh loop; the first snapshot fills in parallel. Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.argocd.setUp();
    this.hybris.setUp();
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
    this.appListeners.clear();
    await this.argocd.stop();
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
    return this.snapshotRows.current();
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

  /**
   * Calls `listener` at once, without the rows' batching, each time an Argo CD application changes
   * after the first fill: for those who read the systems themselves (the engine's gates).
   */
  onAppChange(listener: () => void): () => void {
    if (this.stopped) return () => undefined;
    this.appListeners.add(listener);
    return () => {
      this.appListeners.delete(listener);
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

  /**
   * Every read of a cold cache at once: each one is named by the release layout, so none waits for
   * another's answer. Only the values at a synced commit the branch has moved past depend on one (the
   * head's commit); they are read next, so the first snapshot never shows the head's as live.
   */
  private async fill(): Promise<void> {
    // GitLab's reads first: they are the slowest, so the other calls' set-up overlaps with them.
    await Promise.all([
      ...this.hybris.headReads().map(read => read.refresh()),
      // While GitLab is still reading, build the rows that need only the Argo CD list.
      ...this.argocd.instances.map(i =>
        i.list
          .refresh()
          .then(() => this.snapshotRows.buildRows(i.environments, false)),
      ),
      ...this.hybris.colourReads().map(read => read.refresh()),
    ]);
    await Promise.all(this.hybris.behindHead().map(read => read.refresh()));
    this.ready = true;
    this.dirty = true;
    // After the first snapshot is out, so the stream's replay competes with neither the cold reads
    // nor the answer the first viewers wait for.
    setImmediate(() => this.argocd.startWatches());
  }

  private refreshFast(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    return Promise.all([
      ...this.hybris.colourReads().map(read => read.refresh()),
      // While an instance's stream is down, its list is the only news: read it as often.
      ...this.argocd.instances
        .filter(i => !i.streamUp)
        .map(i => i.list.refresh()),
      ...this.hybris.failedValueReads().map(read => read.refresh()),
    ]);
  }

  private refreshArgoCd(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    return Promise.all(this.argocd.instances.map(i => i.list.refresh()));
  }

  private changed(): void {
    this.dirty = true;
    // Before the first fill is done nobody listens, and building rows would start reads early.
    if (this.stopped || this.flushTimer !== undefined || !this.ready) return;
    this.flushTimer = this.timers.setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.options.flushDelayMs ?? 50);
  }

  private tellAppChanged(): void {
    if (this.stopped || !this.ready) return;
    for (const listener of [...this.appListeners]) {
      try {
        listener();
      } catch (e) {
        this.logger.warn(`Status: an app listener failed: ${messageOf(e)}`);
      }
    }
  }

  /** Rebuilds the rows; when any changed, a new snapshot goes to every subscriber. */
  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (!this.snapshotRows.update()) return;
    this.hybris.prune();
    if (this.listeners.size === 0) return;
    const body = this.snapshotRows.current();
    for (const listener of [...this.listeners]) {
      try {
        listener.change(body);
      } catch (e) {
        this.logger.warn(`Status: a subscriber failed: ${messageOf(e)}`);
      }
    }
  }
}
