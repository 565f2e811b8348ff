import type {
  AuditorService,
  AuthService,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import {
  addLinkRequestSchema,
  changeGradeRequestSchema,
  createReleaseRequestSchema,
  releaseAbortPermission,
  releaseApprovePermission,
  releaseCreatePermission,
  releaseDecisionSchema,
  renderReleaseNotes,
  retroApprovalRequestSchema,
  testOverrideRequestSchema,
  transitionRequestSchema,
  whatShipsRequestSchema,
  type DemoUsers,
  type ReleaseMessages,
  type GradePolicy,
  type PendingApprovals,
  type ReleaseApprovals,
  type ReleaseBackendHealth,
  type ReleaseNotes,
  type ReleasePage,
  type ReleaseState,
  type SetupCheckResult,
  type WhatShips,
} from '@internal/plugin-release-common';
import {
  readReleaseLayout,
  whatShips,
  whatShipsContext,
  type ReleaseIntegrations,
  type ReleasePortalConfig,
} from '@internal/plugin-release-node';
import express, { type Request } from 'express';
import Router from 'express-promise-router';
import { automationGate } from './automationAccess';
import { addDeployRoutes } from './deployRoutes';
import type { DeployService } from './engine/DeployService';
import { addFormRoutes } from './formRoutes';
import { httpDoor } from './httpDoor';
import { ReleaseDoors } from './service/doors';
import { isDemoSignInEnabled, listDemoUsers } from './service/demoUsers';
import { readReleaseDashboards, releaseLinksOut } from './service/linksOut';
import { createSetupCheck } from './service/setupCheck';
import { addStatusRoutes } from './status/routes';
import type { StatusCache } from './status/StatusCache';
import { publicView, type ReleaseService } from './service/ReleaseService';
import {
  auditQuerySchema,
  listQuerySchema,
  parse,
  releaseIdSchema,
} from './schemas';
import type { MessageOutbox } from './messages/MessageOutbox';
import type { RequestedMessageSettings } from './messages/requested';
import { addMessageRoutes } from './messageRoutes';

export interface RouterOptions {
  config: Config;
  portal: ReleasePortalConfig;
  auth: AuthService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
  releases: ReleaseService;
  integrations: Pick<
    ReleaseIntegrations,
    'checkAll' | 'gitlab' | 'argocd' | 'has' | 'jenkins' | 'asana'
  >;
  /** The live status of every app; GET /status answers 503 without it. */
  status?: StatusCache;
  /** The engine's door: the plan, the runs and their controls. */
  deploys?: DeployService;
  /** The release messages' outbox: GET /releases/:id/messages shows their delivery. */
  messages?: Pick<MessageOutbox, 'listFor' | 'enqueue' | 'getByKey'>;
  /** What POST /releases/:id/messages may queue; without it (and the outbox) that route is absent. */
  messageSettings?: RequestedMessageSettings;
}

/** Routes that need no signed-in user; plugin.ts opens exactly these to unauthenticated callers. */
export const unauthenticatedPaths = ['/health', '/demo-users'];

/** Moves made by hand that need more than authorship. */
const transitionPermissions: Partial<Record<ReleaseState, BasicPermission>> = {
  aborted: releaseAbortPermission,
};

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    config,
    portal,
    auth,
    httpAuth,
    userInfo,
    permissions,
    auditor,
    catalog,
    releases,
    integrations,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  router.use(automationGate(httpAuth));

  const door = httpDoor(
    new ReleaseDoors({
      permissions,
      userInfo,
      catalog,
      auth,
      auditor,
      policy: releases.policy,
      adminRoles: portal.adminRoles,
    }),
    httpAuth,
  );
  const { actorOf, audited } = door;

  const idOf = (req: Request) => parse(releaseIdSchema, req.params.id, 'id');

  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      product: portal.product,
      environments: portal.environments,
    } satisfies ReleaseBackendHealth);
  });

  router.get('/demo-users', async (_req, res) => {
    if (!isDemoSignInEnabled(config)) {
      throw new NotFoundError('Demo sign-in is not enabled');
    }
    res.json({
      items: await listDemoUsers({ catalog, auth }),
    } satisfies DemoUsers);
  });

  const setupCheck = createSetupCheck({ integrations, config });
  router.get('/setup-check', async (req, res) => {
    // A service too: an automation token's smoke test runs it before anyone has signed in.
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json((await setupCheck()) satisfies SetupCheckResult);
  });

  const layout = readReleaseLayout(config);
  // POST, not GET: the release items are a list of objects, awkward and unbounded in a query string.
  router.post('/what-ships', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    const body = parse(whatShipsRequestSchema, req.body, 'body');
    const context = whatShipsContext(integrations, {
      layout,
      policy: releases.policy,
      recordedBuild: (app, imageTag) => releases.recordedBuild(app, imageTag),
    });
    res.json((await whatShips(body, context)) satisfies WhatShips);
  });

  addFormRoutes(router, {
    httpAuth,
    releases,
    integrations,
    layout,
    buildsFirst: config.getOptionalBoolean('release.plan.build') ?? false,
    actorOf: req => actorOf(req, releaseCreatePermission),
    portalUrl: config.getOptionalString('app.baseUrl'),
  });

  addStatusRoutes(router, { httpAuth, status: options.status });

  router.get('/policy', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(releases.policy satisfies GradePolicy);
  });

  router.get('/releases', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parse(listQuerySchema, req.query, 'query');
    const page = await releases.list({
      ...query,
      state: query.state as ReleaseState[] | undefined,
    });
    res.json({
      items: page.items.map(publicView),
      nextCursor: page.nextCursor,
    } satisfies ReleasePage);
  });

  router.post('/releases', async (req, res) => {
    const actor = await actorOf(req, releaseCreatePermission);
    const body = parse(createReleaseRequestSchema, req.body, 'body');
    const release = await audited(req, 'release-create', {}, ctx =>
      releases.create(actor, body, ctx),
    );
    res.status(201).json(publicView(release));
  });

  router.get('/releases/:id', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(publicView(await releases.get(idOf(req))));
  });

  const dashboards = readReleaseDashboards(config);
  // Built from config, so the page links out even while Argo CD or GitLab is down.
  router.get('/releases/:id/links-out', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const release = await releases.get(idOf(req));
    res.json(
      releaseLinksOut(release, {
        layout,
        environments: portal.environments,
        dashboards,
        argocdFor: environment =>
          integrations.argocd.forEnvironment(environment),
        gitlab: () => integrations.gitlab,
      }),
    );
  });

  router.get('/releases/:id/approvals', async (req, res) => {
    const actor = await actorOf(req);
    const release = await releases.get(idOf(req));
    const stages = (['approval', 'signoff'] as const).map(stage => ({
      stage,
      requirements: releases.requirementsFor(release, stage).map(r => ({
        ...r,
        givenBy: release.approvals.find(
          a => a.requirement === r.key && a.decision === 'approve',
        )?.approver,
      })),
      you: releases.approvalCheck(release, stage, actor),
    }));
    res.json({
      releaseId: release.id,
      state: release.state,
      stages,
    } satisfies ReleaseApprovals);
  });

  router.get('/releases/:id/notes', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const release = await releases.get(idOf(req));
    res.json(
      renderReleaseNotes(release, releases.policy, {
        portalUrl: config.getString('app.baseUrl'),
      }) satisfies ReleaseNotes,
    );
  });

  router.post('/releases/:id/grade', async (req, res) => {
    const actor = await actorOf(req, releaseCreatePermission);
    const id = idOf(req);
    const body = parse(changeGradeRequestSchema, req.body, 'body');
    const release = await audited(
      req,
      'release-grade',
      { releaseId: id },
      ctx => releases.changeGrade(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/links', async (req, res) => {
    const actor = await actorOf(req, releaseCreatePermission);
    const id = idOf(req);
    const body = parse(addLinkRequestSchema, req.body, 'body');
    const release = await audited(req, 'release-link', { releaseId: id }, ctx =>
      releases.addLink(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/request-approval', async (req, res) => {
    const actor = await actorOf(req, releaseCreatePermission);
    const id = idOf(req);
    const release = await audited(
      req,
      'release-request-approval',
      { releaseId: id },
      ctx => releases.requestApproval(actor, id, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/approvals', async (req, res) => {
    const actor = await actorOf(req, releaseApprovePermission);
    const id = idOf(req);
    const body = parse(releaseDecisionSchema, req.body, 'body');
    const release = await audited(
      req,
      `release-${body.decision}`,
      { releaseId: id, stage: body.stage },
      ctx => releases.decide(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/retro-approval', async (req, res) => {
    const actor = await actorOf(req, releaseApprovePermission);
    const id = idOf(req);
    const body = parse(retroApprovalRequestSchema, req.body, 'body');
    const release = await audited(
      req,
      'release-retro-approve',
      { releaseId: id },
      ctx => releases.retroApprove(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/tests/override', async (req, res) => {
    const id = idOf(req);
    const body = parse(testOverrideRequestSchema, req.body, 'body');
    // The author passes over failed payment tests; whoever signs off, failed post-deploy tests.
    const actor = await actorOf(
      req,
      body.kind === 'payment'
        ? releaseCreatePermission
        : releaseApprovePermission,
    );
    const release = await audited(
      req,
      'release-tests-override',
      { releaseId: id, kind: body.kind },
      ctx => releases.overrideTests(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.post('/releases/:id/transition', async (req, res) => {
    const id = idOf(req);
    const body = parse(transitionRequestSchema, req.body, 'body');
    const permission =
      transitionPermissions[body.to] ?? releaseCreatePermission;
    const actor = await actorOf(req, permission);
    const release = await audited(
      req,
      'release-transition',
      { releaseId: id, to: body.to },
      ctx => releases.transition(actor, id, body, ctx),
    );
    res.json(publicView(release));
  });

  router.get('/approvals/pending', async (req, res) => {
    const actor = await actorOf(req);
    const pending = await releases.pendingFor(actor);
    res.json({
      items: pending.map(p => ({
        release: publicView(p.release),
        stage: p.stage,
        requirement: p.requirement,
      })),
    } satisfies PendingApprovals);
  });

  router.get('/releases/:id/audit', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const id = idOf(req);
    const query = parse(auditQuerySchema, req.query, 'query');
    res.json({ items: await releases.audit.list({ ...query, releaseId: id }) });
  });

  router.get('/releases/:id/messages', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const id = idOf(req);
    await releases.get(id);
    res.json({
      items: (await options.messages?.listFor(id)) ?? [],
    } satisfies ReleaseMessages);
  });

  router.get('/audit', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parse(auditQuerySchema, req.query, 'query');
    res.json({ items: await releases.audit.list(query) });
  });

  router.get('/audit/verify', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(await releases.audit.verify());
  });

  if (options.deploys) {
    addDeployRoutes(router, { deploys: options.deploys, door, idOf });
  }

  const { messages, messageSettings } = options;
  if (messages && messageSettings) {
    addMessageRoutes(router, {
      door,
      idOf,
      releases,
      outbox: messages,
      settings: messageSettings,
    });
  }

  return router;
}
