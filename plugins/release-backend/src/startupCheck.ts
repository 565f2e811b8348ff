import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  defaultReleaseClientFactories,
  readDeployPlanSettings,
  readGradePolicy,
  readReleaseLayout,
  readReleasePortalConfig,
  ReleaseIntegrations,
  releaseSystemSections,
  type ReleaseClientTypes,
} from '@internal/plugin-release-node';
import { readEngineSettings } from './engine/config';
import { readMessageSettings } from './messages/ReleaseMessages';
import { readReleaseDashboards } from './service/linksOut';

/** Backstage's own message for a required key that has no value. */
const MISSING_VALUE = /Missing required config value at '([^']+)'/;

/** Whether `key` is `section` or lies inside it (`a.b`, `a.b.c`, `a.b[0]`). */
function within(key: string, section: string): boolean {
  return (
    key === section ||
    key.startsWith(`${section}.`) ||
    key.startsWith(`${section}[`)
  );
}

/** URLs no reader checks itself, so a malformed one would only fail at its first use. */
const URL_KEYS = [
  'app.baseUrl',
  'backend.baseUrl',
  'jenkins.baseUrl',
  'asana.baseUrl',
  'slack.apiUrl',
];
const HTTP_URL = /^https?:\/\/[^/\s]+/;

/**
 * Everything wrong with the `release:` section and the settings of every system the portal drives,
 * each naming its key, read the way the release backend and its clients read them; [] when the
 * portal can start. Every system must be set up. Settings under a key in `incomplete` (whose
 * environment variable is not set, reported by the caller) are not reported again.
 *
 * @public
 */
export function releaseConfigProblems(
  config: Config,
  options: { logger: LoggerService; incomplete?: string[] },
): string[] {
  const incomplete = options.incomplete ?? [];
  const touches = (section: string) =>
    incomplete.some(key => within(key, section) || within(section, key));
  const problems: string[] = [];
  const attempt = (read: () => unknown) => {
    try {
      read();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const key = MISSING_VALUE.exec(message)?.[1];
      // Several readers read some keys; each problem is told once.
      if ((!key || !touches(key)) && !problems.includes(message)) {
        problems.push(message);
      }
    }
  };

  attempt(() => readReleasePortalConfig(config));
  attempt(() => readGradePolicy(config));
  attempt(() => readReleaseLayout(config));
  attempt(() => readDeployPlanSettings(config));
  attempt(() => readEngineSettings(config));
  attempt(() => readMessageSettings(config));
  attempt(() => readReleaseDashboards(config));

  const integrations = new ReleaseIntegrations(config, options.logger);
  const systems = Object.keys(
    defaultReleaseClientFactories,
  ) as (keyof ReleaseClientTypes)[];
  for (const system of systems) {
    if (!touches(releaseSystemSections[system].section)) {
      attempt(() => integrations.get(system));
    }
  }
  for (const key of URL_KEYS) {
    const value = config.getOptional(key);
    const url = typeof value === 'string' && HTTP_URL.test(value);
    if (value !== undefined && !url && !touches(key)) {
      problems.push(`${key} must be an http(s) URL`);
    }
  }
  return problems;
}
