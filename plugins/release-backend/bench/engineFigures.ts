import type { DeployGate, DeployPlan } from '@internal/plugin-release-common';
import type { DeployRunStep } from '../src/engine/types';
import type {
  AppSeen,
  ClusterSeen,
  MetricSeen,
  WorldChange,
} from './worldWatch';

/** What one run left behind: the engine's rows, the world's changes and the engine's busy spans. */
export interface RunRecord {
  /** Epoch ms of the Deploy press and of the run's end. */
  pressAt: number;
  endAt: number;
  plan: DeployPlan;
  steps: DeployRunStep[];
  /** When the release asked for its sign-off and when the bench gave it (epoch ms). */
  signoff?: { askedAt: number; givenAt: number };
  world: WorldChange[];
  /** Per step index: the merge request's pipeline, from the sandbox GitLab. */
  pipelines: Map<number, { createdAt: number; finishedAt: number }>;
  /** The engine's database queries and calls to the systems (epoch ms). */
  busy: BusySpan[];
}

/** One database query or call to a system the engine made. */
export interface BusySpan {
  start: number;
  end: number;
  what: 'db' | 'gitlab' | 'argocd' | 'gate';
  /** The method called, or the start of the SQL. */
  name: string;
}

/** The world's own waits in a step, ms. */
export interface Inherent {
  sync: number;
  pods: number;
  /** From the last pod ready until every gate metric held (Prometheus scrapes and windows). */
  settle: number;
  soak: number;
  watch: number;
  pipeline: number;
}

export interface StepFigure {
  index: number;
  id: string;
  gate: DeployGate['type'];
  startedAt: number;
  /** The next step's start, or the run's end after the last step. */
  nextAt: number;
  /** When the world (or the person) let the gate pass: absent for a step that waits for nothing. */
  conditionAt?: number;
  reactionMs?: number;
  inherent: Inherent;
  inherentMs: number;
  /** The step's share of the whole release: from its start (the press for the first) to the next. */
  spanMs: number;
  /** Time the engine spent in database queries and system calls (union of their spans). */
  busyMs: number;
  /** The same per kind of call. */
  busyBy: Record<BusySpan['what'], number>;
}

const running = (phase: string) =>
  phase.startsWith('Pending') ||
  phase.startsWith('Running') ||
  phase.startsWith('Terminating');

/** The recorded changes, read as "what held at time t". */
class World {
  private readonly byKey = new Map<string, WorldChange[]>();

  constructor(changes: WorldChange[]) {
    for (const c of changes) {
      const list = this.byKey.get(c.key) ?? [];
      list.push(c);
      this.byKey.set(c.key, list);
    }
  }

  at<T extends WorldChange['value']>(key: string, t: number): T | undefined {
    const list = this.byKey.get(key) ?? [];
    let found: WorldChange | undefined;
    for (const c of list) {
      if (c.at > t) break;
      found = c;
    }
    return found?.value as T | undefined;
  }

  /** The moments after `from` at which any of the keys changed, in order. */
  times(keys: string[], from: number, until = Infinity): number[] {
    const all = keys.flatMap(k =>
      (this.byKey.get(k) ?? [])
        .map(c => c.at)
        .filter(at => at > from && at <= until),
    );
    return [...new Set(all)].sort((a, b) => a - b);
  }

  /** The first moment from `from` on at which `holds` is true. */
  firstWhen(keys: string[], from: number, holds: (t: number) => boolean) {
    return [from, ...this.times(keys, from)].find(holds);
  }

  /** The first moment from `from` on after which `holds` stays true for `forMs`. */
  firstHeld(
    keys: string[],
    from: number,
    forMs: number,
    holds: (t: number) => boolean,
  ) {
    return [from, ...this.times(keys, from)].find(
      t =>
        holds(t) && this.times(keys, t, t + forMs).every(later => holds(later)),
    );
  }
}

/** The length of the union of the spans, ms. */
export function unionMs(spans: Array<{ start: number; end: number }>): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -Infinity;
  for (const s of sorted) {
    if (s.end <= end) continue;
    total += s.end - Math.max(s.start, end);
    end = s.end;
  }
  return total;
}

const zero = (): Inherent => ({
  sync: 0,
  pods: 0,
  settle: 0,
  soak: 0,
  watch: 0,
  pipeline: 0,
});

export const sumInherent = (i: Inherent) =>
  i.sync + i.pods + i.settle + i.soak + i.watch + i.pipeline;

/**
 * Each step's figures from what the run recorded: when its gate condition became true in the
 * sandbox, how long after that the next step started, the world's own waits in it (as if the
 * engine reacted at once: the syncs one after the other as the executor runs them, the pods that
 * start after the last of them, the soak or watch) and the engine's busy time.
 */
export function stepFigures(
  record: RunRecord,
  colourApp: (colour: string) => string,
): StepFigure[] {
  const world = new World(record.world);
  const { plan, steps } = record;
  const time = (iso?: string) => (iso ? Date.parse(iso) : NaN);
  return plan.steps.map((step, index) => {
    const row = steps[index];
    const startedAt = time(row.startedAt);
    const nextAt =
      index + 1 < steps.length
        ? time(steps[index + 1].startedAt)
        : record.endAt;
    const from = index === 0 ? record.pressAt : startedAt;
    const sha = (row.outputs as { git?: { sha?: string } } | undefined)?.git
      ?.sha;
    const inherent = zero();
    const app = (name: string, t: number) =>
      world.at<AppSeen>(`app:${name}`, t);
    const synced = (name: string) => (t: number) => {
      const s = app(name, t);
      return !!s && s.revision === sha && !running(s.phase);
    };
    const healthy = (name: string) => (t: number) =>
      synced(name)(t) && app(name, t)!.health === 'Healthy';

    // The syncs, one after the other: each from the portal's request to the app running the commit.
    let lastSyncedAt: number | undefined;
    let readyAfterStart = 0;
    let syncTotal = 0;
    for (const name of step.sync) {
      const key = `app:${name}`;
      const began = world.firstWhen([key], startedAt, t =>
        running(app(name, t)?.phase ?? ''),
      );
      const done =
        began === undefined
          ? undefined
          : world.firstWhen([key], began, synced(name));
      if (began === undefined || done === undefined) continue;
      syncTotal += done - began;
      lastSyncedAt = done;
      if (step.gate.type === 'healthy') {
        const up = world.firstWhen([key], done, healthy(name));
        if (up !== undefined) {
          readyAfterStart = Math.max(readyAfterStart, syncTotal + up - done);
        }
      }
      readyAfterStart = Math.max(readyAfterStart, syncTotal);
    }
    inherent.sync = syncTotal;
    inherent.pods = readyAfterStart - syncTotal;

    let conditionAt: number | undefined;
    const gate = step.gate;
    if (gate.type === 'healthy') {
      const keys = gate.argocdApps.map(a => `app:${a}`);
      conditionAt = world.firstWhen(keys, startedAt, t =>
        gate.argocdApps.every(a => healthy(a)(t)),
      );
    } else if (gate.type === 'hybris') {
      const name = colourApp(gate.colour);
      const n = gate.expectedNodes;
      const pods = gate.checks.find(c => c.name === 'pods-ready');
      const metrics = gate.checks.filter(c => c.query);
      const keys = [
        `app:${name}`,
        `cluster:${gate.colour}`,
        ...metrics.map(m => `metric:${gate.colour}:${m.name}`),
      ];
      const podsUp = (t: number) => {
        const a = app(name, t);
        const c = world.at<ClusterSeen>(`cluster:${gate.colour}`, t);
        const wanted = pods?.min ?? n;
        return (
          !!a &&
          !!c &&
          a.ready >= wanted &&
          (pods?.max === undefined || a.ready <= pods.max) &&
          c.up &&
          c.complete &&
          c.expected === n &&
          c.view === n
        );
      };
      const allOk = (t: number) =>
        podsUp(t) &&
        metrics.every(
          m =>
            world.at<MetricSeen>(`metric:${gate.colour}:${m.name}`, t)?.ok ===
            true,
        );
      const podsAt = world.firstWhen(keys, lastSyncedAt ?? startedAt, podsUp);
      const okFrom = world.firstHeld(keys, startedAt, gate.soakMs, allOk);
      if (podsAt !== undefined && lastSyncedAt !== undefined) {
        inherent.pods = podsAt - lastSyncedAt;
      }
      if (okFrom !== undefined) {
        inherent.settle = Math.max(0, okFrom - (podsAt ?? okFrom));
        inherent.soak = gate.soakMs;
        conditionAt = okFrom + gate.soakMs;
      }
    } else if (gate.type === 'watch') {
      if (lastSyncedAt !== undefined) {
        inherent.watch = gate.windowMs;
        conditionAt = lastSyncedAt + gate.windowMs;
      }
    } else if (gate.type === 'pipeline') {
      const p = record.pipelines.get(index);
      if (p) {
        inherent.pipeline = p.finishedAt - p.createdAt;
        conditionAt = p.finishedAt;
      }
    } else if (gate.type === 'approval' && record.signoff) {
      conditionAt = record.signoff.givenAt;
    }

    const mine = record.busy.filter(
      b => b.start >= from && (b.start < nextAt || index === steps.length - 1),
    );
    const kinds: Array<BusySpan['what']> = ['db', 'gitlab', 'argocd', 'gate'];
    return {
      index,
      id: step.id,
      gate: gate.type,
      startedAt,
      nextAt,
      conditionAt,
      reactionMs: conditionAt === undefined ? undefined : nextAt - conditionAt,
      inherent,
      inherentMs: sumInherent(inherent),
      spanMs: nextAt - from,
      busyMs: unionMs(mine),
      busyBy: Object.fromEntries(
        kinds.map(k => [k, unionMs(mine.filter(b => b.what === k))]),
      ) as StepFigure['busyBy'],
    };
  });
}
