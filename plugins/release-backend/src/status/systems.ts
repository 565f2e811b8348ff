import type {
  ArgoCdClient,
  GitlabClient,
  HybrisClusterClient,
  PrometheusClient,
  ReleaseIntegrations,
} from '@internal/plugin-release-node';

/** The part of an Argo CD client the status cache reads. */
export type StatusArgoCd = Pick<
  ArgoCdClient,
  'instance' | 'listApplications' | 'getResourceTree' | 'watchApplications'
> &
  Partial<Pick<ArgoCdClient, 'applicationUrl'>>;

/**
 * The systems the status cache reads; each getter throws a message saying what to configure when
 * the system is not set up.
 */
export interface StatusSystems {
  /** The Argo CD instance serving an environment. */
  argocdFor(environment: string): StatusArgoCd;
  hybris(): Pick<HybrisClusterClient, 'clusterStatus'>;
  prometheus(): Pick<PrometheusClient, 'queryRange'>;
  gitlab(): Pick<GitlabClient, 'readFile'>;
}

/** The portal's integrations as the status cache reads them. */
export function statusSystemsOf(
  integrations: Pick<ReleaseIntegrations, 'get'>,
): StatusSystems {
  return {
    argocdFor: environment =>
      integrations.get('argocd').forEnvironment(environment),
    hybris: () => integrations.get('hybris'),
    prometheus: () => integrations.get('prometheus'),
    gitlab: () => integrations.get('gitlab'),
  };
}
