import type {
  Release,
  ReleaseAppVersion,
} from '@internal/plugin-release-common';

/** A release of these apps, in the state a deploy starts from. */
export function planRelease(
  apps: ReleaseAppVersion[],
  more: Partial<Release> = {},
): Release {
  return {
    id: '5a1e9d3c-3333-4444-8555-b66677778888',
    product: 'kop',
    title: '2026.01.08',
    state: 'approved',
    grade: 'B',
    minimumGrade: 'A',
    changeClasses: [],
    dbUpdate: false,
    apps,
    items: [],
    author: 'user:default/kim.minjun',
    links: [],
    approvals: [],
    retroApprovalPending: false,
    createdAt: '2026-01-08T01:00:00.000Z',
    updatedAt: '2026-01-08T01:00:00.000Z',
    revision: 4,
    ...more,
  };
}
