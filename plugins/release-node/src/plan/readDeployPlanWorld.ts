import type { ReleaseApp } from '@internal/plugin-release-common';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import type { GitlabClient } from '../gitlab/GitlabClient';
import { SystemError } from '../http/SystemError';
import type { JenkinsClient } from '../jenkins/JenkinsClient';
import type { ReleaseLayout } from '../layout';
import { readLiveColour } from '../liveColour';
import {
  deployPlanFiles,
  type DeployPlanBuild,
  type DeployPlanWorld,
} from './computeDeployPlan';

/** How far back a version's build is looked for, newest first, as the version check looks. */
const BUILDS_SCANNED = 1000;

/**
 * The newest successful build of the hybris version in its Jenkins job, with the image tag it
 * pushed; undefined when Jenkins has none.
 */
async function readHybrisBuild(
  layout: ReleaseLayout,
  jenkins: Pick<JenkinsClient, 'searchBuilds' | 'readImageTag'>,
  version: string,
): Promise<DeployPlanBuild | undefined> {
  const job = layout.apps.hybris.build.jenkinsJob;
  const builds = await jenkins.searchBuilds(
    job,
    b => b.parameters.BRANCH === version && b.result === 'SUCCESS',
    BUILDS_SCANNED,
  );
  const found = builds.find(
    b => b.parameters.BRANCH === version && b.result === 'SUCCESS',
  );
  if (!found) return undefined;
  return {
    app: 'hybris',
    version,
    job,
    number: found.number,
    imageTag: await jenkins.readImageTag(job, found.number),
  };
}

/**
 * Reads what a plan is computed from: the environment's IaC branch head, every values file the
 * apps' steps touch at that head (not at the branch, so a commit landing meanwhile cannot mix two
 * trees), for hybris the live colour as IaC and Argo CD read it, and with `hybrisBuild` the
 * successful Jenkins build of that hybris version, if there is one.
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
  /** The hybris version whose build Jenkins may already have, and the Jenkins to ask. */
  hybrisBuild?: {
    version: string;
    jenkins: Pick<JenkinsClient, 'searchBuilds' | 'readImageTag'>;
  };
}): Promise<DeployPlanWorld> {
  const { layout, environment, apps, gitlab, argocd, hybrisBuild } = options;
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
  const [live, build] = await Promise.all([
    apps.includes('hybris')
      ? readLiveColour({ layout, environment, gitlab, argocd })
      : undefined,
    hybrisBuild
      ? readHybrisBuild(layout, hybrisBuild.jenkins, hybrisBuild.version)
      : undefined,
  ]);
  return {
    baseSha: head.sha,
    files,
    ...(live ? { live } : {}),
    ...(build ? { builds: [build] } : {}),
  };
}
