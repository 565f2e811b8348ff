import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import type { ReleasePortalConfig } from '@internal/plugin-release-node';
import express from 'express';
import Router from 'express-promise-router';
import { isDemoSignInEnabled, listDemoUsers } from './service/demoUsers';

export interface RouterOptions {
  config: Config;
  portal: ReleasePortalConfig;
  auth: AuthService;
  catalog: CatalogService;
}

/** Routes that need no signed-in user; plugin.ts opens exactly these to unauthenticated callers. */
export const unauthenticatedPaths = ['/health', '/demo-users'];

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { config, portal, auth, catalog } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      product: portal.product,
      environments: portal.environments,
    });
  });

  router.get('/demo-users', async (_req, res) => {
    if (!isDemoSignInEnabled(config)) {
      throw new NotFoundError('Demo sign-in is not enabled');
    }
    res.json({ items: await listDemoUsers({ catalog, auth }) });
  });

  return router;
}
