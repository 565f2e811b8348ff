import type { ReleaseApp } from '@internal/plugin-release-common';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import type { GitlabClient } from '../gitlab/GitlabClient';
import { SystemError } from '../http/SystemError';
import type { ReleaseLayout } from '../layout';
import { readLiveColour } from '../liveColour';
import { deployPlanFiles, type DeployPlanWorld } from './computeDeployPlan';

/**
 * Reads what a plan is computed from: the environment's IaC branch head, every values file the
 * apps' steps touch at that head (not at the branch, so a commit landing meanwhile cannot mix two
 * trees), and for hybris the live colour as IaC and Argo CD read it.
 *
 * @public
 */
export async function readDeployPlanWorld(options: {
  layout: ReleaseLayout;
  environment: string;
  apps: ReleaseApp[];
  /** The values files to read, when not those of the apps' deploy steps (an abort's, say). */
  files?: string[];
  gitlab: Pick<GitlabClient, 'branch' | 'readFile'>;
  argocd?: Pick<ArgoCdClient, 'instance' | 'getApplicationState'>;
}): Promise<DeployPlanWorld> {
  const { layout, environment, apps, gitlab, argocd } = options;
  const project = layout.iac.repos[environment];
  if (!project) {
    throw new Error(
      `environment: unknown environment '${environment}' (release.iac.repos has ${Object.keys(
        layout.iac.repos,
      ).join(', ')})`,
    );
  }
  const { branch } = layout.iac;
  const head = await gitlab.branch(project, branch);
  if (!head) {
    throw new SystemError({
      system: 'GitLab',
      action: `read the IaC branch ${branch} of ${project}`,
      detail: 'the branch does not exist',
    });
  }
  const files: Record<string, string> = {};
  await Promise.all(
    (options.files ?? deployPlanFiles(layout, apps)).map(async path => {
      const file = await gitlab.readFile(project, head.sha, path);
      if (file) files[path] = file.content;
    }),
  );
  const live = apps.includes('hybris')
    ? await readLiveColour({ layout, environment, gitlab, argocd })
    : undefined;
  return { baseSha: head.sha, files, ...(live ? { live } : {}) };
}
