import type { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { ReleaseApp } from '@internal/plugin-release-common';

/** The owner teams of the kop apps, read from their catalog Components. */
export function catalogServiceTeams(
  catalog: CatalogService,
  auth: AuthService,
) {
  return async (apps: ReleaseApp[]): Promise<string[]> => {
    const { items } = await catalog.getEntitiesByRefs(
      {
        entityRefs: apps.map(app => `component:default/${app}`),
        fields: ['spec.owner'],
      },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    const owners = items
      .map(e => e?.spec?.owner)
      .filter((o): o is string => typeof o === 'string')
      .map(o =>
        stringifyEntityRef(
          parseEntityRef(o, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          }),
        ),
      );
    return [...new Set(owners)].sort();
  };
}
