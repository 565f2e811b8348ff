/** The in-cluster API server, as Argo CD names the cluster it runs in. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** One Argo CD Application the sandbox holds. */
export interface ArgoSandboxAppDefinition {
  /** The Argo CD instance (environment) that holds it. */
  instance: string;
  name: string;
  /** Default kop. */
  project?: string;
  /** Destination namespace; default kop. */
  namespace?: string;
  /** Destination server; default the in-cluster one. */
  server?: string;
  /** Default `https://gitlab.sandbox/kop/kop-deploy-<instance>.git`. */
  repoURL?: string;
  /** Folder in the IaC repository; default the app's name. */
  path?: string;
  /** Default [values.yaml]. */
  valueFiles?: string[];
  /** Default main. */
  targetRevision?: string;
  labels?: Record<string, string>;
  /** Automated sync: Argo CD syncs by itself when git changes, and refuses rollbacks. */
  autoSync?: boolean;
  /** What the app runs: a Deployment (default), an Argo Rollouts Rollout, or only Services. */
  workload?: 'Deployment' | 'Rollout' | 'none';
  /** Services the app holds besides its workload. */
  services?: string[];
  /** How long one pod takes to start (ms before timeScale); default 40 s for hybris, 6 s else. */
  podStartMs?: number;
}

/** An AppProject: where its apps may deploy. */
export interface ArgoSandboxProject {
  /** Only in this instance; every instance when absent. */
  instance?: string;
  name: string;
  destinations: Array<{ server?: string; namespace?: string; name?: string }>;
}

/** The keys the hybris switch app uses to point the services at a colour. */
export const hybrisServiceKeys = [
  'storefront.hybrisServiceName',
  'backoffice.hybrisServiceName',
  'api.hybrisServiceName',
];

/**
 * The kop apps in each instance: hybris-blue / hybris-green (the colours' Deployments), hybris (the
 * Services pointing at a colour), cms, cms-internal (namespace kop-internal) and web.
 */
export function kopArgoApps(
  instances: string[] = ['beta', 'prod'],
): ArgoSandboxAppDefinition[] {
  return instances.flatMap(instance => {
    const part = (app: string, extra: Record<string, string> = {}) => ({
      'app.kubernetes.io/part-of': 'kop',
      'kop/app': app,
      'kop/environment': instance,
      ...extra,
    });
    return [
      ...['blue', 'green'].map(
        (colour): ArgoSandboxAppDefinition => ({
          instance,
          name: `hybris-${colour}`,
          path: 'hybris',
          valueFiles: [`values-${colour}.yaml`],
          labels: part('hybris', { 'kop/colour': colour }),
          services: [`hybris-${colour}`],
          podStartMs: 40_000,
        }),
      ),
      {
        instance,
        name: 'hybris',
        path: 'hybris',
        valueFiles: ['values.yaml'],
        labels: part('hybris', { 'kop/role': 'switch' }),
        workload: 'none',
        services: ['hybris-storefront', 'hybris-backoffice', 'hybris-api'],
      },
      {
        instance,
        name: 'cms',
        labels: part('cms'),
        services: ['cms'],
      },
      {
        instance,
        name: 'cms-internal',
        namespace: 'kop-internal',
        labels: part('cms'),
        services: ['cms-internal'],
      },
      {
        instance,
        name: 'web',
        labels: part('web'),
        services: ['web'],
      },
    ];
  });
}

/**
 * `count` more apps in each instance, named `sim-001`, `sim-002`, …, for load tests: plain
 * Deployments rendered from web's values (folder `web`), labelled `kop/simulated: 'true'`.
 */
export function simulatedArgoApps(
  count: number,
  instances: string[] = ['beta', 'prod'],
): ArgoSandboxAppDefinition[] {
  if (!Number.isInteger(count) || count < 0 || count > 5000) {
    throw new RangeError('the number of simulated apps must be 0 to 5000');
  }
  const width = Math.max(3, String(count).length);
  return instances.flatMap(instance =>
    Array.from({ length: count }, (_, i): ArgoSandboxAppDefinition => {
      const name = `sim-${String(i + 1).padStart(width, '0')}`;
      return {
        instance,
        name,
        path: 'web',
        labels: {
          'app.kubernetes.io/part-of': 'kop',
          'kop/app': name,
          'kop/environment': instance,
          'kop/simulated': 'true',
        },
        services: [name],
      };
    }),
  );
}

/** The project every kop app belongs to, allowing namespaces kop and kop-internal. */
export const kopArgoProjects: ArgoSandboxProject[] = [
  {
    name: 'kop',
    destinations: [
      { server: IN_CLUSTER, namespace: 'kop' },
      { server: IN_CLUSTER, namespace: 'kop-internal' },
    ],
  },
];

/** A plausible starting point: blue is live with 9 pods, green idle at 0. */
export function kopInitialValues(): Record<string, object> {
  return {
    'hybris-blue': {
      image: {
        repository: 'registry.kop.internal/kop/hybris',
        tag: '2026.11.12-1',
      },
      replicaCount: 9,
    },
    'hybris-green': {
      image: {
        repository: 'registry.kop.internal/kop/hybris',
        tag: '2026.11.05-2',
      },
      replicaCount: 0,
    },
    hybris: {
      storefront: { hybrisServiceName: 'hybris-blue' },
      backoffice: { hybrisServiceName: 'hybris-blue' },
      api: { hybrisServiceName: 'hybris-blue' },
    },
    cms: {
      image: { repository: 'registry.kop.internal/kop/cms', tag: '5d41402' },
      replicaCount: 2,
    },
    'cms-internal': {
      image: { repository: 'registry.kop.internal/kop/cms', tag: '5d41402' },
      replicaCount: 1,
    },
    web: {
      image: { repository: 'registry.kop.internal/kop/web', tag: '7f3c2a1' },
      replicaCount: 3,
    },
  };
}
