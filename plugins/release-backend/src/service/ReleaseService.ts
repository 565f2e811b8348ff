import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { SignalsService } from '@backstage/plugin-signals-node';
import {
  canTransition,
  checkApproval,
  compareGrades,
  defaultReleaseTitle,
  describeWindowOpening,
  isReleaseVersion,
  isStageComplete,
  isOpenReleaseState,
  isWithinReleaseWindow,
  minimumGrade,
  nextReleaseWindow,
  releaseSignalChannel,
  releaseStates,
  requiredApprovals,
  rolesOf,
  type ApprovalRequirement,
  type ApprovalStage,
  type CreateReleaseRequest,
  type GradePolicy,
  type PolicyPerson,
  type ReleaseApp,
  type ReleaseApproval,
  type ReleaseConfig,
  type ReleaseGrade,
  type ReleaseLink,
  type ReleaseSignal,
  type ReleaseState,
  type ReleaseStrategy,
  type ReleaseTestKind,
  humanTransitions,
  testStanding,
} from '@internal/plugin-release-common';
import { AuditLog, type AuditEntry } from '../database/AuditLog';
import { releaseEngineActor } from '../engine/actor';
import type { Actor, RequestContext } from './doors';
import type { ConfigReleaseCheck } from './configCheck';
import type { VersionCheck } from './versions';
import {
  ReleaseStore,
  RevisionConflict,
  type ListReleasesOptions,
  type StoredRelease,
} from '../database/ReleaseStore';

export type { Actor, RequestContext } from './doors';

/** Tells people that something waits for them; failures never block a release. */
export interface ReleaseNotifier {
  approvalsNeeded(
    release: StoredRelease,
    groups: string[],
    stage: ApprovalStage,
  ): Promise<void>;
  decided(release: StoredRelease, approval: ReleaseApproval): Promise<void>;
}

export interface ReleaseServiceOptions {
  knex: Knex;
  logger: LoggerService;
  policy: GradePolicy;
  product: string;
  /** Owner teams (group refs) of an app, from the catalog. */
  serviceTeamsOf(apps: ReleaseApp[]): Promise<string[]>;
  strategies: Record<ReleaseApp, ReleaseStrategy>;
  defaultSteps: number[];
  /** Looks up that each version exists before a release is stored. */
  versions: VersionCheck;
  /** Checks a config release as its deploy plan will; without it config releases are refused. */
  configCheck?: ConfigReleaseCheck;
  notifier?: ReleaseNotifier;
  /** Tells every open page that a release changed; failures never block a release. */
  signals?: Pick<SignalsService, 'publish'>;
  /** Told after every committed write: the messages it means are relayed and sent at once. */
  messages?: { nudge(): void };
  now?: () => Date;
}

const MAX_REPLICAS = 60;
const MAX_LINKS = 50;
const REASON_MIN = 10;
const RETRIES = 3;
/** States a person may close by hand: nothing was deployed yet, or the deploy failed. */
const closableByHand: readonly ReleaseState[] = [
  'draft',
  'prepared',
  'beta',
  'awaiting_approval',
  'approved',
  'failed',
];

/** The release's messages as the actor of the rows they write (a created task's link). */
export const releaseMessagesActor: Actor = Object.freeze({
  ref: 'plugin:release/messages',
  groups: [],
  isAdmin: false,
});

/** Adds a link the release does not have yet; false when it has it. */
function pushLink(release: StoredRelease, link: ReleaseLink): boolean {
  if (release.links.some(l => l.url === link.url)) return false;
  if (release.links.length >= MAX_LINKS) {
    throw new InputError(
      `url: the release already has ${MAX_LINKS} links, the most it keeps`,
    );
  }
  release.links.push({ title: link.title, url: link.url });
  return true;
}

/** A policy refusal: rolls the transaction back, then is audited and answered. */
class PolicyRefusal extends Error {
  constructor(readonly entry: AuditEntry, readonly error: Error) {
    super(error.message);
  }
}

const isUniqueViolation = (e: unknown) =>
  /unique|duplicate key/i.test(String((e as Error)?.message));

/** Every rule of a release's life: the store keeps data, this decides what may happen. */
export class ReleaseService {
  // Private, so that nothing but this service writes a release, an approval or an audit row.
  private readonly store: ReleaseStore;
  private readonly trail: AuditLog;
  /** The audit trail, to read and verify. */
  readonly audit: Pick<AuditLog, 'list' | 'verify'>;
  private readonly now: () => Date;

  private readonly listeners: Array<
    (release: StoredRelease, action: string) => void
  > = [];

  constructor(private readonly options: ReleaseServiceOptions) {
    this.store = new ReleaseStore(options.knex);
    this.trail = new AuditLog(options.knex);
    this.audit = this.trail;
    this.now = options.now ?? (() => new Date());
  }

  get policy(): GradePolicy {
    return this.options.policy;
  }

  async get(id: string): Promise<StoredRelease> {
    const release = await this.store.get(id);
    if (!release) throw new NotFoundError(`No release with id ${id}`);
    return release;
  }

  list(options: ListReleasesOptions) {
    return this.store.list(options);
  }

  /** The newest successful build a release recorded that pushed this image tag, with the commit it built. */
  recordedBuild(app: ReleaseApp, imageTag: string) {
    return this.store.findBuildByImageTag(app, imageTag);
  }

  async create(
    actor: Actor,
    input: CreateReleaseRequest,
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    const release = await this.draft(actor, input);
    // A config release ships no version: its apps keep the ones that run.
    if (!release.config) await this.options.versions(release.apps);
    await this.options.knex.transaction(async tx => {
      await this.store.insert(tx, release);
      await this.trail.append(tx, {
        actor: actor.ref,
        action: 'release.create',
        releaseId: release.id,
        outcome: 'success',
        after: publicView(release),
        ...traceOf(ctx),
      });
    });
    await this.publish(release, 'release.create');
    return release;
  }

  /** A form's dry run of create: audited as such, with the release it would have made; nothing else. */
  async recordDryRun(actor: Actor, draft: StoredRelease): Promise<void> {
    await this.trail.record({
      actor: actor.ref,
      action: 'release.create',
      outcome: 'success',
      after: publicView(draft),
      meta: { dryRun: true },
    });
  }

  /**
   * The release a request would create, checked as create checks it, stored nowhere: the form's
   * review page shows its announcement and approvers before anything is written.
   */
  async draft(
    actor: Actor,
    input: CreateReleaseRequest,
  ): Promise<StoredRelease> {
    if (input.config) return this.draftConfig(actor, input, input.config);
    if (!input.apps || !input.items) {
      throw new InputError(
        input.apps
          ? 'items: must list at least one item that ships'
          : 'apps: must name at least one app',
      );
    }
    const apps = input.apps.map(a => a.app);
    if (new Set(apps).size !== apps.length) {
      throw new InputError('apps: an app is listed more than once');
    }
    input.apps.forEach((a, i) => {
      if (!isReleaseVersion(a.app, a.version)) {
        throw new InputError(
          `apps[${i}].version: '${a.version}' is not a ${a.app} version (${
            a.app === 'hybris'
              ? 'deploy-YYYY-MM-DD or a semver tag'
              : 'a commit SHA or a semver tag'
          })`,
        );
      }
      if (
        a.previousVersion !== undefined &&
        !isReleaseVersion(a.app, a.previousVersion)
      ) {
        throw new InputError(
          `apps[${i}].previousVersion: '${a.previousVersion}' is not a ${a.app} version`,
        );
      }
      const strategy = a.strategy ?? this.options.strategies[a.app];
      if (strategy !== this.options.strategies[a.app]) {
        throw new InputError(
          `apps[${i}].strategy: ${a.app} is released with ${
            this.options.strategies[a.app]
          }, not ${strategy}`,
        );
      }
      if (a.steps) this.checkSteps(a.steps, `apps[${i}].steps`);
    });
    input.items.forEach((item, i) => {
      if (item.app && !apps.includes(item.app)) {
        throw new InputError(
          `items[${i}].app: ${
            item.app
          } is not one of the release's apps (${apps.join(', ')})`,
        );
      }
    });

    const changeClasses = [
      ...new Set([
        ...(input.changeClasses ?? []),
        ...(input.dbUpdate ? ['dbChange'] : []),
      ]),
    ].sort();
    const floor = minimumGrade(this.policy, changeClasses);
    this.checkGradeFloor(input.grade, floor, changeClasses, input.gradeReason);

    const now = this.now().toISOString();
    const release: StoredRelease = {
      id: randomUUID(),
      product: this.options.product,
      title: input.title ?? defaultReleaseTitle(apps, this.now()),
      state: 'prepared',
      grade: input.grade,
      gradeReason: input.gradeReason,
      minimumGrade: floor,
      changeClasses,
      dbUpdate: input.dbUpdate,
      apps: input.apps.map(a => ({
        ...a,
        strategy: this.options.strategies[a.app],
        ...(this.options.strategies[a.app] === 'blue-green-steps'
          ? { steps: a.steps ?? this.options.defaultSteps }
          : {}),
      })),
      items: input.items,
      links: input.links ?? [],
      author: actor.ref,
      authorGroups: actor.groups,
      serviceTeams: await this.options.serviceTeamsOf(apps),
      approvals: [],
      retroApprovalPending: false,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    return release;
  }

  /**
   * A config release: grade A, its keys checked as its deploy plan will check them, and the apps
   * they belong to at the versions running now.
   */
  private async draftConfig(
    actor: Actor,
    input: CreateReleaseRequest,
    config: ReleaseConfig,
  ): Promise<StoredRelease> {
    if (input.grade !== 'A') {
      throw new InputError(
        `grade: a config release is grade A, not ${input.grade}`,
      );
    }
    if (input.dbUpdate) {
      throw new InputError(
        'dbUpdate: a config release changes IaC values, never the database',
      );
    }
    if (input.apps) {
      throw new InputError(
        'apps: a config release names none; they follow from config.changes, at the versions running now',
      );
    }
    if (!this.options.configCheck) {
      throw new InputError(
        'config: this backend has no release layout to check a config release against',
      );
    }
    const release = await this.draft(actor, {
      ...input,
      config: undefined,
      apps: [],
      items: input.items ?? [],
    });
    release.config = config;
    const running = await this.options.configCheck(release);
    release.apps = running.map(v => ({
      ...v,
      previousVersion: v.version,
      strategy: this.options.strategies[v.app],
    }));
    release.title =
      input.title ??
      defaultReleaseTitle(
        release.apps.map(a => a.app),
        this.now(),
      );
    release.serviceTeams = await this.options.serviceTeamsOf(
      release.apps.map(a => a.app),
    );
    return release;
  }

  async changeGrade(
    actor: Actor,
    id: string,
    input: { grade: ReleaseGrade; reason?: string },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(actor, id, ctx, 'release.grade', release => {
      this.mustBeAuthorOrAdmin(actor, release, 'change the grade of');
      if (
        !['draft', 'prepared', 'beta', 'rejected'].includes(release.state) &&
        !(
          release.state === 'awaiting_approval' &&
          release.approvals.length === 0
        )
      ) {
        throw new ConflictError(
          `state: the grade cannot change while the release is ${release.state}`,
        );
      }
      this.checkGradeFloor(
        input.grade,
        release.minimumGrade,
        release.changeClasses,
        input.reason,
      );
      release.grade = input.grade;
      release.gradeReason = input.reason;
    });
  }

  /**
   * Records a link on the release (its Asana task, an MR, a build); a URL already recorded is
   * left as it is, so a retried step never adds it twice.
   */
  async addLink(
    actor: Actor,
    id: string,
    link: ReleaseLink,
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(actor, id, ctx, 'release.link', release => {
      this.mustBeAuthorOrAdmin(actor, release, 'add links to');
      return pushLink(release, link);
    });
  }

  /**
   * Records the link of what a queued message made (the release's Asana task), as the release's
   * messages on behalf of the person who asked for it: their right was checked when it was queued.
   */
  async linkFromMessage(
    id: string,
    link: ReleaseLink,
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(releaseMessagesActor, id, ctx, 'release.link', release =>
      pushLink(release, link),
    );
  }

  /**
   * Queues a message a person asks for about their release (a form's post, an Asana comment or
   * task) with its audit row, in one transaction; `queue` returns false when its key was queued
   * already, and then nothing is written.
   */
  async queueMessage(
    actor: Actor,
    id: string,
    ctx: RequestContext,
    message: {
      /** What the audit row says: kind, key, destination. */
      meta: Record<string, unknown>;
      queue(release: StoredRelease, tx: Knex.Transaction): Promise<boolean>;
    },
  ): Promise<StoredRelease> {
    return this.mutate(
      actor,
      id,
      ctx,
      'release.message',
      (release, tx) => {
        this.mustBeAuthorOrAdmin(actor, release, 'send messages about');
        return message.queue(release, tx);
      },
      message.meta,
    );
  }

  async requestApproval(
    actor: Actor,
    id: string,
    ctx: RequestContext,
    /** The deploy run stopped on someone else's change, and this asks for its rebased plan. */
    options: { rebased?: boolean } = {},
  ): Promise<StoredRelease> {
    const release = await this.mutate(
      actor,
      id,
      ctx,
      'release.request-approval',
      async (r, tx) => {
        this.mustBeAuthorOrAdmin(actor, r, 'request approval of');
        if (r.state === 'paused' && !options.rebased) {
          throw new ConflictError(
            "state: the release is paused mid-deploy; only a run stopped on someone else's change asks for a new plan's approval, from the Deploy card",
          );
        }
        if (r.state === 'approved' || r.state === 'paused') {
          // Asked again (the plan changed): the approvals given stay on record but fill nothing.
          r.approvals = r.approvals.map(a =>
            a.stage === 'approval' &&
            a.decision === 'approve' &&
            !a.requirement.includes(':superseded:')
              ? {
                  ...a,
                  requirement: `${a.requirement}:superseded:${randomUUID()}`,
                }
              : a,
          );
          await this.store.supersedeApprovals(tx, r.id, r.approvals);
        }
        if (r.state === 'beta' && (await this.deployInFlight(tx, r.id))) {
          throw new ConflictError(
            'state: the release is still being tried on beta; ask for approval once its beta run has finished',
          );
        }
        const payment = testStanding(r, 'payment');
        if (payment.state === 'failed') {
          throw new ConflictError(
            `tests: the payment tests on ${
              payment.run.environment
            } failed for ${payment.failed
              .map(t => t.name)
              .join(
                ', ',
              )}; run them again on beta, or override with a reason (POST /releases/${
              r.id
            }/tests/override, kind payment)`,
          );
        }
        if (
          r.grade === 'E' &&
          this.requirementsFor(r, 'approval').every(q => q.after)
        ) {
          throw new ConflictError(
            'grade: grade E is deployed first and approved afterwards; deploy it instead',
          );
        }
        this.moveTo(r, 'awaiting_approval');
      },
    );
    await this.notifyApprovers(release, 'approval');
    return release;
  }

  async decide(
    actor: Actor,
    id: string,
    input: {
      decision: 'approve' | 'reject';
      stage: ApprovalStage;
      comment?: string;
      /** The deploy plan the approver saw. */
      fingerprint?: string;
    },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    if (input.decision === 'reject' && !input.comment?.trim()) {
      throw new InputError('comment: say why the release is rejected');
    }
    const wanted: ReleaseState =
      input.stage === 'approval' ? 'awaiting_approval' : 'awaiting_signoff';
    let approval: ReleaseApproval | undefined;
    const release = await this.mutate(
      actor,
      id,
      ctx,
      `release.${input.decision}`,
      async (r, tx) => {
        if (r.state !== wanted) {
          throw new ConflictError(
            `state: the release is ${r.state}, not ${wanted}`,
          );
        }
        const post = testStanding(r, 'post-deploy');
        if (
          input.stage === 'signoff' &&
          input.decision === 'approve' &&
          post.state === 'failed'
        ) {
          throw new ConflictError(
            `tests: the post-deploy tests failed (${post.failed
              .map(t => t.name)
              .join(
                ', ',
              )}); reject the release, or override with a reason before signing off`,
          );
        }
        const requirement = this.checkOrRefuse(
          actor,
          r,
          input.stage,
          ctx,
          `release.${input.decision}`,
        );
        approval = {
          id: randomUUID(),
          stage: input.stage,
          requirement:
            input.decision === 'approve'
              ? requirement.key
              : `${input.stage}:reject:${randomUUID()}`,
          role: requirement.role,
          approver: actor.ref,
          decision: input.decision,
          comment: input.comment,
          ...(input.fingerprint ? { planFingerprint: input.fingerprint } : {}),
          createdAt: this.now().toISOString(),
        };
        await this.insertApproval(tx, r, approval);
        if (input.decision === 'reject') {
          // A new plan of a run stopped mid-way is refused: the run stays paused, to abort or ask again.
          const midDeploy =
            input.stage === 'approval' && (await this.deployInFlight(tx, r.id));
          this.moveTo(r, midDeploy ? 'paused' : 'rejected');
        } else if (
          isStageComplete(this.requirementsFor(r, input.stage), approvalsOf(r))
        ) {
          this.moveTo(
            r,
            input.stage === 'approval' ? 'approved' : this.afterSignoff(r),
          );
        }
      },
    );
    if (approval)
      await this.safeNotify(() =>
        this.options.notifier?.decided(release, approval!),
      );
    return release;
  }

  async retroApprove(
    actor: Actor,
    id: string,
    input: { comment?: string },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(
      actor,
      id,
      ctx,
      'release.retro-approve',
      async (r, tx) => {
        if (!r.retroApprovalPending) {
          throw new ConflictError(
            'state: this release does not wait for a retro approval',
          );
        }
        const requirement = this.checkOrRefuse(
          actor,
          r,
          'approval',
          ctx,
          'release.retro-approve',
        );
        await this.insertApproval(tx, r, {
          id: randomUUID(),
          stage: 'approval',
          requirement: requirement.key,
          role: requirement.role,
          approver: actor.ref,
          decision: 'approve',
          comment: input.comment,
          createdAt: this.now().toISOString(),
        });
        if (
          isStageComplete(this.requirementsFor(r, 'approval'), approvalsOf(r))
        ) {
          r.retroApprovalPending = false;
          if (r.state === 'pending_retro_approval') this.moveTo(r, 'done');
        }
      },
    );
  }

  /**
   * The moves a person makes by hand: back to prepared, to beta, or closing a release that has
   * not started deploying (or failed). The deploy states are the engine's: Deploy, Pause, Abort.
   */
  async transition(
    actor: Actor,
    id: string,
    input: { to: ReleaseState; reason?: string },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(actor, id, ctx, 'release.transition', async (r, tx) => {
      this.mustBeAuthorOrAdmin(actor, r, 'move');
      if (!(humanTransitions as readonly string[]).includes(input.to)) {
        throw new InputError(
          `to: ${input.to} is not a move made by hand; the deploy states move by Deploy, Pause, Resume and Abort`,
        );
      }
      if (input.to === 'aborted' && !closableByHand.includes(r.state)) {
        throw new ConflictError(
          `state: the release is ${r.state}; abort it with Abort (POST /releases/${id}/abort), which reverts what was deployed`,
        );
      }
      if (input.to === 'aborted' && r.retroApprovalPending) {
        this.checkLeadDecision(
          actor,
          input.reason,
          'close a grade E release before its retro approval',
        );
      }
      // Approved again or asked again mid-deploy: what was deployed is reverted only by Abort.
      if (
        canTransition(r.state, input.to) &&
        (await this.deployInFlight(tx, r.id))
      ) {
        throw new ConflictError(
          `state: the release's deploy run stopped mid-way; resume it with its approved plan, or abort it with Abort (POST /releases/${id}/abort), which reverts what was deployed`,
        );
      }
      this.moveTo(r, input.to);
    });
  }

  /**
   * Goes on although the release's newest test run of a kind failed, with the person's reason:
   * the author (or an admin) for the payment tests before asking approval, a superior who may
   * sign off for the post-deploy tests. Audited as tests.override.
   */
  async overrideTests(
    actor: Actor,
    id: string,
    input: { kind: ReleaseTestKind; reason: string },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    const reason = input.reason?.trim() ?? '';
    if (reason.length < REASON_MIN) {
      throw new InputError(
        `reason: say why the failed tests may be passed over, in at least ${REASON_MIN} characters`,
      );
    }
    const current = await this.get(id);
    const standing = testStanding(current, input.kind);
    return this.mutate(
      actor,
      id,
      ctx,
      'tests.override',
      r => {
        const now = testStanding(r, input.kind);
        if (now.state !== 'failed') {
          const why = {
            none: 'have not run',
            passed: 'passed',
            overridden: 'are already overridden',
          }[now.state];
          throw new ConflictError(
            `tests: the ${input.kind} tests ${why}; there is nothing to override`,
          );
        }
        if (input.kind === 'payment') {
          this.mustBeAuthorOrAdmin(actor, r, 'override the payment tests of');
          if (!['prepared', 'beta'].includes(r.state)) {
            throw new ConflictError(
              `state: the release is ${r.state}; payment tests are overridden before approval is asked`,
            );
          }
        } else {
          if (r.state !== 'awaiting_signoff') {
            throw new ConflictError(
              `state: the release is ${r.state}; post-deploy tests are overridden at the sign-off`,
            );
          }
          const check = checkApproval(
            this.policy,
            this.policyInput(r, 'signoff', actor),
          );
          if (!check.ok) {
            throw new NotAllowedError(
              `Only whoever may sign off overrides the post-deploy tests: ${check.message}`,
            );
          }
        }
        r.testOverrides = [
          ...(r.testOverrides ?? []),
          {
            kind: input.kind,
            runId: now.run.runId,
            by: actor.ref,
            reason,
            at: this.now().toISOString(),
          },
        ];
        return true;
      },
      {
        kind: input.kind,
        reason,
        ...(standing.state === 'failed'
          ? {
              runId: standing.run.runId,
              failed: standing.failed.map(t => t.name),
            }
          : {}),
      },
    );
  }

  /**
   * A person's audited statement a deploy waits for: that the running version tolerates the new
   * database schema, before two versions share it.
   */
  async acknowledge(
    actor: Actor,
    id: string,
    input: { subject: 'db-schema'; comment: string },
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(actor, id, ctx, 'release.acknowledge', r => {
      if (!r.dbUpdate) {
        throw new ConflictError(
          'subject: this release changes no database schema; there is nothing to acknowledge',
        );
      }
      if (!isOpenReleaseState(r.state) || r.state === 'draft') {
        throw new ConflictError(`state: the release is ${r.state}`);
      }
      const acks = r.acknowledgements ?? [];
      if (acks.some(a => a.subject === input.subject)) return false;
      r.acknowledgements = [
        ...acks,
        {
          subject: input.subject,
          by: actor.ref,
          at: this.now().toISOString(),
          comment: input.comment,
        },
      ];
      return true;
    });
  }

  /**
   * A team lead lets a release run on outside the release windows, with a reason; the engine
   * then holds it at no step for the window.
   */
  async overrideWindow(
    actor: Actor,
    id: string,
    reason: string | undefined,
    ctx: RequestContext,
  ): Promise<StoredRelease> {
    return this.mutate(actor, id, ctx, 'release.window-override', r => {
      if (r.windowOverride) return false;
      this.checkWindow(actor, r, reason);
      return Boolean(r.windowOverride);
    });
  }

  /** Whether the release may change production now: inside a window, grade E, or overridden. */
  windowOpenFor(release: StoredRelease): boolean {
    return (
      release.grade === 'E' ||
      Boolean(release.windowOverride) ||
      isWithinReleaseWindow(this.policy, this.now())
    );
  }

  /** The next window's opening in words, for a message. */
  describeNextWindow(): string {
    const next = nextReleaseWindow(this.policy, this.now());
    return next
      ? `the next window opens ${describeWindowOpening(next)}`
      : 'no release window opens in the coming year';
  }

  /** Refuses unless the person holds a lead's role and gives a reason. */
  checkLeadDecision(
    actor: PolicyPerson,
    reason: string | undefined,
    what: string,
  ) {
    const roles = rolesOf(this.policy, actor);
    if (!this.policy.windowOverride.some(r => roles.includes(r))) {
      throw new NotAllowedError(
        `Only ${this.policy.windowOverride.join(', ')} may ${what}`,
      );
    }
    if (!reason || reason.trim().length < REASON_MIN) {
      throw new InputError(
        `reason: say why, in at least ${REASON_MIN} characters, to ${what}`,
      );
    }
  }

  /** Releases waiting for this person's decision, with the requirement they would fill. */
  async pendingFor(actor: Actor) {
    const open: StoredRelease[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.list({
        state: releaseStates.filter(isOpenReleaseState),
        limit: 200,
        cursor,
      });
      open.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const pending = [];
    for (const r of open) {
      const stage = waitingStage(r);
      if (!stage) continue;
      const check = checkApproval(
        this.policy,
        this.policyInput(r, stage, actor),
      );
      if (check.ok)
        pending.push({ release: r, stage, requirement: check.requirement });
    }
    return pending;
  }

  /** The approvals a release needs at a stage, and which are given. */
  requirementsFor(
    release: StoredRelease,
    stage: ApprovalStage,
  ): ApprovalRequirement[] {
    return requiredApprovals(this.policy, {
      grade: release.grade,
      stage,
      author: { ref: release.author, groups: release.authorGroups },
    });
  }

  /** What the page shows next to the Approve button for this person. */
  approvalCheck(
    release: StoredRelease,
    stage: ApprovalStage,
    actor: PolicyPerson,
  ) {
    return checkApproval(this.policy, this.policyInput(release, stage, actor));
  }

  private policyInput(
    release: StoredRelease,
    stage: ApprovalStage,
    approver: PolicyPerson,
  ) {
    return {
      grade: release.grade,
      stage,
      author: { ref: release.author, groups: release.authorGroups },
      approver: { ref: approver.ref, groups: approver.groups },
      serviceTeams: release.serviceTeams,
      given: approvalsOf(release),
    };
  }

  private checkOrRefuse(
    actor: Actor,
    release: StoredRelease,
    stage: ApprovalStage,
    ctx: RequestContext,
    action: string,
  ): ApprovalRequirement {
    const check = checkApproval(
      this.policy,
      this.policyInput(release, stage, actor),
    );
    if (check.ok) return check.requirement;
    throw new PolicyRefusal(
      {
        actor: actor.ref,
        action,
        releaseId: release.id,
        outcome: 'failure',
        ...traceOf(ctx),
        meta: {
          ...traceOf(ctx).meta,
          stage,
          refusal: check.code,
          message: check.message,
          roles: rolesOf(this.policy, actor),
        },
      },
      check.code === 'already' || check.code === 'filled'
        ? new ConflictError(check.message)
        : new NotAllowedError(check.message),
    );
  }

  private async insertApproval(
    tx: Knex.Transaction,
    release: StoredRelease,
    approval: ReleaseApproval,
  ) {
    try {
      await this.store.insertApproval(tx, release.id, approval);
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new ConflictError('This approval was just given by someone else');
      }
      throw e;
    }
    release.approvals.push(approval);
  }

  /** Whether a deploy run of the release is not over (paused mid-way while a new plan is approved). */
  private async deployInFlight(
    tx: Knex.Transaction,
    id: string,
  ): Promise<boolean> {
    return Boolean(
      await tx('deploy_runs')
        .where({ active_release_id: id, kind: 'deploy' })
        .first('id'),
    );
  }

  private afterSignoff(release: StoredRelease): ReleaseState {
    return release.apps.some(a => a.strategy === 'blue-green-steps')
      ? 'switching'
      : 'announced';
  }

  private checkSteps(steps: number[], field: string) {
    if (steps.length === 0)
      throw new InputError(`${field}: give at least one step`);
    steps.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
        throw new InputError(
          `${field}[${i}]: ${n} is not a replica count between 1 and ${MAX_REPLICAS}`,
        );
      }
      if (i > 0 && n <= steps[i - 1]) {
        throw new InputError(
          `${field}[${i}]: steps must rise (${steps[i - 1]} then ${n})`,
        );
      }
    });
  }

  private checkGradeFloor(
    grade: ReleaseGrade,
    floor: ReleaseGrade,
    classes: string[],
    reason?: string,
  ) {
    if (compareGrades(grade, floor) >= 0) return;
    if (!reason || reason.trim().length < REASON_MIN) {
      throw new InputError(
        `gradeReason: grade ${grade} is below ${floor}, the floor set by ${classes.join(
          ', ',
        )}; give a reason of at least ${REASON_MIN} characters`,
      );
    }
  }

  private checkWindow(actor: Actor, release: StoredRelease, reason?: string) {
    const now = this.now();
    if (release.grade === 'E' || isWithinReleaseWindow(this.policy, now))
      return;
    const next = nextReleaseWindow(this.policy, now);
    const when = next
      ? `The next window opens ${describeWindowOpening(next)}`
      : 'No release window opens in the coming year';
    // The error body carries the opening too, so a page can show it in the reader's own zone.
    const withNextWindow = <E extends Error>(error: E) =>
      next
        ? Object.assign(error, {
            nextWindow: {
              opensAt: next.opensAt.toISOString(),
              closesAt: next.closesAt.toISOString(),
              tz: next.tz,
            },
          })
        : error;
    const roles = rolesOf(this.policy, actor);
    if (!this.policy.windowOverride.some(r => roles.includes(r))) {
      throw withNextWindow(
        new NotAllowedError(
          `Outside the release windows only grade E deploys, or ${this.policy.windowOverride.join(
            ', ',
          )} may override with a reason. ${when}`,
        ),
      );
    }
    if (!reason || reason.trim().length < REASON_MIN) {
      throw withNextWindow(
        new InputError(
          `reason: deploying outside the release windows needs a reason of at least ${REASON_MIN} characters. ${when}`,
        ),
      );
    }
    release.windowOverride = { by: actor.ref, reason };
  }

  private mustBeAuthorOrAdmin(
    actor: Actor,
    release: StoredRelease,
    what: string,
  ) {
    if (actor.ref !== release.author && !actor.isAdmin) {
      throw new NotAllowedError(
        `Only the author or a release admin may ${what} this release`,
      );
    }
  }

  private moveTo(release: StoredRelease, to: ReleaseState) {
    if (!canTransition(release.state, to)) {
      throw new ConflictError(
        `state: a release cannot go from ${release.state} to ${to}`,
      );
    }
    release.state = to;
  }

  /**
   * Reads, changes and writes a release in one transaction with its audit row; retries when
   * another writer got there first, so decisions are made on what is really stored.
   */
  private async mutate(
    actor: Actor,
    id: string,
    ctx: RequestContext,
    action: string,
    /** Returns false when the release is already as asked: nothing is written or audited. */
    change: (
      release: StoredRelease,
      tx: Knex.Transaction,
    ) => void | boolean | Promise<void | boolean>,
    /** What the audit row says besides the release before and after, e.g. a reason. */
    meta?: Record<string, unknown>,
  ): Promise<StoredRelease> {
    for (let attempt = 1; ; attempt++) {
      let written = false;
      try {
        const stored = await this.options.knex.transaction(async tx => {
          const release = await this.store.get(id, tx);
          if (!release) throw new NotFoundError(`No release with id ${id}`);
          // A deep copy: changes push into the release's arrays, which a shallow view would share.
          const before = structuredClone(publicView(release));
          const revision = release.revision;
          if ((await change(release, tx)) === false) return release;
          release.revision = revision + 1;
          release.updatedAt = this.now().toISOString();
          await this.store.update(tx, release, revision);
          const entry: AuditEntry = {
            actor: actor.ref,
            action,
            releaseId: id,
            outcome: 'success',
            before,
            after: publicView(release),
            ...traceOf(ctx),
          };
          if (meta) entry.meta = { ...entry.meta, ...meta };
          await this.trail.append(tx, entry);
          written = true;
          return release;
        });
        // Only once committed: a page that re-reads at once must find the change.
        if (written) await this.publish(stored, action);
        if (written && actor.ref !== releaseEngineActor.ref) {
          this.tellListeners(stored, action);
        }
        return stored;
      } catch (e) {
        if (e instanceof PolicyRefusal) {
          // Refusals are evidence too: recorded after the failed transaction rolled back.
          await this.trail.record(e.entry);
          throw e.error;
        }
        if (e instanceof RevisionConflict && attempt < RETRIES) continue;
        if (e instanceof RevisionConflict) {
          throw new ConflictError(
            'The release changed meanwhile; reload and try again',
          );
        }
        throw e;
      }
    }
  }

  /**
   * Calls `listener` after each change a person makes, once committed (a sign-off, an
   * acknowledgement): the engine wakes the run that may wait for it.
   */
  listen(listener: (release: StoredRelease, action: string) => void) {
    this.listeners.push(listener);
  }

  private tellListeners(release: StoredRelease, action: string) {
    for (const listener of this.listeners) {
      try {
        listener(release, action);
      } catch (e) {
        this.options.logger.warn(
          `A release listener failed on ${action}: ${(e as Error).message}`,
        );
      }
    }
  }

  /** Says on the release channel that a release changed (and nudges its messages); never throws. */
  private async publish(release: StoredRelease, action: string) {
    this.options.messages?.nudge();
    if (!this.options.signals) return;
    const message: ReleaseSignal = {
      releaseId: release.id,
      state: release.state,
      revision: release.revision,
      action,
    };
    try {
      await this.options.signals.publish({
        recipients: { type: 'broadcast' },
        channel: releaseSignalChannel,
        message: { ...message },
      });
    } catch (e) {
      this.options.logger.warn(
        `Could not publish the change of release ${release.id}: ${
          (e as Error).message
        }`,
      );
    }
  }

  private async notifyApprovers(release: StoredRelease, stage: ApprovalStage) {
    const groups = [
      ...new Set(
        this.requirementsFor(release, stage)
          .map(r => this.policy.roles[r.role]?.group)
          .filter((g): g is string => Boolean(g)),
      ),
    ];
    await this.safeNotify(() =>
      this.options.notifier?.approvalsNeeded(release, groups, stage),
    );
  }

  private async safeNotify(send: () => Promise<void> | undefined) {
    try {
      await send();
    } catch (e) {
      this.options.logger.warn(
        `Could not send a release notification: ${(e as Error).message}`,
      );
    }
  }

  /**
   * The release engine's one way to write, so that only it moves a release through the deploy
   * states. `record` writes the run's change on the transaction and says where the release goes:
   * forward along the deploy states by the transition table (a phase already passed is left as
   * it is), or to paused, failed, aborted or rolled_back where the table allows it. Entering
   * deploying is a Deploy press: approved, or grade E before approval, inside a window or
   * overridden by `person`. One audit row names the engine and the person it acts for; the
   * release's own row follows when it moves; all in one transaction, through mutate().
   */
  async engineMove(
    id: string,
    ctx: RequestContext,
    change: {
      action: string;
      outcome?: 'success' | 'failure';
      /** Who pressed Deploy, when the release enters deploying. */
      person?: Actor;
      /** Why a deploy outside the release windows goes ahead. */
      reason?: string;
      /** Returns false when there is nothing to record: no row is written. */
      record(
        tx: Knex.Transaction,
        release: StoredRelease,
      ): Promise<
        | false
        | {
            to?: ReleaseState;
            meta?: Record<string, unknown>;
            /** A stage's outcome: recorded on the release, with its own audit row. */
            stage?: EngineStage;
          }
      >;
    },
  ): Promise<StoredRelease> {
    const forward: ReleaseState[] = [
      'deploying',
      'verifying',
      'awaiting_signoff',
      'switching',
      'announced',
      'scaling_down',
      'done',
    ];
    // paused sits where deploying does; pending_retro_approval is the end for grade E.
    const aliases: Partial<Record<ReleaseState, ReleaseState>> = {
      paused: 'deploying',
      pending_retro_approval: 'done',
    };
    const rank = (s: ReleaseState) => forward.indexOf(aliases[s] ?? s);
    let deployedEarly = false;
    let enteredSignoff = false;
    let moved = false;
    let stepped = false;
    const release = await this.mutate(
      releaseEngineActor,
      id,
      ctx,
      'release.engine-move',
      async (r, tx) => {
        deployedEarly = false;
        enteredSignoff = false;
        stepped = false;
        const recorded = await change.record(tx, r);
        if (recorded === false) return false;
        const from = r.state;
        // A grade E release cannot close before its retro approval: it waits for it instead.
        const to =
          recorded.to === 'done' && r.retroApprovalPending
            ? 'pending_retro_approval'
            : recorded.to;
        if (to === 'deploying' && rank(r.state) < 0 && r.state !== 'paused') {
          if (r.state !== 'approved' && r.grade !== 'E') {
            throw new ConflictError(
              `state: grade ${r.grade} must be approved before deploying (it is ${r.state})`,
            );
          }
          if (!change.person) {
            throw new ConflictError(
              'state: a deploy starts only when a person presses Deploy',
            );
          }
          this.checkWindow(change.person, r, change.reason);
          if (r.state !== 'approved') {
            r.retroApprovalPending = true;
            deployedEarly = true;
          }
          this.moveTo(r, 'deploying');
        } else if (to && rank(to) >= 0 && to !== 'paused') {
          if (r.state === 'paused' && rank(to) >= rank('deploying')) {
            this.moveTo(r, 'deploying');
          }
          while (rank(r.state) < rank(to)) {
            const at = r.state;
            // The furthest state the table allows on the way, so a phase a release skips is skipped.
            const next = [...forward.filter(s => s !== 'done'), to]
              .filter(s => rank(s) > rank(at) && rank(s) <= rank(to))
              .sort((a, b) => rank(b) - rank(a))
              .find(s => rank(at) >= 0 && canTransition(at, s));
            if (!next) {
              throw new ConflictError(
                `state: the engine cannot move the release from ${at} to ${to}`,
              );
            }
            if (
              at === 'awaiting_signoff' &&
              !isStageComplete(
                this.requirementsFor(r, 'signoff'),
                approvalsOf(r),
              )
            ) {
              throw new ConflictError(
                `state: the release waits for its sign-off before ${next}; nobody skips it`,
              );
            }
            this.moveTo(r, next);
          }
        } else if (to && to !== r.state && canTransition(r.state, to)) {
          this.moveTo(r, to);
        }
        enteredSignoff = r.state === 'awaiting_signoff' && from !== r.state;
        const stage = recorded.stage;
        if (stage) {
          stage.apply(r);
          await this.trail.append(tx, {
            actor: releaseEngineActor.ref,
            action: stage.action,
            releaseId: id,
            outcome: stage.outcome,
            requestId: ctx.requestId,
            meta: {
              ...(ctx.onBehalfOf ? { onBehalfOf: ctx.onBehalfOf } : {}),
              ...stage.meta,
            },
          });
        }
        await this.trail.append(tx, {
          actor: releaseEngineActor.ref,
          action: change.action,
          releaseId: id,
          outcome: change.outcome ?? 'success',
          requestId: ctx.requestId,
          meta: {
            ...(ctx.onBehalfOf ? { onBehalfOf: ctx.onBehalfOf } : {}),
            ...recorded.meta,
            ...(r.state !== from ? { from, to: r.state } : {}),
          },
        });
        moved = r.state !== from;
        stepped = !moved && !stage;
        return moved || Boolean(stage);
      },
    );
    // A run's step moved without the release: the pages still hear of it, once committed.
    if (stepped) await this.publish(release, change.action);
    if (deployedEarly) await this.notifyApprovers(release, 'approval');
    // The superiors are asked once, when the engine reaches the sign-off.
    if (release.state === 'awaiting_signoff' && enteredSignoff) {
      await this.notifyApprovers(release, 'signoff');
    }
    return release;
  }
}

/**
 * A stage's outcome the engine records with a step: the change to the release (a build, a test
 * run) and the audit row that says it, e.g. deploy.build or tests.payment.
 */
export interface EngineStage {
  action: string;
  outcome: 'success' | 'failure';
  meta: Record<string, unknown>;
  apply(release: StoredRelease): void;
}

/** The request id of an audit row, and whom the actor acted for when it was the engine. */
function traceOf(ctx: RequestContext): Pick<AuditEntry, 'requestId' | 'meta'> {
  return {
    requestId: ctx.requestId,
    ...(ctx.onBehalfOf ? { meta: { onBehalfOf: ctx.onBehalfOf } } : {}),
  };
}

/** The stage at which a release waits for approvers, if it does. */
function waitingStage(release: StoredRelease): ApprovalStage | undefined {
  if (release.state === 'awaiting_approval' || release.retroApprovalPending) {
    return 'approval';
  }
  return release.state === 'awaiting_signoff' ? 'signoff' : undefined;
}

function approvalsOf(release: StoredRelease) {
  return release.approvals
    .filter(a => a.decision === 'approve')
    .map(a => ({ requirement: a.requirement, approver: a.approver }));
}

/** The release as served: without the policy snapshot columns. */
export function publicView(release: StoredRelease) {
  const { authorGroups: _g, serviceTeams: _t, ...rest } = release;
  return rest;
}
