import type { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  asanaTasksQuerySchema,
  createReleaseRequestSchema,
  iacPreviewRequestSchema,
  releaseApps,
  renderReleaseNotes,
  type AsanaTaskList,
  type IacEditTargets,
  type IacPreview,
  type Release,
  type ReleaseIacDiff,
  type ReleasePreview,
} from '@internal/plugin-release-common';
import {
  iacTargets,
  iacLiveColour,
  planIacEdit,
  releaseIacChanges,
  type ReleaseIntegrations,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import type express from 'express';
import { z } from 'zod';
import { listAsanaTasks } from './service/asanaTasks';
import { listCandidates } from './service/candidates';
import type { Actor } from './service/doors';
import { publicView, type ReleaseService } from './service/ReleaseService';
import { parse, releaseIdSchema } from './schemas';

const candidatesQuerySchema = z
  .object({
    app: z.enum(releaseApps),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export interface FormRouteOptions {
  httpAuth: HttpAuthService;
  releases: ReleaseService;
  integrations: Pick<
    ReleaseIntegrations,
    'asana' | 'gitlab' | 'has' | 'jenkins'
  >;
  layout: ReleaseLayout;
  /** release.plan.build: a release builds a version that has no build first. */
  buildsFirst?: boolean;
  /** The signed-in user allowed to create releases, as POST /releases sees them. */
  actorOf(req: express.Request): Promise<Actor>;
  /** Base URL of the portal's front end, for links in the notes. */
  portalUrl?: string;
}

const previewQuerySchema = z
  .object({
    environment: z.string().max(40).optional(),
    /** Set by a form's dry run (not by the review page): the attempt goes into the audit trail. */
    dryRun: z.enum(['true']).optional(),
  })
  .strict();

/** What the release forms read while being filled in; nothing here writes. */
export function addFormRoutes(
  router: express.Router,
  options: FormRouteOptions,
): void {
  const { httpAuth, releases, integrations, layout } = options;

  router.get('/candidates', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parse(candidatesQuerySchema, req.query, 'query');
    res.json(
      await listCandidates(integrations, layout, query.app, query.limit, {
        buildsFirst: options.buildsFirst,
      }),
    );
  });

  // The Prepare form's picker: read with the portal's Asana token, so only those who may prepare a release.
  router.get('/asana/tasks', async (req, res) => {
    await options.actorOf(req);
    const query = parse(asanaTasksQuerySchema, req.query, 'query');
    res.json(
      (await listAsanaTasks(integrations, query)) satisfies AsanaTaskList,
    );
  });

  /** The IaC diff the release ends with in an environment, or why it cannot be shown. */
  async function iacAfter(
    { apps, config }: Pick<Release, 'apps' | 'config'>,
    environment: string,
  ): Promise<ReleaseIacDiff> {
    try {
      if (config) {
        if (config.environment !== environment) {
          throw new Error(
            `a config release changes ${config.environment} only`,
          );
        }
        const plan = await planIacEdit({
          gitlab: integrations.gitlab,
          layout,
          environment,
          changes: config.changes,
        });
        return { environment, diff: plan.diff };
      }
      // Only the switch keys are read: the idle colour is the one they do not name.
      // An unknown environment is left to planIacEdit, whose error names it.
      const project = layout.iac.repos[environment];
      const liveColour =
        project && apps.some(a => a.app === 'hybris')
          ? await iacLiveColour({
              layout,
              environment,
              gitlab: integrations.gitlab,
            })
          : undefined;
      const plan = await planIacEdit({
        gitlab: integrations.gitlab,
        layout,
        environment,
        changes: releaseIacChanges({ layout, apps, liveColour }),
      });
      return { environment, diff: plan.diff };
    } catch (e) {
      return { environment, error: (e as Error).message };
    }
  }

  router.post('/preview', async (req, res) => {
    const actor = await options.actorOf(req);
    const body = parse(createReleaseRequestSchema, req.body, 'body');
    const { environment, dryRun } = parse(
      previewQuerySchema,
      req.query,
      'query',
    );
    const draft = await releases.draft(actor, body);
    if (dryRun) await releases.recordDryRun(actor, draft);
    const groupOf = (role: string) => releases.policy.roles[role]?.group;
    res.json({
      ...(environment ? { iac: await iacAfter(draft, environment) } : {}),
      release: publicView(draft),
      notes: renderReleaseNotes(draft, releases.policy, {
        portalUrl: options.portalUrl,
      }),
      approvals: (['approval', 'signoff'] as const).flatMap(stage =>
        releases.requirementsFor(draft, stage).map(r => ({
          ...r,
          group: groupOf(r.role),
          teams: r.scope === 'service' ? draft.serviceTeams : [],
        })),
      ),
    } satisfies ReleasePreview);
  });

  const environmentQuerySchema = z
    .object({
      environment: z
        .string()
        .refine(
          env => Object.hasOwn(layout.iac.repos, env),
          `must be one of ${Object.keys(layout.iac.repos).join(', ')}`,
        ),
    })
    .strict();

  // The release page's IaC diff: where the stored release leaves the IaC repository, read now.
  router.get('/releases/:id/iac', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const id = parse(releaseIdSchema, req.params.id, 'id');
    const { environment } = parse(environmentQuerySchema, req.query, 'query');
    const release = await releases.get(id);
    res.json(await iacAfter(release, environment));
  });

  router.get('/iac/targets', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    res.json({
      environments: Object.keys(layout.iac.repos),
      targets: [...iacTargets(layout).values()].map(target => ({
        argocdApp: target.argocdApp,
        app: target.app,
        file: target.file,
        keys: [...target.keys.keys()],
      })),
    } satisfies IacEditTargets);
  });

  // Reads the IaC branch as it is now; a config release's deploy makes the commit.
  router.post('/iac/preview', async (req, res) => {
    await options.actorOf(req);
    const body = parse(iacPreviewRequestSchema, req.body, 'body');
    const plan = await planIacEdit({
      gitlab: integrations.gitlab,
      layout,
      environment: body.environment,
      changes: body.changes,
    });
    res.json({
      diff: plan.diff,
      expectedBlobs: plan.expectedBlobs,
      baseSha: plan.baseSha,
      changed: plan.changed,
    } satisfies IacPreview);
  });
}
