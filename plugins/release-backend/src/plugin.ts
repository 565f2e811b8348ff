import { randomUUID } from 'node:crypto';
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
import { catalogPeople } from './messages/people';
import {
  readMessageSettings,
  ReleaseMessages,
} from './messages/ReleaseMessages';
import { createMessageSender } from './messages/senders';
import { readEngineSettings } from './engine/config';
import { createReleaseEngine } from './engine/createReleaseEngine';
import { scheduleDeployEngine } from './engine/scheduleDeployEngine';
import { wakeOnStatusChanges } from './engine/wakeOnStatus';
import { createRouter, unauthenticatedPaths } from './router';
import { BackstageReleaseNotifier } from './service/notifier';
import { ReleaseService } from './service/ReleaseService';
import { catalogServiceTeams } from './service/serviceTeams';
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
        const layout = readReleaseLayout(config);
        const knex = await database.getClient();
        if (!database.migrations?.skip) {
          await migrateUp(knex);
        }
        deps.permissionsRegistry.addPermissions(releasePermissions);
        // Set once the release core exists: every write nudges the messages it means.
        let messages: ReleaseMessages | undefined = undefined;
        const releases = new ReleaseService({
          knex,
          logger,
          policy,
          product: portal.product,
          strategies: portal.strategies,
          defaultSteps: portal.defaultSteps,
          versions: releaseVersionCheck(deps.integrations, layout, {
            buildsFirst:
              config.getOptionalBoolean('release.plan.build') ?? false,
          }),
          configCheck: configReleaseCheck({
            layout,
            policy,
            settings: readDeployPlanSettings(config),
            gitlab: () => deps.integrations.gitlab,
            argocdFor: environment =>
              deps.integrations.argocd.forEnvironment(environment),
          }),
          serviceTeamsOf: catalogServiceTeams(catalog, auth),
          notifier: new BackstageReleaseNotifier(deps.notifications),
          signals: deps.signals,
          messages: { nudge: () => messages?.nudge() },
        });
        const people = catalogPeople({ catalog, auth, releases });
        const messageSettings = readMessageSettings(config);
        const messageSystems = {
          slack: deps.integrations.has('slack'),
          asana: deps.integrations.has('asana'),
        };
        messages = new ReleaseMessages({
          knex,
          logger: logger.child({ component: 'messages' }),
          outbox: {
            backoffMs: config.getOptionalNumber('release.messages.retryMs'),
            maxBackoffMs: config.getOptionalNumber(
              'release.messages.maxRetryMs',
            ),
          },
          send: createMessageSender({
            slack: () => deps.integrations.get('slack'),
            asana: () => deps.integrations.get('asana'),
            people,
            linkTask: async (releaseId, link, onBehalfOf) => {
              await releases.linkFromMessage(releaseId, link, {
                requestId: randomUUID(),
                onBehalfOf,
              });
            },
          }),
          relay: {
            audit: releases.audit,
            releases,
            people,
            settings: {
              ...messageSettings,
              policy,
              systems: messageSystems,
            },
          },
        });
        await messages.schedule(deps.scheduler);
        const stopMessages = messages;
        deps.lifecycle.addShutdownHook(() => stopMessages.stop());
        // Starts on the first GET /status, so a backend nobody watches makes no upstream calls.
        const status = new StatusCache({
          systems: statusSystemsOf(deps.integrations),
          layout,
          environments: portal.environments,
          logger: logger.child({ component: 'status' }),
        });
        deps.lifecycle.addShutdownHook(() => status.stop());

        const engineSettings = readEngineSettings(config);
        // The final announcement goes to the release room (the team's channel when none is set).
        const releaseRoom =
          messageSettings.channels['release-room'] ??
          messageSettings.channels.team;
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
            jenkins: () => integrations.get('jenkins'),
          },
          logger,
          people: { catalog, auth },
          onRun: () => status.start(),
          ...(releaseRoom && messageSystems.slack
            ? {
                announce: (run, text, key) =>
                  messages!.announce(run, text, key, releaseRoom),
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
        // Gates react to what the status cache hears (Argo CD events, the cluster's reads).
        wakeOnStatusChanges(status, engine);
        // A run left under way by an earlier start needs the events too.
        if (await engine.hasActiveRuns()) status.start();

        httpRouter.use(
          await createRouter({
            ...deps,
            portal,
            releases,
            status,
            deploys,
            messages: messages.outbox,
            messageSettings: {
              channels: messageSettings.channels,
              policy,
              portalUrl: config.getOptionalString('app.baseUrl') ?? '',
              systems: messageSystems,
            },
          }),
        );
        for (const path of unauthenticatedPaths) {
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        }
        logger.info(`Release backend ready for product ${portal.product}`);
      },
    });
  },
});
