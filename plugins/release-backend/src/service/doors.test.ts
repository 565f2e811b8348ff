import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  defaultGradePolicy,
  releaseAdminPermission,
  releaseApprovePermission,
} from '@internal/plugin-release-common';
import { groupsOf, orgEntities, user } from '../__testUtils__/org';
import { ReleaseDoors } from './doors';

/** The doors with the demo catalog; `allowed` names the permissions the framework grants. */
function doorsWith(allowed: string[]) {
  const auditor = mockServices.auditor.mock();
  const event = { success: jest.fn(), fail: jest.fn() };
  auditor.createEvent.mockResolvedValue(event);
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result: allowed.includes(r.permission.name)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      })),
  });
  const doors = new ReleaseDoors({
    permissions,
    userInfo: mockServices.userInfo.mock({
      async getUserInfo(credentials) {
        const ref = (credentials.principal as { userEntityRef: string })
          .userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...groupsOf(ref)],
        };
      },
    }),
    catalog: catalogServiceMock({ entities: orgEntities }),
    auth: mockServices.auth(),
    auditor,
    policy: defaultGradePolicy,
    adminRoles: ['team-lead'],
  });
  return { doors, auditor, event, permissions };
}

const both = [releaseAdminPermission.name, releaseApprovePermission.name];

describe('ReleaseDoors', () => {
  it('makes an actor from credentials alone, with their groups, no express request involved', async () => {
    const { doors, permissions } = doorsWith(both);
    const credentials = mockCredentials.user(user('choi.yuna'));
    const actor = await doors.actorOf(credentials, releaseApprovePermission);
    expect(actor).toEqual({
      ref: user('choi.yuna'),
      groups: groupsOf(user('choi.yuna')),
      isAdmin: false,
    });
    // One round trip asks for the route's permission and the admin one together.
    expect(permissions.authorize).toHaveBeenCalledTimes(1);
    expect(permissions.authorize).toHaveBeenCalledWith(
      [
        { permission: releaseAdminPermission },
        { permission: releaseApprovePermission },
      ],
      { credentials },
    );
  });

  it('makes an admin only of a holder of an admin role whom the framework also lets act as one', async () => {
    const lead = mockCredentials.user(user('han.jisoo'));
    const dev = mockCredentials.user(user('kim.minjun'));
    const cases: Array<[typeof lead, string[], boolean]> = [
      [lead, both, true],
      // The framework switched off allows everything: a developer still is no admin.
      [dev, both, false],
      [lead, [releaseApprovePermission.name], false],
    ];
    for (const [credentials, allowed, isAdmin] of cases) {
      const { doors } = doorsWith(allowed);
      const actor = await doors.actorOf(credentials, releaseApprovePermission);
      expect([actor.ref, allowed, actor.isAdmin]).toEqual([
        credentials.principal.userEntityRef,
        allowed,
        isAdmin,
      ]);
    }
  });

  it('refuses a caller without the permission, naming it', async () => {
    const { doors } = doorsWith([releaseAdminPermission.name]);
    await expect(
      doors.actorOf(
        mockCredentials.user(user('han.jisoo')),
        releaseApprovePermission,
      ),
    ).rejects.toThrow(
      new NotAllowedError('You lack the release.approve permission'),
    );
  });

  it('makes an actor from a catalog user ref for a door without a token, never an admin', async () => {
    const { doors, permissions } = doorsWith(both);
    const lead = await doors.actorOfUser('han.jisoo');
    expect(lead).toEqual({
      ref: user('han.jisoo'),
      groups: expect.arrayContaining(groupsOf(user('han.jisoo'))),
      isAdmin: false,
    });
    expect(lead.groups).toHaveLength(groupsOf(user('han.jisoo')).length);
    expect(permissions.authorize).not.toHaveBeenCalled();
    await expect(doors.actorOfUser('user:default/nobody')).rejects.toThrow(
      NotFoundError,
    );
    await expect(doors.actorOfUser('group:default/role-pl')).rejects.toThrow(
      'group:default/role-pl is not a user',
    );
  });

  it('keeps a sane request id, replaces any other, and carries whom the engine acts for', () => {
    const { doors } = doorsWith([]);
    expect(doors.contextOf({ requestId: 'form-submit-1' })).toEqual({
      requestId: 'form-submit-1',
    });
    const replaced = doors.contextOf({ requestId: 'bad id\nx' });
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(doors.contextOf().requestId).not.toBe(replaced.requestId);
    expect(
      doors.contextOf({ requestId: 'step-7', onBehalfOf: user('han.jisoo') }),
    ).toEqual({ requestId: 'step-7', onBehalfOf: user('han.jisoo') });
  });

  it('reports a write to the Backstage auditor as a success or a failure', async () => {
    const { doors, auditor, event } = doorsWith([]);
    const ctx = { requestId: 'step-7', onBehalfOf: user('han.jisoo') };
    expect(
      await doors.audited(
        { eventId: 'release-transition', ctx, meta: { releaseId: 'r1' } },
        async () => 'moved',
      ),
    ).toBe('moved');
    expect(auditor.createEvent).toHaveBeenCalledWith({
      eventId: 'release-transition',
      request: undefined,
      severityLevel: 'medium',
      meta: {
        releaseId: 'r1',
        requestId: 'step-7',
        onBehalfOf: user('han.jisoo'),
      },
    });
    expect(event.success).toHaveBeenCalledTimes(1);

    const refused = new NotAllowedError('no');
    await expect(
      doors.audited({ eventId: 'release-approve', ctx }, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(event.fail).toHaveBeenCalledWith({ error: refused });
  });
});
