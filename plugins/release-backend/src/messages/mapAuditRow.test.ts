import {
  defaultGradePolicy,
  type Release,
  type ReleaseAuditRecord,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import { asanaTaskOf, mapAuditRow, type MessageContext } from './mapAuditRow';
import type { OutgoingMessage } from './types';

const PAGE = 'http://portal.test/releases/r-1';
const TASK = '1200000000000777';

const release = (over: Partial<Release> = {}): Release => ({
  id: 'r-1',
  product: 'kop',
  title: '2026.01.08 hybris, web',
  state: 'prepared',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [
    {
      app: 'hybris',
      version: 'deploy-2026-01-08',
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
    },
    {
      app: 'web',
      version: 'a7ed4db19c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f',
      strategy: 'sync',
    },
  ],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'mr', project: 'kop/hybris', iid: 4 },
    },
  ],
  author: 'user:default/kim.minjun',
  links: [
    { title: 'Asana', url: `https://app.asana.com/0/1200000000000010/${TASK}` },
  ],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-01-07T01:00:00.000Z',
  updatedAt: '2026-01-07T01:00:00.000Z',
  revision: 3,
  ...over,
});

const context = (over: Partial<MessageContext> = {}): MessageContext => ({
  release: release(),
  policy: defaultGradePolicy,
  channels: {
    team: '#kop-release',
    'core-service-pls': '#kop-release-core',
    'service-owners': '#kop-incident',
    qa: '#kop-qa',
  },
  onCall: {
    hybris: ['user:default/lee.seoyeon', 'park.jihoon@kop.example'],
    web: ['user:default/oh.sujin'],
  },
  pageUrl: PAGE,
  approvers: [],
  paymentBrands: ['ks', 'tc', 'g4'],
  systems: { slack: true, asana: true },
  ...over,
});

let seq = 0;
const row = (over: Partial<ReleaseAuditRecord>): ReleaseAuditRecord => {
  seq += 1;
  return {
    seq,
    id: `row-${seq}`,
    at: '2026-01-07T01:00:00.000Z',
    actor: 'user:default/kim.minjun',
    action: 'release.create',
    releaseId: 'r-1',
    outcome: 'success',
    prevHash: '0',
    hash: '1',
    ...over,
  };
};

/** Where each message goes and what it says: one line a message. */
const where = (messages: OutgoingMessage[]) =>
  messages.map(m => {
    const p = m.payload;
    switch (p.kind) {
      case 'slack.post':
        return `post ${m.audience} ${p.channel}`;
      case 'slack.direct':
        return `direct ${m.audience} ${p.to}${m.urgent ? ' urgent' : ''}`;
      case 'asana.fields':
        return `asana fields ${p.taskGid} ${JSON.stringify(p.values)}`;
      case 'asana.create-task':
        return `asana create-task ${p.task.name}`;
      default:
        return `${p.kind} ${p.taskGid}`;
    }
  });

const textOf = (messages: OutgoingMessage[], audience: string) =>
  messages
    .filter(m => m.audience === audience && 'text' in m.payload)
    .map(m => ('text' in m.payload ? m.payload.text : ''));

describe('mapAuditRow', () => {
  it('tells the team of a prepared release: what, which apps, who and when', () => {
    // Wednesday 2026-01-07 10:00 in Seoul: inside the window.
    const messages = mapAuditRow(
      row({ after: { state: 'prepared' }, at: '2026-01-07T01:00:00.000Z' }),
      context({ release: release({ links: [] }) }),
    );
    expect(where(messages)).toEqual(['post team #kop-release']);
    expect(textOf(messages, 'team')).toEqual([
      [
        '[kop] 배포 준비 (release prepared): 2026.01.08 hybris, web',
        '- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1)',
        '- 배포등급: B(낮음), DB 업데이트 여부: N',
        '- 담당 (by): kim.minjun',
        '- 예정 (planned): in this release window',
        PAGE,
      ].join('\n'),
    ]);
  });

  it('names the next window as the planned time outside the windows, and grade E at once', () => {
    // Friday 2026-01-09 11:00 in Seoul.
    const friday = row({
      after: { state: 'prepared' },
      at: '2026-01-09T02:00:00.000Z',
    });
    expect(textOf(mapAuditRow(friday, context()), 'team')[0]).toMatch(
      /- 예정 \(planned\): the next release window, Mon 12 Jan/,
    );
    const urgent = context({ release: release({ grade: 'E' }) });
    expect(
      textOf(mapAuditRow({ ...friday, id: 'e' }, urgent), 'team')[0],
    ).toMatch(/- 예정 \(planned\): at once \(grade E\)/);
  });

  it.each<[ReleaseGrade, string, string]>([
    ['A', 'team', '#kop-release'],
    ['B', 'team', '#kop-release'],
    ['C', 'core-service-pls', '#kop-release-core'],
    ['D', 'core-service-pls', '#kop-release-core'],
    ['E', 'service-owners', '#kop-incident'],
  ])(
    'a grade %s approval request goes to %s (%s) and to each approver directly',
    (grade, audience, channel) => {
      const messages = mapAuditRow(
        row({
          action: 'release.request-approval',
          before: { state: 'prepared' },
          after: { state: 'awaiting_approval' },
        }),
        context({
          release: release({ grade }),
          approvers: ['user:default/choi.yuna', 'user:default/han.jisoo'],
        }),
      );
      expect(where(messages)).toEqual([
        `post ${audience} ${channel}`,
        'direct approver user:default/choi.yuna',
        'direct approver user:default/han.jisoo',
        `asana fields ${TASK} {"state":"awaiting_approval"}`,
      ]);
      const label = defaultGradePolicy.grades[grade].label;
      expect(textOf(messages, 'approver')[0]).toBe(
        `[kop] 승인 요청드립니다 (your approval is asked): 2026.01.08 hybris, web — ${grade}(${label}), by kim.minjun\n${PAGE}`,
      );
    },
  );

  it('says who approved and, once every approval is in, comments on the Asana task', () => {
    const approval = {
      id: 'a-1',
      stage: 'approval' as const,
      requirement: 'approval:pl',
      role: 'pl',
      approver: 'user:default/choi.yuna',
      decision: 'approve' as const,
      createdAt: '2026-01-07T02:00:00.000Z',
    };
    const messages = mapAuditRow(
      row({
        action: 'release.approve',
        actor: 'user:default/choi.yuna',
        before: { state: 'awaiting_approval', approvals: [] },
        after: { state: 'approved', approvals: [approval] },
      }),
      context(),
    );
    expect(where(messages)).toEqual([
      'post team #kop-release',
      `asana.comment ${TASK}`,
      `asana fields ${TASK} {"state":"approved"}`,
    ]);
    expect(textOf(messages, 'team')).toEqual([
      `[kop] 승인 (approved) by choi.yuna: 2026.01.08 hybris, web — 승인 완료, 배포할 수 있습니다 (all approvals given: ready to deploy)\n${PAGE}`,
    ]);
    expect(textOf(messages, 'asana')).toEqual([
      `승인 완료 (approved): choi.yuna\n${PAGE}`,
    ]);
  });

  it('says why a release was rejected', () => {
    const messages = mapAuditRow(
      row({
        action: 'release.reject',
        actor: 'user:default/choi.yuna',
        before: { state: 'awaiting_approval', approvals: [] },
        after: {
          state: 'rejected',
          approvals: [
            {
              stage: 'approval',
              approver: 'user:default/choi.yuna',
              decision: 'reject',
              requirement: 'approval:reject:x',
              comment: 'the CMS change is not in this release',
            },
          ],
        },
      }),
      context({ release: release({ grade: 'C' }) }),
    );
    expect(textOf(messages, 'core-service-pls')).toEqual([
      `[kop] 반려 (rejected) by choi.yuna: 2026.01.08 hybris, web\n사유 (comment): the CMS change is not in this release\n${PAGE}`,
    ]);
  });

  it('tells of a deploy started for whom the engine acts', () => {
    const messages = mapAuditRow(
      row({
        action: 'deploy.start',
        actor: 'release-engine',
        meta: {
          runId: 'run-1',
          kind: 'deploy',
          environment: 'prod',
          onBehalfOf: 'user:default/kim.minjun',
        },
      }),
      context({ run: { environment: 'prod', kind: 'deploy' } }),
    );
    expect(textOf(messages, 'team')).toEqual([
      `[kop] [prod] 배포 시작 (deploy started) by kim.minjun: 2026.01.08 hybris, web\n${PAGE}`,
    ]);
  });

  it('a step that failed for good: what, where and what next to the audience, and pages the app’s seniors on call', () => {
    const messages = mapAuditRow(
      row({
        action: 'deploy.step.fail',
        actor: 'release-engine',
        outcome: 'failure',
        meta: {
          runId: 'run-1',
          step: 1,
          stepId: 'hybris.scale-up.3',
          error: 'the gate of hybris green in prod did not pass within 10 m',
          retryable: true,
          attempt: 5,
          run: 'paused',
        },
      }),
      context({
        release: release({ grade: 'D' }),
        run: { environment: 'prod', kind: 'deploy' },
      }),
    );
    expect(where(messages)).toEqual([
      'post core-service-pls #kop-release-core',
      'direct on-call user:default/lee.seoyeon urgent',
      'direct on-call park.jihoon@kop.example urgent',
    ]);
    expect(textOf(messages, 'core-service-pls')).toEqual([
      `[kop] [prod] 배포 일시정지 (paused) at hybris.scale-up.3: the gate of hybris green in prod did not pass within 10 m\n다음 (next): Retry the step, skip it (a lead, with a reason) or abort.\n${PAGE}`,
    ]);
    expect(textOf(messages, 'on-call')[0]).toBe(
      `🚨 [긴급 urgent] [kop] [prod] deploy paused at hybris.scale-up.3: the gate of hybris green in prod did not pass within 10 m\n2026.01.08 hybris, web\n${PAGE}`,
    );
  });

  it('a failure the engine tries again tells nobody', () => {
    expect(
      mapAuditRow(
        row({
          action: 'deploy.step.fail',
          outcome: 'failure',
          meta: {
            stepId: 'web.version',
            error: 'HTTP 503',
            retryAt: '2026-01-07T01:00:05.000Z',
          },
        }),
        context(),
      ),
    ).toEqual([]);
  });

  it('a person’s pause pages every app’s seniors; a hold (the window) pages nobody', () => {
    const paused = mapAuditRow(
      row({
        action: 'deploy.pause',
        meta: { runId: 'run-1', onBehalfOf: 'user:default/han.jisoo' },
      }),
      context({ run: { environment: 'prod', kind: 'deploy' } }),
    );
    expect(where(paused)).toEqual([
      'post team #kop-release',
      'direct on-call user:default/lee.seoyeon urgent',
      'direct on-call park.jihoon@kop.example urgent',
      'direct on-call user:default/oh.sujin urgent',
    ]);
    const held = mapAuditRow(
      row({
        action: 'deploy.hold',
        meta: {
          runId: 'run-1',
          stepId: 'web.version',
          reason: 'outside the release windows',
        },
      }),
      context({ run: { environment: 'prod', kind: 'deploy' } }),
    );
    expect(where(held)).toEqual(['post team #kop-release']);
  });

  it('asks the QA room only when a beta deploy run really ended, with what ships and links', () => {
    const end = (environment: string, state = 'done') =>
      mapAuditRow(
        row({
          action: 'deploy.end',
          actor: 'release-engine',
          meta: { runId: 'run-1', state },
        }),
        context({ run: { environment, kind: 'deploy' } }),
      );
    expect(where(end('beta'))).toEqual([
      'post qa #kop-qa',
      `asana.comment ${TASK}`,
      `asana.comment ${TASK}`,
    ]);
    expect(textOf(end('beta'), 'qa')).toEqual([
      [
        '[kop] 베타 배포 완료, QA 요청드립니다.',
        '- 배포버전: hybris(deploy-2026-01-08), web(a7ed4db1)',
        '- 배포등급: B(낮음)',
        '- DB 업데이트 여부: N',
        '- 배포내역',
        '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
        '- 결제 테스트: ks, tc, g4',
        '- 배포 페이지: http://portal.test/releases/r-1',
        `- Asana: https://app.asana.com/0/1200000000000010/${TASK}`,
      ].join('\n'),
    ]);
    expect(where(end('prod'))).toEqual([]);
  });

  it('the switch, the deploy waiting for its sign-off, done and aborted each reach their people and Asana', () => {
    const switched = mapAuditRow(
      row({
        action: 'deploy.step.done',
        meta: { runId: 'run-1', stepId: 'hybris.switch' },
      }),
      context({ run: { environment: 'prod', kind: 'deploy' } }),
    );
    expect(where(switched)).toEqual([
      'post team #kop-release',
      `asana.comment ${TASK}`,
    ]);

    const signoff = mapAuditRow(
      row({
        action: 'release.engine-move',
        actor: 'release-engine',
        before: { state: 'verifying' },
        after: { state: 'awaiting_signoff' },
      }),
      context({ approvers: ['user:default/seo.yeongho'] }),
    );
    expect(where(signoff)).toEqual([
      `asana fields ${TASK} {"state":"awaiting_signoff"}`,
      `asana.comment ${TASK}`,
      'direct approver user:default/seo.yeongho',
    ]);

    const done = mapAuditRow(
      row({
        action: 'release.engine-move',
        actor: 'release-engine',
        before: { state: 'scaling_down' },
        after: { state: 'done' },
      }),
      context(),
    );
    expect(where(done)).toEqual([
      `asana fields ${TASK} {"state":"done"}`,
      'post team #kop-release',
      `asana.comment ${TASK}`,
      `asana.complete ${TASK}`,
    ]);
    expect(textOf(done, 'team')).toEqual([
      `[kop] 배포 완료 (done): 2026.01.08 hybris, web\n${PAGE}`,
    ]);

    const aborted = mapAuditRow(
      row({
        action: 'release.transition',
        before: { state: 'approved' },
        after: { state: 'aborted' },
      }),
      context({ release: release({ grade: 'E' }) }),
    );
    expect(where(aborted)).toEqual([
      `asana fields ${TASK} {"state":"aborted"}`,
      'post service-owners #kop-incident',
      `asana.comment ${TASK}`,
    ]);
  });

  it('records the build number, the test results and overrides on the Asana task', () => {
    const build = mapAuditRow(
      row({
        action: 'deploy.build',
        meta: {
          app: 'hybris',
          buildNumber: 118,
          imageTag: 'deploy-2026-01-08-118',
          url: 'http://jenkins/118',
          result: 'success',
        },
      }),
      context(),
    );
    expect(where(build)).toEqual([
      `asana fields ${TASK} {"buildNumber":"118"}`,
      `asana.comment ${TASK}`,
    ]);
    const payment = mapAuditRow(
      row({
        action: 'tests.payment',
        meta: {
          environment: 'beta',
          results: [
            {
              brand: 'ks',
              job: 'kop/payment-tests',
              result: 'passed',
              durationMs: 1,
              url: 'http://jenkins/p/1',
            },
            {
              brand: 'tc',
              job: 'kop/payment-tests',
              result: 'failed',
              durationMs: 1,
              url: 'http://jenkins/p/2',
            },
          ],
        },
      }),
      context(),
    );
    expect(where(payment)).toEqual([
      `asana.comment ${TASK}`,
      'post team #kop-release',
    ]);
    expect(textOf(payment, 'asana')[0]).toBe(
      `[beta] 결제 테스트 (payment tests): ks passed, tc failed\n- ks: http://jenkins/p/1\n- tc: http://jenkins/p/2\n${PAGE}`,
    );
    const override = mapAuditRow(
      row({
        action: 'tests.override',
        meta: {
          kind: 'payment',
          reason: 'tc is down for maintenance, tested by hand',
        },
      }),
      context(),
    );
    expect(where(override)).toEqual([`asana.comment ${TASK}`]);
  });

  it('keys each message by its row and role, writes nothing for a system not configured, a dry run or a refusal', () => {
    const request = row({
      action: 'release.request-approval',
      before: { state: 'prepared' },
      after: { state: 'awaiting_approval' },
    });
    const messages = mapAuditRow(
      request,
      context({ approvers: ['user:default/choi.yuna'] }),
    );
    expect(messages.map(m => m.key)).toEqual([
      `${request.id}/approval-requested/team`,
      `${request.id}/ask/user:default/choi.yuna`,
      `${request.id}/asana-fields/state`,
    ]);
    expect(
      mapAuditRow(
        request,
        context({ systems: { slack: false, asana: false } }),
      ),
    ).toEqual([]);
    expect(mapAuditRow(row({ meta: { dryRun: true } }), context())).toEqual([]);
    expect(
      mapAuditRow(
        row({ action: 'release.approve', outcome: 'failure' }),
        context(),
      ),
    ).toEqual([]);
  });
});

describe('asanaTaskOf', () => {
  it.each([
    [
      'https://app.asana.com/0/1200000000000010/1200000000000777',
      '1200000000000777',
    ],
    [
      'https://app.asana.com/0/1200000000000010/1200000000000777/f',
      '1200000000000777',
    ],
    [
      'https://app.asana.com/1/1200000000000001/project/1200000000000010/task/1200000000000777',
      '1200000000000777',
    ],
  ])('%s → %s', (url, gid) => {
    expect(asanaTaskOf({ links: [{ title: 'Asana', url }] })).toBe(gid);
  });

  it('is undefined without an Asana link', () => {
    expect(
      asanaTaskOf({ links: [{ title: 'MR', url: 'https://gitlab/x/1' }] }),
    ).toBeUndefined();
  });
});
