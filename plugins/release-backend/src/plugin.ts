import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { releasePermissions } from '@internal/plugin-release-common';
import {
  readDeployPlanSettings,
  readGradePolicy,
  readReleaseLayout,
  readReleasePortalConfig,
  releaseIntegrationsServiceRef,
} from '@internal/plugin-release-node';
import { migrateUp } from './database/migrate';
import { readEngineSettings } from './engine/config';
import { createReleaseEngine } from './engine/createReleaseEngine';
import { scheduleDeployEngine } from './engine/scheduleDeployEngine';
import { createRouter, unauthenticatedPaths } from './router';
import { BackstageReleaseNotifier } from './service/notifier';
import { ReleaseService } from './service/ReleaseService';
import { catalogServiceTeams } from './service/serviceTeams';
import { startSlackOutbox } from './service/slackOutbox';
import { configReleaseCheck } from './service/configCheck';
import { releaseVersionCheck } from './service/versions';
import { StatusCache, statusSystemsOf } from './status/StatusCache';

/**
 * The release backend: releases, approvals and the audit trail of the kop portal.
 *
 * @public
 */
export const releasePlugin = createBackendPlugin({
  pluginId: 'release',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        integrations: releaseIntegrationsServiceRef,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const { config, logger, auth, database, catalog, httpRouter } = deps;
        const portal = readReleasePortalConfig(config);
        const policy = readGradePolicy(config);
        const knex = await database.getClient();
        if (!database.migrations?.skip) {
          await migrateUp(knex);
        }
        deps.permissionsRegistry.addPermissions(releasePermissions);
        const slack = await startSlackOutbox({ ...deps, knex });
        const releases = new ReleaseService({
          knex,
          logger,
          policy,
          product: portal.product,
          strategies: portal.strategies,
          defaultSteps: portal.defaultSteps,
          versions: releaseVersionCheck(
            deps.integrations,
            readReleaseLayout(config),
          ),
          configCheck: configReleaseCheck({
            layout: readReleaseLayout(config),
            policy,
            settings: readDeployPlanSettings(config),
            gitlab: () => deps.integrations.gitlab,
            argocdFor: environment =>
              deps.integrations.argocd.forEnvironment(environment),
          }),
          serviceTeamsOf: catalogServiceTeams(catalog, auth),
          notifier: new BackstageReleaseNotifier(deps.notifications),
          signals: deps.signals,
          slack,
        });
        // Starts on the first GET /status, so a backend nobody watches makes no upstream calls.
        const status = new StatusCache({
          systems: statusSystemsOf(deps.integrations),
          layout: readReleaseLayout(config),
          environments: portal.environments,
          logger: logger.child({ component: 'status' }),
        });
        deps.lifecycle.addShutdownHook(() => status.stop());

        const layout = readReleaseLayout(config);
        const engineSettings = readEngineSettings(config);
        const teamChannel = config.getOptionalString(
          'release.notify.slack.team',
        );
        const integrations = deps.integrations;
        const { engine, deploys } = createReleaseEngine({
          knex,
          releases,
          layout,
          policy,
          planSettings: readDeployPlanSettings(config),
          settings: engineSettings,
          systems: {
            gitlab: () => integrations.get('gitlab'),
            argocdFor: environment =>
              integrations.get('argocd').forEnvironment(environment),
            prometheus: () => integrations.get('prometheus'),
            hybris: () => integrations.get('hybris'),
          },
          logger,
          people: { catalog, auth },
          onRun: () => status.start(),
          ...(slack && teamChannel
            ? {
                tell: {
                  slack,
                  channel: teamChannel,
                  releasePageUrl: id =>
                    `${config.getString('app.baseUrl')}/releases/${id}`,
                },
              }
            : {}),
        });
        await scheduleDeployEngine({
          engine,
          scheduler: deps.scheduler,
          lifecycle: deps.lifecycle,
          logger,
          everyMs: engineSettings.tickMs,
        });
        // Gates react to what the status cache hears (Argo CD events, the cluster's reads); a
        // change heard while a wake is under way is looked at once more after it.
        let waking: Promise<void> | undefined;
        let heardMeanwhile = false;
        const wakeWaiting = (): void => {
          if (waking) {
            heardMeanwhile = true;
            return;
          }
          waking = engine.wakeWaiting().finally(() => {
            waking = undefined;
            if (heardMeanwhile) {
              heardMeanwhile = false;
              wakeWaiting();
            }
          });
        };
        status.subscribe({ change: wakeWaiting, close: () => undefined });
        // A run left under way by an earlier start needs the events too.
        if (await engine.hasActiveRuns()) status.start();

        httpRouter.use(
          await createRouter({ ...deps, portal, releases, status, deploys }),
        );
        for (const path of unauthenticatedPaths) {
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        }
        logger.info(`Release backend ready for product ${portal.product}`);
      },
    });
  },
});
