import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { userNameOf } from '../service/doors';

/**
 * The name and e-mail the IaC commits carry for the person who pressed Deploy, from the catalog
 * (kept per person for the backend's life); the ref alone when the catalog has no e-mail.
 */
export function commitAuthorOf(catalog: CatalogService, auth: AuthService) {
  const known = new Map<string, Promise<{ name: string; email: string }>>();
  const read = async (ref: string) => {
    const name = userNameOf(ref);
    try {
      const user = await catalog.getEntityByRef(ref, {
        credentials: await auth.getOwnServiceCredentials(),
      });
      const profile = (user?.spec?.profile ?? {}) as {
        displayName?: string;
        email?: string;
      };
      return {
        name: profile.displayName ?? name,
        email: profile.email ?? `${name}@users.noreply`,
      };
    } catch {
      known.delete(ref);
      return { name, email: `${name}@users.noreply` };
    }
  };
  return (ref: string) => {
    let author = known.get(ref);
    if (!author) {
      author = read(ref);
      known.set(ref, author);
    }
    return author;
  };
}
