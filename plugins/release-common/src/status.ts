import { z } from 'zod';

/*
 * The live status of every app per environment: the answer of the release backend's `GET /status`
 * and the data of each `status` event of `GET /status/stream`. Defined once: openapi.yaml's schemas
 * for it are generated from these.
 */

/** The operation Argo CD runs or last ran on an app. @public */
export const releaseStatusOperationSchema = z.object({
  phase: z
    .string()
    .describe('Pending, Running, Terminating, Succeeded, Failed or Error'),
  running: z.boolean().describe('True while it runs (or waits to run)'),
  message: z.string().optional(),
  startedAt: z.string().datetime({ offset: true }).optional(),
  finishedAt: z.string().datetime({ offset: true }).optional(),
  initiatedBy: z
    .string()
    .optional()
    .describe('The Argo CD user who started it, absent for automated syncs'),
});

/** @public */
export type ReleaseStatusOperation = z.infer<
  typeof releaseStatusOperationSchema
>;

/** One Argo CD application of an app, as last seen. @public */
export const releaseStatusArgoAppSchema = z.object({
  name: z.string().describe("The Argo CD application's name, e.g. hybris-blue"),
  instance: z.string().describe('The Argo CD instance holding it'),
  url: z.string().optional().describe('Where the app opens in the Argo CD UI'),
  sync: z.string().describe('Synced, OutOfSync or Unknown'),
  health: z
    .string()
    .describe('Healthy, Progressing, Degraded, Suspended, Missing or Unknown'),
  healthMessage: z.string().optional(),
  revision: z
    .string()
    .optional()
    .describe('The IaC commit the last sync applied'),
  targetRevision: z.string().optional().describe('The branch Argo CD follows'),
  images: z.array(z.string()).describe('Images Argo CD reports running'),
  operation: releaseStatusOperationSchema.optional(),
  conditions: z
    .array(z.string())
    .optional()
    .describe(
      "Argo CD's conditions (e.g. ComparisonError), as `Type: message`",
    ),
});

/** @public */
export type ReleaseStatusArgoApp = z.infer<typeof releaseStatusArgoAppSchema>;

/** A value at a time: `t` in epoch seconds. @public */
export const releaseStatusPointSchema = z.object({
  t: z.number().int(),
  v: z.number(),
});

/** @public */
export type ReleaseStatusPoint = z.infer<typeof releaseStatusPointSchema>;

/** One colour of hybris (blue/green). @public */
export const releaseStatusColourSchema = z.object({
  colour: z.string(),
  argocdApp: z
    .string()
    .describe('The Argo CD application that deploys this colour'),
  live: z
    .boolean()
    .describe("Traffic goes to this colour (the switch app's values name it)"),
  version: z.string().optional().describe('The image tag the colour runs'),
  replicas: z.object({
    ready: z.number().int().describe('Pods that are ready'),
    pods: z.number().int().describe('Pods that exist (ready or not)'),
    desired: z
      .number()
      .int()
      .optional()
      .describe(
        "replicaCount of the colour's values at the revision Argo CD synced; absent when unknown",
      ),
  }),
  cluster: z
    .object({
      up: z.boolean().describe('False when no node answers (an idle colour)'),
      viewSize: z.number().int(),
      expectedNodes: z.number().int().optional(),
      complete: z.boolean(),
      missing: z
        .array(z.string())
        .describe('Nodes that exist but are not in the view'),
    })
    .optional()
    .describe("The JGroups view of the colour's nodes (hybris cluster/status)"),
  errorRate: z
    .array(releaseStatusPointSchema)
    .optional()
    .describe(
      'The error rate over the last minutes (a few points), for a small plot',
    ),
  errorRateMax: z
    .number()
    .optional()
    .describe("The gate's limit for the error rate, to draw beside the plot"),
});

/** @public */
export type ReleaseStatusColour = z.infer<typeof releaseStatusColourSchema>;

/** What runs of one app in one environment. @public */
export const releaseStatusAppSchema = z.object({
  app: z.string().describe('hybris, cms or web'),
  version: z
    .string()
    .optional()
    .describe(
      "The version that serves users: hybris' live colour's, else the first Argo CD app's",
    ),
  versions: z
    .array(z.string())
    .describe(
      "Every distinct version the app's Argo CD apps run (more than one: they differ)",
    ),
  sync: z.string().describe("The worst sync status of the app's Argo CD apps"),
  health: z.string().describe("The worst health of the app's Argo CD apps"),
  argocd: z.array(releaseStatusArgoAppSchema),
  liveColour: z
    .string()
    .optional()
    .describe('hybris: the colour traffic goes to, when the switch keys agree'),
  colours: z
    .array(releaseStatusColourSchema)
    .optional()
    .describe('hybris: both colours'),
  errors: z
    .array(z.string())
    .optional()
    .describe(
      'What could not be read for this row and what to do about it; the rest of the row still shows',
    ),
});

/** @public */
export type ReleaseStatusApp = z.infer<typeof releaseStatusAppSchema>;

/** @public */
export const releaseStatusEnvironmentSchema = z.object({
  name: z.string(),
  apps: z.array(releaseStatusAppSchema),
});

/** @public */
export type ReleaseStatusEnvironment = z.infer<
  typeof releaseStatusEnvironmentSchema
>;

/** `GET /status`, and each `status` event of `GET /status/stream`. @public */
export const releaseStatusSchema = z.object({
  updatedAt: z.string().datetime().describe('When anything in it last changed'),
  environments: z.array(releaseStatusEnvironmentSchema),
  errors: z
    .array(z.string())
    .optional()
    .describe(
      "Problems not tied to one row, e.g. Argo CD's watch stream reconnecting",
    ),
});

/** @public */
export type ReleaseStatus = z.infer<typeof releaseStatusSchema>;
