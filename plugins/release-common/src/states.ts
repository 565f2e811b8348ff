/**
 * Every state a release can be in (ARCHITECTURE.md, "Release states").
 *
 * @public
 */
export const releaseStates = [
  'draft',
  'prepared',
  'beta',
  'awaiting_approval',
  'approved',
  'deploying',
  'paused',
  'verifying',
  'awaiting_signoff',
  'switching',
  'announced',
  'scaling_down',
  'done',
  'rejected',
  'aborted',
  'failed',
  'rolled_back',
  'pending_retro_approval',
] as const;

/** @public */
export type ReleaseState = (typeof releaseStates)[number];

/** @public */
export function isReleaseState(value: unknown): value is ReleaseState {
  return (
    typeof value === 'string' &&
    (releaseStates as readonly string[]).includes(value)
  );
}

/**
 * The allowed moves between states, as data: the backend refuses any other.
 * Grade E may go from prepared or beta straight to deploying (act first, approve afterwards) and
 * then waits in pending_retro_approval until it is approved.
 *
 * @public
 */
export const releaseTransitions: Readonly<
  Record<ReleaseState, readonly ReleaseState[]>
> = {
  draft: ['prepared', 'aborted'],
  prepared: ['beta', 'awaiting_approval', 'deploying', 'aborted'],
  beta: ['awaiting_approval', 'prepared', 'deploying', 'aborted'],
  // paused: a run stopped on someone else's change whose new plan was rejected.
  awaiting_approval: ['approved', 'rejected', 'prepared', 'aborted', 'paused'],
  approved: ['deploying', 'awaiting_approval', 'prepared', 'aborted'],
  deploying: ['paused', 'verifying', 'failed', 'aborted'],
  // awaiting_approval: the new plan of a run stopped on someone else's change is asked for.
  paused: ['deploying', 'aborted', 'failed', 'awaiting_approval'],
  verifying: ['awaiting_signoff', 'failed', 'aborted'],
  awaiting_signoff: ['switching', 'announced', 'rejected', 'aborted'],
  switching: ['announced', 'failed', 'aborted'],
  announced: [
    'scaling_down',
    'done',
    'pending_retro_approval',
    'rolled_back',
    'aborted',
  ],
  scaling_down: ['done', 'pending_retro_approval', 'failed', 'aborted'],
  done: ['rolled_back'],
  rejected: ['prepared'],
  aborted: [],
  failed: ['rolled_back', 'aborted'],
  rolled_back: [],
  pending_retro_approval: ['done', 'rejected'],
};

/** @public */
export function canTransition(from: ReleaseState, to: ReleaseState): boolean {
  return releaseTransitions[from].includes(to);
}

/**
 * States in which a release is still open (shown as in progress, counts against the windows).
 *
 * @public
 */
export function isOpenReleaseState(state: ReleaseState): boolean {
  return !['done', 'rejected', 'aborted', 'rolled_back'].includes(state);
}
