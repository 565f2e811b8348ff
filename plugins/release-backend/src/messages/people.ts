import type { AuthService } from '@backstage/backend-plugin-api';
import { RELATION_HAS_MEMBER, type Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { ApprovalStage, Release } from '@internal/plugin-release-common';
import { memberOfRefs } from '../service/doors';
import type { ReleaseService } from '../service/ReleaseService';
import type { StoredRelease } from '../database/ReleaseStore';

/** Who the messages go to, from the catalog. */
export interface MessagePeople {
  /** The people who may give a decision the release waits for now, its author left out. */
  approversOf(release: Release, stage: ApprovalStage): Promise<string[]>;
  /** A person's e-mail address (Slack finds them by it); undefined when the catalog has none. */
  emailOf(userRef: string): Promise<string | undefined>;
}

/** The catalog's people, checked against the release's own approval rules. */
export function catalogPeople(options: {
  catalog: CatalogService;
  auth: AuthService;
  releases: Pick<
    ReleaseService,
    'approvalCheck' | 'requirementsFor' | 'policy'
  >;
}): MessagePeople {
  const { catalog, auth, releases } = options;
  const credentials = () => auth.getOwnServiceCredentials();
  const entities = async (refs: string[]): Promise<Entity[]> => {
    if (refs.length === 0) return [];
    const { items } = await catalog.getEntitiesByRefs(
      { entityRefs: refs },
      { credentials: await credentials() },
    );
    return items.filter((e): e is Entity => Boolean(e));
  };
  return {
    async approversOf(release, stage) {
      const stored = release as StoredRelease;
      const groups = [
        ...new Set(
          releases
            .requirementsFor(stored, stage)
            .map(r => releases.policy.roles[r.role]?.group)
            .filter((g): g is string => Boolean(g)),
        ),
      ];
      const members = [
        ...new Set(
          (await entities(groups)).flatMap(g =>
            (g.relations ?? [])
              .filter(r => r.type === RELATION_HAS_MEMBER)
              .map(r => r.targetRef),
          ),
        ),
      ].filter(ref => ref.startsWith('user:') && ref !== release.author);
      return (await entities(members))
        .map(user => ({
          ref: `user:${user.metadata.namespace ?? 'default'}/${
            user.metadata.name
          }`,
          groups: memberOfRefs(user),
        }))
        .filter(person => releases.approvalCheck(stored, stage, person).ok)
        .map(person => person.ref)
        .sort();
    },
    async emailOf(userRef) {
      const user = await catalog.getEntityByRef(userRef, {
        credentials: await credentials(),
      });
      const email = (user?.spec?.profile as { email?: unknown } | undefined)
        ?.email;
      return typeof email === 'string' ? email : undefined;
    },
  };
}
