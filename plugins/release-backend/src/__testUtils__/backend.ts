import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  type BackendFeature,
} from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import type { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Knex } from 'knex';
import type { Server } from 'node:http';
import { releasePlugin } from '../plugin';
import { alwaysOpen } from './alwaysOpen';
import { groupsOf, orgEntities } from './org';

export { alwaysOpen };

/** The release backend with the demo catalog, users' groups as a sign-in would give them. */
export async function startReleaseBackend(
  options: {
    knex?: Knex;
    permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
    config?: object;
    /** More services, e.g. the integrations or a scheduler the test drives. */
    features?: BackendFeature[];
  } = {},
): Promise<{ server: Server; send: jest.Mock; publish: jest.Mock }> {
  const send = jest.fn();
  const publish = jest.fn();
  const { server } = await startTestBackend({
    features: [
      releasePlugin,
      catalogServiceMock.factory({ entities: orgEntities }),
      mockServices.rootConfig.factory({ data: options.config ?? alwaysOpen }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const ref = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: ref,
              ownershipEntityRefs: [ref, ...groupsOf(ref)],
            };
          },
        }),
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send }),
      }),
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({ publish }),
      }),
      ...(options.permission
        ? [mockServices.permissions.factory({ result: options.permission })]
        : []),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      ...(options.features ?? []),
    ],
  });
  return { server, send, publish };
}
