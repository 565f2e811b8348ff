import { createHash } from 'node:crypto';
import type { DeployPlan } from '@internal/plugin-release-common';

/** JSON with object keys sorted, so the same plan always serialises to the same bytes. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      // Keys of one object are distinct, so no two compare equal.
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The fingerprint approvers approve: sha256 over the release, the environment, the IaC commit the
 * plan starts from, each step's id, kind, diff, call target, synced apps and tests, in order, and the
 * build step each image placeholder stands for. Messages, titles, gates and expected times are left
 * out: they say how a step is watched, not what it writes.
 *
 * @public
 */
export function deployPlanFingerprint(
  plan: Pick<
    DeployPlan,
    'releaseId' | 'environment' | 'iac' | 'steps' | 'builtImages'
  >,
): string {
  const material = {
    fingerprint: 'kop-deploy-plan/1',
    releaseId: plan.releaseId,
    environment: plan.environment,
    iac: plan.iac,
    steps: plan.steps.map(step => ({
      id: step.id,
      kind: step.kind,
      diff: step.git?.diff,
      call: step.call && {
        system: step.call.system,
        operation: step.call.operation,
        target: step.call.target,
      },
      sync: step.sync,
      tests: step.tests,
    })),
    builtImages: plan.builtImages,
  };
  return createHash('sha256').update(canonical(material)).digest('hex');
}
