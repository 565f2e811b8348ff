import type { Router, Request } from 'express';
import { z } from 'zod';
import {
  abortRequestSchema,
  acknowledgeRequestSchema,
  deployRequestSchema,
  deployStepControlRequestSchema,
  rebaseApprovalRequestSchema,
  releaseAbortPermission,
  releaseCreatePermission,
  releaseDeployControlPermission,
  releaseDeployPermission,
  releaseStopTheLinePermission,
  stopTheLineRequestSchema,
  type DeployView,
  type StopTheLine,
} from '@internal/plugin-release-common';
import type { DeployService } from './engine/DeployService';
import type { HttpDoor } from './httpDoor';
import { parse } from './schemas';

const runIdSchema = z.string().uuid('must be a run id');
const environmentQuerySchema = z
  .object({
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be an environment name')
      .default('prod'),
  })
  .strict();

/**
 * The Deploy card's routes: the plan, the run and its controls, and stop-the-line. Each control
 * has its own permission, and each press is audited through the door.
 */
export function addDeployRoutes(
  router: Router,
  options: {
    deploys: DeployService;
    door: HttpDoor;
    idOf(req: Request): string;
  },
) {
  const { deploys, door, idOf } = options;
  const runIdOf = (req: Request) =>
    parse(runIdSchema, req.params.runId, 'runId');

  const viewFor = async (req: Request, id: string): Promise<DeployView> => {
    const actor = await door.actorOf(req);
    const [deploy, control, abort, stopTheLine, request] = await door.allowed(
      req,
      [
        releaseDeployPermission,
        releaseDeployControlPermission,
        releaseAbortPermission,
        releaseStopTheLinePermission,
        releaseCreatePermission,
      ],
    );
    return deploys.view(actor, id, {
      deploy,
      control,
      abort,
      stopTheLine,
      request,
    });
  };

  router.get('/releases/:id/plan', async (req, res) => {
    await door.actorOf(req);
    const id = idOf(req);
    const { environment } = parse(environmentQuerySchema, req.query, 'query');
    res.json(await deploys.plan(id, environment));
  });

  router.get('/releases/:id/deploy', async (req, res) => {
    res.json(await viewFor(req, idOf(req)));
  });

  router.post('/releases/:id/deploy', async (req, res) => {
    const actor = await door.actorOf(req, releaseDeployPermission);
    const id = idOf(req);
    const body = parse(deployRequestSchema, req.body, 'body');
    const run = await door.audited(
      req,
      'release-deploy',
      { releaseId: id, environment: body.environment },
      ctx => deploys.deploy(actor, id, body, ctx),
    );
    res.status(201).json(run);
  });

  for (const control of ['pause', 'resume', 'retry', 'skip'] as const) {
    router.post(`/releases/:id/runs/:runId/${control}`, async (req, res) => {
      const actor = await door.actorOf(req, releaseDeployControlPermission);
      const id = idOf(req);
      const runId = runIdOf(req);
      const body = parse(
        deployStepControlRequestSchema,
        req.body ?? {},
        'body',
      );
      const run = await door.audited(
        req,
        `release-deploy-${control}`,
        {
          releaseId: id,
          runId,
          ...(body.step !== undefined ? { step: body.step } : {}),
        },
        ctx => {
          switch (control) {
            case 'pause':
              return deploys.pause(actor, id, runId, ctx);
            case 'resume':
              return deploys.resume(actor, id, runId, body, ctx);
            case 'retry':
              return deploys.retry(actor, id, runId, body.step, ctx);
            default:
              return deploys.skip(actor, id, runId, body, ctx);
          }
        },
      );
      res.json(run);
    });
  }

  // The author asks again for the plan of a run stopped on someone else's change, as they saw it.
  router.post(
    '/releases/:id/runs/:runId/request-approval',
    async (req, res) => {
      const actor = await door.actorOf(req, releaseCreatePermission);
      const id = idOf(req);
      const runId = runIdOf(req);
      const body = parse(rebaseApprovalRequestSchema, req.body, 'body');
      await door.audited(
        req,
        'release-request-approval',
        { releaseId: id, runId, fingerprint: body.fingerprint },
        ctx => deploys.requestRebasedApproval(actor, id, runId, body, ctx),
      );
      res.json(await viewFor(req, id));
    },
  );

  router.post('/releases/:id/abort', async (req, res) => {
    const actor = await door.actorOf(req, releaseAbortPermission);
    const id = idOf(req);
    const body = parse(abortRequestSchema, req.body, 'body');
    const run = await door.audited(
      req,
      'release-abort',
      { releaseId: id },
      ctx => deploys.abort(actor, id, body, ctx),
    );
    res.json(run);
  });

  router.post('/releases/:id/acknowledgements', async (req, res) => {
    const actor = await door.actorOf(req, releaseDeployPermission);
    const id = idOf(req);
    const body = parse(acknowledgeRequestSchema, req.body, 'body');
    await door.audited(
      req,
      'release-acknowledge',
      { releaseId: id, subject: body.subject },
      ctx => deploys.acknowledge(actor, id, body, ctx),
    );
    res.json(await viewFor(req, id));
  });

  router.get('/stop-the-line', async (req, res) => {
    const actor = await door.actorOf(req);
    const [permitted] = await door.allowed(req, [releaseStopTheLinePermission]);
    const halt = await deploys.currentHalt();
    res.json({
      ...(halt ? { halt } : {}),
      toggle: deploys.haltToggle(actor, permitted),
    } satisfies StopTheLine);
  });

  router.post('/stop-the-line', async (req, res) => {
    const actor = await door.actorOf(req, releaseStopTheLinePermission);
    const body = parse(stopTheLineRequestSchema, req.body, 'body');
    const halt = await door.audited(req, 'release-stop-the-line', {}, ctx =>
      deploys.raiseHalt(actor, body, ctx),
    );
    res.json({ halt } satisfies StopTheLine);
  });

  router.post('/stop-the-line/lift', async (req, res) => {
    const actor = await door.actorOf(req, releaseStopTheLinePermission);
    const body = parse(stopTheLineRequestSchema, req.body, 'body');
    await door.audited(req, 'release-lift-stop-the-line', {}, ctx =>
      deploys.liftHalt(actor, body, ctx),
    );
    res.json({} satisfies StopTheLine);
  });
}
