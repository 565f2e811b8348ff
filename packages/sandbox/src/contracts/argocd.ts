import type { AppProject as AppProjectModel } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { Application as ApplicationModel } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/*
 * What the Argo CD API server answers and accepts, for the parts the portal's client and the
 * sandbox use. Application and AppProject are checked twice: against Argo CD's own types
 * (@kubernetes-models/argo-cd, generated from Argo CD's Go API) for required fields and types, and
 * against the strict schemas below, which refuse any field they do not name, so a misspelt field
 * fails. The envelopes around them (lists, the stream, requests, errors) are not part of Argo CD's
 * Go API types; their schemas here follow the API server's grpc-gateway JSON.
 */

/** Kubernetes time: RFC 3339, UTC or with an offset. */
const time = z.string().datetime({ offset: true });

const info = z.object({ name: z.string(), value: z.string() }).strict();

const objectMeta = z
  .object({
    name: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().int().optional(),
    creationTimestamp: time.optional(),
    labels: z.record(z.string()).optional(),
    annotations: z.record(z.string()).optional(),
  })
  .strict();

const listMeta = z
  .object({
    resourceVersion: z.string().optional(),
    continue: z.string().optional(),
    remainingItemCount: z.number().int().optional(),
  })
  .strict();

const source = z
  .object({
    repoURL: z.string(),
    path: z.string().optional(),
    targetRevision: z.string().optional(),
    chart: z.string().optional(),
    helm: z
      .object({
        valueFiles: z.array(z.string()).optional(),
        values: z.string().optional(),
        releaseName: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const destination = z
  .object({
    server: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
  })
  .strict();

const initiator = z
  .object({
    username: z.string().optional(),
    automated: z.boolean().optional(),
  })
  .strict();

const syncOperationResource = z
  .object({
    group: z.string().optional(),
    kind: z.string(),
    name: z.string(),
    namespace: z.string().optional(),
  })
  .strict();

const operation = z
  .object({
    sync: z
      .object({
        revision: z.string().optional(),
        prune: z.boolean().optional(),
        dryRun: z.boolean().optional(),
        resources: z.array(syncOperationResource).optional(),
        source: source.optional(),
        syncOptions: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    initiatedBy: initiator.optional(),
    info: z.array(info).optional(),
  })
  .strict();

/** gitops-engine's OperationPhase values. */
const phase = z.enum([
  'Running',
  'Terminating',
  'Failed',
  'Error',
  'Succeeded',
]);

/** gitops-engine's health codes. */
const healthCode = z.enum([
  'Healthy',
  'Progressing',
  'Degraded',
  'Suspended',
  'Missing',
  'Unknown',
]);

const health = z
  .object({
    status: healthCode.optional(),
    message: z.string().optional(),
    lastTransitionTime: time.optional(),
  })
  .strict();

const syncCode = z.enum(['Synced', 'OutOfSync', 'Unknown']);

const operationState = z
  .object({
    operation,
    phase,
    message: z.string().optional(),
    startedAt: time,
    finishedAt: time.optional(),
    retryCount: z.number().int().optional(),
    syncResult: z
      .object({
        revision: z.string(),
        source: source.optional(),
        resources: z
          .array(
            z
              .object({
                group: z.string(),
                version: z.string(),
                kind: z.string(),
                namespace: z.string(),
                name: z.string(),
                status: z
                  .enum(['Synced', 'SyncFailed', 'Pruned', 'PruneSkipped'])
                  .optional(),
                message: z.string().optional(),
                hookPhase: phase.optional(),
                syncPhase: z
                  .enum(['PreSync', 'Sync', 'PostSync', 'SyncFail'])
                  .optional(),
                images: z.array(z.string()).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const application = z
  .object({
    metadata: objectMeta,
    spec: z
      .object({
        project: z.string(),
        destination,
        source: source.optional(),
        sources: z.array(source).optional(),
        syncPolicy: z
          .object({
            automated: z
              .object({
                enabled: z.boolean().optional(),
                prune: z.boolean().optional(),
                selfHeal: z.boolean().optional(),
                allowEmpty: z.boolean().optional(),
              })
              .strict()
              .optional(),
            syncOptions: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
        info: z.array(info).optional(),
      })
      .strict(),
    operation: operation.optional(),
    status: z
      .object({
        sync: z
          .object({
            status: syncCode,
            revision: z.string().optional(),
            comparedTo: z
              .object({ source: source.optional(), destination })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
        health: health.optional(),
        operationState: operationState.optional(),
        resources: z
          .array(
            z
              .object({
                group: z.string().optional(),
                version: z.string().optional(),
                kind: z.string().optional(),
                namespace: z.string().optional(),
                name: z.string().optional(),
                status: syncCode.optional(),
                health: health.optional(),
                requiresPruning: z.boolean().optional(),
              })
              .strict(),
          )
          .optional(),
        history: z
          .array(
            z
              .object({
                id: z.number().int(),
                revision: z.string().optional(),
                source: source.optional(),
                deployedAt: time,
                deployStartedAt: time.optional(),
                initiatedBy: initiator.optional(),
              })
              .strict(),
          )
          .optional(),
        summary: z
          .object({
            images: z.array(z.string()).optional(),
            externalURLs: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
        conditions: z
          .array(
            z
              .object({
                type: z.string(),
                message: z.string(),
                lastTransitionTime: time.optional(),
              })
              .strict(),
          )
          .optional(),
        reconciledAt: time.optional(),
        sourceType: z
          .enum(['Helm', 'Kustomize', 'Directory', 'Plugin'])
          .optional(),
        controllerNamespace: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const appProject = z
  .object({
    metadata: objectMeta,
    spec: z
      .object({
        description: z.string().optional(),
        sourceRepos: z.array(z.string()).optional(),
        destinations: z.array(destination).optional(),
      })
      .strict(),
    status: z.object({}).strict().optional(),
  })
  .strict();

const resourceRef = z
  .object({
    group: z.string().optional(),
    version: z.string().optional(),
    kind: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    uid: z.string().optional(),
  })
  .strict();

/** The grpc-gateway's error body (runtimeError). */
const runtimeError = z
  .object({
    error: z.string().optional(),
    code: z.number().int().optional(),
    message: z.string().optional(),
    details: z.array(z.unknown()).optional(),
  })
  .strict();

/** The API's own messages, by the names Argo CD's API documentation gives them. */
const envelopes = {
  v1alpha1ApplicationList: z
    .object({
      metadata: listMeta,
      // Argo CD answers null rather than [] when nothing matches.
      items: z.array(z.unknown()).nullable(),
    })
    .strict(),
  v1alpha1ApplicationTree: z
    .object({
      nodes: z.array(
        resourceRef
          .extend({
            parentRefs: z.array(resourceRef).optional(),
            info: z.array(info).optional(),
            health: health.optional(),
            images: z.array(z.string()).optional(),
            resourceVersion: z.string().optional(),
            createdAt: time.optional(),
          })
          .strict(),
      ),
    })
    .strict(),
  applicationOperationTerminateResponse: z.object({}).strict(),
  applicationApplicationResponse: z.object({}).strict(),
  applicationResourceActionsListResponse: z
    .object({
      actions: z.array(
        z
          .object({
            name: z.string(),
            disabled: z.boolean().optional(),
            displayName: z.string().optional(),
            iconClass: z.string().optional(),
          })
          .strict(),
      ),
    })
    .strict(),
  /** One line of GET /api/v1/stream/applications. */
  streamApplicationsResult: z.union([
    z
      .object({
        result: z
          .object({
            type: z.enum(['ADDED', 'MODIFIED', 'DELETED']),
            application: z.unknown(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        error: z
          .object({
            grpc_code: z.number().int().optional(),
            http_code: z.number().int().optional(),
            message: z.string().optional(),
            http_status: z.string().optional(),
            details: z.array(z.unknown()).optional(),
          })
          .strict(),
      })
      .strict(),
  ]),
  applicationApplicationSyncRequest: z
    .object({
      name: z.string().optional(),
      revision: z.string().optional(),
      dryRun: z.boolean().optional(),
      prune: z.boolean().optional(),
      resources: z.array(syncOperationResource).optional(),
      infos: z.array(info).optional(),
      syncOptions: z
        .object({ items: z.array(z.string()) })
        .strict()
        .optional(),
      appNamespace: z.string().optional(),
      project: z.string().optional(),
    })
    .strict(),
  applicationApplicationRollbackRequest: z
    .object({
      name: z.string().optional(),
      id: z.number().int(),
      dryRun: z.boolean().optional(),
      prune: z.boolean().optional(),
      appNamespace: z.string().optional(),
      project: z.string().optional(),
    })
    .strict(),
  applicationResourceActionRunRequestV2: z
    .object({
      name: z.string(),
      namespace: z.string().optional(),
      resourceName: z.string(),
      version: z.string(),
      group: z.string(),
      kind: z.string(),
      action: z.string(),
      resourceActionParameters: z.array(info).optional(),
      appNamespace: z.string().optional(),
      project: z.string().optional(),
    })
    .strict(),
  runtimeError,
};

/** The strict schemas of the Application and AppProject, for the type-level check against Argo CD's types. */
export const argoCdResourceSchemas = { application, appProject };

/** A message name the contract knows. */
export type ArgoCdDefinition =
  | 'v1alpha1Application'
  | 'v1alpha1AppProject'
  | keyof typeof envelopes;

interface ArgoCdModels {
  Application: typeof ApplicationModel;
  AppProject: typeof AppProjectModel;
}

/**
 * Argo CD's Application and AppProject models, loaded when a test asks for the contract, so the
 * sandbox server never needs this devDependency.
 */
function loadArgoCdModels(): ArgoCdModels {
  const root = dirname(
    require.resolve('@kubernetes-models/argo-cd/package.json'),
  );
  // The package ships ES modules only, which jest cannot resolve; Node's require loads them (require(esm)).
  const nodeRequire = process
    .getBuiltinModule('node:module')
    .createRequire(__filename);
  const load = (name: string) =>
    nodeRequire(join(root, 'argoproj.io', 'v1alpha1', `${name}.js`))[name];
  return { Application: load('Application'), AppProject: load('AppProject') };
}

function zodErrors(
  definition: string,
  schema: z.ZodTypeAny,
  value: unknown,
): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map(
    i =>
      `${definition}${i.path.map(p => `/${p}`).join('')} ${i.message}${
        i.code === 'invalid_union'
          ? `: ${i.unionErrors
              .flatMap(e =>
                e.issues.map(u => `${u.path.join('/')} ${u.message}`),
              )
              .join('; ')}`
          : ''
      }`,
  );
}

/**
 * Checks values against the Argo CD API: `errors(definition, value)` lists what does not fit,
 * empty when the value does.
 */
export function argoCdContract() {
  const models = loadArgoCdModels();

  /** Argo CD's own validation of a resource (its Go API's required fields and types). */
  function vendorErrors(
    definition: string,
    Model: ArgoCdModels[keyof ArgoCdModels],
    value: unknown,
  ): string[] {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return [`${definition} must be an object`];
    }
    try {
      new Model(value as never).validate();
      return [];
    } catch (e) {
      const found = (
        e as { errors?: Array<{ instancePath: string; message?: string }> }
      ).errors;
      if (!found) throw e;
      return found.map(
        err => `${definition}${err.instancePath} ${err.message}`,
      );
    }
  }

  const applicationErrors = (definition: string, value: unknown) => [
    ...zodErrors(definition, application, value),
    ...vendorErrors(definition, models.Application, value),
  ];

  function errors(definition: ArgoCdDefinition, value: unknown): string[] {
    switch (definition) {
      case 'v1alpha1Application':
        return applicationErrors(definition, value);
      case 'v1alpha1AppProject':
        return [
          ...zodErrors(definition, appProject, value),
          ...vendorErrors(definition, models.AppProject, value),
        ];
      case 'v1alpha1ApplicationList': {
        const own = zodErrors(definition, envelopes[definition], value);
        const items = (value as { items?: unknown })?.items;
        return [
          ...own,
          ...(Array.isArray(items) ? items : []).flatMap((item, i) =>
            applicationErrors(`${definition}/items/${i}`, item),
          ),
        ];
      }
      case 'streamApplicationsResult': {
        const own = zodErrors(definition, envelopes[definition], value);
        const result = (value as { result?: { application?: unknown } })
          ?.result;
        return [
          ...own,
          ...(result && 'application' in result
            ? applicationErrors(
                `${definition}/result/application`,
                result.application,
              )
            : []),
        ];
      }
      default:
        return zodErrors(definition, envelopes[definition], value);
    }
  }

  return { errors };
}
