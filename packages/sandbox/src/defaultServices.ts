import { asanaSeedTasks, createAsanaService } from './asana';
import { GitRepos } from './git/GitRepos';
import { gitlabService, seedFacts } from './gitlab';
import {
  gitDesiredState,
  kopArgoApps,
  simulatedArgoApps,
  type DesiredState,
  type DesiredStateSource,
} from './argocd';
import { argocdAndHybrisServices, type HybrisSandbox } from './hybris';
import type { SandboxContext, SandboxService } from './types';
import { createJenkinsService } from './jenkins';
import { hybrisScrapeTargets, prometheusService } from './prometheus';
import { createSlackService } from './slack';

/** Options of the default sandbox. */
export interface DefaultSandboxOptions {
  /** More Argo CD apps in each instance besides the kop ones (`sim-001`, …), for load tests. */
  simulatedApps?: number;
  /** How often Argo CD re-reads git by itself (ms; default 3000, 0 = only when refreshed). */
  argocdReconcileIntervalMs?: number;
  /** How long one pod of an Argo CD app takes to start, by app name (ms before timeScale). */
  podStartMs?: Record<string, number>;
  /** How long an Argo CD sync operation runs (ms before timeScale; default 1500). */
  argocdOperationMs?: number;
  /** How long a GitLab pipeline runs (ms before timeScale; default 30 s). */
  pipelineMs?: number;
}

/**
 * One git read for every app that asks for the same files at the same time (the simulated apps
 * all render web's values), each caller getting its own copy.
 */
function sharingReads(source: DesiredStateSource): DesiredStateSource {
  const reading = new Map<string, Promise<DesiredState | undefined>>();
  return async (app, revision) => {
    const key = JSON.stringify([
      app.repoURL,
      app.path,
      app.valueFiles,
      revision,
    ]);
    let read = reading.get(key);
    if (!read) {
      read = source(app, revision).finally(() => reading.delete(key));
      reading.set(key, read);
    }
    const state = await read;
    return state && structuredClone(state);
  };
}

/**
 * Every stand-in the portal talks to, sharing one data directory: Argo CD syncs from the same git
 * repositories the GitLab stand-in serves.
 */
export function defaultSandboxServices(
  options: DefaultSandboxOptions = {},
): Array<(ctx: SandboxContext) => Promise<SandboxService> | SandboxService> {
  let repos: GitRepos | undefined;
  const reposOf = (ctx: SandboxContext) => {
    repos ??= GitRepos.forContext(ctx);
    return repos;
  };
  let hybris: HybrisSandbox | undefined;
  const starts = options.podStartMs ?? {};
  const apps =
    options.simulatedApps || Object.keys(starts).length
      ? [
          ...kopArgoApps(),
          ...simulatedArgoApps(options.simulatedApps ?? 0),
        ].map(app =>
          starts[app.name] === undefined
            ? app
            : { ...app, podStartMs: starts[app.name] },
        )
      : undefined;
  const [argocd, hybrisFactory] = argocdAndHybrisServices({
    desiredState: sharingReads((app, revision) => {
      if (!repos)
        throw new Error('the GitLab stand-in must start before Argo CD');
      return gitDesiredState(repos)(app, revision);
    }),
    ...(apps ? { apps } : {}),
    reconcileIntervalMs: options.argocdReconcileIntervalMs,
    operationMs: options.argocdOperationMs,
  });
  return [
    ctx => gitlabService(ctx, reposOf(ctx), { pipelineMs: options.pipelineMs }),
    argocd,
    ctx => {
      hybris = hybrisFactory(ctx);
      return hybris;
    },
    // Scrapes the hybris stand-in every second, as the team's Prometheus scrapes the pods.
    ctx => prometheusService(ctx, { targets: hybrisScrapeTargets(hybris!) }),
    createSlackService(),
    createAsanaService({ tasks: asanaSeedTasks }),
    // The hybris build checks out the GitLab stand-in's kop/hybris, as the team's job checks out GitLab.
    ctx =>
      createJenkinsService({
        checkout: {
          project: seedFacts.hybris.project,
          headOf: branch =>
            reposOf(ctx).branchHead(seedFacts.hybris.project, branch),
          remoteUrl: origin =>
            `${origin}/gitlab/${seedFacts.hybris.project}.git`,
        },
      })(ctx),
  ];
}
