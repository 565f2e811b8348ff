import {
  evaluatePromQL,
  parsePromQL,
  type ArgoCdSandbox,
  type HybrisSandbox,
  type PrometheusSandbox,
  type RunningSandbox,
} from 'sandbox';

/**
 * What the engine bench follows in the sandbox, from inside the sandbox's thread: each change is
 * stamped when the stand-in makes it (Argo CD and the pods on their own events, the gate metrics
 * evaluated every few ms), so "when did the world let the gate pass" needs no HTTP poll.
 */
export interface WatchOptions {
  /** The Argo CD instance (environment) watched. */
  instance: string;
  apps: string[];
  /** The hybris colours whose cluster status is followed. */
  colours: string[];
  /** Gate metrics, their `$environment` and `$colour` filled in. */
  metrics: Array<{
    colour: string;
    name: string;
    query: string;
    min?: number;
    max?: number;
  }>;
  /** How often the metrics are evaluated (ms). */
  everyMs: number;
}

/** One change of what a gate reads, at the sandbox's own time (epoch ms). */
export interface WorldChange {
  at: number;
  /** `app:<name>`, `cluster:<colour>` or `metric:<colour>:<name>`. */
  key: string;
  value: AppSeen | ClusterSeen | MetricSeen;
}

export interface AppSeen {
  /** The last operation's phase ('' for none); Running/Pending while one runs. */
  phase: string;
  revision?: string;
  health: string;
  /** Pods ready and pods there, every template counted (as Argo CD's resource tree counts them). */
  ready: number;
  pods: number;
  replicas: number;
}

export interface ClusterSeen {
  view: number;
  expected: number;
  complete: boolean;
  up: boolean;
}

export interface MetricSeen {
  ok: boolean;
  value?: number;
}

function serviceOf<T>(sandbox: RunningSandbox, name: string): T {
  const service = sandbox.services.find(s => s.name === name);
  if (!service) throw new Error(`the sandbox has no ${name}`);
  return service as unknown as T;
}

/** Judges a metric as the hybris gate does: every value within bounds, none NaN, some value. */
function judge(
  answer: ReturnType<typeof evaluatePromQL>,
  bounds: { min?: number; max?: number },
): MetricSeen {
  let values: number[] = [];
  if (answer.type === 'scalar') values = [answer.value];
  else if (answer.type === 'vector') values = answer.samples.map(s => s.value);
  if (!values.length) return { ok: false };
  const within = (v: number) =>
    !Number.isNaN(v) &&
    (bounds.max === undefined || v <= bounds.max) &&
    (bounds.min === undefined || v >= bounds.min);
  const worst =
    values.find(v => !within(v)) ??
    (bounds.max !== undefined ? Math.max(...values) : Math.min(...values));
  return { ok: values.every(within), value: worst };
}

/** Starts recording; `stop()` ends it and `changes` holds what was seen, in order. */
export function watchWorld(sandbox: RunningSandbox, options: WatchOptions) {
  const argocd = serviceOf<ArgoCdSandbox>(sandbox, 'Argo CD');
  const hybris = serviceOf<HybrisSandbox>(sandbox, 'hybris');
  const prometheus = serviceOf<PrometheusSandbox>(sandbox, 'Prometheus');
  const sim = argocd.simulation;
  const { instance } = options;
  const changes: WorldChange[] = [];
  const last = new Map<string, string>();
  const note = (key: string, value: WorldChange['value']) => {
    const text = JSON.stringify(value);
    if (last.get(key) === text) return;
    last.set(key, text);
    changes.push({ at: Date.now(), key, value });
  };

  const lookAtApps = () => {
    for (const name of options.apps) {
      const w = sim.workload(instance, name);
      note(`app:${name}`, {
        phase: sim.operationPhase(instance, name),
        revision: sim.syncedRevision(instance, name),
        health: sim.summary(instance, name).health,
        ready: w.pods.filter(p => p.ready).length,
        pods: w.pods.length,
        replicas: w.replicas,
      });
    }
    for (const colour of options.colours) {
      const s = hybris.clusterStatus(instance, colour);
      note(`cluster:${colour}`, {
        view: s.viewSize,
        expected: s.expectedNodes,
        complete: s.complete,
        up: s.pods.ready > 0,
      });
    }
  };
  const parsed = options.metrics.map(m => ({
    ...m,
    node: parsePromQL(m.query),
  }));
  const lookAtMetrics = () => {
    const time = Date.now();
    for (const m of parsed) {
      let seen: MetricSeen;
      try {
        seen = judge(
          evaluatePromQL(m.node, {
            time,
            source: prometheus.history,
            lookbackMs: 5 * 60_000,
          }),
          m,
        );
      } catch {
        seen = { ok: false };
      }
      note(`metric:${m.colour}:${m.name}`, seen);
    }
  };

  // Argo CD announces each change of an app (an operation, a pod turning ready) as it makes it.
  const onChange = (key: string) => {
    if (key.startsWith(`${instance}/`)) lookAtApps();
  };
  sim.changes.on('change', onChange);
  lookAtApps();
  lookAtMetrics();
  const timer = setInterval(() => {
    lookAtApps();
    lookAtMetrics();
  }, options.everyMs);
  return {
    changes,
    stop() {
      clearInterval(timer);
      sim.changes.off('change', onChange);
    },
  };
}
