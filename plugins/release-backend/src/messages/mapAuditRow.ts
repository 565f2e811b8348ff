import {
  announcedVersions,
  describeWindowOpening,
  isWithinReleaseWindow,
  nextReleaseWindow,
  renderQaRequest,
  type GradePolicy,
  type Release,
  type ReleaseApp,
  type ReleaseApproval,
  type ReleaseAuditRecord,
  type ReleaseState,
} from '@internal/plugin-release-common';
import { userNameOf } from '../service/doors';
import type { MessagePayload, OutgoingMessage } from './types';

/** What the mapping of one audit row needs besides the row: all read before, so it stays pure. */
export interface MessageContext {
  /** The release as it is now (names, apps, links); the row says what changed. */
  release: Release;
  policy: GradePolicy;
  /** release.notify.slack: audience → channel. */
  channels: Record<string, string>;
  /** release.apps.<app>.onCall: user refs or e-mail addresses. */
  onCall: Partial<Record<ReleaseApp, string[]>>;
  /** The release page. */
  pageUrl: string;
  /** The deploy run a row names by meta.runId. */
  run?: { environment: string; kind: string };
  /** People to ask directly when the row asks for a decision (approval or sign-off). */
  approvers: string[];
  /** Payment-test brands the QA request names. */
  paymentBrands: string[];
  /** Which systems are configured: no message is queued for one that is not. */
  systems: { slack: boolean; asana: boolean };
}

const str = (v: unknown): string | undefined => {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? v : undefined;
};

const stateOf = (v: unknown): ReleaseState | undefined => {
  const state = (v as { state?: unknown } | undefined)?.state;
  return typeof state === 'string' ? (state as ReleaseState) : undefined;
};

/** The release's state before and after a row that wrote the release (its before/after views). */
export function stateChangeOf(row: ReleaseAuditRecord): {
  from?: ReleaseState;
  to?: ReleaseState;
} {
  return { from: stateOf(row.before), to: stateOf(row.after) };
}

const head = (release: Release) => `[${release.product}]`;

const gradeOf = (ctx: MessageContext) =>
  `${ctx.release.grade}(${ctx.policy.grades[ctx.release.grade]?.label ?? ''})`;

/** When the deploy may start: now inside a window (or grade E), else the next window's opening. */
function plannedTime(ctx: MessageContext, at: string): string {
  const now = new Date(at);
  if (ctx.release.grade === 'E') return 'at once (grade E)';
  if (isWithinReleaseWindow(ctx.policy, now)) return 'in this release window';
  const next = nextReleaseWindow(ctx.policy, now);
  return next
    ? `the next release window, ${describeWindowOpening(next)}`
    : 'no release window in the coming year';
}

/** The decision the row recorded: the row's actor's last approval in the release after it. */
function decisionOf(row: ReleaseAuditRecord): ReleaseApproval | undefined {
  const approvals = (row.after as { approvals?: ReleaseApproval[] } | undefined)
    ?.approvals;
  return approvals?.filter(a => a.approver === row.actor).pop();
}

function approversOf(row: ReleaseAuditRecord): string {
  const approvals = (row.after as { approvals?: ReleaseApproval[] } | undefined)
    ?.approvals;
  return [
    ...new Set(
      (approvals ?? [])
        .filter(
          a =>
            a.stage === 'approval' &&
            a.decision === 'approve' &&
            !a.requirement.includes(':superseded:'),
        )
        .map(a => userNameOf(a.approver)),
    ),
  ].join(', ');
}

/** A failure that stopped the run (not one the engine tries again). */
function isFinalFailure(meta: Record<string, unknown>): boolean {
  return meta.retryAt === undefined;
}

/** hybris.scale-up.3 → hybris; a step of no one app (signoff) concerns every app of the release. */
function appsOfStep(stepId: string, release: Release): ReleaseApp[] {
  const apps = release.apps.map(a => a.app);
  const named = apps.filter(
    app => stepId.split('.').includes(app) || stepId.startsWith(`${app}.`),
  );
  return named.length > 0 ? named : apps;
}

/** The Asana task the release links to (kop:asana:task records it as the link titled Asana). */
export function asanaTaskOf(
  release: Pick<Release, 'links'>,
): string | undefined {
  const link = release.links.find(l => l.title === 'Asana');
  if (!link) return undefined;
  return (
    /\/task\/(\d+)/.exec(link.url)?.[1] ??
    /\/(\d+)(?:\/f)?\/?$/.exec(link.url)?.[1]
  );
}

function newAsanaLink(row: ReleaseAuditRecord): boolean {
  const links = (v: unknown) =>
    (
      (v as { links?: Array<{ title: string }> } | undefined)?.links ?? []
    ).filter(l => l.title === 'Asana').length;
  return links(row.after) > links(row.before);
}

function testResultsOf(
  value: unknown,
): Array<{ name: string; result: string; url?: string }> {
  if (!Array.isArray(value)) return [];
  return value.map(r => {
    const o = (r ?? {}) as Record<string, unknown>;
    return {
      name: str(o.brand) ?? str(o.name) ?? str(o.job) ?? 'test',
      result: str(o.result) ?? 'unknown',
      ...(str(o.url) ? { url: str(o.url) } : {}),
    };
  });
}

/** Collects the messages of one row, each keyed by the row and its role. */
class Messages {
  readonly list: OutgoingMessage[] = [];
  private readonly taskGid?: string;

  constructor(
    private readonly row: ReleaseAuditRecord,
    private readonly ctx: MessageContext,
  ) {
    this.taskGid = asanaTaskOf(ctx.release);
  }

  private add(
    role: string,
    audience: string,
    payload: MessagePayload,
    urgent = false,
  ) {
    this.list.push({
      key: `${this.row.id}/${role}`,
      releaseId: this.ctx.release.id,
      audience,
      ...(urgent ? { urgent } : {}),
      payload,
    });
  }

  /** A post to one audience's channel, when Slack and that channel are configured. */
  post(audience: string, role: string, text: string) {
    const channel = this.ctx.channels[audience];
    if (!this.ctx.systems.slack || !channel) return;
    this.add(`${role}/${audience}`, audience, {
      kind: 'slack.post',
      channel,
      text,
    });
  }

  /** A post to the audience the release's grade names. */
  share(role: string, text: string) {
    const audience = this.ctx.policy.grades[this.ctx.release.grade]?.share;
    if (audience) this.post(audience, role, text);
  }

  /** A direct message with the link to each person asked to decide. */
  askDirectly(text: string) {
    if (!this.ctx.systems.slack) return;
    for (const person of this.ctx.approvers) {
      this.add(`ask/${person}`, 'approver', {
        kind: 'slack.direct',
        to: person,
        text,
      });
    }
  }

  /** An urgent direct message to the seniors on call for these apps. */
  page(apps: ReleaseApp[], what: string) {
    if (!this.ctx.systems.slack) return;
    const people = new Set(apps.flatMap(app => this.ctx.onCall[app] ?? []));
    for (const person of people) {
      this.add(
        `page/${person}`,
        'on-call',
        {
          kind: 'slack.direct',
          to: person,
          text: `🚨 [긴급 urgent] ${head(this.ctx.release)} ${what}\n${
            this.ctx.release.title
          }\n${this.ctx.pageUrl}`,
        },
        true,
      );
    }
  }

  comment(role: string, text: string) {
    if (!this.ctx.systems.asana || !this.taskGid) return;
    this.add(`asana-comment/${role}`, 'asana', {
      kind: 'asana.comment',
      taskGid: this.taskGid,
      text: `${text}\n${this.ctx.pageUrl}`,
    });
  }

  fields(
    role: string,
    values: Extract<MessagePayload, { kind: 'asana.fields' }>['values'],
  ) {
    if (!this.ctx.systems.asana || !this.taskGid) return;
    this.add(`asana-fields/${role}`, 'asana', {
      kind: 'asana.fields',
      taskGid: this.taskGid,
      values,
    });
  }

  /** What reaching a state tells: deployed (waiting for the sign-off), done, aborted. */
  stateReached(state: ReleaseState, where: string) {
    const { release, pageUrl } = this.ctx;
    switch (state) {
      case 'awaiting_signoff':
        this.comment(
          'deployed',
          `${where}배포 완료, 결과 확인 대기 (deployed; waiting for the sign-off)`,
        );
        this.askDirectly(
          `${head(
            release,
          )} 배포 결과 확인 부탁드립니다 (your sign-off of the test results is asked): ${
            release.title
          }\n${pageUrl}`,
        );
        break;
      case 'done':
      case 'pending_retro_approval':
        this.share(
          'done',
          `${head(release)} 배포 완료 (done): ${release.title}${
            state === 'pending_retro_approval'
              ? ' — 사후 승인 대기 (waiting for the retro approval)'
              : ''
          }\n${pageUrl}`,
        );
        this.comment('done', '배포 완료 (done)');
        if (state === 'done' && this.ctx.systems.asana && this.taskGid) {
          this.add('asana-complete', 'asana', {
            kind: 'asana.complete',
            taskGid: this.taskGid,
          });
        }
        break;
      case 'aborted':
      case 'rolled_back':
        this.share(
          'ended',
          `${head(release)} ${
            state === 'aborted'
              ? '배포 중단 (aborted)'
              : '롤백 완료 (rolled back)'
          }: ${release.title}\n${pageUrl}`,
        );
        this.comment(
          'ended',
          state === 'aborted'
            ? '배포 중단 (aborted)'
            : '롤백 완료 (rolled back)',
        );
        break;
      default:
        break;
    }
  }
}

/** Rows that may ask someone to decide: the relay reads the approvers only for these. */
export function decisionStageOf(
  row: ReleaseAuditRecord,
): 'approval' | 'signoff' | undefined {
  if (row.outcome !== 'success') return undefined;
  if (row.action === 'release.request-approval') return 'approval';
  const { from, to } = stateChangeOf(row);
  if (to === 'awaiting_signoff' && from !== to) return 'signoff';
  return undefined;
}

/**
 * The messages one audit row means, each with a key made of the row's id and its role, so relaying
 * a row twice queues nothing new. Slack goes to the audience the grade names (release.grades.*.share),
 * the internal notice to the team, the QA request to the QA room once a beta deploy really ended,
 * pages to the app's seniors on call; Asana gets the state, the fields, a comment per stage and is
 * completed at done.
 */
export function mapAuditRow(
  row: ReleaseAuditRecord,
  ctx: MessageContext,
): OutgoingMessage[] {
  if (!row.releaseId || row.meta?.dryRun) return [];
  const out = new Messages(row, ctx);
  const { release } = ctx;
  const meta = row.meta ?? {};
  const env = ctx.run?.environment ?? str(meta.environment) ?? '';
  const where = env ? `[${env}] ` : '';
  const by = userNameOf(str(meta.onBehalfOf) ?? row.actor);
  const page = ctx.pageUrl;
  const after = row.after as Partial<Release> | undefined;

  if (row.outcome === 'success') {
    switch (row.action) {
      case 'release.create':
        out.post(
          'team',
          'notice',
          [
            `${head(release)} 배포 준비 (release prepared): ${release.title}`,
            `- 배포버전: ${announcedVersions(release.apps)}`,
            `- 배포등급: ${gradeOf(ctx)}, DB 업데이트 여부: ${
              release.dbUpdate ? 'Y' : 'N'
            }`,
            `- 담당 (by): ${userNameOf(release.author)}`,
            `- 예정 (planned): ${plannedTime(ctx, row.at)}`,
            page,
          ].join('\n'),
        );
        break;
      case 'release.request-approval':
        out.share(
          'approval-requested',
          `${head(release)} 승인 요청 (approval requested): ${
            release.title
          } — ${gradeOf(ctx)}, by ${userNameOf(release.author)}\n${page}`,
        );
        out.askDirectly(
          `${head(release)} 승인 요청드립니다 (your approval is asked): ${
            release.title
          } — ${gradeOf(ctx)}, by ${userNameOf(release.author)}\n${page}`,
        );
        break;
      case 'release.approve':
      case 'release.reject': {
        const decision = decisionOf(row);
        const signoff = decision?.stage === 'signoff';
        let word = signoff ? '결과 확인 (signed off)' : '승인 (approved)';
        if (row.action === 'release.reject') word = '반려 (rejected)';
        const state = stateChangeOf(row).to;
        const complete =
          state === 'approved'
            ? ' — 승인 완료, 배포할 수 있습니다 (all approvals given: ready to deploy)'
            : '';
        const why = decision?.comment
          ? `\n사유 (comment): ${decision.comment}`
          : '';
        out.share(
          'decision',
          `${head(release)} ${word} by ${userNameOf(row.actor)}: ${
            release.title
          }${complete}${why}\n${page}`,
        );
        if (state === 'approved') {
          out.comment('approved', `승인 완료 (approved): ${approversOf(row)}`);
        }
        break;
      }
      case 'deploy.start': {
        const kind = str(meta.kind) ?? 'deploy';
        const what =
          {
            abort: '중단 시작 (abort started): the safe revert runs',
            rollback: '롤백 시작 (rollback started)',
          }[kind] ?? '배포 시작 (deploy started)';
        out.share(
          'deploy-start',
          `${head(release)} ${where}${what} by ${by}: ${
            release.title
          }\n${page}`,
        );
        break;
      }
      case 'deploy.pause':
        out.share(
          'paused',
          `${head(release)} ${where}일시정지 (paused) by ${by}: ${
            release.title
          }\n다음 (next): Resume when ready, or Abort (the safe revert).\n${page}`,
        );
        out.page(
          release.apps.map(a => a.app),
          `${where}deploy paused by ${by}`,
        );
        break;
      case 'deploy.hold':
        out.share(
          'held',
          `${head(release)} ${where}보류 (held) before ${str(
            meta.stepId,
          )}: ${str(
            meta.reason,
          )}\n다음 (next): it goes on when resumed.\n${page}`,
        );
        break;
      case 'deploy.step.done':
        if (str(meta.stepId)?.endsWith('.switch')) {
          out.share(
            'switched',
            `${head(release)} ${where}전환 완료 (switched): ${
              release.title
            } now serves the new version\n${page}`,
          );
          out.comment('switched', `${where}전환 완료 (switched)`);
        }
        break;
      case 'deploy.end':
        if (
          meta.state === 'done' &&
          ctx.run?.kind === 'deploy' &&
          ctx.run.environment === 'beta'
        ) {
          out.post(
            'qa',
            'qa-request',
            renderQaRequest(release, ctx.policy, {
              brands: ctx.paymentBrands,
              portalUrl: page.replace(/\/releases\/[^/]+$/, ''),
            }),
          );
          out.comment('beta-done', '베타 배포 완료 (deployed to beta)');
          out.comment(
            'qa-asked',
            `QA 요청 (QA asked) in ${ctx.channels.qa ?? 'the QA room'}`,
          );
        }
        break;
      case 'release.grade':
        out.fields('grade', {
          grade: after?.grade ?? release.grade,
          dbUpdate: after?.dbUpdate ?? release.dbUpdate,
        });
        break;
      case 'release.link':
        // As the row wrote it: the release may have moved on since.
        if (newAsanaLink(row)) {
          out.fields('linked', {
            grade: after?.grade ?? release.grade,
            dbUpdate: after?.dbUpdate ?? release.dbUpdate,
            state: after?.state ?? release.state,
          });
        }
        break;
      case 'deploy.build': {
        const app = str(meta.app) ?? '';
        const number = meta.buildNumber;
        const ok = meta.result === 'success';
        const line = `빌드 (build) ${app} #${number}: ${meta.result}${
          meta.url ? ` ${meta.url}` : ''
        }`;
        if (ok && number !== undefined) {
          out.fields('build', { buildNumber: String(number) });
        }
        out.comment('build', line);
        if (!ok) out.share('build-failed', `${head(release)} ${line}\n${page}`);
        break;
      }
      case 'tests.payment':
      case 'tests.post-deploy': {
        const results = testResultsOf(meta.results);
        const failed = results.filter(
          r => r.result !== 'passed' && r.result !== 'success',
        );
        const name =
          row.action === 'tests.payment'
            ? '결제 테스트 (payment tests)'
            : '배포 후 테스트 (post-deploy tests)';
        const line = `${where}${name}: ${results
          .map(r => `${r.name} ${r.result}`)
          .join(', ')}`;
        out.comment(
          row.action,
          [
            line,
            ...results.flatMap(r => (r.url ? [`- ${r.name}: ${r.url}`] : [])),
          ].join('\n'),
        );
        if (failed.length > 0) {
          out.share(
            row.action,
            `${head(release)} ${line}\n${failed
              .map(r => `- ${r.name}: ${r.url ?? r.result}`)
              .join('\n')}\n${page}`,
          );
        }
        break;
      }
      case 'tests.override':
        out.comment(
          'override',
          `테스트 결과 예외 승인 (${str(
            meta.kind,
          )} tests overridden) by ${userNameOf(row.actor)}: ${str(
            meta.reason,
          )}`,
        );
        break;
      default:
        break;
    }
  } else if (row.action === 'deploy.step.fail' && isFinalFailure(meta)) {
    const stepId = str(meta.stepId) ?? 'a step';
    const aborting = meta.then === 'abort';
    let stopped = meta.run === 'failed' ? '실패 (failed)' : '일시정지 (paused)';
    if (aborting) stopped = '중단 중 (aborting)';
    const next = aborting
      ? 'The engine aborts the release: its safe revert runs by itself.'
      : 'Retry the step, skip it (a lead, with a reason) or abort.';
    out.share(
      'failed',
      `${head(release)} ${where}배포 ${stopped} at ${stepId}: ${str(
        meta.error,
      )}\n다음 (next): ${next}\n${page}`,
    );
    out.page(
      appsOfStep(stepId, release),
      `${where}deploy ${
        meta.run === 'failed' ? 'failed' : 'paused'
      } at ${stepId}: ${str(meta.error)}`,
    );
  }

  const { from, to } = stateChangeOf(row);
  if (row.outcome === 'success' && to && from !== to) {
    out.fields('state', { state: to });
    out.stateReached(to, where);
  }
  return out.list;
}
