import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  defaultGradePolicy,
  renderReleaseNotes,
  type Release,
  type ReleaseLink,
} from '@internal/plugin-release-common';
import { http, HttpResponse } from 'msw';
import { ReleaseApi } from '../lib/releaseApi';

export const RELEASE_API = 'http://backstage.test/api/release';
export const PORTAL = 'http://portal.test';

/** A registered release as GET /releases/{id} serves it. */
export const sampleRelease: Release = {
  id: '0b6f6d2e-3c1a-4f7e-9a51-2f8f0c1d9e42',
  product: 'kop',
  title: '2026.01.08 hybris, cms',
  state: 'draft',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [
    {
      app: 'hybris',
      version: 'deploy-2026-01-08',
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
    },
    { app: 'cms', version: '6e27011f', strategy: 'branch-merge-sync' },
  ],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 4 },
    },
    {
      title: '[CMS] KS 템플릿 업데이트',
      app: 'cms',
      source: { type: 'mr', project: 'kop/cms', iid: 3 },
    },
  ],
  author: 'user:default/mock',
  links: [],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-01-08T01:00:00.000Z',
  updatedAt: '2026-01-08T01:00:00.000Z',
  revision: 1,
};

/** The token the release API must see: the task's user (mockCredentials.user()) for the release plugin. */
export const userTokenForRelease = `Bearer ${mockCredentials.service.token({
  onBehalfOf: mockCredentials.user(),
  targetPluginId: 'release',
})}`;

export const sampleNotes = renderReleaseNotes(
  sampleRelease,
  defaultGradePolicy,
  {
    portalUrl: PORTAL,
  },
);

/**
 * msw handlers answering as the release backend's API does (openapi.yaml): create, preview (stores
 * nothing), read, notes and links (a URL kept once), each only for the user's token.
 */
export function releaseApiHandlers() {
  const created: unknown[] = [];
  const links: ReleaseLink[] = [];
  const refused = () =>
    HttpResponse.json(
      {
        error: { name: 'AuthenticationError', message: 'Missing credentials' },
      },
      { status: 401 },
    );
  const asUser = (request: Request) =>
    request.headers.get('authorization') === userTokenForRelease;
  const handlers = [
    http.post(`${RELEASE_API}/releases`, async ({ request }) => {
      if (!asUser(request)) return refused();
      created.push(await request.json());
      return HttpResponse.json(sampleRelease, { status: 201 });
    }),
    http.post(`${RELEASE_API}/preview`, async ({ request }) => {
      if (!asUser(request)) return refused();
      await request.json();
      return HttpResponse.json({
        release: sampleRelease,
        notes: sampleNotes,
        approvals: [],
      });
    }),
    http.get(`${RELEASE_API}/releases/:id`, ({ request, params }) => {
      if (!asUser(request)) return refused();
      return params.id === sampleRelease.id
        ? HttpResponse.json(sampleRelease)
        : HttpResponse.json(
            {
              error: {
                name: 'NotFoundError',
                message: `release ${params.id} not found`,
              },
            },
            { status: 404 },
          );
    }),
    http.post(
      `${RELEASE_API}/releases/:id/links`,
      async ({ request, params }) => {
        if (!asUser(request)) return refused();
        if (params.id !== sampleRelease.id) {
          return HttpResponse.json(
            { error: { message: `release ${params.id} not found` } },
            { status: 404 },
          );
        }
        const link = (await request.json()) as ReleaseLink;
        if (!/^https?:\/\//.test(link.url)) {
          return HttpResponse.json(
            { error: { message: 'url: must be an http(s) URL' } },
            { status: 400 },
          );
        }
        if (!links.some(l => l.url === link.url)) links.push(link);
        return HttpResponse.json({ ...sampleRelease, links: [...links] });
      },
    ),
    http.get(`${RELEASE_API}/releases/:id/notes`, ({ request, params }) => {
      if (!asUser(request)) return refused();
      return params.id === sampleRelease.id
        ? HttpResponse.json(sampleNotes)
        : HttpResponse.json(
            { error: { message: 'not found' } },
            { status: 404 },
          );
    }),
  ];
  return { handlers, created, links };
}

/** The release API client as the module builds it, with mock auth and discovery. */
export function testReleaseApi() {
  return new ReleaseApi({
    discovery: mockServices.discovery.mock({
      getBaseUrl: async () => RELEASE_API,
    }),
    auth: mockServices.auth(),
  });
}
