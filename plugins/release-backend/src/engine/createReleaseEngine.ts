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
  type SlackNotifier,
} from '@internal/plugin-release-node';
import type { ReleaseService } from '../service/ReleaseService';
import { commitAuthorOf } from './commitAuthor';
import type { EngineSettings } from './config';
import { DeployEngine, type DeployNews } from './DeployEngine';
import type { DeployRun } from './types';
import { DeployService } from './DeployService';

/** The systems the engine acts on; each getter may throw when its system is not configured. */
export interface EngineSystems {
  gitlab(): GitlabClient;
  argocdFor(environment: string): ArgoCdClient;
  prometheus(): Pick<PrometheusClient, 'query'>;
  hybris(): Pick<HybrisClusterClient, 'clusterStatus'>;
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
  /** The team channel is told when a run stops by itself (the Slack outbox). */
  tell?: {
    slack: Pick<SlackNotifier, 'post'>;
    channel: string;
    releasePageUrl(releaseId: string): string;
  };
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
    settings: settings.step,
    logger: logger.child({ component: 'engine' }),
  });
  const authorOf = options.people
    ? commitAuthorOf(options.people.catalog, options.people.auth)
    : async (ref: string) => {
        const name = ref.replace(/^user:(default\/)?/, '');
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
    executor: {
      executeStep: async (step, ctx) =>
        executor.executeStep(step, {
          ...ctx,
          author: await authorOf(ctx.startedBy),
        }),
    },
    ...(options.tell
      ? {
          tell: tellTeam(options.tell),
          announce: announceOnce(options.knex, options.tell),
        }
      : {}),
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
    logger,
    onRun: options.onRun,
  });
  return { engine, deploys };
}

/** The team channel's message when a run stops by itself: what failed, where, and what to do next. */
function tellTeam(
  to: NonNullable<Parameters<typeof createReleaseEngine>[0]['tell']>,
) {
  return async (run: DeployRun, news: DeployNews) => {
    const what =
      news.event === 'held'
        ? `held before ${news.stepId}`
        : `${news.event} at ${news.stepId}`;
    const next =
      news.event === 'held'
        ? 'It goes on when resumed.'
        : 'Retry the step, skip it (a lead, with a reason) or abort.';
    await to.slack.post({
      channel: to.channel,
      text: `[${run.environment}] deploy ${what}: ${
        news.message
      }\n${next} ${to.releasePageUrl(run.releaseId)}`,
    });
  };
}

/**
 * Posts a run's announcement to the release room once per step key: a step called again (after a
 * crash or a lost answer) finds its key and posts nothing new.
 */
function announceOnce(
  knex: Knex,
  to: NonNullable<Parameters<typeof createReleaseEngine>[0]['tell']>,
) {
  return async (
    run: Pick<DeployRun, 'id'>,
    text: string,
    options: { key: string },
  ) => {
    const key = options.key.slice(0, 200);
    const known = await knex('deploy_announcements').where({ key }).first();
    if (known?.posted_at) return;
    if (!known) {
      await knex('deploy_announcements')
        .insert({
          key,
          run_id: run.id,
          channel: to.channel,
          text,
          queued_at: new Date().toISOString(),
        })
        .onConflict('key')
        .ignore();
    }
    // Sent, or kept by the outbox through a Slack outage: either way it is on its way.
    await to.slack.post({ channel: to.channel, text });
    await knex('deploy_announcements')
      .where({ key })
      .update({ posted_at: new Date().toISOString() });
  };
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
