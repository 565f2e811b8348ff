import type {
  ArgoCdWatchEvent,
  ArgoCdWatchOptions,
  GitlabFile,
  HybrisClusterStatus,
  PrometheusSeries,
  v1alpha1Application,
  v1alpha1ApplicationTree,
} from '@internal/plugin-release-node';
import type { StatusArgoCd, StatusSystems } from '../systems';
import type { StatusTimers } from '../TimedRead';

/** Timers that run only when a test says so. */
export class ManualTimers implements StatusTimers {
  private next = 1;
  private readonly timeouts = new Map<number, { run(): void; ms: number }>();
  private readonly intervals = new Map<number, { run(): void; ms: number }>();

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.timeouts.set(id, { run, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timeouts.delete(handle as number);
  }
  setInterval(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.intervals.set(id, { run, ms });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }

  /** Runs the pending timeouts of `ms` (all when absent). */
  fireTimeouts(ms?: number): number {
    const due = [...this.timeouts].filter(
      ([, t]) => ms === undefined || t.ms === ms,
    );
    for (const [id, t] of due) {
      this.timeouts.delete(id);
      t.run();
    }
    return due.length;
  }

  /** Runs each interval of `ms` once. */
  tick(ms: number): number {
    const due = [...this.intervals.values()].filter(t => t.ms === ms);
    due.forEach(t => t.run());
    return due.length;
  }

  get pendingIntervals(): number {
    return this.intervals.size;
  }
}

/** Holds the answers of the calls a test picks until it releases them; the calls are made at once. */
export class AnswerHold {
  /** Which calls wait, by name (e.g. "gitlab kop/kop-deploy-prod@main:hybris/values.yaml"). */
  when?: (call: string) => boolean;
  /** The calls made and not answered yet, in the order they were made. */
  readonly waiting: Array<{ call: string; answer(): void }> = [];

  /** Resolves when `call` may answer. */
  gate(call: string): Promise<void> {
    if (!this.when?.(call)) return Promise.resolve();
    return new Promise(answer => this.waiting.push({ call, answer }));
  }

  /** Lets every held call answer. */
  release(): void {
    for (const held of this.waiting.splice(0)) held.answer();
  }

  get calls(): string[] {
    return this.waiting.map(w => w.call);
  }
}

/** A promise resolved or rejected from outside. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const SYNCED = 'a'.repeat(40);

/** An Application as Argo CD answers it, with what the status reads. */
export function application(
  name: string,
  options: {
    resourceVersion: number;
    image?: string;
    sync?: string;
    health?: string;
    revision?: string;
  },
): v1alpha1Application {
  const revision = options.revision ?? SYNCED;
  return {
    metadata: { name, resourceVersion: String(options.resourceVersion) },
    spec: { project: 'kop', source: { targetRevision: 'main' } },
    status: {
      sync: { status: options.sync ?? 'Synced', revision },
      health: { status: options.health ?? 'Healthy' },
      summary: options.image ? { images: [options.image] } : {},
      history: [{ id: 1, revision }],
    },
  };
}

/** An application stream a test feeds by hand. */
export class FakeStream {
  private options?: ArgoCdWatchOptions;
  private readonly queue: Array<ArgoCdWatchEvent | Error> = [];
  private wake?: () => void;
  opened = 0;

  constructor(private readonly instance: string) {}

  get open(): boolean {
    return !!this.options && !this.options.signal?.aborted;
  }

  async *watch(
    options: ArgoCdWatchOptions,
  ): AsyncGenerator<ArgoCdWatchEvent, void, undefined> {
    this.options = options;
    this.opened += 1;
    const aborted = () => this.wake?.();
    options.signal?.addEventListener('abort', aborted);
    try {
      while (!options.signal?.aborted) {
        const next = this.queue.shift();
        if (next instanceof Error) throw next;
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>(resolve => {
          this.wake = resolve;
        });
      }
    } finally {
      options.signal?.removeEventListener('abort', aborted);
    }
  }

  connect(): void {
    this.options?.onConnect?.();
  }

  /** The stream broke; the client says it is reconnecting. */
  fail(error: Error): void {
    this.options?.onError?.(error);
  }

  /** The stream is refused for good (401/403): the iterator ends with this error. */
  refuse(error: Error): void {
    this.queue.push(error);
    this.wake?.();
  }

  push(type: string, app: v1alpha1Application): void {
    this.queue.push({ instance: this.instance, type, application: app });
    this.wake?.();
  }
}

/** One Argo CD instance held in memory. */
export class FakeArgoCd implements StatusArgoCd {
  readonly apps = new Map<string, v1alpha1Application>();
  readonly stream: FakeStream;
  readonly pods = new Map<string, { total: number; ready: number }>();
  lists = 0;
  trees = 0;
  /** When set, the next lists answer this instead. */
  nextList?: () => Promise<v1alpha1Application[]>;

  constructor(
    readonly instance: string,
    apps: v1alpha1Application[],
    private readonly hold = new AnswerHold(),
  ) {
    for (const app of apps) this.apps.set(app.metadata!.name!, app);
    this.stream = new FakeStream(instance);
  }

  async listApplications(): Promise<v1alpha1Application[]> {
    this.lists += 1;
    await this.hold.gate(`argocd ${this.instance} list`);
    if (this.nextList) return this.nextList();
    return structuredClone([...this.apps.values()]);
  }

  async getResourceTree(name: string): Promise<v1alpha1ApplicationTree> {
    this.trees += 1;
    await this.hold.gate(`argocd ${this.instance} tree ${name}`);
    const { total, ready } = this.pods.get(name) ?? { total: 0, ready: 0 };
    return {
      nodes: Array.from({ length: total }, (_, i) => ({
        kind: 'Pod',
        group: '',
        name: `${name}-${i}`,
        health: { status: i < ready ? 'Healthy' : 'Progressing' },
        info: [{ name: 'Containers', value: i < ready ? '1/1' : '0/1' }],
      })),
    };
  }

  watchApplications(
    options: ArgoCdWatchOptions = {},
  ): AsyncGenerator<ArgoCdWatchEvent, void, undefined> {
    return this.stream.watch(options);
  }

  applicationUrl(name: string): string {
    return `https://argocd-${this.instance}.kop.example/applications/${name}`;
  }
}

/** The kop apps of one instance: blue live at 9 pods, green idle. */
export function kopApps(resourceVersion = 10): v1alpha1Application[] {
  return [
    application('hybris-blue', {
      resourceVersion,
      image: 'registry/kop/hybris:deploy-2026-01-06',
    }),
    application('hybris-green', {
      resourceVersion,
      image: 'registry/kop/hybris:deploy-2025-12-23',
    }),
    application('hybris', { resourceVersion }),
    application('cms', { resourceVersion, image: 'registry/kop/cms:5d41402' }),
    application('cms-internal', {
      resourceVersion,
      image: 'registry/kop/cms:5d41402',
    }),
    application('web', { resourceVersion, image: 'registry/kop/web:7f3c2a1' }),
  ];
}

/** Every system the status reads, in memory: beta and prod each with their own Argo CD. */
export function fakeSystems() {
  const hold = new AnswerHold();
  const argocd = {
    beta: new FakeArgoCd('beta', kopApps(), hold),
    prod: new FakeArgoCd('prod', kopApps(), hold),
  } as Record<string, FakeArgoCd>;
  argocd.beta.pods.set('hybris-blue', { total: 9, ready: 9 });
  argocd.prod.pods.set('hybris-blue', { total: 9, ready: 9 });
  const cluster = new Map<string, HybrisClusterStatus>();
  for (const environment of ['beta', 'prod']) {
    cluster.set(`${environment}/blue`, {
      environment,
      colour: 'blue',
      up: true,
      expectedNodes: 9,
      viewSize: 9,
      members: [],
      missing: [],
      complete: true,
    });
    cluster.set(`${environment}/green`, {
      environment,
      colour: 'green',
      up: false,
      viewSize: 0,
      members: [],
      missing: [],
      complete: false,
    });
  }
  /** Files of the IaC repositories at the branch head, `<project>:<path>`. */
  const files = new Map<string, string>();
  /** Files at one commit that differ from the branch head, `<project>@<commit>:<path>`. */
  const filesAt = new Map<string, string>();
  for (const environment of ['beta', 'prod']) {
    const project = `kop/kop-deploy-${environment}`;
    files.set(
      `${project}:hybris/values.yaml`,
      'storefront:\n  hybrisServiceName: blue\nbackoffice:\n  hybrisServiceName: blue\napi:\n  hybrisServiceName: blue\n',
    );
    files.set(`${project}:hybris/values-blue.yaml`, 'replicaCount: 9\n');
    files.set(`${project}:hybris/values-green.yaml`, 'replicaCount: 0\n');
  }
  const calls = { cluster: 0, prometheus: 0, gitlab: [] as string[] };
  const errorRate: PrometheusSeries[] = [
    {
      metric: {},
      points: [
        { time: 1_700_000_000_000, value: 0.1 },
        { time: 1_700_000_060_000, value: 0.25 },
      ],
    },
  ];
  const broken: { hybris?: Error; prometheus?: Error; gitlab?: Error } = {};
  const systems: StatusSystems = {
    argocdFor: environment => {
      const client = argocd[environment];
      if (!client) {
        throw new Error(
          `No Argo CD instance serves environment '${environment}' (set argocd.instances[].environments)`,
        );
      }
      return client;
    },
    hybris: () => {
      if (broken.hybris) throw broken.hybris;
      return {
        clusterStatus: async (environment, colour) => {
          calls.cluster += 1;
          await hold.gate(`hybris ${environment}/${colour}`);
          return structuredClone(cluster.get(`${environment}/${colour}`)!);
        },
      };
    },
    prometheus: () => {
      if (broken.prometheus) throw broken.prometheus;
      return {
        queryRange: async () => {
          calls.prometheus += 1;
          await hold.gate('prometheus');
          return {
            resultType: 'matrix' as const,
            result: errorRate,
            warnings: [],
          };
        },
      };
    },
    gitlab: () => ({
      readFile: async (project, ref, path): Promise<GitlabFile | undefined> => {
        calls.gitlab.push(`${project}@${ref}:${path}`);
        await hold.gate(`gitlab ${project}@${ref}:${path}`);
        if (broken.gitlab) throw broken.gitlab;
        const content =
          filesAt.get(`${project}@${ref}:${path}`) ??
          files.get(`${project}:${path}`);
        return content === undefined
          ? undefined
          : {
              content,
              commitId: ref === 'main' ? SYNCED : ref,
              lastCommitId: SYNCED,
              blobId: 'b'.repeat(40),
            };
      },
    }),
  };
  return {
    systems,
    argocd,
    cluster,
    files,
    filesAt,
    calls,
    broken,
    errorRate,
    hold,
  };
}
