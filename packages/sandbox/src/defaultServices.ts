import { createAsanaService } from './asana';
import { GitRepos } from './git/GitRepos';
import { gitlabService } from './gitlab';
import { argocdAndHybrisServices, type HybrisSandbox } from './hybris';
import { gitDesiredState } from './iac';
import type { SandboxContext, SandboxService } from './index';
import { createJenkinsService } from './jenkins';
import { hybrisScrapeTargets, prometheusService } from './prometheus';
import { createSlackService } from './slack';

/**
 * Every stand-in the portal talks to, sharing one data directory: Argo CD syncs from the same git
 * repositories the GitLab stand-in serves.
 */
export function defaultSandboxServices(): Array<
  (ctx: SandboxContext) => Promise<SandboxService> | SandboxService
> {
  let repos: GitRepos | undefined;
  const reposOf = (ctx: SandboxContext) => {
    repos ??= GitRepos.forContext(ctx);
    return repos;
  };
  let hybris: HybrisSandbox | undefined;
  const [argocd, hybrisFactory] = argocdAndHybrisServices({
    desiredState: (app, revision) => {
      if (!repos)
        throw new Error('the GitLab stand-in must start before Argo CD');
      return gitDesiredState(repos)(app, revision);
    },
  });
  return [
    ctx => gitlabService(ctx, reposOf(ctx)),
    argocd,
    ctx => {
      hybris = hybrisFactory(ctx);
      return hybris;
    },
    // Scrapes the hybris stand-in every second, as the team's Prometheus scrapes the pods.
    ctx => prometheusService(ctx, { targets: hybrisScrapeTargets(hybris!) }),
    createSlackService(),
    createAsanaService(),
    createJenkinsService(),
  ];
}
