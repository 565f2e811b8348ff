import type { Knex } from 'knex';
import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { GradePolicy } from '@internal/plugin-release-common';
import {
  createStepExecutor,
  type ArgoCdClient,
  type DeployPlanSettings,
  type GitlabClient,
  type HybrisClusterClient,
  type PrometheusClient,
  type ReleaseLayout,
  type StepExecutorOptions,
} from '@internal/plugin-release-node';
import { userNameOf } from '../service/doors';
import type { ReleaseService } from '../service/ReleaseService';
import { releaseEngineActor } from './actor';
import { commitAuthorOf } from './commitAuthor';
import type { EngineSettings } from './config';
import { DeployEngine, type DeployEngineOptions } from './DeployEngine';
import { DeployService } from './DeployService';

/** The systems the engine acts on; each getter may throw when its system is not configured. */
export interface EngineSystems {
  gitlab(): GitlabClient;
  argocdFor(environment: string): ArgoCdClient;
  prometheus(): Pick<PrometheusClient, 'query'>;
  hybris(): Pick<HybrisClusterClient, 'clusterStatus'>;
  /** Builds versions and runs the payment and post-deploy tests. */
  jenkins?(): NonNullable<StepExecutorOptions['jenkins']>;
}

/**
 * The engine and its door, wired as the backend runs them: the release-node step executor over
 * the systems, commits authored by the person who pressed Deploy, and every step that changes
 * production asked first whether the window is open and the line is not stopped.
 */
export function createReleaseEngine(options: {
  knex: Knex;
  releases: ReleaseService;
  layout: ReleaseLayout;
  policy: GradePolicy;
  planSettings: DeployPlanSettings;
  settings: EngineSettings;
  systems: EngineSystems;
  logger: LoggerService;
  /** Where commit authors are looked up; without it the user's name is used. */
  people?: { catalog: CatalogService; auth: AuthService };
  /**
   * Queues a run's announcement for the release room in the message outbox, once per step key;
   * whom a stopped run tells is derived from its audit rows by the message relay.
   */
  announce?: DeployEngineOptions['announce'];
  /** Called when a run starts or resumes: the backend starts what feeds the gates events. */
  onRun?: () => void;
  /** Engine options a test or bench sets (owner, clock, backoff). */
  engine?: Partial<ConstructorParameters<typeof DeployEngine>[0]>;
}): { engine: DeployEngine; deploys: DeployService } {
  const { systems, settings, logger } = options;
  const executor = createStepExecutor({
    layout: options.layout,
    gitlab: lazy(() => systems.gitlab()),
    argocdFor: environment => systems.argocdFor(environment),
    gate: {
      prometheus: lazy(() => systems.prometheus()),
      hybris: lazy(() => systems.hybris()),
    },
    ...(systems.jenkins ? { jenkins: lazy(() => systems.jenkins!()) } : {}),
    settings: settings.step,
    logger: logger.child({ component: 'engine' }),
  });
  const authorOf = options.people
    ? commitAuthorOf(options.people.catalog, options.people.auth)
    : async (ref: string) => {
        const name = userNameOf(ref);
        return { name, email: `${name}@users.noreply` };
      };
  let deploys: DeployService | undefined = undefined;
  const engine = new DeployEngine({
    knex: options.knex,
    releases: options.releases,
    logger: logger.child({ component: 'engine' }),
    leaseMs: settings.leaseMs,
    onStepFailure: settings.onStepFailure,
    beforeStep: (run, step, release) => deploys!.beforeStep(run, step, release),
    betaEnvironment: options.planSettings.stages?.beta?.environment,
    abortRun: (run, failure) => deploys!.abortOnGateFailure(run, failure),
    executor: {
      executeStep: async (step, ctx) =>
        executor.executeStep(step, {
          ...ctx,
          // The engine's own abort commits as the portal's GitLab user, not as a person.
          ...(ctx.startedBy === releaseEngineActor.ref
            ? {}
            : { author: await authorOf(ctx.startedBy) }),
        }),
    },
    ...(options.announce ? { announce: options.announce } : {}),
    ...options.engine,
  });
  // A person's sign-off or acknowledgement may be what a waiting step waits for.
  options.releases.listen(release => {
    engine
      .activeRunOf(release.id)
      .then(run => (run ? engine.wake(run.id) : undefined))
      .catch(e =>
        logger.warn(
          `Could not wake the run of release ${release.id}: ${
            (e as Error).message
          }`,
        ),
      );
  });
  deploys = new DeployService({
    knex: options.knex,
    releases: options.releases,
    engine,
    layout: options.layout,
    policy: options.policy,
    planSettings: options.planSettings,
    gitlab: () => systems.gitlab(),
    argocdFor: environment => systems.argocdFor(environment),
    ...(systems.jenkins ? { jenkins: () => systems.jenkins!() } : {}),
    betaEnvironment: options.planSettings.stages?.beta?.environment,
    logger,
    onRun: options.onRun,
  });
  return { engine, deploys };
}

/** A client made on first use, so a system that is not configured fails only the step that needs it. */
function lazy<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => {
      const client = get() as Record<string | symbol, unknown>;
      const value = client[key];
      return typeof value === 'function' ? value.bind(client) : value;
    },
  });
}
