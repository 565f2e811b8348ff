import { randomUUID } from 'node:crypto';
import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  BackstageUserPrincipal,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  RELATION_MEMBER_OF,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  type BasicPermission,
} from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';
import {
  releaseAdminPermission,
  rolesOf,
  type GradePolicy,
  type PolicyPerson,
} from '@internal/plugin-release-common';
import type { Request } from 'express';

/** Who is acting, as the policy sees them, and whether they may act for others. */
export interface Actor extends PolicyPerson {
  isAdmin: boolean;
}

/** user:default/kim.minjun → kim.minjun: how commits and messages name a person. */
export function userNameOf(ref: string): string {
  return ref.replace(/^user:(default\/)?/, '');
}

/** What ties the rows one request writes together, whichever door it came through. */
export interface RequestContext {
  requestId: string;
  /** The person whose press the engine carries out (user entity ref); absent when they act themselves. */
  onBehalfOf?: string;
}

export interface ReleaseDoorsOptions {
  permissions: PermissionsService;
  userInfo: UserInfoService;
  catalog: CatalogService;
  auth: AuthService;
  auditor: AuditorService;
  policy: GradePolicy;
  /** Release roles whose holders may act on others' releases (release.adminRoles). */
  adminRoles: string[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,80}$/;

/** The groups a user entity is in: what the catalog computed and what the entity says. */
export function memberOfRefs(user: Entity): string[] {
  const refs = new Set([
    ...(user.relations ?? [])
      .filter(r => r.type === RELATION_MEMBER_OF)
      .map(r => r.targetRef),
    ...((user.spec?.memberOf as string[] | undefined) ?? []).map(g =>
      stringifyEntityRef(
        parseEntityRef(g, {
          defaultKind: 'group',
          defaultNamespace: user.metadata.namespace ?? 'default',
        }),
      ),
    ),
  ]);
  return [...refs];
}

/**
 * How every door (the REST routes, the engine, Slack) names the actor, the request and the
 * Backstage audit event, so that none of them carries an identity rule of its own.
 */
export class ReleaseDoors {
  constructor(private readonly options: ReleaseDoorsOptions) {}

  /**
   * A signed-in user with a token, after checking `permission`: one permission round trip that
   * also asks whether they may act as a release admin.
   */
  async actorOf(
    credentials: BackstageCredentials<BackstageUserPrincipal>,
    permission?: BasicPermission,
  ): Promise<Actor> {
    const [admin, wanted] = await this.options.permissions.authorize(
      [
        { permission: releaseAdminPermission },
        ...(permission ? [{ permission }] : []),
      ],
      { credentials },
    );
    if (permission && wanted.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`You lack the ${permission.name} permission`);
    }
    const info = await this.options.userInfo.getUserInfo(credentials);
    return this.actor(
      info.userEntityRef,
      info.ownershipEntityRefs,
      admin.result === AuthorizeResult.ALLOW,
    );
  }

  /** Which of these permissions the user holds, in one round trip: for controls shown disabled. */
  async allowed(
    credentials: BackstageCredentials<BackstageUserPrincipal>,
    permissions: BasicPermission[],
  ): Promise<boolean[]> {
    const decisions = await this.options.permissions.authorize(
      permissions.map(permission => ({ permission })),
      { credentials },
    );
    return decisions.map(d => d.result === AuthorizeResult.ALLOW);
  }

  /**
   * A catalog user met without their token (the engine acting for them, a mapped Slack user).
   * Never an admin: the permission framework cannot be asked about someone who is not here.
   */
  async actorOfUser(userEntityRef: string): Promise<Actor> {
    const ref = stringifyEntityRef(
      parseEntityRef(userEntityRef, {
        defaultKind: 'user',
        defaultNamespace: 'default',
      }),
    );
    if (!ref.startsWith('user:')) {
      throw new NotAllowedError(`${userEntityRef} is not a user`);
    }
    const user = await this.options.catalog.getEntityByRef(ref, {
      credentials: await this.options.auth.getOwnServiceCredentials(),
    });
    if (!user) throw new NotFoundError(`No catalog user ${ref}`);
    return this.actor(ref, memberOfRefs(user), false);
  }

  /** The context of one request: the caller's request id when it is a sane one, else a new one. */
  contextOf(
    options: { requestId?: string; onBehalfOf?: string } = {},
  ): RequestContext {
    const { requestId, onBehalfOf } = options;
    return {
      requestId:
        requestId && REQUEST_ID.test(requestId) ? requestId : randomUUID(),
      ...(onBehalfOf ? { onBehalfOf } : {}),
    };
  }

  /** Runs a write with the Backstage auditor watching, as well as the release's own trail. */
  async audited<T>(
    event: {
      eventId: string;
      ctx: RequestContext;
      meta?: JsonObject;
      /** The HTTP request, when there is one: the auditor reads the caller from it. */
      request?: Request;
    },
    run: () => Promise<T>,
  ): Promise<T> {
    const { ctx } = event;
    const audit = await this.options.auditor.createEvent({
      eventId: event.eventId,
      request: event.request,
      severityLevel: 'medium',
      meta: {
        ...event.meta,
        requestId: ctx.requestId,
        ...(ctx.onBehalfOf ? { onBehalfOf: ctx.onBehalfOf } : {}),
      },
    });
    try {
      const result = await run();
      await audit.success();
      return result;
    } catch (error) {
      await audit.fail({ error: error as Error });
      throw error;
    }
  }

  private actor(
    ref: string,
    ownershipEntityRefs: string[],
    adminAllowed: boolean,
  ): Actor {
    const groups = ownershipEntityRefs.filter(r => r.startsWith('group:'));
    const person = { ref, groups };
    const holdsAdminRole = rolesOf(this.options.policy, person).some(r =>
      this.options.adminRoles.includes(r),
    );
    // Both must hold: switching the permission framework off must not make everyone an admin.
    return { ...person, isAdmin: holdsAdminRole && adminAllowed };
  }
}
