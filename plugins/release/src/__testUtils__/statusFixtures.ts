import type {
  ReleaseStatus,
  ReleaseStatusApp,
} from '@internal/plugin-release-common';
import type { SetupCheckResult, StatusStreamHandlers } from '../api';

/** hybris in prod mid-release: blue live with 9 pods, green coming up 6 of 9 with one node missing. */
export function hybrisProdFixture(): ReleaseStatusApp {
  return {
    app: 'hybris',
    version: 'deploy-2026-11-18',
    versions: ['deploy-2026-11-18', 'deploy-2026-11-25'],
    sync: 'OutOfSync',
    health: 'Progressing',
    liveColour: 'blue',
    argocd: [
      {
        name: 'hybris-blue',
        instance: 'prod',
        sync: 'Synced',
        health: 'Healthy',
        images: ['registry/kop/hybris:deploy-2026-11-18'],
      },
      {
        name: 'hybris-green',
        instance: 'prod',
        url: 'https://argocd-prod.kop.example/applications/hybris-green',
        sync: 'OutOfSync',
        health: 'Progressing',
        healthMessage: 'Waiting for rollout to finish: 6 of 9 updated',
        images: ['registry/kop/hybris:deploy-2026-11-25'],
        operation: {
          phase: 'Running',
          running: true,
          message: 'waiting for healthy state of apps/Deployment/hybris-green',
        },
      },
    ],
    colours: [
      {
        colour: 'blue',
        argocdApp: 'hybris-blue',
        live: true,
        version: 'deploy-2026-11-18',
        replicas: { ready: 9, pods: 9, desired: 9 },
        cluster: {
          up: true,
          viewSize: 9,
          expectedNodes: 9,
          complete: true,
          missing: [],
        },
        errorRate: [
          { t: 1764036000, v: 0.01 },
          { t: 1764036060, v: 0.02 },
          { t: 1764036120, v: 0.012 },
        ],
        errorRateMax: 0.05,
      },
      {
        colour: 'green',
        argocdApp: 'hybris-green',
        live: false,
        version: 'deploy-2026-11-25',
        replicas: { ready: 6, pods: 7, desired: 9 },
        cluster: {
          up: true,
          viewSize: 5,
          expectedNodes: 6,
          complete: false,
          missing: ['hybris-green-5'],
        },
        errorRate: [
          { t: 1764036060, v: 0.2 },
          { t: 1764036000, v: 0.1 },
        ],
        errorRateMax: 0.05,
      },
    ],
  };
}

function simpleApp(
  app: 'cms' | 'web',
  version: string,
  argoNames: string[],
): ReleaseStatusApp {
  return {
    app,
    version,
    versions: [version],
    sync: 'Synced',
    health: 'Healthy',
    argocd: argoNames.map(name => ({
      name,
      instance: 'prod',
      sync: 'Synced',
      health: 'Healthy',
      images: [],
    })),
  };
}

/** Three apps in beta and prod; `updatedAt` tells snapshots apart. */
export function statusFixture(
  updatedAt = '2026-11-25T03:00:00.000Z',
): ReleaseStatus {
  return {
    updatedAt,
    environments: [
      {
        name: 'beta',
        apps: [
          {
            ...hybrisProdFixture(),
            version: 'deploy-2026-11-25',
            versions: ['deploy-2026-11-25'],
            argocd: [],
            colours: undefined,
            liveColour: undefined,
            errors: [
              'Argo CD beta: 401 Unauthorized; check release.argocd.instances.beta.token',
            ],
          },
          simpleApp('cms', '5d1e2f3a', ['cms-beta', 'cms-internal-beta']),
          simpleApp('web', 'a7ed4db1', ['web-beta']),
        ],
      },
      {
        name: 'prod',
        apps: [
          hybrisProdFixture(),
          simpleApp('cms', '4c0d1e2f', ['cms', 'cms-internal']),
          simpleApp('web', '9f8e7d6c', ['web']),
        ],
      },
    ],
  };
}

/** A `streamStatus` the test drives by hand: emit a status, break the stream, see the unsubscribe. */
export function controllableStream() {
  let handlers: StatusStreamHandlers | undefined;
  const unsubscribe = jest.fn();
  const streamStatus = jest.fn((h: StatusStreamHandlers) => {
    handlers = h;
    return unsubscribe;
  });
  return {
    streamStatus,
    unsubscribe,
    emit(status: ReleaseStatus) {
      if (!handlers) throw new Error('Nobody subscribed to the status stream');
      handlers.onStatus(status);
    },
    fail(error: Error) {
      if (!handlers) throw new Error('Nobody subscribed to the status stream');
      handlers.onError?.(error);
    },
  };
}

/** The sandbox with Argo CD up and GitLab's token lacking a scope. */
export function setupCheckFixture(): SetupCheckResult {
  return {
    ok: false,
    checkedAt: '2026-11-25T03:00:00.000Z',
    systems: [
      {
        system: 'Argo CD',
        key: 'argocd',
        configured: true,
        ok: true,
        checks: [
          {
            name: 'prod: applications readable',
            ok: true,
            detail: 'hybris-blue, hybris-green, cms, cms-internal, web',
          },
        ],
      },
      {
        system: 'GitLab',
        key: 'gitlab',
        configured: true,
        ok: false,
        checks: [
          { name: 'token', ok: true, detail: 'Signed in as kop-release-bot' },
          {
            name: 'kop/kop-deploy-prod: push',
            ok: false,
            detail:
              'The token has Reporter access; give kop-release-bot Developer on kop/kop-deploy-prod',
          },
        ],
      },
      {
        system: 'Slack',
        key: 'slack',
        configured: false,
        ok: false,
        checks: [
          {
            name: 'configured',
            ok: false,
            detail:
              'Set release.slack.botToken and release.slack.signingSecret',
          },
        ],
      },
    ],
  };
}
