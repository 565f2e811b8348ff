import { ResponseError } from '@backstage/errors';
import type { Release } from '@internal/plugin-release-common';

/** A release of hybris and web waiting for approval; override what a test needs. */
export function openRelease(overrides: Partial<Release> = {}): Release {
  return {
    id: '0b9c3a8e-1111-4222-8333-944455556666',
    product: 'kop',
    title: '2026.11.25 hybris, web',
    state: 'awaiting_approval',
    grade: 'B',
    minimumGrade: 'A',
    changeClasses: [],
    dbUpdate: false,
    apps: [
      {
        app: 'hybris',
        version: 'deploy-2026-11-25',
        strategy: 'blue-green-steps',
        steps: [3, 6, 9],
      },
      { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
    ],
    items: [],
    author: 'user:default/kim.minjun',
    links: [],
    approvals: [],
    retroApprovalPending: false,
    createdAt: '2026-11-25T02:00:00.000Z',
    updatedAt: '2026-11-25T02:00:00.000Z',
    revision: 2,
    ...overrides,
  };
}

/** The error ReleaseClient throws for a Backstage error body. */
export function backendError(
  status: number,
  statusText: string,
  message: string,
  url = '/api/release',
): Promise<ResponseError> {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: 'Error', message },
        request: { method: 'GET', url },
        response: { statusCode: status },
      }),
      {
        status,
        statusText,
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}
