import { createAsanaService } from './asana';
import { GitRepos } from './git/GitRepos';
import { gitlabService } from './gitlab';
import { argocdAndHybrisServices } from './hybris';
import { gitDesiredState } from './iac';
import type { SandboxContext, SandboxService } from './index';
import { createJenkinsService } from './jenkins';
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
  const [argocd, hybris] = argocdAndHybrisServices({
    desiredState: (app, revision) => {
      if (!repos)
        throw new Error('the GitLab stand-in must start before Argo CD');
      return gitDesiredState(repos)(app, revision);
    },
  });
  return [
    ctx => gitlabService(ctx, reposOf(ctx)),
    argocd,
    hybris,
    createSlackService(),
    createAsanaService(),
    createJenkinsService(),
  ];
}
