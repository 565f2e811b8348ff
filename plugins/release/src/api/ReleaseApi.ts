import {
  createApiRef,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  AbortRequest,
  AcknowledgeRequest,
  AsanaTaskList,
  CandidateList,
  CreateReleaseRequest,
  DeployPlan,
  DeployRequest,
  DeployRunView,
  DeployStepControlRequest,
  DeployView,
  GradePolicy,
  IacEditTargets,
  IacPreview,
  IacPreviewRequest,
  PendingApproval,
  RebaseApprovalRequest,
  Release,
  ReleaseApp,
  ReleaseApprovals,
  ReleaseAuditRecord,
  ReleaseBackendHealth,
  ReleaseDecision,
  ReleaseIacDiff,
  ReleaseLinksOut,
  ReleaseMessages,
  ReleaseNotes,
  ReleasePage,
  ReleasePreview,
  ReleaseState,
  ReleaseStatus,
  RetroApprovalRequest,
  SetupCheckResult,
  StopTheLine,
  StopTheLineRequest,
  WhatShips,
  WhatShipsRequestBody,
  TestOverrideRequest,
} from '@internal/plugin-release-common';
import { followStatusStream, type StatusStreamHandlers } from './status';

export type {
  AbortRequest,
  AcknowledgeRequest,
  CandidateList,
  DeployAcknowledgement,
  DeployControl,
  DeployControlName,
  DeployGate,
  DeployPlan,
  DeployPlanStep,
  DeployRebase,
  DeployReading,
  DeployReadings,
  DeployRequest,
  DeployRunStepView,
  DeployRunView,
  DeployStepControlRequest,
  DeployStepLink,
  DeployView,
  LineHalt,
  RebaseApprovalRequest,
  StopTheLine,
  StopTheLineRequest,
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
  ReleaseMessage,
  ReleaseMessages,
  ReleasePreview,
  SetupCheckResult,
  SystemCheck,
  SystemCheckReport,
  WhatShips,
  WhatShipsCommit,
  WhatShipsMergeRequest,
} from '@internal/plugin-release-common';

/** The run controls that act on one run of a release's deploy. @public */
export type DeployRunAction = 'pause' | 'resume' | 'retry' | 'skip';

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
  /** Tasks of the Asana release project, open ones unless `completed`; `q` narrows by name. */
  listAsanaTasks(query?: {
    q?: string;
    completed?: boolean;
  }): Promise<AsanaTaskList>;
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
  /** Goes on although tests failed, with a reason (POST /releases/:id/tests/override). */
  overrideTests(id: string, request: TestOverrideRequest): Promise<Release>;
  /** Approves a grade E release after it was deployed. */
  retroApprove(id: string, request: RetroApprovalRequest): Promise<Release>;
  getNotes(id: string): Promise<ReleaseNotes>;
  getAudit(
    id: string,
    options?: { afterSeq?: number; limit?: number },
  ): Promise<{ items: ReleaseAuditRecord[] }>;
  /** The release's Slack and Asana messages, oldest first, with how each was delivered. */
  getMessages(id: string): Promise<ReleaseMessages>;
  listPendingApprovals(): Promise<{ items: PendingApproval[] }>;
  /** Every app's live status, from the backend's cache. */
  getStatus(): Promise<ReleaseStatus>;
  /** Follows the live status until the returned function is called; reconnects by itself. */
  streamStatus(handlers: StatusStreamHandlers): () => void;
  getSetupCheck(): Promise<SetupCheckResult>;
  /** What a deploy of the release to the environment would do; 409 when it cannot be computed. */
  getPlan(id: string, environment: string): Promise<DeployPlan>;
  /** The Deploy card's state: runs newest first and which controls the signed-in user may use. */
  getDeploy(id: string): Promise<DeployView>;
  /** Starts the deploy of the plan with this fingerprint. */
  deploy(id: string, request: DeployRequest): Promise<DeployRunView>;
  /** Pauses, resumes, retries a step of, or skips a step of a run. */
  controlRun(
    id: string,
    runId: string,
    action: DeployRunAction,
    request: DeployStepControlRequest,
  ): Promise<DeployRunView>;
  /** The author asks approval of the plan of a run stopped on someone else's change, rebased onto it. */
  requestRebasedApproval(
    id: string,
    runId: string,
    request: RebaseApprovalRequest,
  ): Promise<DeployView>;
  /** Takes the release back safely: switches back if switched, scales the new colour to 0. */
  abort(id: string, request: AbortRequest): Promise<DeployRunView>;
  acknowledge(id: string, request: AcknowledgeRequest): Promise<DeployView>;
  getStopTheLine(): Promise<StopTheLine>;
  /** Holds every release until lifted. */
  stopTheLine(request: StopTheLineRequest): Promise<StopTheLine>;
  liftStopTheLine(request: StopTheLineRequest): Promise<StopTheLine>;
}

/** A release's path, its id kept inside one path segment. */
function releasePath(id: string): string {
  return `/releases/${encodeURIComponent(id)}`;
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

  async listAsanaTasks(
    query: { q?: string; completed?: boolean } = {},
  ): Promise<AsanaTaskList> {
    const params = new URLSearchParams();
    if (query.q) params.set('q', query.q);
    if (query.completed) params.set('completed', 'true');
    const suffix = params.toString() ? `?${params}` : '';
    return this.get(`/asana/tasks${suffix}`);
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

  async overrideTests(
    id: string,
    request: TestOverrideRequest,
  ): Promise<Release> {
    return this.post(
      `/releases/${encodeURIComponent(id)}/tests/override`,
      request,
    );
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

  async getMessages(id: string): Promise<ReleaseMessages> {
    return this.get(`/releases/${encodeURIComponent(id)}/messages`);
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

  async getPlan(id: string, environment: string): Promise<DeployPlan> {
    return this.get(
      `${releasePath(id)}/plan?environment=${encodeURIComponent(environment)}`,
    );
  }

  async getDeploy(id: string): Promise<DeployView> {
    return this.get(`${releasePath(id)}/deploy`);
  }

  async deploy(id: string, request: DeployRequest): Promise<DeployRunView> {
    return this.post(`${releasePath(id)}/deploy`, request);
  }

  async controlRun(
    id: string,
    runId: string,
    action: DeployRunAction,
    request: DeployStepControlRequest,
  ): Promise<DeployRunView> {
    return this.post(
      `${releasePath(id)}/runs/${encodeURIComponent(runId)}/${action}`,
      request,
    );
  }

  async requestRebasedApproval(
    id: string,
    runId: string,
    request: RebaseApprovalRequest,
  ): Promise<DeployView> {
    return this.post(
      `${releasePath(id)}/runs/${encodeURIComponent(runId)}/request-approval`,
      request,
    );
  }

  async abort(id: string, request: AbortRequest): Promise<DeployRunView> {
    return this.post(`${releasePath(id)}/abort`, request);
  }

  async acknowledge(
    id: string,
    request: AcknowledgeRequest,
  ): Promise<DeployView> {
    return this.post(`${releasePath(id)}/acknowledgements`, request);
  }

  async getStopTheLine(): Promise<StopTheLine> {
    return this.get('/stop-the-line');
  }

  async stopTheLine(request: StopTheLineRequest): Promise<StopTheLine> {
    return this.post('/stop-the-line', request);
  }

  async liftStopTheLine(request: StopTheLineRequest): Promise<StopTheLine> {
    return this.post('/stop-the-line/lift', request);
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
