import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  readReleasePortalConfig,
  type ReleaseIntegrations,
} from '@internal/plugin-release-node';
import express, {
  type NextFunction,
  type Request,
  type Response,
} from 'express';
import { createRouter } from '../src/router';
import type { ReleaseService } from '../src/service/ReleaseService';
import { groupsOf } from '../src/__testUtils__/org';

/**
 * The smallest real stand-ins for the Backstage services the release router uses, so the bench
 * measures the router, the service and the database, not a test harness.
 */

/** Logs warnings and errors only, so the figures stay readable. */
export const quietLogger: LoggerService = {
  error: (message: string) => process.stderr.write(`error: ${message}\n`),
  warn: (message: string) => process.stderr.write(`warn: ${message}\n`),
  info: () => {},
  debug: () => {},
  child: () => quietLogger,
};

/** `Authorization: Bearer user:default/<name>` names the caller; nothing else is accepted. */
const BEARER = /^Bearer (user:default\/[a-z0-9._-]{1,100})$/;

const httpAuth = {
  async credentials(
    req: Request,
    options?: { allow?: string[] },
  ): Promise<BackstageCredentials> {
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new AuthenticationError('Missing or bad bench token');
    if (options?.allow && !options.allow.includes('user')) {
      throw new NotAllowedError('Only service credentials are allowed here');
    }
    return {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: match[1] },
    };
  },
  async issueUserCookie() {
    return { expiresAt: new Date() };
  },
} as unknown as HttpAuthService;

const userInfo: UserInfoService = {
  async getUserInfo(credentials) {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return { userEntityRef: ref, ownershipEntityRefs: [ref, ...groupsOf(ref)] };
  },
};

const permissions: PermissionsService = {
  async authorize(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  },
  async authorizeConditional(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  },
};

const auditor: AuditorService = {
  async createEvent() {
    return { success: async () => {}, fail: async () => {} };
  },
};

/** Only /demo-users needs these; the bench never calls it. */
const unused = (what: string) =>
  new Proxy(
    {},
    {
      get: () => () => {
        throw new Error(`the bench does not provide ${what}`);
      },
    },
  );

const statusOf: Record<string, number> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  ConflictError: 409,
};

export interface BenchServer {
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves the real release router at /api/release on 127.0.0.1 and an ephemeral port. */
export async function startServer(
  releases: ReleaseService,
): Promise<BenchServer> {
  const config = new ConfigReader({
    app: { baseUrl: 'http://127.0.0.1:3000' },
  });
  const router = await createRouter({
    config,
    portal: readReleasePortalConfig(config),
    auth: unused('auth') as AuthService,
    httpAuth,
    userInfo,
    permissions,
    auditor,
    catalog: unused('the catalog') as CatalogService,
    releases,
    integrations: unused('the integrations') as ReleaseIntegrations,
  });
  return serveRouter(router);
}

/** Serves a release router at /api/release on 127.0.0.1 and an ephemeral port, errors as the backend maps them. */
export async function serveRouter(
  router: express.Router,
): Promise<BenchServer> {
  const app = express();
  app.use('/api/release', router);
  app.use(
    (error: Error, _req: Request, res: Response, _next: NextFunction): void => {
      const status = statusOf[error.name] ?? 500;
      if (status === 500) quietLogger.error(error.stack ?? String(error));
      res
        .status(status)
        .json({ error: { name: error.name, message: error.message } });
    },
  );
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/release`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close(e => (e ? reject(e) : resolve()));
      }),
  };
}
