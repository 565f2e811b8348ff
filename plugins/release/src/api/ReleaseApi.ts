import {
  createApiRef,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  CandidateList,
  CreateReleaseRequest,
  GradePolicy,
  IacEditTargets,
  IacPreview,
  IacPreviewRequest,
  PendingApproval,
  Release,
  ReleaseApp,
  ReleaseApprovals,
  ReleaseAuditRecord,
  ReleaseBackendHealth,
  ReleaseDecision,
  ReleaseIacDiff,
  ReleaseLinksOut,
  ReleaseNotes,
  ReleasePage,
  ReleasePreview,
  ReleaseState,
  ReleaseStatus,
  RetroApprovalRequest,
  SetupCheckResult,
  WhatShips,
  WhatShipsRequestBody,
} from '@internal/plugin-release-common';
import { followStatusStream, type StatusStreamHandlers } from './status';

export type {
  CandidateList,
  DemoUser,
  DemoUsers,
  IacEditTargets,
  IacPreview,
  IacPreviewRequest,
  PendingApproval,
  ReleaseApprovals,
  ReleaseApprovalStage,
  ReleaseAuditRecord,
  ReleaseBackendHealth,
  ReleaseCandidate,
  ReleaseDecision,
  ReleaseIacDiff,
  ReleasePreview,
  SetupCheckResult,
  SystemCheck,
  SystemCheckReport,
  WhatShips,
  WhatShipsCommit,
  WhatShipsMergeRequest,
} from '@internal/plugin-release-common';

/**
 * The release backend as the front end sees it.
 *
 * @public
 */
export interface ReleaseApi {
  getHealth(): Promise<ReleaseBackendHealth>;
  listReleases(options?: {
    app?: ReleaseApp;
    state?: ReleaseState[];
    limit?: number;
    cursor?: string;
  }): Promise<ReleasePage>;
  getPolicy(): Promise<GradePolicy>;
  listCandidates(app: ReleaseApp): Promise<CandidateList>;
  whatShips(request: WhatShipsRequestBody): Promise<WhatShips>;
  previewRelease(
    draft: CreateReleaseRequest,
    environment?: string,
  ): Promise<ReleasePreview>;
  getIacTargets(): Promise<IacEditTargets>;
  /** Where a stored release leaves the IaC repository of an environment, as a diff against now. */
  getReleaseIac(id: string, environment: string): Promise<ReleaseIacDiff>;
  /** Where to follow a release in Argo CD, GitLab and Grafana, per environment. */
  getReleaseLinksOut(id: string): Promise<ReleaseLinksOut>;
  previewIac(request: IacPreviewRequest): Promise<IacPreview>;
  getRelease(id: string): Promise<Release>;
  getApprovals(id: string): Promise<ReleaseApprovals>;
  /** The author sends a prepared or beta release to its approvers (POST /releases/:id/request-approval). */
  requestApproval(id: string): Promise<Release>;
  decide(id: string, decision: ReleaseDecision): Promise<Release>;
  /** Approves a grade E release after it was deployed. */
  retroApprove(id: string, request: RetroApprovalRequest): Promise<Release>;
  getNotes(id: string): Promise<ReleaseNotes>;
  getAudit(
    id: string,
    options?: { afterSeq?: number; limit?: number },
  ): Promise<{ items: ReleaseAuditRecord[] }>;
  listPendingApprovals(): Promise<{ items: PendingApproval[] }>;
  /** Every app's live status, from the backend's cache. */
  getStatus(): Promise<ReleaseStatus>;
  /** Follows the live status until the returned function is called; reconnects by itself. */
  streamStatus(handlers: StatusStreamHandlers): () => void;
  getSetupCheck(): Promise<SetupCheckResult>;
}

/** @public */
export const releaseApiRef = createApiRef<ReleaseApi>({
  id: 'plugin.release.service',
});

/**
 * Talks to the release backend through the app's fetch API, so the user's token goes along.
 *
 * @public
 */
export class ReleaseClient implements ReleaseApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getHealth(): Promise<ReleaseBackendHealth> {
    return this.get('/health');
  }

  async listReleases(
    options: {
      app?: ReleaseApp;
      state?: ReleaseState[];
      limit?: number;
      cursor?: string;
    } = {},
  ): Promise<ReleasePage> {
    const query = new URLSearchParams();
    if (options.app) query.set('app', options.app);
    if (options.state?.length) query.set('state', options.state.join(','));
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.toString() ? `?${query}` : '';
    return this.get(`/releases${suffix}`);
  }

  async getPolicy(): Promise<GradePolicy> {
    return this.get('/policy');
  }

  async listCandidates(app: ReleaseApp): Promise<CandidateList> {
    return this.get(`/candidates?app=${encodeURIComponent(app)}`);
  }

  async whatShips(request: WhatShipsRequestBody): Promise<WhatShips> {
    return this.post('/what-ships', request);
  }

  async previewRelease(
    draft: CreateReleaseRequest,
    environment?: string,
  ): Promise<ReleasePreview> {
    const query = environment
      ? `?environment=${encodeURIComponent(environment)}`
      : '';
    return this.post(`/preview${query}`, draft);
  }

  async getReleaseIac(
    id: string,
    environment: string,
  ): Promise<ReleaseIacDiff> {
    return this.get(
      `/releases/${encodeURIComponent(id)}/iac?environment=${encodeURIComponent(
        environment,
      )}`,
    );
  }

  async getReleaseLinksOut(id: string): Promise<ReleaseLinksOut> {
    return this.get(`/releases/${encodeURIComponent(id)}/links-out`);
  }

  async getIacTargets(): Promise<IacEditTargets> {
    return this.get('/iac/targets');
  }

  async previewIac(request: IacPreviewRequest): Promise<IacPreview> {
    return this.post('/iac/preview', request);
  }

  async getRelease(id: string): Promise<Release> {
    return this.get(`/releases/${encodeURIComponent(id)}`);
  }

  async getApprovals(id: string): Promise<ReleaseApprovals> {
    return this.get(`/releases/${encodeURIComponent(id)}/approvals`);
  }

  async requestApproval(id: string): Promise<Release> {
    return this.post(
      `/releases/${encodeURIComponent(id)}/request-approval`,
      {},
    );
  }

  async decide(id: string, decision: ReleaseDecision): Promise<Release> {
    return this.post(`/releases/${encodeURIComponent(id)}/approvals`, decision);
  }

  async retroApprove(
    id: string,
    request: RetroApprovalRequest,
  ): Promise<Release> {
    return this.post(
      `/releases/${encodeURIComponent(id)}/retro-approval`,
      request,
    );
  }

  async getNotes(id: string): Promise<ReleaseNotes> {
    return this.get(`/releases/${encodeURIComponent(id)}/notes`);
  }

  async getAudit(
    id: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<{ items: ReleaseAuditRecord[] }> {
    const query = new URLSearchParams();
    if (options.afterSeq !== undefined)
      query.set('afterSeq', String(options.afterSeq));
    if (options.limit) query.set('limit', String(options.limit));
    const suffix = query.toString() ? `?${query}` : '';
    return this.get(`/releases/${encodeURIComponent(id)}/audit${suffix}`);
  }

  async listPendingApprovals(): Promise<{ items: PendingApproval[] }> {
    return this.get('/approvals/pending');
  }

  async getStatus(): Promise<ReleaseStatus> {
    return this.get('/status');
  }

  streamStatus(handlers: StatusStreamHandlers): () => void {
    const stop = new AbortController();
    void followStatusStream({
      handlers,
      signal: stop.signal,
      open: async signal => {
        const base = await this.discoveryApi.getBaseUrl('release');
        return this.fetchApi.fetch(`${base}/status/stream`, {
          signal,
          headers: { accept: 'text/event-stream' },
        });
      },
    });
    return () => stop.abort();
  }

  async getSetupCheck(): Promise<SetupCheckResult> {
    return this.get('/setup-check');
  }

  private async get<T>(path: string): Promise<T> {
    return this.send(path);
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  private async send<T>(path: string, init?: RequestInit): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('release');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return (await res.json()) as T;
  }
}
