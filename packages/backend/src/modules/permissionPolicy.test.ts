import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  releaseAdminPermission,
  releaseApprovePermission,
} from '@internal/plugin-release-common';
import { KopPermissionPolicy } from './permissionPolicy';

const userWith = (ownershipEntityRefs: string[]) => ({
  identity: {
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0],
    ownershipEntityRefs,
  },
  token: 'token',
  credentials: {} as any,
  info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
});

describe('KopPermissionPolicy', () => {
  const policy = new KopPermissionPolicy();

  it('gives release.admin to team leads only', async () => {
    const lead = userWith([
      'user:default/han.jisoo',
      'group:default/role-team-lead',
    ]);
    const pl = userWith(['user:default/choi.yuna', 'group:default/role-pl']);
    expect(
      await policy.handle({ permission: releaseAdminPermission }, lead),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle({ permission: releaseAdminPermission }, pl),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('lets signed-in people use the release actions, and nobody else', async () => {
    const dev = userWith([
      'user:default/kim.minjun',
      'group:default/role-developer',
    ]);
    expect(
      await policy.handle({ permission: releaseApprovePermission }, dev),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle({ permission: releaseApprovePermission }),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
  });
});
