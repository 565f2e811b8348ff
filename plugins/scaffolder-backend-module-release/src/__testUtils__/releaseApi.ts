import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  defaultGradePolicy,
  queueReleaseMessageRequestSchema,
  renderReleaseNotes,
  type QueueReleaseMessageRequest,
  type Release,
  type ReleaseLink,
  type ReleaseMessage,
} from '@internal/plugin-release-common';
import { http, HttpResponse } from 'msw';
import { strictServer } from './msw';
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
 * nothing), read, notes, links (a URL kept once) and messages (202, one message per key), each
 * only for the user's token.
 */
export function releaseApiHandlers() {
  const created: unknown[] = [];
  const links: ReleaseLink[] = [];
  /** Every message request as sent, and the messages queued by key. */
  const messageRequests: QueueReleaseMessageRequest[] = [];
  const queued = new Map<string, ReleaseMessage>();
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
    http.post(
      `${RELEASE_API}/releases/:id/messages`,
      async ({ request, params }) => {
        if (!asUser(request)) return refused();
        const parsed = queueReleaseMessageRequestSchema.safeParse(
          await request.json(),
        );
        if (!parsed.success || params.id !== sampleRelease.id) {
          return HttpResponse.json(
            { error: { message: parsed.error?.message ?? 'not found' } },
            { status: parsed.success ? 404 : 400 },
          );
        }
        const body = parsed.data;
        messageRequests.push(body);
        const key = `${body.kind}/${body.key}`;
        if (!queued.has(key)) {
          queued.set(key, {
            id: `message-${queued.size + 1}`,
            releaseId: sampleRelease.id,
            kind: body.kind,
            audience: body.kind === 'slack.post' ? 'qa' : 'asana',
            destination:
              body.kind === 'slack.post'
                ? body.channel
                : 'asana release project',
            summary:
              body.kind === 'asana.create-task' ? 'create the task' : body.text,
            urgent: false,
            state: 'queued',
            attempts: 0,
            createdAt: '2026-01-08T01:00:00.000Z',
          });
        }
        return HttpResponse.json(queued.get(key), { status: 202 });
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
  return { handlers, created, links, messageRequests, queued };
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

/**
 * The release API's handlers on an msw server that refuses every other request (no Slack, no
 * Asana), listening for the test file, with its requests and messages cleared before each test.
 */
export function releaseApiServer() {
  const releaseApi = releaseApiHandlers();
  const { server, requests } = strictServer(...releaseApi.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    requests.length = 0;
    releaseApi.messageRequests.length = 0;
    releaseApi.queued.clear();
  });
  afterAll(() => server.close());
  return { ...releaseApi, requests };
}
