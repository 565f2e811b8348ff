import type {
  DeployGate,
  DeployGateCheck,
  DeployKeyChange,
  DeployPlanStep,
  DeployValue,
} from '@internal/plugin-release-common';
import { gateQuery } from '../gate/HybrisGate';
import { readYamlValues } from '../gitlab/yamlRead';
import { gitBlobId } from '../iac/gitBlob';
import { toIacRequestError } from '../iac/errors';
import { iacTargets } from '../iac/iacTargets';
import { applyIacEdit, checkIacEdit } from '../iac/planIacEdit';
import { unifiedDiff } from '../iac/unifiedDiff';
import type { HybrisLayout, ReleaseLayout } from '../layout';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';

/*
 * What the deploy plan and the abort plan write alike: git steps chained over the IaC files, and
 * the gate a hybris colour passes at each replica step.
 */

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The IaC project a plan for the environment writes to, and where its world was read (for errors,
 * e.g. "at 1a2b3c4d of kop/kop-deploy-prod"); an unknown environment or a head that is no commit
 * is a {@link DeployPlanInputError} naming it.
 */
export function planTarget(
  layout: ReleaseLayout,
  environment: string,
  baseSha: string,
): { project: string; at: string } {
  if (!Object.hasOwn(layout.iac.repos, environment)) {
    throw new DeployPlanInputError(
      'environment',
      `must be one of ${Object.keys(layout.iac.repos).join(
        ', ',
      )}, got '${environment}'`,
    );
  }
  if (typeof baseSha !== 'string' || !COMMIT.test(baseSha)) {
    throw new DeployPlanInputError(
      'world.baseSha',
      `must be a commit SHA, got ${JSON.stringify(baseSha)}`,
    );
  }
  const project = layout.iac.repos[environment];
  return { project, at: `at ${baseSha.slice(0, 8)} of ${project}` };
}

/** A plan's commit message: the subject, a body, then the Release-Id and Release-Step trailers. */
export function commitMessage(
  subject: string,
  body: string,
  releaseId: string,
  stepId: string,
): string {
  return `${subject}\n\n${body}\n\nRelease-Id: ${releaseId}\nRelease-Step: ${stepId}\n`;
}

/** A step before its git or call part. */
export type PlanStepBase = Omit<DeployPlanStep, 'kind' | 'git' | 'call'>;

/** One values key a git step sets. */
export interface PlanKeyValue {
  argocdApp: string;
  key: string;
  value: DeployValue;
}

/**
 * The IaC files as a plan's steps leave them, and the git step that changes them next: its diff is
 * made on top of the step before, and its compare-and-swap blob ids are those of the files it found.
 */
export function planGitSteps(options: {
  layout: ReleaseLayout;
  environment: string;
  /** Values file → its text where the plan starts; copied, never changed. */
  files: Record<string, string>;
  /** Where the files were read, for errors, e.g. "at 1a2b3c4d of kop/kop-deploy-prod". */
  at: string;
  message(subject: string, stepId: string): string;
  /** Stand-ins for image tags the plan's build steps push, written as they are. */
  imagePlaceholders?: readonly string[];
}) {
  const { layout, environment, at, message, imagePlaceholders } = options;
  const files: Record<string, string> = { ...options.files };
  const targets = iacTargets(layout);
  const valueOf = (path: string, key: string) =>
    readYamlValues(files[path], [key], { file: path })[key];
  const replicasOf = (path: string, key: string) => {
    const value = valueOf(path, key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new DeployPlanConflictError(
        `${key} in ${path} ${at} is ${JSON.stringify(
          value,
        )}, not a number of replicas`,
      );
    }
    return value;
  };
  const gitStep = (
    base: PlanStepBase & { subject: string },
    changes: PlanKeyValue[],
  ): DeployPlanStep => {
    const edit = checkIacEdit({
      layout,
      environment,
      changes,
      imagePlaceholders,
    });
    const paths = [...edit.files.keys()];
    let next: Record<string, string>;
    try {
      next = applyIacEdit(edit, {})(files);
    } catch (e) {
      throw toIacRequestError(e);
    }
    const keyChanges: DeployKeyChange[] = edit.changes.map(change => {
      const file = targets.get(change.argocdApp)!.file;
      return {
        argocdApp: change.argocdApp,
        file,
        key: change.key,
        from: valueOf(file, change.key),
        to: change.value,
      };
    });
    const diff = paths
      .map(path => unifiedDiff(path, files[path], next[path]))
      .join('');
    const before = Object.fromEntries(
      paths.map(path => [path, gitBlobId(files[path])]),
    );
    paths.forEach(path => {
      files[path] = next[path];
    });
    const { subject, ...step } = base;
    return {
      ...step,
      kind: 'git',
      git: {
        message: message(subject, base.id),
        changes: keyChanges,
        before,
        files: Object.fromEntries(paths.map(path => [path, next[path]])),
        diff,
      },
    };
  };
  return { files, valueOf, replicasOf, gitStep };
}

/** The layout's gate metrics, their queries filled in for one colour. */
export function hybrisMetricChecks(
  h: HybrisLayout,
  environment: string,
  colour: string,
): DeployGateCheck[] {
  return h.gates.metrics.map(m => ({
    name: m.name,
    ...(m.min !== undefined ? { min: m.min } : {}),
    ...(m.max !== undefined ? { max: m.max } : {}),
    query: gateQuery(m.query, { environment, colour }),
  }));
}

/** What a colour raised to `n` replicas must show for the soak: n pods ready, a JGroups view of n, steady metrics. */
export function hybrisRaiseGate(
  h: HybrisLayout,
  environment: string,
  colour: string,
  n: number,
): DeployGate {
  return {
    type: 'hybris',
    colour,
    expectedNodes: n,
    soakMs: h.gates.soakMs,
    checks: [
      { name: 'pods-ready', min: n },
      { name: 'cluster-status', min: n, max: n },
      ...hybrisMetricChecks(h, environment, colour),
    ],
  };
}
