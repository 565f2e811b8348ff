import express from 'express';
import type { SandboxContext, SandboxService } from '../types';
import {
  argocdService,
  type ArgoCdSandbox,
  type ArgoCdSandboxOptions,
} from '../argocd';

/** How to build the hybris stand-in. */
export interface HybrisSandboxOptions {
  /** The Argo CD stand-in whose simulated pods are the hybris nodes. */
  argocd: ArgoCdSandbox;
  /** Default blue, green. */
  colours?: string[];
  /** The Argo CD app of a colour; default `hybris-<colour>`. */
  appFor?: (colour: string) => string;
}

/** Fault knobs of one colour in one environment. */
export interface HybrisFaults {
  /** This many pods start (and turn ready) but never join the JGroups view. */
  neverJoin?: number;
  /** Every new pod takes this much longer to start (ms, before timeScale). */
  slowStartMs?: number;
  /** Errors the colour logs per (real) second, counted in hybris_errors_total. */
  errorsPerSecond?: number;
}

/** What `GET /hybris/<env>/<colour>/cluster/status` answers. */
export interface HybrisClusterStatus {
  environment: string;
  colour: string;
  /** Nodes the colour's Deployment asks for (its replicas). */
  expectedNodes: number;
  /** Members of the JGroups view: pods that finished starting and joined. */
  viewSize: number;
  members: string[];
  /** Pods that exist but are not in the view (still starting, or never joining). */
  missing: string[];
  /** viewSize == expectedNodes and nobody is missing. */
  complete: boolean;
  coordinator?: string;
  viewId?: string;
  pods: { total: number; ready: number };
}

/** The hybris stand-in, with its knobs as functions. */
export interface HybrisSandbox extends SandboxService {
  clusterStatus(environment: string, colour: string): HybrisClusterStatus;
  setFaults(
    environment: string,
    colour: string,
    faults: HybrisFaults,
  ): Required<HybrisFaults>;
  clearFaults(environment?: string, colour?: string): void;
  errorsTotal(environment: string, colour: string): number;
  /** Every environment and colour that has a hybris app: what a Prometheus would scrape. */
  colourTargets(): Array<{ environment: string; colour: string }>;
  /** What `GET /hybris/<env>/<colour>/metrics` serves. */
  metricsText(environment: string, colour: string): Promise<string>;
}

class NotFound extends Error {}

interface ErrorCounter {
  total: number;
  perSecond: number;
  since: number;
}

/**
 * The hybris pods of each colour: `GET /hybris/<env>/<colour>/cluster/status` (the JGroups view
 * against the expected nodes; 503 while no node is up, as through a Service without endpoints) and
 * `GET /hybris/<env>/<colour>/metrics` (Prometheus text). Knobs: `POST /hybris/_sandbox/<env>/<colour>/faults`
 * `{ neverJoin?, slowStartMs?, errorsPerSecond? }`, `DELETE` the same path to clear, or the functions.
 */
export function hybrisService(
  _context: SandboxContext,
  options: HybrisSandboxOptions,
): HybrisSandbox {
  const { argocd } = options;
  const sim = argocd.simulation;
  const colours = options.colours ?? ['blue', 'green'];
  const appFor = options.appFor ?? ((c: string) => `hybris-${c}`);
  const counters = new Map<string, ErrorCounter>();
  const views = new Map<string, { members: string; id: number }>();

  const check = (environment: string, colour: string) => {
    if (!colours.includes(colour) || !sim.has(environment, appFor(colour))) {
      throw new NotFound(`no hybris ${colour} in ${environment}`);
    }
  };

  const counter = (environment: string, colour: string): ErrorCounter => {
    const key = `${environment}/${colour}`;
    let c = counters.get(key);
    if (!c) {
      c = { total: 0, perSecond: 0, since: Date.now() };
      counters.set(key, c);
    }
    const now = Date.now();
    c.total += (c.perSecond * (now - c.since)) / 1000;
    c.since = now;
    return c;
  };

  const clusterStatus = (
    environment: string,
    colour: string,
  ): HybrisClusterStatus => {
    check(environment, colour);
    const w = sim.workload(environment, appFor(colour));
    const pods = [...w.pods].sort((a, b) => a.createdAt - b.createdAt);
    const members = pods.filter(p => p.joined).map(p => p.name);
    const missing = pods.filter(p => !p.joined).map(p => p.name);
    const key = `${environment}/${colour}`;
    const signature = members.join(',');
    const view = views.get(key) ?? { members: '', id: 0 };
    if (view.members !== signature) {
      view.members = signature;
      view.id += 1;
      views.set(key, view);
    }
    return {
      environment,
      colour,
      expectedNodes: w.replicas,
      viewSize: members.length,
      members,
      missing,
      complete: members.length === w.replicas && missing.length === 0,
      ...(members.length
        ? {
            coordinator: members[0],
            viewId: `[${members[0]}|${view.id}] (${members.length})`,
          }
        : {}),
      pods: { total: pods.length, ready: pods.filter(p => p.ready).length },
    };
  };

  const setFaults = (
    environment: string,
    colour: string,
    faults: HybrisFaults,
  ): Required<HybrisFaults> => {
    check(environment, colour);
    for (const [key, value] of Object.entries(faults)) {
      if (!['neverJoin', 'slowStartMs', 'errorsPerSecond'].includes(key)) {
        throw new RangeError(`unknown fault '${key}'`);
      }
      if (
        typeof value !== 'number' ||
        !(value >= 0) ||
        !Number.isFinite(value)
      ) {
        throw new RangeError(`${key} must be a number of at least 0`);
      }
      if (key === 'neverJoin' && !Number.isInteger(value)) {
        throw new RangeError('neverJoin must be a whole number');
      }
    }
    const pod = sim.setFaults(environment, appFor(colour), {
      ...(faults.neverJoin !== undefined
        ? { neverJoin: faults.neverJoin }
        : {}),
      ...(faults.slowStartMs !== undefined
        ? { slowStartMs: faults.slowStartMs }
        : {}),
    });
    const c = counter(environment, colour);
    if (faults.errorsPerSecond !== undefined)
      c.perSecond = faults.errorsPerSecond;
    return { ...pod, errorsPerSecond: c.perSecond };
  };

  const clearFaults = (environment?: string, colour?: string) => {
    for (const env of sim.instances()) {
      if (environment && env !== environment) continue;
      for (const c of colours) {
        if ((colour && c !== colour) || !sim.has(env, appFor(c))) continue;
        setFaults(env, c, { neverJoin: 0, slowStartMs: 0, errorsPerSecond: 0 });
      }
    }
  };

  const metrics = (environment: string, colour: string): string => {
    const status = clusterStatus(environment, colour);
    const errors = counter(environment, colour).total;
    const label = `{colour="${colour}"}`;
    return [
      '# HELP hybris_jgroups_view_size Members of the JGroups cluster view of this colour.',
      '# TYPE hybris_jgroups_view_size gauge',
      `hybris_jgroups_view_size${label} ${status.viewSize}`,
      '# HELP hybris_jgroups_expected_nodes Nodes the colour is deployed with.',
      '# TYPE hybris_jgroups_expected_nodes gauge',
      `hybris_jgroups_expected_nodes${label} ${status.expectedNodes}`,
      '# HELP hybris_nodes_ready Pods of this colour that finished starting.',
      '# TYPE hybris_nodes_ready gauge',
      `hybris_nodes_ready${label} ${status.pods.ready}`,
      '# HELP hybris_errors_total Errors logged by the nodes of this colour.',
      '# TYPE hybris_errors_total counter',
      `hybris_errors_total${label} ${Math.floor(errors)}`,
      '',
    ].join('\n');
  };

  const router = express.Router();
  const fail = (res: express.Response, e: unknown) => {
    if (e instanceof NotFound) res.status(404).json({ message: e.message });
    else if (e instanceof RangeError)
      res.status(400).json({ message: e.message });
    else res.status(500).json({ message: (e as Error).message });
  };

  router.get('/_sandbox/faults', async (_req, res) => {
    await argocd.ready();
    res.json(
      sim.instances().flatMap(environment =>
        colours
          .filter(c => sim.has(environment, appFor(c)))
          .map(colour => ({
            environment,
            colour,
            ...sim.faults(environment, appFor(colour)),
            errorsPerSecond: counter(environment, colour).perSecond,
          })),
      ),
    );
  });
  router.post('/_sandbox/:env/:colour/faults', async (req, res) => {
    try {
      await argocd.ready();
      res.json(setFaults(req.params.env, req.params.colour, req.body ?? {}));
    } catch (e) {
      fail(res, e);
    }
  });
  router.delete('/_sandbox/:env/:colour/faults', async (req, res) => {
    try {
      await argocd.ready();
      check(req.params.env, req.params.colour);
      clearFaults(req.params.env, req.params.colour);
      res.status(204).end();
    } catch (e) {
      fail(res, e);
    }
  });
  router.get('/:env/:colour/cluster/status', async (req, res) => {
    try {
      await argocd.ready();
      const status = clusterStatus(req.params.env, req.params.colour);
      if (status.pods.ready === 0) {
        res.status(503).json({
          message: `no hybris ${req.params.colour} node is up in ${req.params.env}`,
        });
        return;
      }
      res.json(status);
    } catch (e) {
      fail(res, e);
    }
  });
  router.get('/:env/:colour/metrics', async (req, res) => {
    try {
      await argocd.ready();
      res
        .type('text/plain; version=0.0.4; charset=utf-8')
        .send(metrics(req.params.env, req.params.colour));
    } catch (e) {
      fail(res, e);
    }
  });

  return {
    name: 'hybris',
    prefix: '/hybris',
    router,
    clusterStatus,
    setFaults,
    clearFaults,
    errorsTotal: (environment, colour) => {
      check(environment, colour);
      return counter(environment, colour).total;
    },
    colourTargets: () =>
      sim
        .instances()
        .flatMap(environment =>
          colours
            .filter(c => sim.has(environment, appFor(c)))
            .map(colour => ({ environment, colour })),
        ),
    async metricsText(environment, colour) {
      await argocd.ready();
      return metrics(environment, colour);
    },
    async describe() {
      await argocd.ready();
      return sim.instances().flatMap(environment => {
        const live = argocd.liveColour(environment);
        return colours
          .filter(c => sim.has(environment, appFor(c)))
          .map(colour => {
            const s = clusterStatus(environment, colour);
            const f = sim.faults(environment, appFor(colour));
            const c = counter(environment, colour);
            const knobs = [
              f.neverJoin ? `neverJoin=${f.neverJoin}` : '',
              f.slowStartMs ? `slowStartMs=${f.slowStartMs}` : '',
              c.perSecond ? `errorsPerSecond=${c.perSecond}` : '',
            ].filter(Boolean);
            return {
              environment,
              colour,
              live: colour === live ? 'yes' : 'no',
              'view / expected': `${s.viewSize}/${s.expectedNodes}`,
              'pods ready': `${s.pods.ready}/${s.pods.total}`,
              errors: Math.floor(c.total),
              faults: knobs.join(', '),
            };
          });
      });
    },
  };
}

/**
 * The Argo CD and hybris stand-ins as two `startSandbox` factories sharing one simulated cluster:
 * `startSandbox({ services: [...argocdAndHybrisServices({ desiredState })] })`.
 */
export function argocdAndHybrisServices(
  options: ArgoCdSandboxOptions & {
    hybris?: Omit<HybrisSandboxOptions, 'argocd'>;
  },
): [
  (context: SandboxContext) => ArgoCdSandbox,
  (context: SandboxContext) => HybrisSandbox,
] {
  let argocd: ArgoCdSandbox | undefined;
  return [
    context => {
      argocd = argocdService(context, options);
      return argocd;
    },
    context => {
      if (!argocd) {
        throw new Error('list the Argo CD factory before the hybris one');
      }
      return hybrisService(context, { ...options.hybris, argocd });
    },
  ];
}
