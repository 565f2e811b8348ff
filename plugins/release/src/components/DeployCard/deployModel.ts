import type {
  DeployPlanStep,
  DeployRunStepView,
  DeployRunView,
  ReleaseState,
} from '@internal/plugin-release-common';

/** Run states in which a run still has work or a decision ahead (failed waits for Retry, Skip or Abort). */
const activeRunStates: ReadonlyArray<DeployRunView['state']> = [
  'running',
  'paused',
  'waiting',
  'failed',
];

/** Run states in which the engine moves by itself, so the card polls as a fallback to signals. */
const movingRunStates: ReadonlyArray<DeployRunView['state']> = [
  'running',
  'waiting',
];

export function isActiveRun(run: DeployRunView | undefined): boolean {
  return !!run && activeRunStates.includes(run.state);
}

export function isMovingRun(run: DeployRunView | undefined): boolean {
  return !!run && movingRunStates.includes(run.state);
}

/** Release states in which a deploy to prod can still start, so the card shows its plan. */
export const planStates: ReadonlyArray<ReleaseState> = [
  'prepared',
  'beta',
  'awaiting_approval',
  'approved',
];

/** Release states between Deploy and the end, in which the dashboard says where the deploy is. */
export const deployingStates: ReadonlyArray<ReleaseState> = [
  'deploying',
  'paused',
  'verifying',
  'awaiting_signoff',
  'switching',
  'announced',
  'scaling_down',
];

/** The step a run is at: the one that runs, waits or failed, else the next pending one. */
export function currentStep(run: DeployRunView): DeployRunStepView | undefined {
  return (
    run.steps.find(s => ['running', 'waiting', 'failed'].includes(s.state)) ??
    run.steps.find(s => s.state === 'pending')
  );
}

/** The plan step behind a run's step. */
export function planStepOf(
  run: DeployRunView,
  step: DeployRunStepView,
): DeployPlanStep | undefined {
  return (
    run.plan.steps.find(p => p.id === step.stepId) ?? run.plan.steps[step.index]
  );
}

/** The short form of a plan fingerprint people compare by eye. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 12);
}

/** A run as answered by a control, put in the place of its older copy (or first, as the newest). */
export function withRun(
  runs: DeployRunView[],
  run: DeployRunView,
): DeployRunView[] {
  return runs.some(r => r.id === run.id)
    ? runs.map(r => (r.id === run.id ? run : r))
    : [run, ...runs];
}
