import { mockCredentials } from '@backstage/backend-test-utils';
import { rmSync } from 'node:fs';
import {
  asanaSandboxDefaults,
  asanaSeedTasks,
  defaultSandboxServices,
  jenkinsSandboxDefaults,
  sandboxGitlabTokens,
  seedFacts,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import {
  portalApi,
  portalConfig,
  readTemplate,
  registeredTemplateFiles,
  sandboxRequestLog,
  sandboxState,
  startPortalBackend,
} from './__testUtils__/portal';

jest.setTimeout(180_000);

/** A hybris developer (catalog/org.yaml): the kind of person who fills in the release forms. */
const KIM = 'user:default/kim.minjun';
const FOOTER = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
const seedItem = {
  title: FOOTER,
  app: 'hybris',
  source: { type: 'mr', project: 'kop/hybris', iid: 4 },
};

/** How the templates show text to copy as it is. */
const codeBlock = (text: string) => `\`\`\`\n${text}\n\`\`\`\n`;

interface LogEntry {
  body: { message: string; stepId?: string; status?: string };
}
interface DryRunAnswer {
  status: number;
  /** Audit rows the dry run left (each marked dry-run). */
  audited: number;
  body: {
    log?: LogEntry[];
    output?: {
      links?: Array<{ title: string; url?: string }>;
      text?: Array<{ title: string; content: string }>;
    };
    steps?: Array<{ id: string; action: string }>;
    error?: { name: string; message: string };
    errors?: Array<{ property: string; message: string }>;
  };
  text: string;
}

describe('the release forms, dry-run through the scaffolder backend against the sandbox', () => {
  let sandbox: RunningSandbox;
  let baseUrl: string;
  const requestLog = sandboxRequestLog();

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: [requestLog.service, ...defaultSandboxServices()],
    });
    ({ baseUrl } = await startPortalBackend(portalConfig(sandbox.url)));
  });
  afterAll(async () => {
    await sandbox?.close();
    if (sandbox)
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  const api: ReturnType<typeof portalApi> = (path, init) =>
    portalApi(baseUrl, KIM)(path, init);

  const auditRows = (body: unknown) =>
    ((body as { items?: unknown[] }).items ?? (body as unknown[])) as Array<{
      seq: number;
      action: string;
      actor: string;
      releaseId?: string;
      meta?: Record<string, unknown>;
    }>;

  /** The template's announcement output for one hybris version, grade and item, in the team's format. */
  const announcementOutput = (version: string, grade: string, item: string) => [
    {
      title: '공지 (Announcement)',
      content: codeBlock(
        [
          '[kop] 배포합니다.',
          `- 배포버전: hybris(${version})`,
          `- 배포등급: ${grade}`,
          '- DB 업데이트 여부: N',
          '- 배포내역',
          `\t- ${item}`,
        ].join('\n'),
      ),
    },
  ];

  /** Everything a dry run could have written: the sandbox systems, and the release backend's releases and audit trail. */
  const everything = async () => {
    const releases = await api('/release/releases');
    const audit = await api('/release/audit');
    expect([releases.status, audit.status]).toEqual([200, 200]);
    return {
      sandbox: await sandboxState(sandbox, sandboxGitlabTokens.readOnly),
      releases: releases.body,
      audit: audit.body,
    };
  };

  /**
   * Runs POST /api/scaffolder/v2/dry-run as the user with the template and the form's values (the
   * forms take no secrets), and checks that nothing anywhere changed and that no request but a read
   * reached the sandbox.
   */
  async function dryRun(file: string, values: object): Promise<DryRunAnswer> {
    const template = readTemplate(file);
    const before = await everything();
    requestLog.requests.length = 0;
    const answer = await api('/scaffolder/v2/dry-run', {
      method: 'POST',
      body: { template, values, secrets: {}, directoryContents: [] },
    });
    const sent = [...requestLog.requests];
    expect(sent.filter(r => !/^(GET|HEAD) /.test(r))).toEqual([]);
    const after = await everything();
    expect({ ...after, audit: undefined }).toEqual({
      ...before,
      audit: undefined,
    });
    // The only trace a dry run leaves: its attempt, marked dry-run in the audit trail (RELIABILITY 19).
    const seen = new Set(auditRows(before.audit).map(r => r.seq));
    const added = auditRows(after.audit).filter(r => !seen.has(r.seq));
    for (const row of added) {
      expect(row).toMatchObject({
        action: 'release.create',
        actor: KIM,
        meta: { dryRun: true },
      });
      expect(row.releaseId).toBeUndefined();
    }
    // No credential of the user (the scaffolder's backstageToken) or of a system comes back.
    for (const secret of [
      mockCredentials.user.token(KIM),
      sandboxGitlabTokens.maintainer,
      asanaSandboxDefaults.token,
      slackSandboxDefaults.botToken,
      jenkinsSandboxDefaults.apiToken,
    ]) {
      expect(answer.text).not.toContain(secret);
    }
    return { ...answer, audited: added.length } as DryRunAnswer;
  }

  /** Each step's log: the action ran in dry-run mode and finished, or was skipped by its `if`. */
  function stepsOf(answer: DryRunAnswer) {
    const log = answer.body.log ?? [];
    return Object.fromEntries(
      (answer.body.steps ?? []).map(step => {
        const own = log
          .filter(l => l.body.stepId === step.id)
          // The step logger puts its level, coloured, before what the action said.
          .map(l => ({
            body: {
              ...l.body,
              message: l.body.message.replace(/^\S*(info|warn|error)\S*: /, ''),
            },
          }));
        const statuses = own.map(l => l.body.status).filter(Boolean);
        const dryRunLine = own.find(l =>
          l.body.message.startsWith(
            `Running ${step.action} in dry-run mode with inputs`,
          ),
        );
        return [
          step.id,
          {
            status: statuses[statuses.length - 1],
            dryRun: Boolean(dryRunLine),
            messages: own.map(l => l.body.message),
          },
        ];
      }),
    );
  }

  it('tries every template templates/all.yaml registers', () => {
    expect(registeredTemplateFiles().sort()).toEqual(
      [
        'config-change.yaml',
        'emergency-fix.yaml',
        'prepare-release.yaml',
        'rollback.yaml',
      ].sort(),
    );
  });

  it.each(registeredTemplateFiles())(
    '%s names only inputs and outputs its actions declare',
    async file => {
      const template = readTemplate(file);
      const actions = await api('/scaffolder/v2/actions');
      expect(actions.status).toBe(200);
      const schemaOf = (id: string) =>
        (
          actions.body as Array<{
            id: string;
            schema?: {
              input?: { properties?: object };
              output?: { properties?: object };
            };
          }>
        ).find(a => a.id === id)?.schema;
      const steps = template.spec.steps as Array<{
        id: string;
        action: string;
        input?: object;
      }>;
      const unknown: string[] = [];
      for (const step of steps) {
        const schema = schemaOf(step.action);
        if (!schema) unknown.push(`${step.id}: no action ${step.action}`);
        for (const key of Object.keys(step.input ?? {})) {
          if (!Object.hasOwn(schema?.input?.properties ?? {}, key)) {
            unknown.push(`${step.id}: input ${key}`);
          }
        }
      }
      const text = JSON.stringify(template);
      for (const [, id, name] of text.matchAll(
        /steps\.([\w-]+)\.output\.(\w+)/g,
      )) {
        const step = steps.find(s => s.id === id);
        const outputs = step && schemaOf(step.action)?.output?.properties;
        if (!Object.hasOwn(outputs ?? {}, name)) {
          unknown.push(`steps.${id}.output.${name}`);
        }
      }
      const parameters = (
        template.spec.parameters as Array<{ properties?: object }>
      ).flatMap(p => Object.keys(p.properties ?? {}));
      for (const [, name] of text.matchAll(/parameters\.(\w+)/g)) {
        if (!parameters.includes(name)) unknown.push(`parameters.${name}`);
      }
      expect(unknown).toEqual([]);
    },
  );

  describe('배포 준비 (prepare-release.yaml)', () => {
    const values = {
      release: {
        environment: 'beta',
        apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
      },
      changes: {
        items: [seedItem],
        changeClasses: [],
        mixedIn: 0,
        notNewer: [],
        dbUpdate: false,
      },
      grade: { grade: 'B' },
      dbUpdate: false,
      steps: '3,6,9',
    };

    it('previews the release and its Asana task, posts no QA request before a beta deploy, and writes nothing', async () => {
      const answer = await dryRun('prepare-release.yaml', values);
      expect(answer.status).toBe(200);
      expect(answer.audited).toBe(1);
      const steps = stepsOf(answer);
      // The QA request goes out from the release backend once a beta deploy run has really ended.
      expect(Object.keys(steps)).toEqual(['create', 'asana']);
      for (const step of Object.values(steps)) {
        expect(step).toMatchObject({ status: 'completed', dryRun: true });
      }
      expect(steps.create.messages.join('\n')).toContain(
        'Dry run: the release backend would create this release (stored nowhere)',
      );
      expect(steps.asana.messages).toContain(
        'Dry run: would create the Asana task of the release made in a real run',
      );
      expect(answer.body.output?.text).toEqual(
        announcementOutput(seedFacts.hybris.candidate, 'B(낮음)', FOOTER),
      );
    });

    it('takes a task picked from the Asana release project as an item beside the MR, announced in the team format', async () => {
      const task = asanaSeedTasks[0];
      const asanaItem = {
        title: task.name,
        source: {
          type: 'asana',
          gid: task.gid,
          url: `https://app.asana.com/0/${asanaSandboxDefaults.projectGid}/${task.gid}`,
        },
      };
      const answer = await dryRun('prepare-release.yaml', {
        ...values,
        changes: { ...values.changes, items: [seedItem, asanaItem] },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.output?.text).toEqual(
        announcementOutput(
          seedFacts.hybris.candidate,
          'B(낮음)',
          `${FOOTER}\n\t- ${task.name}`,
        ),
      );
    });

    it('fails, naming gradeReason, when the grade is below the floor of a DB change and no reason is given', async () => {
      const answer = await dryRun('prepare-release.yaml', {
        ...values,
        changes: {
          ...values.changes,
          changeClasses: ['dbChange'],
          dbUpdate: true,
        },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toMatch(
        /gradeReason: grade B is below D, the floor set by dbChange/,
      );
    });
  });

  describe('긴급 배포 (emergency-fix.yaml)', () => {
    const values = {
      release: {
        environment: 'prod',
        apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
      },
      changes: {
        items: [seedItem],
        changeClasses: [],
        mixedIn: 0,
        notNewer: [],
        dbUpdate: false,
      },
      grade: { grade: 'E' },
      dbUpdate: false,
      steps: '3,6,9',
    };

    it('previews the grade E release, its Asana task and the share with the service owners, and writes nothing', async () => {
      const answer = await dryRun('emergency-fix.yaml', values);
      expect(answer.status).toBe(200);
      const steps = stepsOf(answer);
      expect(Object.keys(steps)).toEqual(['create', 'asana', 'share']);
      for (const step of Object.values(steps)) {
        expect(step).toMatchObject({ status: 'completed', dryRun: true });
      }
      expect(steps.share.messages).toContain(
        "Dry run: would post the release's message to #kop-incident",
      );
      // Asana's link shows on the release page once the outbox has made the task.
      expect(answer.body.output?.links?.map(l => l.title)).toEqual([
        '배포 페이지 (Release page)',
      ]);
      expect(answer.body.output?.text).toEqual(
        announcementOutput(seedFacts.hybris.candidate, 'E(특수)', FOOTER),
      );
    });

    it('fails, naming the version, when a hybris version is not a deploy branch', async () => {
      const answer = await dryRun('emergency-fix.yaml', {
        ...values,
        release: {
          ...values.release,
          apps: [{ app: 'hybris', version: 'deploy-2026-1-8' }],
        },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toMatch(
        /apps\[0\]\.version: 'deploy-2026-1-8' is not a hybris version/,
      );
    });
  });

  describe('롤백 (rollback.yaml)', () => {
    /** What the form fills in for going back to the previous deploy branch (ReleaseChangesField). */
    async function rollbackValues() {
      const back = seedFacts.hybris.idle;
      const shipped = await api('/release/what-ships', {
        method: 'POST',
        body: { app: 'hybris', environment: 'prod', candidate: back },
      });
      expect(shipped.status).toBe(200);
      expect(shipped.body).toMatchObject({
        newer: false,
        deployed: { version: seedFacts.hybris.running },
        candidate: {
          version: back,
          sha: expect.stringMatching(/^[0-9a-f]{40}$/),
        },
      });
      return {
        release: {
          environment: 'prod',
          apps: [
            {
              app: 'hybris',
              version: back,
              previousVersion: seedFacts.hybris.running,
            },
          ],
        },
        changes: {
          items: [
            {
              title: `[ROLLBACK] hybris ${seedFacts.hybris.running} → ${back}`,
              app: 'hybris',
              source: {
                type: 'commit',
                project: 'kop/hybris',
                sha: shipped.body.candidate.sha,
              },
            },
          ],
          changeClasses: [],
          mixedIn: 0,
          notNewer: ['hybris'],
          dbUpdate: false,
        },
        grade: { grade: 'C' },
        dbUpdate: false,
        steps: '3,6,9',
      };
    }

    it('previews the rollback release and its Asana task, posts no QA request, and writes nothing', async () => {
      const values = await rollbackValues();
      const answer = await dryRun('rollback.yaml', values);
      expect(answer.status).toBe(200);
      const steps = stepsOf(answer);
      expect(Object.keys(steps)).toEqual(['create', 'asana']);
      expect(steps.create).toMatchObject({ status: 'completed', dryRun: true });
      expect(steps.asana).toMatchObject({ status: 'completed', dryRun: true });
      expect(steps.create.messages.join('\n')).toContain('"rollback": true');
      expect(answer.body.output?.text).toEqual(
        announcementOutput(
          seedFacts.hybris.idle,
          'C(중간)',
          `[ROLLBACK] hybris ${seedFacts.hybris.running} → ${seedFacts.hybris.idle}`,
        ),
      );
    });

    it('fails, naming items, when nothing is listed as taken out', async () => {
      const values = await rollbackValues();
      const answer = await dryRun('rollback.yaml', {
        ...values,
        changes: { ...values.changes, items: [] },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toMatch(
        /Invalid input passed to action kop:release:create, instance\.items does not meet minimum length of 1/,
      );
    });
  });

  describe('설정 변경 (config-change.yaml)', () => {
    /** What the form holds after showing the diff (KopIacEdit asks POST /release/iac/preview). */
    async function configValues(argocdApp: string, key: string, value: string) {
      const preview = await api('/release/iac/preview', {
        method: 'POST',
        body: {
          environment: 'prod',
          changes: [
            {
              argocdApp,
              key,
              value: /^\d+$/.test(value) ? Number(value) : value,
            },
          ],
        },
      });
      expect(preview.status).toBe(200);
      return {
        edit: {
          environment: 'prod',
          argocdApp,
          key,
          value,
          diff: preview.body.diff as string,
          expectedBlobs: preview.body.expectedBlobs,
          baseSha: preview.body.baseSha,
        },
        reason: '주말 트래픽 대비 증설 (weekend traffic)',
      };
    }

    /** The template's output text: what happens next, the diff shown, the announcement. */
    const configOutput = (diff: string, announcement: string) => [
      {
        title: '다음 단계 (What happens next)',
        content: expect.stringContaining(
          'Nothing has changed yet: after grade A approval, Deploy on the release page commits this diff and syncs it.',
        ),
      },
      { title: '변경 내용 (Diff)', content: `\`\`\`diff\n${diff}\n\`\`\`\n` },
      { title: '공지 (Announcement)', content: codeBlock(announcement) },
    ];

    const announcementOf = (version: string) =>
      [
        '[kop] 배포합니다.',
        `- 배포버전: web(${version.slice(0, 8)})`,
        '- 배포등급: A(매우 낮음)',
        '- DB 업데이트 여부: N',
        '- 배포내역',
        '\t- [설정] web replicaCount=5',
      ].join('\n');

    it('previews the grade A config release with the diff shown, and writes nothing', async () => {
      const values = await configValues('web', 'replicaCount', '5');
      const answer = await dryRun('config-change.yaml', values);
      expect(answer.status).toBe(200);
      expect(answer.audited).toBe(1);
      const steps = stepsOf(answer);
      expect(Object.keys(steps)).toEqual(['create']);
      expect(steps.create).toMatchObject({ status: 'completed', dryRun: true });
      expect(steps.create.messages.join('\n')).toContain(
        'Dry run: the release backend would create this release (stored nowhere)',
      );
      const tag = /^ {3}tag: (\S+)$/m.exec(values.edit.diff)![1];
      expect(values.edit.diff).toContain(
        '-replicaCount: 3\n+replicaCount: 5\n',
      );
      expect(answer.body.output?.text).toEqual(
        configOutput(values.edit.diff, announcementOf(tag)),
      );
    });

    it('registers a grade A release in a real run, linked from the output, and commits nothing', async () => {
      const values = await configValues('web', 'replicaCount', '5');
      const before = await sandboxState(sandbox, sandboxGitlabTokens.readOnly);
      const started = await api('/scaffolder/v2/tasks', {
        method: 'POST',
        body: { templateRef: 'template:default/kop-config-change', values },
      });
      expect(started.status).toBe(201);
      let status = 'open';
      for (
        let i = 0;
        i < 120 && !['completed', 'failed'].includes(status);
        i++
      ) {
        await new Promise(done => setTimeout(done, 250));
        status = (await api(`/scaffolder/v2/tasks/${started.body.id}`)).body
          .status;
      }
      expect(status).toBe('completed');
      // The task's output comes with its completion event.
      const events = (
        await api(`/scaffolder/v2/tasks/${started.body.id}/events`)
      ).body as Array<{
        type: string;
        body: { output?: { links?: Array<{ title: string; url?: string }> } };
      }>;
      const output = events.find(e => e.type === 'completion')?.body.output;
      const link = output?.links?.find(
        l => l.title === '배포 페이지 (Release page)',
      );
      expect(link?.url).toMatch(/^\/releases\/[0-9a-f-]{36}$/);
      const release = await api(`/release${link!.url}`);
      expect(release.status).toBe(200);
      expect(release.body).toMatchObject({
        grade: 'A',
        state: 'prepared',
        author: KIM,
        title: '[설정 변경] web replicaCount=5',
        config: {
          environment: 'prod',
          changes: [{ argocdApp: 'web', key: 'replicaCount', value: '5' }],
          expectedBlobs: values.edit.expectedBlobs,
          baseSha: values.edit.baseSha,
          reason: values.reason,
        },
      });
      // No commit, no branch, no sync: the IaC repository and Argo CD are as they were.
      const after = await sandboxState(sandbox, sandboxGitlabTokens.readOnly);
      expect(after.heads).toEqual(before.heads);
      expect(after.systems['Argo CD']).toEqual(before.systems['Argo CD']);
    });

    it('fails, naming reason, when the reason is shorter than the form allows', async () => {
      const values = await configValues('web', 'replicaCount', '5');
      const answer = await dryRun('config-change.yaml', {
        ...values,
        reason: 'more',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        expect.objectContaining({
          property: 'instance.reason',
          message: 'does not meet minimum length of 5',
        }),
      ]);
    });

    it.each([
      [
        'one switch key alone',
        ['hybris', 'storefront.hybrisServiceName', 'green'],
        "config.changes[0].key: 'storefront.hybrisServiceName' is a switch key",
      ],
      [
        'the live colour below its normal count',
        ['hybris-blue', 'replicaCount', '3'],
        'config.changes[0].value: is "3": hybris-blue is the live colour, which never goes below its normal 9 replicas',
      ],
      [
        'a replica count beyond what the IaC allows',
        ['web', 'replicaCount', '75'],
        'config.changes[0].value: (replicaCount of web) must be a whole number of replicas from 0 to 60, got "75"',
      ],
    ])('fails, naming the field, for %s', async (_name, edit, message) => {
      const [argocdApp, key, value] = edit;
      // The field shows no diff for 75 (its preview is refused); sent as a hand-made request would be.
      const shown =
        value === '75'
          ? {
              edit: {
                environment: 'prod',
                argocdApp,
                key,
                value,
                expectedBlobs: {},
                baseSha: 'a'.repeat(40),
              },
              reason: '주말 트래픽 대비 증설 (weekend traffic)',
            }
          : await configValues(argocdApp, key, value);
      const answer = await dryRun('config-change.yaml', shown);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toContain(message);
    });
  });
});
