import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { http, HttpResponse, type HttpHandler } from 'msw';
import type {
  v1alpha1Application,
  v1alpha1AppProject,
  v1alpha1ApplicationTree,
  v1alpha1Operation,
  v1alpha1RevisionHistory,
} from '../types';

/*
 * A small Argo CD for msw, built from the swagger's documented response shapes: enough state to run
 * the client's contract suite (operations that run, finish, can be held or terminated; history;
 * health that goes Progressing → Healthy; the stream). A 5 ms "controller" loop moves operations on.
 */

const IN_CLUSTER = 'https://kubernetes.default.svc';

interface FakeApp {
  wire: v1alpha1Application;
  head: { revision: string; tag: string };
  tags: Map<string, string>;
  replicas: number;
  hold: boolean;
  restarting: number;
  nextId: number;
}

export interface FakeFault {
  method: string;
  path: string;
  count: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha = (text: string) => createHash('sha1').update(text).digest('hex');

function error(status: number, code: number, message: string) {
  return HttpResponse.json({ error: message, code, message }, { status });
}

export class FakeArgoCd {
  private readonly apps = new Map<string, FakeApp>();
  private readonly changes = new EventEmitter();
  private readonly streams = new Set<ReadableStreamDefaultController>();
  private faults: FakeFault[] = [];
  private version = 100;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly username: string,
    options: {
      apps: Array<{
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        tag: string;
        replicas: number;
        autoSync?: boolean;
      }>;
      projectDestinations: Array<{ server?: string; namespace?: string }>;
    },
  ) {
    this.changes.setMaxListeners(0);
    this.projectDestinations = options.projectDestinations;
    for (const a of options.apps) {
      const revision = sha(`${a.name}@0`);
      const history: v1alpha1RevisionHistory[] = [
        {
          id: 0,
          revision,
          deployedAt: now(),
          deployStartedAt: now(),
          source: this.source(a.name),
          initiatedBy: { username: 'admin' },
        },
      ];
      this.apps.set(a.name, {
        head: { revision, tag: a.tag },
        tags: new Map([[revision, a.tag]]),
        replicas: a.replicas,
        hold: false,
        restarting: 0,
        nextId: 1,
        wire: {
          metadata: {
            name: a.name,
            namespace: 'argocd',
            uid: sha(`uid/${a.name}`).slice(0, 32),
            resourceVersion: String(this.version++),
            creationTimestamp: now(),
            labels: a.labels ?? {},
          },
          spec: {
            project: 'kop',
            source: this.source(a.name),
            destination: {
              server: IN_CLUSTER,
              namespace: a.namespace ?? 'kop',
            },
            ...(a.autoSync
              ? { syncPolicy: { automated: { prune: false } } }
              : {}),
          },
          status: {
            sync: { status: 'Synced', revision },
            health: { status: 'Healthy' },
            history,
            summary: { images: [this.image(a.name, a.tag)] },
            resources: [
              {
                group: 'apps',
                version: 'v1',
                kind: 'Deployment',
                namespace: a.namespace ?? 'kop',
                name: a.name,
                status: 'Synced',
                health: { status: 'Healthy' },
              },
            ],
            operationState: {
              phase: 'Succeeded',
              message: 'successfully synced (all tasks run)',
              operation: {
                sync: { revision },
                initiatedBy: { username: 'admin' },
              },
              startedAt: now(),
              finishedAt: now(),
              syncResult: { revision, source: this.source(a.name) },
            },
          },
        },
      });
    }
  }

  private readonly projectDestinations: Array<{
    server?: string;
    namespace?: string;
  }>;

  private source(name: string) {
    return {
      repoURL: 'https://gitlab.example/kop/kop-deploy-prod.git',
      path: name,
      targetRevision: 'main',
    };
  }

  private image(name: string, tag: string) {
    return `registry.example/kop/${name}:${tag}`;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
    this.dropStreams();
    this.changes.removeAllListeners();
  }

  // ------------------------------------------------------------ knobs

  commit(name: string, tag: string): string {
    const app = this.apps.get(name)!;
    const revision = sha(`${name}@${tag}@${app.tags.size}`);
    app.tags.set(revision, tag);
    app.head = { revision, tag };
    return revision;
  }

  hold(name: string, hold = true): void {
    this.apps.get(name)!.hold = hold;
  }

  startForeignOperation(
    name: string,
    by: { username?: string; automated?: boolean },
  ): void {
    const app = this.apps.get(name)!;
    app.hold = true;
    this.begin(app, {
      sync: { revision: app.head.revision },
      initiatedBy: by.automated
        ? { automated: true }
        : { username: by.username },
    });
  }

  addFault(fault: FakeFault): void {
    this.faults.push({ ...fault });
  }

  dropStreams(): void {
    for (const c of this.streams) {
      try {
        c.close();
      } catch {
        // already closed by the reader
      }
    }
    this.streams.clear();
  }

  // ---------------------------------------------------------- controller

  private touch(app: FakeApp): void {
    app.wire.metadata!.resourceVersion = String(this.version++);
    this.changes.emit('change', app.wire.metadata!.name);
  }

  private begin(app: FakeApp, operation: v1alpha1Operation): void {
    app.wire.operation = operation;
    delete app.wire.status!.operationState;
    this.touch(app);
  }

  private tick(): void {
    for (const app of this.apps.values()) {
      const status = app.wire.status!;
      const state = status.operationState;
      if (app.wire.operation && !state) {
        status.operationState = {
          operation: app.wire.operation,
          phase: 'Running',
          message: 'one or more tasks are running',
          startedAt: now(),
        };
        this.touch(app);
      } else if (state?.phase === 'Terminating') {
        status.operationState = {
          ...state,
          phase: 'Failed',
          message: 'Operation terminated',
          finishedAt: now(),
        };
        delete app.wire.operation;
        this.touch(app);
      } else if (state?.phase === 'Running' && !app.hold) {
        const op = app.wire.operation!;
        const revision = op.sync!.revision!;
        if (!op.sync!.dryRun) {
          const history = status.history!;
          history.push({
            id: app.nextId++,
            revision,
            deployedAt: now(),
            deployStartedAt: state.startedAt,
            source: this.source(app.wire.metadata!.name!),
            initiatedBy: op.initiatedBy,
          });
          status.summary = {
            images: [
              this.image(app.wire.metadata!.name!, app.tags.get(revision)!),
            ],
          };
          status.health = {
            status: 'Progressing',
            message:
              'Waiting for rollout to finish: 0 of 1 updated replicas are available...',
          };
          status.sync = {
            status: revision === app.head.revision ? 'Synced' : 'OutOfSync',
            revision: app.head.revision,
          };
        }
        status.operationState = {
          ...state,
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          finishedAt: now(),
          syncResult: {
            revision,
            source: this.source(app.wire.metadata!.name!),
          },
        };
        delete app.wire.operation;
        this.touch(app);
      } else if (status.health?.status === 'Progressing') {
        status.health = { status: 'Healthy' };
        this.touch(app);
      }
    }
  }

  private tree(app: FakeApp): v1alpha1ApplicationTree {
    const name = app.wire.metadata!.name!;
    const ns = app.wire.spec!.destination!.namespace;
    const healthy = app.wire.status!.health!.status === 'Healthy';
    return {
      nodes: [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: ns,
          name,
          uid: `${name}-deploy`,
          health: { status: app.wire.status!.health!.status },
        },
        ...Array.from({ length: app.replicas }, (_, i) => ({
          group: '',
          version: 'v1',
          kind: 'Pod',
          namespace: ns,
          name: `${name}-${app.restarting}-${i}`,
          uid: `${name}-pod-${app.restarting}-${i}`,
          parentRefs: [
            { group: 'apps', kind: 'ReplicaSet', namespace: ns, name },
          ],
          info: [{ name: 'Containers', value: healthy ? '1/1' : '0/1' }],
          health: { status: healthy ? 'Healthy' : 'Progressing' },
          images: app.wire.status!.summary!.images,
        })),
      ],
    };
  }

  // ------------------------------------------------------------ handlers

  handlers(): HttpHandler[] {
    const base = `${this.baseUrl}/api/v1`;
    const app = (name: string) => this.apps.get(name);
    const authorised = (request: Request) =>
      request.headers.get('authorization') === `Bearer ${this.token}`;

    return [
      http.all(`${base}/*`, ({ request }) => {
        const path = new URL(request.url).pathname;
        const fault = this.faults.find(
          f => f.method === request.method && path.startsWith(f.path),
        );
        if (fault) {
          fault.count -= 1;
          if (fault.count <= 0)
            this.faults = this.faults.filter(f => f !== fault);
          return HttpResponse.json(
            (fault.body ?? { message: `fault ${fault.status}` }) as Record<
              string,
              unknown
            >,
            { status: fault.status, headers: fault.headers },
          );
        }
        if (!authorised(request)) {
          return error(401, 16, 'no session information');
        }
        return undefined;
      }),

      http.get(`${base}/applications`, ({ request }) => {
        const url = new URL(request.url);
        const name = url.searchParams.get('name');
        const selector = url.searchParams.get('selector');
        const [key, value] = selector?.split('=') ?? [];
        const items = [...this.apps.values()]
          .map(a => a.wire)
          .filter(a => !name || a.metadata!.name === name)
          .filter(a => !key || a.metadata!.labels?.[key] === value);
        return HttpResponse.json({ metadata: {}, items } as any);
      }),

      http.get(`${base}/applications/:name`, ({ params, request }) => {
        const a = app(String(params.name));
        if (!a) return error(403, 7, 'permission denied');
        if (new URL(request.url).searchParams.get('refresh')) {
          const s = a.wire.status!;
          const live = s.history![s.history!.length - 1].revision;
          s.sync = {
            status: live === a.head.revision ? 'Synced' : 'OutOfSync',
            revision: a.head.revision,
          };
          s.reconciledAt = now();
        }
        return HttpResponse.json(a.wire as any);
      }),

      http.get(`${base}/applications/:name/resource-tree`, ({ params }) => {
        const a = app(String(params.name));
        if (!a) return error(403, 7, 'permission denied');
        return HttpResponse.json(this.tree(a) as any);
      }),

      http.post(
        `${base}/applications/:name/sync`,
        async ({ params, request }) => {
          const a = app(String(params.name));
          if (!a) return error(403, 7, 'permission denied');
          const body = (await request.json()) as Record<string, any>;
          if (a.wire.operation) {
            return error(400, 9, 'another operation is already in progress');
          }
          const revision = body.revision || a.head.revision;
          if (!a.tags.has(revision)) {
            return error(
              400,
              9,
              `unable to resolve '${revision}' to a commit SHA`,
            );
          }
          this.begin(a, {
            sync: { revision, dryRun: !!body.dryRun, prune: !!body.prune },
            initiatedBy: { username: this.username },
            ...(body.infos ? { info: body.infos } : {}),
          });
          return HttpResponse.json(a.wire as any);
        },
      ),

      http.post(
        `${base}/applications/:name/rollback`,
        async ({ params, request }) => {
          const a = app(String(params.name));
          if (!a) return error(403, 7, 'permission denied');
          const body = (await request.json()) as Record<string, any>;
          if (a.wire.spec!.syncPolicy?.automated) {
            return error(
              400,
              9,
              'rollback cannot be initiated when auto-sync is enabled',
            );
          }
          const entry = a.wire.status!.history!.find(h => h.id === body.id);
          if (!entry) {
            return error(
              400,
              3,
              `application ${params.name} does not have deployment with id ${body.id}`,
            );
          }
          if (a.wire.operation) {
            return error(400, 9, 'another operation is already in progress');
          }
          this.begin(a, {
            sync: { revision: entry.revision, source: entry.source },
            initiatedBy: { username: this.username },
          });
          return HttpResponse.json(a.wire as any);
        },
      ),

      http.delete(`${base}/applications/:name/operation`, ({ params }) => {
        const a = app(String(params.name));
        if (!a) return error(403, 7, 'permission denied');
        const state = a.wire.status!.operationState;
        if (!a.wire.operation || !state) {
          return error(
            400,
            3,
            'Unable to terminate operation. No operation is in progress',
          );
        }
        state.phase = 'Terminating';
        this.touch(a);
        return HttpResponse.json({});
      }),

      http.get(`${base}/applications/:name/resource/actions`, ({ params }) => {
        if (!app(String(params.name)))
          return error(403, 7, 'permission denied');
        return HttpResponse.json({
          actions: [{ name: 'restart', disabled: false }],
        });
      }),

      http.post(
        `${base}/applications/:name/resource/actions/v2`,
        async ({ params, request }) => {
          const a = app(String(params.name));
          if (!a) return error(403, 7, 'permission denied');
          const body = (await request.json()) as Record<string, any>;
          if (body.kind !== 'Deployment' || body.action !== 'restart') {
            return error(400, 3, `action '${body.action}' is not available`);
          }
          a.restarting += 1;
          a.wire.status!.health = { status: 'Progressing' };
          this.touch(a);
          return HttpResponse.json({});
        },
      ),

      http.get(`${base}/projects/:name`, ({ params }) => {
        if (params.name !== 'kop') {
          return error(
            404,
            5,
            `appprojects.argoproj.io "${params.name}" not found`,
          );
        }
        const project: v1alpha1AppProject = {
          metadata: { name: 'kop', namespace: 'argocd' },
          spec: { destinations: this.projectDestinations, sourceRepos: ['*'] },
        };
        return HttpResponse.json(project as any);
      }),

      http.get(`${base}/stream/applications`, ({ request }) => {
        const url = new URL(request.url);
        const name = url.searchParams.get('name');
        const [key, value] = url.searchParams.get('selector')?.split('=') ?? [];
        const matches = (a: FakeApp) =>
          (!name || a.wire.metadata!.name === name) &&
          (!key || a.wire.metadata!.labels?.[key] === value);
        const encoder = new TextEncoder();
        let listener: ((app: string) => void) | undefined;
        const line = (type: string, a: FakeApp) =>
          encoder.encode(
            `${JSON.stringify({ result: { type, application: a.wire } })}\n`,
          );
        const stream = new ReadableStream<Uint8Array>({
          start: controller => {
            this.streams.add(controller);
            for (const a of this.apps.values()) {
              if (matches(a)) controller.enqueue(line('ADDED', a));
            }
            listener = (changed: string) => {
              if (!matches(this.apps.get(changed)!)) return;
              try {
                controller.enqueue(line('MODIFIED', this.apps.get(changed)!));
              } catch {
                this.changes.off('change', listener!);
              }
            };
            this.changes.on('change', listener);
          },
          cancel: () => {
            if (listener) this.changes.off('change', listener);
          },
        });
        return new HttpResponse(stream, {
          headers: { 'content-type': 'application/json' },
        });
      }),
    ];
  }
}
