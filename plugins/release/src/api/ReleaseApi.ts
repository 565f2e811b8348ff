import {
  createApiRef,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type { Release, ReleaseApp } from '@internal/plugin-release-common';

/** @public */
export interface ReleaseBackendHealth {
  status: 'ok';
  product: string;
  environments: string[];
}

/**
 * The release backend as the front end sees it.
 *
 * @public
 */
export interface ReleaseApi {
  getHealth(): Promise<ReleaseBackendHealth>;
  listReleases(options?: {
    app?: ReleaseApp;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: Release[]; nextCursor?: string }>;
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
    options: { app?: ReleaseApp; limit?: number; cursor?: string } = {},
  ): Promise<{ items: Release[]; nextCursor?: string }> {
    const query = new URLSearchParams();
    if (options.app) query.set('app', options.app);
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.toString() ? `?${query}` : '';
    return this.get(`/releases${suffix}`);
  }

  private async get<T>(path: string): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('release');
    const res = await this.fetchApi.fetch(`${base}${path}`);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return (await res.json()) as T;
  }
}
