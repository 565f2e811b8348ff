import type { Config } from '@backstage/config';

/**
 * One Argo CD API server. The kop set-up runs one instance per environment (named `beta` and
 * `prod`), each holding the apps hybris-blue, hybris-green, hybris, cms, cms-internal and web under
 * those plain names; one shared instance serving several environments works too (list them in
 * `environments` and name the apps apart in the release config).
 *
 * @public
 */
export interface ArgoCdInstanceConfig {
  name: string;
  /** Base URL without a trailing slash. */
  url: string;
  /** The Argo CD UI people open, without a trailing slash; the API's URL unless set. */
  webUrl: string;
  token: string;
  timeoutMs?: number;
  /** Release environments this instance serves; defaults to its name. */
  environments: string[];
  /** The Argo CD account of the token as Argo CD reports it in `operation.initiatedBy.username`. */
  username?: string;
  /** Apps the setup check (GET /setup-check) looks at. */
  apps: string[];
}

/** @public */
export interface ArgoCdSettings {
  instances: ArgoCdInstanceConfig[];
  /** How often a wait polls an app (ms). */
  pollIntervalMs: number;
  /** Longest wait for an operation someone else started before a sync gives up (ms). */
  busyTimeoutMs: number;
  /** Longest wait for the portal's own operation to finish (ms). */
  operationTimeoutMs: number;
}

/** The kop apps in each Argo CD instance. @public */
export const defaultArgoCdApps = [
  'hybris-blue',
  'hybris-green',
  'hybris',
  'cms',
  'cms-internal',
  'web',
];

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Reads the `argocd` section, naming the key that is wrong; undefined when the section is absent.
 *
 * @public
 */
export function readArgoCdSettings(config: Config): ArgoCdSettings | undefined {
  const section = config.getOptionalConfig('argocd');
  if (!section) return undefined;
  const instances = section.getConfigArray('instances').map((c, i) => {
    const name = c.getString('name');
    if (!NAME.test(name)) {
      throw new Error(
        `argocd.instances[${i}].name must be a lower-case name, got '${name}'`,
      );
    }
    const url = c.getString('url').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+/.test(url)) {
      throw new Error(
        `argocd.instances[${i}].url must be an http(s) URL, got '${url}'`,
      );
    }
    const webUrl = (c.getOptionalString('webUrl') ?? url).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+/.test(webUrl)) {
      throw new Error(
        `argocd.instances[${i}].webUrl must be an http(s) URL, got '${webUrl}'`,
      );
    }
    const timeoutMs = c.getOptionalNumber('timeoutMs');
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      throw new Error(`argocd.instances[${i}].timeoutMs must be positive`);
    }
    const apps = c.getOptionalStringArray('apps') ?? defaultArgoCdApps;
    for (const app of apps) {
      if (!NAME.test(app)) {
        throw new Error(
          `argocd.instances[${i}].apps has an invalid app name '${app}'`,
        );
      }
    }
    return {
      name,
      url,
      webUrl,
      token: c.getString('token'),
      timeoutMs,
      environments: c.getOptionalStringArray('environments') ?? [name],
      username: c.getOptionalString('username'),
      apps,
    };
  });
  if (instances.length === 0) {
    throw new Error('argocd.instances must name at least one instance');
  }
  const names = instances.map(i => i.name);
  if (new Set(names).size !== names.length) {
    throw new Error('argocd.instances names an instance twice');
  }
  const positive = (key: string, fallback: number) => {
    const value = section.getOptionalNumber(key) ?? fallback;
    if (!(value > 0)) throw new Error(`argocd.${key} must be positive`);
    return value;
  };
  return {
    instances,
    pollIntervalMs: positive('pollIntervalMs', 3000),
    busyTimeoutMs: positive('busyTimeoutMs', 15 * 60_000),
    operationTimeoutMs: positive('operationTimeoutMs', 30 * 60_000),
  };
}
