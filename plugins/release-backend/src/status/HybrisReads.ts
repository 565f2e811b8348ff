import type { ReleaseStatusPoint } from '@internal/plugin-release-common';
import {
  countPods,
  gateQuery,
  readYamlValues,
  switchColourAt,
  type GateMetric,
  type HybrisClusterStatus,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import {
  argoCdHint,
  explainArgoCd,
  type ArgoCdFeed,
  type ArgoCdInstanceFeed,
} from './ArgoCdFeed';
import { messageOf } from './format';
import type { StatusSystems } from './systems';
import { TimedRead, type TimedReadEnv } from './TimedRead';

type Scalar = string | number | boolean;

const SHA = /^[0-9a-f]{40}$/;

/** What the cache holds of one hybris colour in one environment. */
export interface ColourReads {
  /** The colour's pods, from its Argo CD app's resource tree. */
  tree: TimedRead<{ pods: number; ready: number }>;
  cluster: TimedRead<HybrisClusterStatus>;
  errorRate?: TimedRead<ReleaseStatusPoint[]>;
}

/** A values file of the IaC repository, read at one ref. */
export interface ValuesRead {
  values: Record<string, Scalar>;
  /** The commit the ref pointed at. */
  commitId?: string;
  /** False when the file is not there. */
  exists: boolean;
}

/** One values file the hybris rows need, at the revision its Argo CD app synced. */
interface ValueNeed {
  project: string;
  file: string;
  read: TimedRead<ValuesRead>;
}

/** Where the read of a values file at a ref is kept. */
const valueKey = (project: string, ref: string, file: string) =>
  `${project}@${ref}:${file}`;

export interface HybrisReadsOptions {
  systems: Pick<StatusSystems, 'hybris' | 'prometheus' | 'gitlab'>;
  layout: ReleaseLayout;
  environments: string[];
  argocd: ArgoCdFeed;
  reads: TimedReadEnv;
  /** The error-rate plot's window and step (default 15 min every 1 min). */
  metricWindowMs?: number;
  metricStepMs?: number;
}

/**
 * What the hybris rows read besides the Argo CD list, per environment and colour: the pods of each
 * colour, its cluster status and error rate, the replicas its values file asks for, and the live
 * colour the switch keys name, both at the commit Argo CD synced.
 */
export class HybrisReads {
  readonly errorMetric?: GateMetric;
  private readonly layout: ReleaseLayout;
  private readonly colours = new Map<string, ColourReads>();
  private readonly values = new Map<string, TimedRead<ValuesRead>>();
  private readonly keysByFile = new Map<string, string[]>();
  /** `<environment>/<file>` → the values last shown for it, standing in while a newer commit is read. */
  private readonly shownValues = new Map<string, TimedRead<ValuesRead>>();

  constructor(private readonly options: HybrisReadsOptions) {
    this.layout = options.layout;
    const { hybris } = this.layout.apps;
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

  /** Prepares the reads of each colour in every environment an Argo CD instance serves. */
  setUp(): void {
    for (const environment of this.options.environments) {
      const instance = this.options.argocd.instanceOf(environment);
      if (!instance) continue;
      for (const colour of Object.keys(this.layout.apps.hybris.colours)) {
        this.colours.set(
          `${environment}/${colour}`,
          this.createColourReads(environment, colour, instance),
        );
      }
    }
  }

  colour(environment: string, colour: string): ColourReads | undefined {
    return this.colours.get(`${environment}/${colour}`);
  }

  /** The pods, cluster status and error rate of every colour: what the periodic refresh reads. */
  colourReads(): Array<TimedRead<unknown>> {
    return [...this.colours.values()].flatMap(s => [
      s.tree,
      s.cluster,
      ...(s.errorRate ? [s.errorRate] : []),
    ]);
  }

  /** The values files at the IaC branch head, which usually are those at the synced revision. */
  headReads(): Array<TimedRead<ValuesRead>> {
    return this.options.environments.flatMap(environment => {
      const project = this.layout.iac.repos[environment];
      if (!project || !this.options.argocd.instanceOf(environment)) return [];
      return [...this.keysByFile.keys()].map(file =>
        this.valueRead(project, this.layout.iac.branch, file),
      );
    });
  }

  /**
   * The values at a synced commit the branch head has moved past, once the head's reads are done:
   * between an IaC commit and its sync the head holds values that do not run yet.
   */
  behindHead(): Array<TimedRead<ValuesRead>> {
    return (
      this.needed()
        // When GitLab failed at the head, asking it again at once would only wait as long again.
        .filter(
          ({ project, file, read }) =>
            !read.known && !this.headRead(project, file)?.error,
        )
        .map(n => n.read)
    );
  }

  /** The values reads that failed and are not under way: the periodic refresh asks again. */
  failedValueReads(): Array<TimedRead<ValuesRead>> {
    return this.needed()
      .map(n => n.read)
      .filter(read => read.error && !read.loading);
  }

  /** A colour's pods move with its app: read its tree again when the app changes. */
  requestTrees(instance: ArgoCdInstanceFeed, name: string): void {
    for (const [colour, c] of Object.entries(this.layout.apps.hybris.colours)) {
      if (c.argocdApp !== name) continue;
      for (const environment of instance.environments) {
        this.colour(environment, colour)?.tree.request();
      }
    }
  }

  /** Drops values read at revisions nothing runs any more. */
  prune(): void {
    if (this.values.size <= 100) return;
    const keep = new Set(this.needed().map(n => n.read));
    for (const [key, read] of this.values) {
      if (!keep.has(read) && !read.loading) this.values.delete(key);
    }
  }

  /**
   * The values file of an Argo CD app at the revision it synced (immutable, so read once), starting
   * the read when it is not there yet; undefined while the revision is unknown. Until that read
   * lands, the values last shown for the file stand in (at first, those at the branch head).
   */
  valuesAt(
    environment: string,
    argocdApp: string,
    file: string,
  ): TimedRead<ValuesRead> | undefined {
    const need = this.need(environment, argocdApp, file);
    if (!need) return undefined;
    const { read, project } = need;
    const shownKey = `${environment}/${file}`;
    if (read.known) {
      this.shownValues.set(shownKey, read);
      return read;
    }
    const head = this.headRead(project, file);
    // Wait for the branch head's read: it may turn out to be this very commit.
    if (head?.loading && !head.known) return head;
    if (!read.loading && !read.error) {
      // GitLab did not answer at the branch head: say so now rather than ask it again at once.
      if (head?.error && !head.known) read.error = head.error;
      else read.refresh().catch(() => undefined);
    }
    if (read.error) return read;
    const standIn = this.shownValues.get(shownKey) ?? head;
    return standIn?.known ? standIn : read;
  }

  /** The colour every switch key names, at the revision the switch app synced; problems go to `errors`. */
  liveColour(environment: string, errors: string[]): string | undefined {
    const { switch: sw } = this.layout.apps.hybris;
    const read = this.valuesAt(environment, sw.argocdApp, sw.values);
    const problem = read?.problem();
    if (problem) errors.push(problem);
    const values = read?.value;
    if (!values) return undefined;
    const reading = switchColourAt(this.layout, environment, 'argocd', {
      ref: values.commitId ?? '?',
      values: values.exists ? values.values : undefined,
    });
    if (reading.error) {
      errors.push(reading.error.message);
      return undefined;
    }
    return reading.colour;
  }

  private createColourReads(
    environment: string,
    colour: string,
    instance: ArgoCdInstanceFeed,
  ): ColourReads {
    const { reads, systems } = this.options;
    const argocdApp = this.layout.apps.hybris.colours[colour].argocdApp;
    const colourReads: ColourReads = {
      tree: new TimedRead(
        reads,
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
      cluster: new TimedRead(
        reads,
        () => systems.hybris().clusterStatus(environment, colour),
        {
          what: `hybris: the cluster status of ${colour} in ${environment}`,
          hint: `check hybris.clusterStatus.${environment}.${colour} in app-config and that the pods answer`,
        },
      ),
    };
    const metric = this.errorMetric;
    if (metric) {
      colourReads.errorRate = new TimedRead(
        reads,
        () => this.readErrorRate(metric, environment, colour),
        {
          what: `Prometheus: ${metric.name} of ${colour} in ${environment}`,
          hint: 'check that prometheus.baseUrl in app-config answers',
        },
      );
    }
    return colourReads;
  }

  private async readErrorRate(
    metric: GateMetric,
    environment: string,
    colour: string,
  ): Promise<ReleaseStatusPoint[]> {
    const end = this.options.reads.now();
    const stepMs = this.options.metricStepMs ?? 60_000;
    const answer = await this.options.systems
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

  private valueRead(
    project: string,
    ref: string,
    file: string,
  ): TimedRead<ValuesRead> {
    const key = valueKey(project, ref, file);
    let read = this.values.get(key);
    if (!read) {
      const keys = this.keysByFile.get(file) ?? [];
      read = new TimedRead<ValuesRead>(
        this.options.reads,
        async () => {
          const answer = await this.options.systems
            .gitlab()
            .readFile(project, ref, file);
          const commitId = SHA.test(ref) ? ref : answer?.commitId;
          if (!answer) return { values: {}, commitId, exists: false };
          const values = readYamlValues(answer.content, keys, { file });
          // What a branch read found is what that commit holds: keep it under the commit too.
          if (commitId && commitId !== ref) {
            this.valueRead(project, commitId, file).seed({
              values,
              commitId,
              exists: true,
            });
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
      this.values.set(key, read);
    }
    return read;
  }

  /** The read of a values file at the IaC branch head, once the fill has asked for it. */
  private headRead(
    project: string,
    file: string,
  ): TimedRead<ValuesRead> | undefined {
    return this.values.get(valueKey(project, this.layout.iac.branch, file));
  }

  /** Where the values of an Argo CD app are, at the revision it synced; undefined while unknown. */
  private need(
    environment: string,
    argocdApp: string,
    file: string,
  ): ValueNeed | undefined {
    const state = this.options.argocd.instanceOf(environment)?.state(argocdApp);
    const project = this.layout.iac.repos[environment];
    const revision = state?.syncedRevision ?? state?.comparedRevision;
    if (!project || !revision) return undefined;
    return { project, file, read: this.valueRead(project, revision, file) };
  }

  /** Every values file the hybris rows need now, read or not. */
  private needed(): ValueNeed[] {
    const { hybris } = this.layout.apps;
    return this.options.environments.flatMap(environment =>
      [
        this.need(environment, hybris.switch.argocdApp, hybris.switch.values),
        ...Object.values(hybris.colours).map(c =>
          this.need(environment, c.argocdApp, c.values),
        ),
      ].filter(<T>(r: T | undefined): r is T => r !== undefined),
    );
  }
}
