import type { Config } from '@backstage/config';
import type { SetupCheckResult } from '@internal/plugin-release-common';
import {
  redactSecrets,
  type ReleaseIntegrations,
} from '@internal/plugin-release-node';

/** Per system, unless `release.setupCheck.timeoutSeconds` says otherwise. */
export const DEFAULT_SETUP_CHECK_TIMEOUT_SECONDS = 10;

/** Config keys whose values are credentials, wherever they sit. */
const SECRET_KEY = /token|secret|password|passphrase|apikey|credential/i;
/** Shorter values would mask ordinary words in the details. */
const MIN_SECRET_LENGTH = 6;

/** Every credential value in the config, longest first so no part of one is left showing. */
export function secretValuesOf(config: Config): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, secret: boolean) => {
    if (typeof value === 'string') {
      if (secret && value.length >= MIN_SECRET_LENGTH) found.add(value);
    } else if (Array.isArray(value)) {
      value.forEach(v => walk(v, secret));
    } else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        walk(v, secret || SECRET_KEY.test(key));
      }
    }
  };
  walk(config.getOptional(), false);
  return [...found].sort((a, b) => b.length - a.length);
}

export interface SetupCheckOptions {
  integrations: Pick<ReleaseIntegrations, 'checkAll'>;
  config: Config;
  now?: () => Date;
}

/**
 * Runs every system's check, each bounded by the timeout, and masks any configured credential that
 * a check's detail might quote (the clients redact their own; this holds even if one does not).
 */
export async function runSetupCheck(
  options: SetupCheckOptions,
): Promise<SetupCheckResult> {
  const { integrations, config } = options;
  const timeoutSeconds =
    config.getOptionalNumber('release.setupCheck.timeoutSeconds') ??
    DEFAULT_SETUP_CHECK_TIMEOUT_SECONDS;
  const systems = await integrations.checkAll({
    timeoutMs: timeoutSeconds * 1000,
  });
  const secrets = secretValuesOf(config);
  const masked = systems.map(report => ({
    ...report,
    system: redactSecrets(report.system, secrets),
    checks: report.checks.map(check => ({
      name: redactSecrets(check.name, secrets),
      ok: check.ok,
      detail: redactSecrets(check.detail, secrets),
    })),
  }));
  return {
    ok: masked.every(s => s.ok),
    checkedAt: (options.now ?? (() => new Date()))().toISOString(),
    systems: masked,
  };
}

/** `runSetupCheck` that lets callers arriving while a check runs share it, so reloads do not pile up calls. */
export function createSetupCheck(
  options: SetupCheckOptions,
): () => Promise<SetupCheckResult> {
  let running: Promise<SetupCheckResult> | undefined;
  return () => {
    running ??= runSetupCheck(options).finally(() => {
      running = undefined;
    });
    return running;
  };
}
