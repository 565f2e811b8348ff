import {
  ConflictError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type {
  GradePolicy,
  Release,
  ReleaseApp,
} from '@internal/plugin-release-common';
import {
  computeDeployPlan,
  DeployPlanConflictError,
  DeployPlanInputError,
  iacTargets,
  readDeployPlanWorld,
  readYamlValues,
  type ArgoCdClient,
  type DeployPlanSettings,
  type DeployPlanWorld,
  type GitlabClient,
  type ReleaseLayout,
} from '@internal/plugin-release-node';

/**
 * Checks a config release before it is stored, as its deploy plan will (the same rules, read from
 * the IaC branch and Argo CD now), and answers the apps it touches at the versions running now.
 * Throws a 400 naming the field, a 409 when a file moved since its diff was shown, a 503 when IaC
 * cannot be read.
 */
export type ConfigReleaseCheck = (
  release: Release,
) => Promise<Array<{ app: ReleaseApp; version: string }>>;

/** Where an app's running version is read: the live hybris colour's values, a cms or web app's first. */
function versionKey(
  layout: ReleaseLayout,
  app: ReleaseApp,
  liveColour: string | undefined,
): { file: string; key: string } | undefined {
  if (app !== 'hybris') {
    const a = layout.apps[app];
    return { file: a.values[a.argocdApps[0]], key: a.imageKey };
  }
  const colour = liveColour
    ? layout.apps.hybris.colours[liveColour]
    : undefined;
  return colour && { file: colour.values, key: colour.image };
}

export function configReleaseCheck(options: {
  layout: ReleaseLayout;
  policy: GradePolicy;
  settings: DeployPlanSettings;
  gitlab(): Pick<GitlabClient, 'branch' | 'readFile'>;
  /** The Argo CD instance of an environment; throws when none is configured. */
  argocdFor(
    environment: string,
  ): Pick<ArgoCdClient, 'instance' | 'getApplicationState'>;
}): ConfigReleaseCheck {
  const { layout, policy, settings } = options;
  return async release => {
    const config = release.config!;
    const { environment } = config;
    if (!Object.hasOwn(layout.iac.repos, environment)) {
      throw new InputError(
        `config.environment: must be one of ${Object.keys(
          layout.iac.repos,
        ).join(', ')}, got '${environment}'`,
      );
    }
    const targets = iacTargets(layout);
    const apps = [
      ...new Set(
        config.changes.flatMap(c => targets.get(c.argocdApp)?.app ?? []),
      ),
    ];
    let argocd: ReturnType<typeof options.argocdFor> | undefined;
    try {
      argocd = options.argocdFor(environment);
    } catch {
      // Without Argo CD the plan refuses what needs the live colour; the rest is checked.
      argocd = undefined;
    }
    let world: DeployPlanWorld;
    try {
      // Read as the engine reads it for the deploy: every file of these apps, the live colour.
      world = await readDeployPlanWorld({
        layout,
        environment,
        apps,
        gitlab: options.gitlab(),
        argocd,
      });
    } catch (e) {
      // The environment is known: what fails here is GitLab, or its config.
      throw new ServiceUnavailableError(
        `config: the IaC repository of ${environment} cannot be read: ${
          (e as Error).message
        }`,
      );
    }
    const versions = apps.map(app => {
      const at = versionKey(layout, app, world.live?.iac.colour);
      const text = at && world.files[at.file];
      const value = text
        ? readYamlValues(text, [at.key], { file: at.file })[at.key]
        : undefined;
      if (value === undefined || value === null) {
        throw new ConflictError(
          `config.changes: the version ${app} runs in ${environment} cannot be read from the IaC repository (${
            world.live?.iac.error?.message ?? 'no image tag'
          })`,
        );
      }
      return { app, version: String(value) };
    });
    try {
      computeDeployPlan({
        release: {
          ...release,
          apps: versions.map(v => ({ ...v, strategy: 'sync' as const })),
        },
        policy,
        layout,
        settings,
        environment,
        world,
      });
    } catch (e) {
      if (e instanceof DeployPlanInputError) {
        throw new InputError(
          `${e.field}: ${e.message.slice(e.field.length + 1)}`,
        );
      }
      if (e instanceof DeployPlanConflictError) {
        throw new ConflictError(e.message);
      }
      throw e;
    }
    return versions;
  };
}
