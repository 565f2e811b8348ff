import express, { type Request, type Response } from 'express';
import { escapeHtml } from '../html';
import type { SandboxContext, SandboxService } from '../types';
import {
  hybrisServiceKeys,
  kopArgoApps,
  kopArgoProjects,
  type ArgoSandboxAppDefinition,
  type ArgoSandboxProject,
} from './defaults';
import type { DesiredStateSource } from './desiredState';
import { labelSelector } from './labels';
import { ArgoApiError, ArgoCdSimulation, valueAt } from './simulation';

export * from './defaults';
export * from './desiredState';
export {
  ArgoCdSimulation,
  IN_PROGRESS_MESSAGE,
  type PodFaults,
  type SimPod,
} from './simulation';

/** How to build the Argo CD stand-in. */
export interface ArgoCdSandboxOptions {
  /** Reads an app's desired state (its Helm values) at a revision of the IaC repository. */
  desiredState: DesiredStateSource;
  /** Argo CD instances, one per environment, served at `/argocd/<instance>`; default beta, prod. */
  instances?: string[];
  /** The apps; default the six kop apps in every instance. */
  apps?: ArgoSandboxAppDefinition[];
  /** The AppProjects; default `kop`, allowing namespaces kop and kop-internal. */
  projects?: ArgoSandboxProject[];
  /** Accepted bearer tokens → the username Argo CD reports; any token is `kop-portal` when absent. */
  tokens?: Record<string, string>;
  /** How long a sync operation runs (ms, before timeScale); default 1500. */
  operationMs?: number;
  /** How often git is re-read and compared (real ms); default 3000, 0 = only on refresh. */
  reconcileIntervalMs?: number;
  /** Treat the first state read from git as already deployed; default true. */
  seedLive?: boolean;
  /** Where replicas and the image are in the values (default replicaCount, image.tag, image.repository). */
  valueKeys?: {
    replicas?: string;
    imageTag?: string;
    imageRepository?: string;
  };
  /** The app whose values point the hybris services at a colour, and those keys. */
  hybrisSwitch?: { app: string; keys: string[] };
}

/** The Argo CD stand-in, with handles for tests and the hybris stand-in. */
export interface ArgoCdSandbox extends SandboxService {
  simulation: ArgoCdSimulation;
  /** Resolves once every app's desired state was read once. */
  ready(): Promise<void>;
  /** Re-reads git and re-compares (like a webhook or `?refresh=hard`). */
  refresh(instance?: string, app?: string): Promise<void>;
  /** Starts a sync as someone else (a person, or automated sync): an operation the portal did not start. */
  startOperation(
    instance: string,
    app: string,
    by?: { username?: string; automated?: boolean; revision?: string },
  ): Promise<void>;
  /** Keeps operations on an app Running until released (hold=false). */
  hold(instance: string, app: string, hold?: boolean): void;
  /** The colour the hybris services point at in an environment, if one. */
  liveColour(instance: string): string | undefined;
  /** Ends every open application stream, as an Argo CD restart or a proxy timeout does. */
  dropStreams(): void;
}

const ROLLOUT_ACTIONS = [
  'restart',
  'resume',
  'pause',
  'abort',
  'retry',
  'promote-full',
];

function sendError(res: Response, e: unknown): void {
  if (e instanceof ArgoApiError) {
    res
      .status(e.status)
      .json({ error: e.message, code: e.code, message: e.message });
    return;
  }
  const message = (e as Error)?.message ?? String(e);
  res.status(500).json({ error: message, code: 2, message });
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value) return [value];
  return [];
}

function one(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function invalid(message: string): ArgoApiError {
  return new ArgoApiError(400, 3, message);
}

/**
 * An Argo CD API server stand-in at `/argocd/<instance>/api/v1/...` answering the subset the portal
 * uses (list, get with refresh, sync, rollback, terminate, resource tree, resource actions, projects,
 * the application stream), with shapes valid against Argo CD's swagger definitions. A sync reads the
 * desired state at the synced revision and moves simulated pods toward its replicaCount / image.tag
 * over time (scaled by `context.timeScale`).
 *
 * Sandbox-only routes: `POST /argocd/_sandbox/refresh`, `POST /argocd/_sandbox/streams/drop`,
 * `POST /argocd/_sandbox/<instance>/applications/<app>/operation` `{ username?, automated?, revision? }`
 * (start someone else's operation), `.../hold` `{ hold: boolean }` and `.../faults` `{ slowStartMs }`
 * (extra start time of the app's new pods).
 */
export function argocdService(
  context: SandboxContext,
  options: ArgoCdSandboxOptions,
): ArgoCdSandbox {
  const instances = options.instances ?? ['beta', 'prod'];
  const apps = options.apps ?? kopArgoApps(instances);
  const known = new Set([...instances, ...apps.map(a => a.instance)]);
  const simulation = new ArgoCdSimulation(context, {
    desiredState: options.desiredState,
    apps,
    projects: options.projects ?? kopArgoProjects,
    operationMs: options.operationMs,
    seedLive: options.seedLive,
    valueKeys: options.valueKeys,
  });
  const switchApp = options.hybrisSwitch ?? {
    app: 'hybris',
    keys: hybrisServiceKeys,
  };
  const streams = new Set<Response>();
  const interval =
    options.reconcileIntervalMs === 0
      ? undefined
      : setInterval(
          () => simulation.refresh().catch(() => undefined),
          options.reconcileIntervalMs ?? 3000,
        );
  interval?.unref();

  const liveColour = (instance: string): string | undefined => {
    if (!simulation.has(instance, switchApp.app)) return undefined;
    const values = simulation.liveValues(instance, switchApp.app);
    const colours = new Set(
      switchApp.keys.map(k =>
        String(valueAt(values, k) ?? '').replace(/^hybris-/, ''),
      ),
    );
    if (colours.size !== 1) return colours.size ? 'mixed' : undefined;
    return [...colours][0] || undefined;
  };

  const router = express.Router();

  // ------------------------------------------------------ sandbox knobs
  router.post('/_sandbox/refresh', async (_req, res) => {
    await simulation.refresh();
    res.status(204).end();
  });
  router.post(
    '/_sandbox/:instance/applications/:name/operation',
    async (req, res) => {
      try {
        const { instance, name } = req.params;
        const body = req.body ?? {};
        await simulation.sync(
          instance,
          name,
          { revision: one(body.revision) },
          body.automated
            ? { automated: true }
            : { username: one(body.username) ?? 'someone-else' },
        );
        res.status(201).json(simulation.application(instance, name));
      } catch (e) {
        sendError(res, e);
      }
    },
  );
  router.post('/_sandbox/streams/drop', (_req, res) => {
    for (const stream of streams) stream.end();
    streams.clear();
    res.status(204).end();
  });
  router.post('/_sandbox/:instance/applications/:name/faults', (req, res) => {
    try {
      const { instance, name } = req.params;
      const slowStartMs = req.body?.slowStartMs;
      if (
        typeof slowStartMs !== 'number' ||
        !Number.isFinite(slowStartMs) ||
        slowStartMs < 0
      ) {
        throw invalid('slowStartMs must be a number of at least 0');
      }
      res.json(simulation.setFaults(instance, name, { slowStartMs }));
    } catch (e) {
      sendError(res, e);
    }
  });
  router.post('/_sandbox/:instance/applications/:name/hold', (req, res) => {
    try {
      const { instance, name } = req.params;
      simulation.hold(instance, name, req.body?.hold !== false);
      res.json({ hold: req.body?.hold !== false });
    } catch (e) {
      sendError(res, e);
    }
  });

  // ------------------------------------------------------ Argo CD API
  const api = express.Router({ mergeParams: true });
  type Handler = (
    req: Request,
    res: Response,
    instance: string,
  ) => Promise<unknown> | unknown;
  const handle =
    (fn: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await simulation.ready();
        const out = await fn(req, res, req.params.instance);
        if (out !== undefined && !res.headersSent) res.json(out);
      } catch (e) {
        if (!res.headersSent) sendError(res, e);
      }
    };

  const findApp = (req: Request, instance: string, name: string) => {
    if (!simulation.has(instance, name)) {
      // With a project named, Argo CD can tell "not found"; without, it hides existence (403).
      if (one(req.query.project) || list(req.query.projects).length) {
        throw new ArgoApiError(
          404,
          5,
          `applications.argoproj.io "${name}" not found`,
        );
      }
      throw new ArgoApiError(403, 7, 'permission denied');
    }
  };

  const filterFor = (req: Request, instance: string) => {
    const name = one(req.query.name);
    let selector: ReturnType<typeof labelSelector>;
    try {
      selector = labelSelector(one(req.query.selector));
    } catch (e) {
      throw invalid(
        `error parsing labels with selectors: ${(e as Error).message}`,
      );
    }
    const projects = [...list(req.query.projects), ...list(req.query.project)];
    return (app: string) =>
      (!name || app === name) &&
      selector(simulation.labels(instance, app)) &&
      (projects.length === 0 ||
        projects.includes(simulation.project(instance, app)));
  };

  api.get(
    '/applications',
    handle(async (req, _res, instance) => {
      const matches = filterFor(req, instance);
      if (one(req.query.refresh)) await simulation.refresh(instance);
      const names = simulation.appNames(instance).filter(matches);
      return {
        metadata: {
          resourceVersion: String(
            Math.max(
              0,
              ...simulation
                .appNames(instance)
                .map(n => simulation.resourceVersionOf(instance, n)),
            ),
          ),
        },
        items: names.map(n => simulation.application(instance, n)),
      };
    }),
  );

  api.get(
    '/applications/:name',
    handle(async (req, _res, instance) => {
      const { name } = req.params;
      findApp(req, instance, name);
      if (one(req.query.refresh)) await simulation.refresh(instance, name);
      return simulation.application(instance, name);
    }),
  );

  api.get(
    '/applications/:name/resource-tree',
    handle((req, _res, instance) => {
      findApp(req, instance, req.params.name);
      return simulation.resourceTree(instance, req.params.name);
    }),
  );

  api.post(
    '/applications/:name/sync',
    handle((req, res, instance) => {
      const { name } = req.params;
      findApp(req, instance, name);
      const body = req.body ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw invalid('the body must be an ApplicationSyncRequest object');
      }
      for (const key of ['revision'] as const) {
        if (body[key] !== undefined && typeof body[key] !== 'string') {
          throw invalid(`${key} must be a string`);
        }
      }
      for (const key of ['dryRun', 'prune'] as const) {
        if (body[key] !== undefined && typeof body[key] !== 'boolean') {
          throw invalid(`${key} must be a boolean`);
        }
      }
      if (body.infos !== undefined && !Array.isArray(body.infos)) {
        throw invalid('infos must be a list of { name, value }');
      }
      return simulation.sync(
        instance,
        name,
        {
          revision: body.revision,
          dryRun: body.dryRun,
          prune: body.prune,
          infos: body.infos,
          resources: body.resources,
        },
        { username: res.locals.argoUser },
      );
    }),
  );

  api.post(
    '/applications/:name/rollback',
    handle((req, res, instance) => {
      const { name } = req.params;
      findApp(req, instance, name);
      const body = req.body ?? {};
      const id = Number(body.id ?? 0);
      if (!Number.isInteger(id) || id < 0)
        throw invalid('id must be a whole number');
      return simulation.rollback(
        instance,
        name,
        { id, dryRun: body.dryRun === true, prune: body.prune === true },
        { username: res.locals.argoUser },
      );
    }),
  );

  api.delete(
    '/applications/:name/operation',
    handle((req, _res, instance) => {
      findApp(req, instance, req.params.name);
      simulation.terminate(instance, req.params.name);
      return {};
    }),
  );

  const findResource = (
    instance: string,
    app: string,
    ref: { kind?: string; name?: string; namespace?: string; group?: string },
  ) => {
    const nodes = (simulation.resourceTree(instance, app).nodes ?? []) as Array<
      Record<string, unknown>
    >;
    const node = nodes.find(
      n =>
        n.kind === ref.kind &&
        n.name === ref.name &&
        (!ref.namespace || n.namespace === ref.namespace) &&
        (ref.group === undefined || (n.group ?? '') === ref.group),
    );
    if (!node) {
      throw invalid(
        `${ref.kind} ${ref.group ?? ''} ${
          ref.name
        } not found as part of application ${app}`,
      );
    }
    return node;
  };

  const actionsFor = (kind: unknown) => {
    if (kind === 'Deployment') return ['restart'];
    if (kind === 'Rollout') return ROLLOUT_ACTIONS;
    return [];
  };

  api.get(
    '/applications/:name/resource/actions',
    handle((req, _res, instance) => {
      const { name } = req.params;
      findApp(req, instance, name);
      const node = findResource(instance, name, {
        kind: one(req.query.kind),
        name: one(req.query.resourceName),
        namespace: one(req.query.namespace),
        group:
          typeof req.query.group === 'string' ? req.query.group : undefined,
      });
      return {
        actions: actionsFor(node.kind).map(a => ({
          name: a,
          disabled: false,
        })),
      };
    }),
  );

  api.post(
    '/applications/:name/resource/actions/v2',
    handle((req, _res, instance) => {
      const { name } = req.params;
      findApp(req, instance, name);
      const body = req.body ?? {};
      const node = findResource(instance, name, {
        kind: one(body.kind),
        name: one(body.resourceName),
        namespace: one(body.namespace),
        group: typeof body.group === 'string' ? body.group : undefined,
      });
      const action = one(body.action);
      if (!action || !actionsFor(node.kind).includes(action)) {
        throw invalid(
          `error getting Lua resource action: action '${action}' is not available on ${node.kind}`,
        );
      }
      // The sandbox acts on restart; the other Rollout actions are accepted and change nothing.
      if (action === 'restart') simulation.restart(instance, name);
      return {};
    }),
  );

  api.get(
    '/projects/:name',
    handle((req, _res, instance) =>
      simulation.appProject(instance, req.params.name),
    ),
  );

  api.get(
    '/stream/applications',
    handle((req, res, instance) => {
      const matches = filterFor(req, instance);
      const name = one(req.query.name);
      const minVersion = Number(one(req.query.resourceVersion) ?? 0) || 0;
      res.status(200);
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', 'no-cache');
      res.flushHeaders();
      const send = (type: string, app: string) => {
        if (res.writableEnded) return;
        res.write(
          `${JSON.stringify({
            result: {
              type,
              application: simulation.application(instance, app),
            },
          })}\n`,
        );
      };
      // Argo CD replays everything as ADDED unless resuming from a resourceVersion.
      if (!one(req.query.resourceVersion) || name) {
        simulation
          .appNames(instance)
          .filter(matches)
          .forEach(a => send('ADDED', a));
      }
      const onChange = (key: string) => {
        const [i, app] = key.split('/');
        if (i !== instance || !matches(app)) return;
        if (simulation.resourceVersionOf(i, app) < minVersion) return;
        send('MODIFIED', app);
      };
      simulation.changes.on('change', onChange);
      streams.add(res);
      req.on('close', () => {
        simulation.changes.off('change', onChange);
        streams.delete(res);
      });
      return undefined;
    }),
  );

  api.use((_req, res) => {
    res.status(404).json({ error: 'Not Found', code: 5, message: 'Not Found' });
  });

  const auth = (req: Request, res: Response, next: () => void) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      res.status(401).json({
        error: 'no session information',
        code: 16,
        message: 'no session information',
      });
      return;
    }
    const user = options.tokens ? options.tokens[match[1]] : 'kop-portal';
    if (!user) {
      res.status(401).json({
        error: 'invalid session: token signature is invalid',
        code: 16,
        message: 'invalid session: token signature is invalid',
      });
      return;
    }
    res.locals.argoUser = user;
    next();
  };

  // ------------------------------------------------------ the UI's app page
  // What the portal's links open: a plain page of the app as the API shows it (the real UI needs a login).
  router.get('/:instance/applications/:name', (req, res) => {
    const { instance, name } = req.params;
    if (!known.has(instance)) {
      res.status(404).type('text').send(`no Argo CD instance ${instance}`);
      return;
    }
    try {
      const app = simulation.application(instance, name) as {
        status?: {
          sync?: { status?: string; revision?: string };
          health?: { status?: string };
          summary?: { images?: string[] };
        };
      };
      const rows: Array<[string, string]> = [
        ['Sync', app.status?.sync?.status ?? 'Unknown'],
        ['Health', app.status?.health?.status ?? 'Unknown'],
        ['Revision', app.status?.sync?.revision ?? ''],
        ['Images', (app.status?.summary?.images ?? []).join(', ')],
      ];
      res
        .type('html')
        .send(
          `<!doctype html><meta charset="utf-8"><title>${escapeHtml(
            name,
          )} · Argo CD ${escapeHtml(
            instance,
          )} (sandbox)</title><h1>${escapeHtml(name)}</h1><dl>${rows
            .map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`)
            .join('')}</dl>`,
        );
    } catch (e) {
      sendError(res, e);
    }
  });

  router.use(
    '/:instance/api/v1',
    (req, res, next) => {
      if (!known.has(req.params.instance)) {
        res
          .status(404)
          .json({ message: `no Argo CD instance ${req.params.instance}` });
        return;
      }
      next();
    },
    auth,
    api,
  );

  return {
    name: 'Argo CD',
    prefix: '/argocd',
    router,
    simulation,
    ready: () => simulation.ready(),
    refresh: (instance, app) => simulation.refresh(instance, app),
    async startOperation(instance, app, by = {}) {
      await simulation.sync(
        instance,
        app,
        { revision: by.revision },
        by.automated
          ? { automated: true }
          : { username: by.username ?? 'someone-else' },
      );
    },
    hold: (instance, app, hold = true) => simulation.hold(instance, app, hold),
    liveColour,
    dropStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
    async describe() {
      await simulation.ready();
      return simulation.instances().flatMap(instance => {
        const live = liveColour(instance);
        return simulation.appNames(instance).map(app => {
          const { sync, health } = simulation.summary(instance, app);
          const w = simulation.workload(instance, app);
          const colour = /^hybris-(.+)$/.exec(app)?.[1];
          let colourCell = '';
          if (app === switchApp.app) colourCell = live ?? '';
          else if (colour) colourCell = colour === live ? 'live' : 'idle';
          return {
            environment: instance,
            app,
            sync,
            health,
            revision: (simulation.syncedRevision(instance, app) ?? '').slice(
              0,
              8,
            ),
            pods: w.image
              ? `${
                  w.pods.filter(p => p.ready && p.template === w.template)
                    .length
                }/${w.replicas}`
              : '',
            image: w.image.split(':').pop() ?? '',
            operation: simulation.operationPhase(instance, app),
            'live colour': colourCell,
          };
        });
      });
    },
    async close() {
      if (interval) clearInterval(interval);
      for (const res of streams) res.end();
      streams.clear();
      simulation.close();
    },
  };
}
