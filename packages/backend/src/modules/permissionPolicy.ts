import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  type PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { releaseAdminPermission } from '@internal/plugin-release-common';

/** Groups whose members may act on other people's releases (grade changes, moves). */
const RELEASE_ADMIN_GROUPS = ['group:default/role-team-lead'];

/**
 * The portal's permission policy: signed-in people may use the catalog, the forms and the release
 * actions (the release backend still checks roles, authorship and state itself), and only team
 * leads hold release.admin.
 */
export class KopPermissionPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (request.permission.name === releaseAdminPermission.name) {
      const groups = user?.info.ownershipEntityRefs ?? [];
      return {
        result: groups.some(g => RELEASE_ADMIN_GROUPS.includes(g))
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    return { result: user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
  }
}

export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'kop-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new KopPermissionPolicy());
      },
    });
  },
});
