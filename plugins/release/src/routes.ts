import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'release' });

/** Everything waiting for the signed-in user's decision, at /releases/approvals. */
export const approvalsRouteRef = createSubRouteRef({
  id: 'release-approvals',
  parent: rootRouteRef,
  path: '/approvals',
});

/** One release, at /releases/:id: the scaffolder's pageUrl lands here. */
export const releaseRouteRef = createSubRouteRef({
  id: 'release-page',
  parent: rootRouteRef,
  path: '/:id',
});

/** Whether every system the portal drives answers, at /releases/setup. */
export const setupRouteRef = createSubRouteRef({
  id: 'release-setup',
  parent: rootRouteRef,
  path: '/setup',
});
