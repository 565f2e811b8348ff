import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ArgoCdApplicationWatcher,
  summarizeApplication,
  type ArgoCdAppState,
  type ArgoCdError,
  type ArgoCdWatchEvent,
  type v1alpha1Application,
} from '@internal/plugin-release-node';
import { messageOf, seconds } from './format';
import type { StatusArgoCd, StatusSystems } from './systems';
import { TimedRead, type TimedReadEnv } from './TimedRead';

export function argoCdHint(instance: string): string {
  return `check that Argo CD '${instance}' is up and that argocd.instances has its URL right`;
}

/** An Argo CD failure, naming the instance and what to check. */
export function explainArgoCd(instance: string, e: unknown): string {
  const error = e as Partial<ArgoCdError>;
  // The instance's name beside the URL the error may give: Argo CD (beta, https://…): …
  const message = messageOf(e).replace(/^Argo CD(: | \()/, (_all, after) =>
    after === ': ' ? `Argo CD (${instance}): ` : `Argo CD (${instance}, `,
  );
  if (error.reason === 'unauthorized' || error.status === 403) {
    return `${message}; renew the token of '${instance}' in argocd.instances`;
  }
  return `${message}; ${argoCdHint(instance)}`;
}

export interface ArgoCdFeedOptions {
  systems: Pick<StatusSystems, 'argocdFor'>;
  environments: string[];
  /** Every Argo CD app some row shows: a list of N apps is checked in O(N), not O(N × rows). */
  wantedApps: ReadonlySet<string>;
  logger: LoggerService;
  /** What the list reads share with the cache's other reads. */
  reads: Omit<TimedReadEnv, 'settled'>;
  /** How often the apps are listed while a stream is down, as its error says. */
  listWhileDownMs: number;
  /** Backoff of the stream's reconnects. */
  watchReconnect?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Something the rows show changed. */
  changed(): void;
  /** An app some row shows changed, came or went (the instance's revision has moved already). */
  appChanged(instance: ArgoCdInstanceFeed, name: string): void;
  /** The cache has stopped: open no stream, report no refusal. */
  stopped(): boolean;
}

/** One Argo CD instance: the apps it holds that the dashboard shows, fed by a list and the stream. */
export class ArgoCdInstanceFeed {
  readonly name: string;
  readonly environments: string[] = [];
  readonly apps = new Map<
    string,
    { state: ArgoCdAppState; resourceVersion?: number }
  >();
  readonly list: TimedRead<void>;
  streamUp = false;
  streamError?: string;
  /** A list or a stream replay has answered at least once. */
  seen = false;
  /** Counts changes to what the rows of this instance show (apps, list, stream). */
  revision = 0;
  private watcher?: ArgoCdApplicationWatcher;

  constructor(
    readonly client: StatusArgoCd,
    private readonly options: ArgoCdFeedOptions,
  ) {
    const name = client.instance;
    this.name = name;
    this.list = new TimedRead<void>(
      {
        ...options.reads,
        settled: () => {
          this.revision += 1;
          options.changed();
        },
      },
      async () => {
        const apps = await client.listApplications();
        this.applyList(apps);
      },
      {
        what: `Argo CD (${name}): list applications`,
        hint: argoCdHint(name),
        explain: e => explainArgoCd(name, e),
      },
    );
  }

  /** What Argo CD last said of an app, if it holds it. */
  state(name: string): ArgoCdAppState | undefined {
    return this.apps.get(name)?.state;
  }

  /** Opens the application stream, reopened with backoff until stopped. Idempotent. */
  startWatch(): void {
    if (this.options.stopped() || this.watcher) return;
    const { logger, changed, listWhileDownMs } = this.options;
    const watcher = new ArgoCdApplicationWatcher(
      o => this.client.watchApplications(o),
      { reconnect: this.options.watchReconnect },
    );
    watcher.on('connected', () => {
      this.revision += 1;
      this.streamUp = true;
      this.streamError = undefined;
      changed();
    });
    watcher.on('reconnecting', (error: Error) => {
      if (this.streamUp || !this.streamError) {
        logger.warn(
          `Status: the Argo CD (${this.name}) application stream failed, reconnecting: ${error.message}`,
        );
      }
      this.revision += 1;
      this.streamUp = false;
      this.streamError = `Argo CD (${
        this.name
      }): the application stream failed (${
        error.message
      }); reconnecting, and listing the apps every ${seconds(
        listWhileDownMs,
      )} meanwhile`;
      changed();
    });
    watcher.on('stopped', (error?: Error) => {
      this.revision += 1;
      this.streamUp = false;
      if (error && !this.options.stopped()) {
        logger.warn(
          `Status: the Argo CD (${this.name}) application stream was refused: ${error.message}`,
        );
        this.streamError = `Argo CD (${
          this.name
        }): the application stream was refused (${
          error.message
        }); check the token of this instance in argocd.instances; listing the apps every ${seconds(
          listWhileDownMs,
        )} meanwhile`;
        changed();
      }
    });
    watcher.on('event', (event: ArgoCdWatchEvent) => this.applyEvent(event));
    this.watcher = watcher;
    watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
  }

  private applyList(apps: v1alpha1Application[]) {
    const listed = new Set<string>();
    for (const app of apps) {
      const name = app.metadata?.name ?? '';
      if (!this.options.wantedApps.has(name)) continue;
      listed.add(name);
      this.upsert(app);
    }
    for (const name of [...this.apps.keys()]) {
      if (!listed.has(name)) {
        this.apps.delete(name);
        this.appChanged(name);
      }
    }
    this.seen = true;
    this.revision += 1;
  }

  private applyEvent(event: ArgoCdWatchEvent) {
    const name = event.application.metadata?.name ?? '';
    if (!this.options.wantedApps.has(name)) return;
    this.seen = true;
    this.revision += 1;
    if (event.type === 'DELETED') {
      this.apps.delete(name);
      this.appChanged(name);
      return;
    }
    this.upsert(event.application);
  }

  /** Keeps the newer of what is held and what came (a list may answer after a stream event). */
  private upsert(app: v1alpha1Application) {
    const name = app.metadata?.name ?? '';
    const version = Number(app.metadata?.resourceVersion);
    const resourceVersion = Number.isFinite(version) ? version : undefined;
    const held = this.apps.get(name);
    if (
      held?.resourceVersion !== undefined &&
      resourceVersion !== undefined &&
      resourceVersion <= held.resourceVersion
    ) {
      return;
    }
    this.apps.set(name, {
      state: summarizeApplication(this.name, app),
      resourceVersion,
    });
    this.appChanged(name);
  }

  private appChanged(name: string) {
    this.revision += 1;
    this.options.appChanged(this, name);
  }
}

/**
 * The Argo CD apps the dashboard shows, per instance: each instance listed in full now and then, and
 * followed between lists through its application stream (whose replay is itself a full picture).
 */
export class ArgoCdFeed {
  private readonly feeds = new Map<string, ArgoCdInstanceFeed>();
  /** Environment → its Argo CD instance, or why there is none. */
  private readonly byEnvironment = new Map<
    string,
    { instance?: ArgoCdInstanceFeed; error?: string }
  >();

  constructor(private readonly options: ArgoCdFeedOptions) {}

  /** Finds the instance of every environment; one feed per instance, however many it serves. */
  setUp(): void {
    for (const environment of this.options.environments) {
      let client: StatusArgoCd;
      try {
        client = this.options.systems.argocdFor(environment);
      } catch (e) {
        this.byEnvironment.set(environment, { error: messageOf(e) });
        continue;
      }
      let instance = this.feeds.get(client.instance);
      if (!instance) {
        instance = new ArgoCdInstanceFeed(client, this.options);
        this.feeds.set(client.instance, instance);
      }
      instance.environments.push(environment);
      this.byEnvironment.set(environment, { instance });
    }
  }

  /** The instance serving an environment, or why there is none; undefined before setUp. */
  where(
    environment: string,
  ): { instance?: ArgoCdInstanceFeed; error?: string } | undefined {
    return this.byEnvironment.get(environment);
  }

  instanceOf(environment: string): ArgoCdInstanceFeed | undefined {
    return this.byEnvironment.get(environment)?.instance;
  }

  get instances(): ArgoCdInstanceFeed[] {
    return [...this.feeds.values()];
  }

  startWatches(): void {
    for (const instance of this.feeds.values()) instance.startWatch();
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map(i => i.stop()));
  }

  /** Why each stream that is down is down: the errors on top of the page. */
  streamErrors(): string[] {
    return this.instances
      .map(i => (i.streamUp ? undefined : i.streamError))
      .filter((e): e is string => !!e);
  }
}
