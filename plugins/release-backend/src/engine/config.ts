import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import type { StepSettings } from '@internal/plugin-release-node';
import type { StepFailurePolicy } from './DeployEngine';

/** How the engine looks and how long it waits: `release.engine`, with production defaults. */
export interface EngineSettings {
  step: Partial<StepSettings>;
  /** How often every backend looks for due runs (default 5 s). */
  tickMs: number;
  /** How long a claim on a run lasts unless renewed (default 60 s). */
  leaseMs: number;
  /** What a step's failure that no retry mends does, per environment (default pause). */
  onStepFailure(environment: string): StepFailurePolicy;
}

const stepFailurePolicies: readonly StepFailurePolicy[] = [
  'pause',
  'fail',
  'abort',
];

function duration(config: Config, key: string): number | undefined {
  const ms = config.getOptionalNumber(key);
  if (ms !== undefined && (!Number.isFinite(ms) || ms < 0)) {
    throw new InputError(
      `release.engine.${key} must be milliseconds, got ${ms}`,
    );
  }
  return ms;
}

export function readEngineSettings(root: Config): EngineSettings {
  const config = root.getOptionalConfig('release.engine');
  if (!config) {
    return {
      step: {},
      tickMs: 5_000,
      leaseMs: 60_000,
      onStepFailure: () => 'pause',
    };
  }
  const step: Partial<StepSettings> = {};
  const keys = [
    'pollMs',
    'pipelinePollMs',
    'syncTimeoutMs',
    'pipelineTimeoutMs',
    'gateTimeoutMs',
    'maxUnwatchedMs',
    'jenkinsPollMs',
    'httpCheckTimeoutMs',
  ] as const;
  for (const key of keys) {
    const ms = duration(config, key);
    if (ms !== undefined) step[key] = ms;
  }
  const attempts = config.getOptionalNumber('syncAttempts');
  if (attempts !== undefined) step.syncAttempts = attempts;
  const failures = config.getOptionalConfig('onStepFailure');
  const policies = new Map<string, StepFailurePolicy>();
  for (const env of failures?.keys() ?? []) {
    const policy = failures!.get(env);
    if (!stepFailurePolicies.includes(policy as StepFailurePolicy)) {
      throw new InputError(
        `release.engine.onStepFailure.${env} must be one of ${stepFailurePolicies.join(
          ', ',
        )}, got ${JSON.stringify(policy)}`,
      );
    }
    policies.set(env, policy as StepFailurePolicy);
  }
  return {
    step,
    tickMs: duration(config, 'tickMs') ?? 5_000,
    leaseMs: duration(config, 'leaseMs') ?? 60_000,
    onStepFailure: env => policies.get(env) ?? 'pause',
  };
}
