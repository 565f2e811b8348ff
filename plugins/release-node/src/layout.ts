import type { Config } from '@backstage/config';

/**
 * Where each app lives in GitLab, Argo CD and the IaC repository, and what the gates watch: the
 * `release.iac`, `release.changeClasses` and `release.apps.*` config. Everything the actions and
 * the "what ships" view need to find a version, a values key or an Argo CD app comes from here.
 *
 * @public
 */
export interface ReleaseLayout {
  iac: {
    /** IaC GitLab project per environment, e.g. { prod: kop/kop-deploy-prod }. */
    repos: Record<string, string>;
    branch: string;
    /** `commit` pushes to the branch; `merge-request` opens an MR and merges it. */
    mode: 'commit' | 'merge-request';
  };
  /** Glob patterns per change class (dbChange, infraChange, …) matched against changed paths. */
  changeClasses: Record<string, string[]>;
  apps: {
    hybris: HybrisLayout;
    cms: AppLayout & { branch: { from: string; into: string } };
    web: AppLayout;
  };
}

/** A values key of one Argo CD app. @public */
export interface ValuesKey {
  argocdApp: string;
  /** Path of the values file in the IaC repository. */
  file: string;
  /** Dotted key, e.g. image.tag. */
  key: string;
}

/** An app deployed as one or more Argo CD apps sharing one image. @public */
export interface AppLayout {
  /** GitLab project of the app's code. */
  repo: string;
  argocdApps: string[];
  /** Values file per Argo CD app. */
  values: Record<string, string>;
  /** Key of the image tag in each values file (default image.tag). */
  imageKey: string;
  /** Further keys the "Config change" form may edit (besides the image tag and replicaCount). */
  editableKeys: string[];
  build?: { jenkinsJob: string; branchPattern?: string };
}

/** One metric of a gate: a PromQL query whose value must stay within bounds. @public */
export interface GateMetric {
  name: string;
  /** `$colour` and `$environment` are replaced before the query is sent. */
  query: string;
  max?: number;
  min?: number;
}

/** @public */
export interface HybrisLayout {
  repo: string;
  strategy: 'blue-green-steps';
  steps: number[];
  scaleDownBy: number;
  colours: Record<
    string,
    { argocdApp: string; values: string; image: string; replicas: string }
  >;
  switch: { argocdApp: string; values: string; keys: string[] };
  gates: {
    clusterStatus: { path: string };
    metrics: GateMetric[];
    /** How long every metric must hold before the gate passes, in ms. */
    soakMs: number;
  };
  build: { jenkinsJob: string; branchPattern: string };
  editableKeys: string[];
}

const DURATION = /^(\d+)(ms|s|m|h)$/;

/** Parses "2m", "30s", "500ms" or a number of ms. @public */
export function parseDuration(value: string | number, field: string): number {
  if (typeof value === 'number') return value;
  const m = DURATION.exec(value.trim());
  if (!m) {
    throw new Error(
      `${field} must be a duration like 30s or 2m, got '${value}'`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]]!;
  return Number(m[1]) * unit;
}

const defaultGates: HybrisLayout['gates'] = {
  clusterStatus: { path: '/cluster/status' },
  metrics: [
    {
      name: 'jgroups-view-steady',
      query:
        'max_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m])',
      max: 0,
    },
    {
      name: 'error-rate',
      query:
        'sum(rate(hybris_errors_total{environment="$environment",colour="$colour"}[2m]))',
      max: 0.5,
    },
  ],
  soakMs: 120_000,
};

function strings(config: Config | undefined, key: string, fallback: string[]) {
  return config?.getOptionalStringArray(key) ?? fallback;
}

function valuesMap(
  config: Config | undefined,
  key: string,
  fallback: Record<string, string>,
): Record<string, string> {
  const section = config?.getOptionalConfig(key);
  if (!section) return fallback;
  return Object.fromEntries(section.keys().map(k => [k, section.getString(k)]));
}

function plainApp(
  apps: Config | undefined,
  app: 'cms' | 'web',
  defaults: { argocdApps: string[]; build?: AppLayout['build'] },
): AppLayout {
  const c = apps?.getOptionalConfig(app);
  const argocdApps = strings(c, 'argocdApps', defaults.argocdApps);
  const values = valuesMap(
    c,
    'values',
    Object.fromEntries(argocdApps.map(a => [a, `${a}/values.yaml`])),
  );
  for (const a of argocdApps) {
    if (!values[a]) {
      throw new Error(
        `release.apps.${app}.values has no values file for Argo CD app '${a}'`,
      );
    }
  }
  const job =
    c?.getOptionalString('build.jenkinsJob') ?? defaults.build?.jenkinsJob;
  return {
    repo: c?.getOptionalString('repo') ?? `kop/${app}`,
    argocdApps,
    values,
    imageKey: c?.getOptionalString('imageKey') ?? 'image.tag',
    editableKeys: strings(c, 'editableKeys', ['replicaCount']),
    ...(job
      ? {
          build: {
            jenkinsJob: job,
            branchPattern: c?.getOptionalString('build.branchPattern'),
          },
        }
      : {}),
  };
}

/**
 * Reads the layout, with the kop defaults for anything not set, naming the key that is wrong.
 *
 * @public
 */
export function readReleaseLayout(config: Config): ReleaseLayout {
  const release = config.getOptionalConfig('release');
  const iacConfig = release?.getOptionalConfig('iac');
  const environments = release?.getOptionalStringArray('environments') ?? [
    'beta',
    'prod',
  ];
  const single = iacConfig?.getOptionalString('repo');
  const repos = valuesMap(
    iacConfig,
    'repos',
    Object.fromEntries(
      environments.map(env => [env, single ?? `kop/kop-deploy-${env}`]),
    ),
  );
  for (const env of environments) {
    if (!repos[env]) {
      throw new Error(`release.iac.repos has no IaC repository for '${env}'`);
    }
  }
  const mode = iacConfig?.getOptionalString('mode') ?? 'commit';
  if (mode !== 'commit' && mode !== 'merge-request') {
    throw new Error(
      `release.iac.mode must be commit or merge-request, got '${mode}'`,
    );
  }
  const classes = release?.getOptionalConfig('changeClasses');
  const changeClasses = classes
    ? Object.fromEntries(
        classes.keys().map(k => [k, classes.getStringArray(k)]),
      )
    : {
        dbChange: ['**/items.xml', '**/*.impex', '**/db/migration/**'],
        infraChange: ['argocd/**'],
      };

  const apps = release?.getOptionalConfig('apps');
  const h = apps?.getOptionalConfig('hybris');
  const colourSection = h?.getOptionalConfig('colours');
  const colourNames = colourSection?.keys() ?? ['blue', 'green'];
  const colours = Object.fromEntries(
    colourNames.map(colour => {
      const c = colourSection?.getOptionalConfig(colour);
      return [
        colour,
        {
          argocdApp: c?.getOptionalString('argocdApp') ?? `hybris-${colour}`,
          values:
            c?.getOptionalString('values') ?? `hybris/values-${colour}.yaml`,
          image: c?.getOptionalString('image') ?? 'image.tag',
          replicas: c?.getOptionalString('replicas') ?? 'replicaCount',
        },
      ];
    }),
  );
  const g = h?.getOptionalConfig('gates');
  const metrics =
    g?.getOptionalConfigArray('metrics')?.map((m, i) => {
      const max = m.getOptionalNumber('max');
      const min = m.getOptionalNumber('min');
      if (max === undefined && min === undefined) {
        throw new Error(
          `release.apps.hybris.gates.metrics[${i}] needs max or min`,
        );
      }
      return {
        name: m.getString('name'),
        query: m.getString('query'),
        ...(max !== undefined ? { max } : {}),
        ...(min !== undefined ? { min } : {}),
      };
    }) ?? defaultGates.metrics;
  const soak = g?.getOptional('soak');
  const hybris: HybrisLayout = {
    repo: h?.getOptionalString('repo') ?? 'kop/hybris',
    strategy: 'blue-green-steps',
    steps: (h?.getOptional('steps') as number[] | undefined) ?? [3, 6, 9],
    scaleDownBy: h?.getOptionalNumber('scaleDownBy') ?? 3,
    colours,
    switch: {
      argocdApp: h?.getOptionalString('switch.argocdApp') ?? 'hybris',
      values: h?.getOptionalString('switch.values') ?? 'hybris/values.yaml',
      keys: strings(h, 'switch.keys', [
        'storefront.hybrisServiceName',
        'backoffice.hybrisServiceName',
        'api.hybrisServiceName',
      ]),
    },
    gates: {
      clusterStatus: {
        path:
          g?.getOptionalString('clusterStatus.path') ??
          defaultGates.clusterStatus.path,
      },
      metrics,
      soakMs:
        soak === undefined
          ? defaultGates.soakMs
          : parseDuration(
              soak as string | number,
              'release.apps.hybris.gates.soak',
            ),
    },
    build: {
      jenkinsJob:
        h?.getOptionalString('build.jenkinsJob') ?? 'kop/hybris-build',
      branchPattern:
        h?.getOptionalString('build.branchPattern') ??
        'deploy-{yyyy}-{MM}-{dd}',
    },
    editableKeys: strings(h, 'editableKeys', []),
  };
  const cmsConfig = apps?.getOptionalConfig('cms');
  return {
    iac: {
      repos,
      branch: iacConfig?.getOptionalString('branch') ?? 'main',
      mode,
    },
    changeClasses,
    apps: {
      hybris,
      cms: {
        ...plainApp(apps, 'cms', { argocdApps: ['cms', 'cms-internal'] }),
        branch: {
          from: cmsConfig?.getOptionalString('branch.from') ?? 'pre-release',
          into: cmsConfig?.getOptionalString('branch.into') ?? 'master',
        },
      },
      web: plainApp(apps, 'web', { argocdApps: ['web'] }),
    },
  };
}

/** The Argo CD apps that deploy an app: for hybris both colours, then the switch. @public */
export function argocdAppsOf(
  layout: ReleaseLayout,
  app: 'hybris' | 'cms' | 'web',
): string[] {
  if (app !== 'hybris') return layout.apps[app].argocdApps;
  const { colours, switch: sw } = layout.apps.hybris;
  return [...Object.values(colours).map(c => c.argocdApp), sw.argocdApp];
}

/** Every values key an app's release changes or its config form may edit. @public */
export function imageKeysOf(
  layout: ReleaseLayout,
  app: 'cms' | 'web',
): ValuesKey[] {
  const a = layout.apps[app];
  return a.argocdApps.map(argocdApp => ({
    argocdApp,
    file: a.values[argocdApp],
    key: a.imageKey,
  }));
}

/**
 * What the switch keys say: the one colour they all name (by colour or by its Argo CD app), a key
 * naming no colour, or keys naming different colours (a switch half done).
 *
 * @public
 */
export type SwitchReading =
  | { colour: string }
  | { unknown: { key: string; value: unknown } }
  | { mixed: string };

/** Reads the live colour from the switch keys' values. @public */
export function readSwitchColour(
  hybris: Pick<HybrisLayout, 'switch' | 'colours'>,
  valueOf: (key: string) => unknown,
): SwitchReading {
  const named = hybris.switch.keys.map(key => {
    const value = valueOf(key);
    const colour = Object.entries(hybris.colours).find(
      ([name, c]) => value === name || value === c.argocdApp,
    )?.[0];
    return { key, value, colour };
  });
  const unknown = named.find(n => !n.colour);
  if (unknown) return { unknown: { key: unknown.key, value: unknown.value } };
  const live = [...new Set(named.map(n => n.colour!))];
  if (live.length > 1) {
    return { mixed: named.map(n => `${n.key}=${n.value}`).join(', ') };
  }
  return { colour: live[0] };
}
