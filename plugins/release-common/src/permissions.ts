import { createPermission } from '@backstage/plugin-permission-common';

/** @public */
export const releaseCreatePermission = createPermission({
  name: 'release.create',
  attributes: { action: 'create' },
});

/** @public */
export const releaseApprovePermission = createPermission({
  name: 'release.approve',
  attributes: { action: 'update' },
});

/** @public */
export const releaseDeployPermission = createPermission({
  name: 'release.deploy',
  attributes: { action: 'update' },
});

/** @public */
export const releaseAbortPermission = createPermission({
  name: 'release.abort',
  attributes: { action: 'update' },
});

/** @public */
export const releaseRollbackPermission = createPermission({
  name: 'release.rollback',
  attributes: { action: 'update' },
});

/** Pause, resume and retry a running deploy; skipping a step also needs a lead's role. @public */
export const releaseDeployControlPermission = createPermission({
  name: 'release.deploy.control',
  attributes: { action: 'update' },
});

/** Raise or lift the stop-the-line switch that holds every release. @public */
export const releaseStopTheLinePermission = createPermission({
  name: 'release.stop-the-line',
  attributes: { action: 'update' },
});

/** Changing a release on someone else's behalf: grade, state, window overrides. @public */
export const releaseAdminPermission = createPermission({
  name: 'release.admin',
  attributes: {},
});

/** @public */
export const releasePermissions = [
  releaseCreatePermission,
  releaseApprovePermission,
  releaseDeployPermission,
  releaseDeployControlPermission,
  releaseStopTheLinePermission,
  releaseAbortPermission,
  releaseRollbackPermission,
  releaseAdminPermission,
];
