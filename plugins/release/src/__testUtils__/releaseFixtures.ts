import { ResponseError } from '@backstage/errors';
import {
  defaultGradePolicy,
  type Release,
  type ReleaseLinksOut,
} from '@internal/plugin-release-common';
import type {
  ReleaseApi,
  ReleaseApprovals,
  ReleaseAuditRecord,
  WhatShips,
} from '../api';
import { deployViewFixture, planFixture } from './deployFixtures';

export const releaseId = '0b9c3a8e-1111-4222-8333-944455556666';

/** Where the fixture release is followed, as the backend builds it from config (no dashboards). */
export function linksOutFixture(): ReleaseLinksOut {
  return {
    links: [
      {
        system: 'gitlab',
        title: 'kop/hybris @ deploy-2026-11-25',
        url: 'https://gitlab.kop.example/kop/hybris/-/tree/deploy-2026-11-25',
      },
      {
        system: 'argocd',
        environment: 'beta',
        title: 'hybris-blue (beta)',
        url: 'https://argocd-beta.kop.example/applications/hybris-blue',
      },
      {
        system: 'argocd',
        environment: 'prod',
        title: 'hybris-blue (prod)',
        url: 'https://argocd-prod.kop.example/applications/hybris-blue',
      },
      {
        system: 'gitlab',
        environment: 'prod',
        title: 'kop/kop-deploy-prod @ main',
        url: 'https://gitlab.kop.example/kop/kop-deploy-prod/-/commits/main',
      },
    ],
    problems: [
      'Grafana: no dashboards are configured; add them under release.links.dashboards',
    ],
  };
}

/** A grade B release of hybris and web, written by kim.minjun, waiting for its PL. */
export function releaseFixture(overrides: Partial<Release> = {}): Release {
  return {
    id: releaseId,
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
        previousVersion: 'deploy-2026-11-18',
        strategy: 'blue-green-steps',
        steps: [3, 6, 9],
      },
      { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
    ],
    items: [
      {
        title: '[HYBRIS] 푸터 대표이사 성명 변경',
        app: 'hybris',
        source: {
          type: 'mr',
          project: 'kop/hybris',
          iid: 41,
          url: 'https://gitlab.example.com/kop/hybris/-/merge_requests/41',
        },
      },
      {
        title: '[WEB] 메인 배너 교체',
        app: 'web',
        source: {
          type: 'asana',
          gid: '1200000000000077',
          url: 'https://app.asana.com/0/1200000000000010/1200000000000077',
        },
      },
    ],
    author: 'user:default/kim.minjun',
    links: [
      {
        title: 'Asana task',
        url: 'https://app.asana.com/0/1200000000000010/1200000000000099',
      },
    ],
    approvals: [],
    retroApprovalPending: false,
    createdAt: '2026-11-25T02:00:00.000Z',
    updatedAt: '2026-11-25T02:00:00.000Z',
    revision: 2,
    ...overrides,
  };
}

/** What the backend answers for the approvals of releaseFixture(), as seen by `you`. */
export function approvalsFixture(
  you: ReleaseApprovals['stages'][number]['you'],
  overrides: Partial<ReleaseApprovals> = {},
): ReleaseApprovals {
  return {
    releaseId,
    state: 'awaiting_approval',
    stages: [
      {
        stage: 'approval',
        requirements: [
          {
            key: 'approval:pl',
            stage: 'approval',
            role: 'pl',
            scope: 'service',
            after: false,
          },
        ],
        you,
      },
      {
        stage: 'signoff',
        requirements: [
          {
            key: 'signoff:superior',
            stage: 'signoff',
            role: 'superior',
            scope: 'any',
            after: false,
          },
        ],
        you: {
          ok: false,
          code: 'role',
          message: 'Needs an approval from: superior; you hold developer, pl',
        },
      },
    ],
    ...overrides,
  };
}

export const plMayApprove: ReleaseApprovals['stages'][number]['you'] = {
  ok: true,
  requirement: {
    key: 'approval:pl',
    stage: 'approval',
    role: 'pl',
    scope: 'service',
    after: false,
  },
};

export const authorRefused: ReleaseApprovals['stages'][number]['you'] = {
  ok: false,
  code: 'self',
  message: 'The author of a release cannot approve it',
};

/** Where the fixture's IaC repository keeps an app's version in an environment. */
function deployedAt(
  app: string,
  environment: string,
  version: string,
  sha: string,
): WhatShips['deployed'] {
  return {
    version,
    sha,
    commit: {
      from: 'ref',
      ref: version,
      url: `https://gitlab.example.com/kop/${app}/-/commit/${sha}`,
    },
    source: 'iac',
    argocdApp: app === 'hybris' ? 'hybris-blue' : app,
    iac: {
      project: `kop/kop-deploy-${environment}`,
      branch: 'main',
      file: `${app}/values.yaml`,
      key: 'image.tag',
    },
  };
}

/** hybris ships the item's MR and an unannounced DB change; any other app ships nothing new. */
export function whatShipsFixture(
  request: Parameters<ReleaseApi['whatShips']>[0],
): WhatShips {
  if (request.app === 'hybris') {
    const mrs = 'https://gitlab.example.com/kop/hybris/-/merge_requests';
    return {
      app: 'hybris',
      environment: request.environment,
      project: 'kop/hybris',
      deployed: deployedAt(
        'hybris',
        request.environment,
        'deploy-2026-11-18',
        'b'.repeat(40),
      ),
      candidate: { version: request.candidate, sha: 'a'.repeat(40) },
      newer: true,
      ahead: 2,
      behind: 0,
      commits: [
        {
          sha: 'c1'.repeat(20),
          shortSha: 'c1c1c1c1',
          title: '[HYBRIS] 푸터 대표이사 성명 변경',
          author: 'Kim Minjun',
          authoredDate: '2026-11-20T01:00:00.000Z',
          url: 'https://gitlab.example.com/kop/hybris/-/commit/c1c1c1c1',
          paths: ['storefront/footer.jsp'],
          mergeRequest: 41,
          merge: false,
          item: 0,
          mixedIn: false,
        },
        {
          sha: 'c2'.repeat(20),
          shortSha: 'c2c2c2c2',
          title: 'Add loyalty tier to Customer',
          author: 'Lee Seoyeon',
          authoredDate: '2026-11-21T01:00:00.000Z',
          url: 'https://gitlab.example.com/kop/hybris/-/commit/c2c2c2c2',
          paths: ['core/resources/core-items.xml'],
          mergeRequest: 44,
          merge: false,
          mixedIn: true,
        },
      ],
      mergeRequests: [
        {
          iid: 41,
          title: '푸터 대표이사 성명 변경',
          url: `${mrs}/41`,
          author: 'kim.minjun',
          mergedAt: '2026-11-20T02:00:00.000Z',
          sourceBranch: 'feature/footer-ceo-name',
          targetBranch: 'master',
          paths: ['storefront/footer.jsp'],
          item: 0,
          mixedIn: false,
          changeClasses: [],
          carries: [],
        },
        {
          iid: 44,
          title: 'Add loyalty tier to Customer',
          url: `${mrs}/44`,
          author: 'lee.seoyeon',
          mergedAt: '2026-11-21T02:00:00.000Z',
          sourceBranch: 'feature/loyalty-tier',
          targetBranch: 'master',
          paths: ['core/resources/core-items.xml'],
          mixedIn: true,
          changeClasses: ['dbChange'],
          carries: [],
        },
      ],
      changedPaths: ['core/resources/core-items.xml', 'storefront/footer.jsp'],
      changeClasses: {
        dbChange: ['core/resources/core-items.xml'],
        infraChange: [],
      },
      dbUpdate: true,
      minimumGrade: 'D',
      proposedItems: [
        {
          title: '[HYBRIS] 푸터 대표이사 성명 변경',
          app: 'hybris',
          source: {
            type: 'mr',
            project: 'kop/hybris',
            iid: 41,
            url: `${mrs}/41`,
          },
        },
        {
          title: '[HYBRIS] Add loyalty tier to Customer',
          app: 'hybris',
          source: {
            type: 'mr',
            project: 'kop/hybris',
            iid: 44,
            url: `${mrs}/44`,
          },
        },
      ],
      missingItems: [],
      warnings: [],
    };
  }
  return {
    app: request.app,
    environment: request.environment,
    project: `kop/${request.app}`,
    deployed: deployedAt(
      request.app,
      request.environment,
      request.candidate,
      'd'.repeat(40),
    ),
    candidate: { version: request.candidate, sha: 'd'.repeat(40) },
    newer: false,
    ahead: 0,
    behind: 0,
    commits: [],
    mergeRequests: [],
    changedPaths: [],
    changeClasses: { dbChange: [], infraChange: [] },
    dbUpdate: false,
    minimumGrade: 'A',
    proposedItems: [],
    missingItems: [0],
    warnings: [],
  };
}

export const auditFixture: ReleaseAuditRecord[] = [
  {
    seq: 7,
    id: 'a7',
    at: '2026-11-25T02:00:00.000Z',
    actor: 'user:default/kim.minjun',
    action: 'release.create',
    releaseId,
    outcome: 'success',
    after: { state: 'prepared' },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  },
  {
    seq: 9,
    id: 'a9',
    at: '2026-11-25T02:10:00.000Z',
    actor: 'user:default/kim.minjun',
    action: 'release.approve',
    releaseId,
    outcome: 'failure',
    meta: {
      stage: 'approval',
      refusal: 'self',
      message: 'The author of a release cannot approve it',
    },
    prevHash: '1'.repeat(64),
    hash: '2'.repeat(64),
  },
];

/** A release API whose every method fails loudly unless the test gives it. */
export function fakeReleaseApi(overrides: Partial<ReleaseApi> = {}) {
  const unexpected = (name: string) =>
    jest.fn(async (..._args: unknown[]): Promise<never> => {
      throw new Error(`ReleaseApi.${name} was not expected in this test`);
    });
  // `satisfies` lists every method of the API, so a new one cannot be forgotten here.
  const api = {
    getHealth: unexpected('getHealth'),
    listReleases: unexpected('listReleases'),
    getPolicy: jest.fn(async () => defaultGradePolicy),
    listCandidates: unexpected('listCandidates'),
    whatShips: jest.fn(async request => whatShipsFixture(request)),
    previewRelease: unexpected('previewRelease'),
    listAsanaTasks: unexpected('listAsanaTasks'),
    getIacTargets: unexpected('getIacTargets'),
    getReleaseIac: jest.fn(async (_id: string, environment: string) => ({
      environment,
      diff: '--- a/web/values.yaml\n+++ b/web/values.yaml\n-  tag: 6e27011f\n+  tag: a7ed4db1\n',
    })),
    previewIac: unexpected('previewIac'),
    getReleaseLinksOut: jest.fn(async () => linksOutFixture()),
    getRelease: jest.fn(async () => releaseFixture()),
    getApprovals: jest.fn(async () => approvalsFixture(plMayApprove)),
    requestApproval: unexpected('requestApproval'),
    decide: unexpected('decide'),
    overrideTests: unexpected('overrideTests'),
    retroApprove: unexpected('retroApprove'),
    getNotes: jest.fn(async () => ({
      announcement:
        '[kop] 배포합니다.\n배포버전: hybris(deploy-2026-11-25), web(a7ed4db1)',
      asana: '배포버전: hybris(deploy-2026-11-25)',
      commitMessage: 'release(kop): hybris deploy-2026-11-25 [B]',
    })),
    getAudit: jest.fn(async () => ({ items: auditFixture })),
    getMessages: jest.fn(async () => ({ items: [] })),
    listPendingApprovals: unexpected('listPendingApprovals'),
    getStatus: unexpected('getStatus'),
    streamStatus: jest.fn(() => {
      throw new Error('ReleaseApi.streamStatus was not expected in this test');
    }),
    getSetupCheck: unexpected('getSetupCheck'),
    getPlan: jest.fn(async () => planFixture()),
    getDeploy: jest.fn(async () => deployViewFixture()),
    deploy: unexpected('deploy'),
    controlRun: unexpected('controlRun'),
    requestRebasedApproval: unexpected('requestRebasedApproval'),
    abort: unexpected('abort'),
    acknowledge: unexpected('acknowledge'),
    getStopTheLine: jest.fn(async () => ({})),
    stopTheLine: unexpected('stopTheLine'),
    liftStopTheLine: unexpected('liftStopTheLine'),
  } satisfies Record<keyof ReleaseApi, unknown>;
  return Object.assign(api, overrides) as unknown as jest.Mocked<ReleaseApi>;
}

/** The error ReleaseClient throws for a Backstage error body with this status and message. */
export async function responseError(
  status: number,
  statusText: string,
  name: string,
  message: string,
): Promise<ResponseError> {
  const body = JSON.stringify({
    error: { name, message },
    request: { method: 'POST', url: '/api/release' },
    response: { statusCode: status },
  });
  return ResponseError.fromResponse({
    status,
    statusText,
    ok: false,
    headers: { get: () => 'application/json; charset=utf-8' },
    text: async () => body,
  } as unknown as Response);
}
