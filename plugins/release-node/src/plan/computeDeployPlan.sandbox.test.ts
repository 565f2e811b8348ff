import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type DeployPlan,
  type Release,
} from '@internal/plugin-release-common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  seedFacts,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { ArgoCdClients } from '../argocd/clients';
import { GitlabClient } from '../gitlab/GitlabClient';
import { readReleaseLayout } from '../layout';
import { readLiveColour } from '../liveColour';
import { computeDeployPlan, deployPlanFiles } from './computeDeployPlan';

jest.setTimeout(120_000);

const PROD = seedFacts.iac.project;
const CANDIDATE = seedFacts.hybris.candidate;

const release: Release = {
  id: '7d2f0c4e-2222-4333-8444-a55566667777',
  product: 'kop',
  title: '2026.01.08 hybris',
  state: 'approved',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [{ app: 'hybris', version: CANDIDATE, strategy: 'blue-green-steps' }],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: { type: 'asana', gid: '1209000000000042' },
    },
  ],
  author: 'user:default/kim.minjun',
  links: [],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-01-08T01:00:00.000Z',
  updatedAt: '2026-01-08T01:00:00.000Z',
  revision: 4,
};

/** The lines a diff removes and adds, without its headers. */
function changedLines(diff: string): string[] {
  return diff
    .split('\n')
    .filter(
      line =>
        /^[-+]/.test(line) &&
        !line.startsWith('---') &&
        !line.startsWith('+++'),
    );
}

describe('computeDeployPlan from the sandbox IaC repository (real git, Argo CD synced from it)', () => {
  let sandbox: RunningSandbox;
  let plan: DeployPlan;
  let work: string;
  const layout = readReleaseLayout(new ConfigReader({}));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: work, encoding: 'utf8' });

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
    const gitlab = new GitlabClient({
      apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
      token: sandboxGitlabTokens.maintainer,
    });
    const argocd = ArgoCdClients.fromConfig(
      new ConfigReader({
        argocd: {
          instances: [
            {
              name: 'prod',
              url: `${sandbox.url}/argocd/prod`,
              token: 'argocd-sandbox-token',
            },
          ],
        },
      }),
    ).forEnvironment('prod');

    // What the engine reads before planning: the head, the files there and both live readings.
    const head = (await gitlab.branch(PROD, 'main'))!.sha;
    const files: Record<string, string> = {};
    for (const path of deployPlanFiles(layout, ['hybris'])) {
      files[path] = (await gitlab.readFile(PROD, head, path))!.content;
    }
    const live = await readLiveColour({
      layout,
      environment: 'prod',
      gitlab,
      argocd,
    });
    plan = computeDeployPlan({
      release,
      policy: defaultGradePolicy,
      layout,
      environment: 'prod',
      world: { baseSha: head, files, live },
    });

    work = mkdtempSync(join(tmpdir(), 'kop-plan-'));
    execFileSync('git', [
      'clone',
      '--quiet',
      '--branch',
      'main',
      join(sandbox.context.dataDir, 'git', `${PROD}.git`),
      work,
    ]);
    git('config', 'user.name', 'kop release portal');
    git('config', 'user.email', 'release-portal@kop.example');
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('deploys to green, the seed’s idle colour, and lowers blue, the live one', () => {
    expect(plan.hybris).toEqual({
      live: seedFacts.hybris.liveColour,
      idle: 'green',
    });
    expect(plan.steps.map(s => s.id)).toEqual([
      'hybris.image',
      'hybris.scale-up.3',
      'hybris.scale-up.6',
      'hybris.scale-up.9',
      'signoff',
      'hybris.switch',
      'announce',
      'hybris.scale-down.6',
      'hybris.scale-down.3',
      'hybris.scale-down.0',
    ]);
  });

  it('changes exactly the intended lines at each step', () => {
    expect(
      plan.steps.filter(s => s.git).map(s => [s.id, changedLines(s.git!.diff)]),
    ).toEqual([
      [
        'hybris.image',
        [`-  tag: ${seedFacts.hybris.idle}`, `+  tag: ${CANDIDATE}`],
      ],
      ['hybris.scale-up.3', ['-replicaCount: 0', '+replicaCount: 3']],
      ['hybris.scale-up.6', ['-replicaCount: 3', '+replicaCount: 6']],
      ['hybris.scale-up.9', ['-replicaCount: 6', '+replicaCount: 9']],
      [
        'hybris.switch',
        [
          '-  hybrisServiceName: blue # www.kop.example',
          '+  hybrisServiceName: green # www.kop.example',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
        ],
      ],
      ['hybris.scale-down.6', ['-replicaCount: 9', '+replicaCount: 6']],
      ['hybris.scale-down.3', ['-replicaCount: 6', '+replicaCount: 3']],
      ['hybris.scale-down.0', ['-replicaCount: 3', '+replicaCount: 0']],
    ]);
  });

  it('applies with git step by step onto the seeded branch, each commit leaving the step’s files and its trailers', () => {
    expect(git('rev-parse', 'HEAD').trim()).toBe(plan.iac.baseSha);
    for (const step of plan.steps) {
      if (!step.git) continue;
      const { before, diff, files, message } = step.git;
      for (const [path, blob] of Object.entries(before)) {
        expect([step.id, git('hash-object', path).trim()]).toEqual([
          step.id,
          blob,
        ]);
      }
      const patch = join(work, '.git', 'step.diff');
      writeFileSync(patch, diff);
      git('apply', '--check', patch);
      git('apply', patch);
      for (const [path, text] of Object.entries(files)) {
        expect([step.id, readFileSync(join(work, path), 'utf8')]).toEqual([
          step.id,
          text,
        ]);
      }
      // Only the files the step names changed, by as many lines as its diff says.
      expect(git('diff', '--name-only').trim().split('\n')).toEqual(
        Object.keys(files),
      );
      const lines = changedLines(diff).length / 2;
      expect(git('diff', '--numstat').trim()).toBe(
        Object.keys(files)
          .map(path => `${lines}\t${lines}\t${path}`)
          .join('\n'),
      );
      const messageFile = join(work, '.git', 'step.msg');
      writeFileSync(messageFile, message);
      git(
        'commit',
        '--quiet',
        '--all',
        '--cleanup=verbatim',
        '--file',
        messageFile,
      );
      expect(git('log', '-1', '--format=%(trailers:only,unfold)').trim()).toBe(
        `Release-Id: ${release.id}\nRelease-Step: ${step.id}`,
      );
      expect(git('log', '-1', '--format=%s')).toBe(
        `${message.split('\n')[0]}\n`,
      );
    }
    // After the last step green serves 9 replicas of the candidate and blue runs none.
    expect(
      git('diff', `${plan.iac.baseSha}..HEAD`, '--numstat').trim().split('\n'),
    ).toEqual([
      '1\t1\thybris/values-blue.yaml',
      '2\t2\thybris/values-green.yaml',
      '3\t3\thybris/values.yaml',
    ]);
  });
});
