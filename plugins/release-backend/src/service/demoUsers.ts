import type { Config } from '@backstage/config';
import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { DemoUser } from '@internal/plugin-release-common';
import { memberOfRefs } from './doors';

/** The demo sign-in exists only locally: never when auth.environment is production. */
export function isDemoSignInEnabled(config: Config): boolean {
  return (
    config.getOptionalString('auth.environment') !== 'production' &&
    config.has('auth.providers.demo')
  );
}

/** Lists catalog users with the release roles and teams they hold, for the sign-in picker. */
export async function listDemoUsers(options: {
  catalog: CatalogService;
  auth: AuthService;
}): Promise<DemoUser[]> {
  const credentials = await options.auth.getOwnServiceCredentials();
  const [{ items: users }, { items: groups }] = await Promise.all([
    options.catalog.getEntities(
      {
        filter: { kind: 'User' },
        fields: ['metadata', 'spec.profile', 'spec.memberOf', 'relations'],
      },
      { credentials },
    ),
    options.catalog.getEntities(
      { filter: { kind: 'Group' }, fields: ['kind', 'metadata', 'spec.type'] },
      { credentials },
    ),
  ]);
  const groupByRef = new Map<string, Entity>(
    groups.map(g => [
      stringifyEntityRef({ ...g, kind: 'Group' }),
      { ...g, kind: 'Group' } as Entity,
    ]),
  );
  return users
    .map(user => {
      const memberOf = memberOfRefs(user)
        .map(ref => groupByRef.get(ref))
        .filter((g): g is Entity => Boolean(g));
      const profile = (user.spec?.profile ?? {}) as {
        displayName?: string;
        email?: string;
      };
      return {
        ref: stringifyEntityRef({ ...user, kind: 'User' }),
        name: user.metadata.name,
        displayName: profile.displayName ?? user.metadata.name,
        email: profile.email,
        roles: memberOf
          .filter(g => g.spec?.type === 'role')
          .map(
            g =>
              g.metadata.annotations?.['kop.release/role'] ?? g.metadata.name,
          )
          .sort(),
        teams: memberOf
          .filter(g => g.spec?.type === 'team')
          .map(g => g.metadata.name)
          .sort(),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
}
