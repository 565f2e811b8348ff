import { ConfigReader } from '@backstage/config';
import type { DeployPlanStep } from '@internal/plugin-release-common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  seedFacts,
  startSandbox,
} from 'sandbox';
import { ArgoCdClients } from '../../argocd/clients';
import { GitlabClient } from '../../gitlab/GitlabClient';
import { readReleaseLayout } from '../../layout';
import { readLiveColour } from '../../liveColour';

/**
 * The sandbox with its seeded prod IaC repository, the clients a plan's world is read with, and a
 * clone of the repository to apply a plan's steps to with real git.
 */
export async function startIacSandbox() {
  const sandbox = await startSandbox({
    timeScale: 0,
    services: defaultSandboxServices(),
  });
  const project = seedFacts.iac.project;
  const layout = readReleaseLayout(new ConfigReader({}));
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
  const head = (await gitlab.branch(project, 'main'))!.sha;
  const work = mkdtempSync(join(tmpdir(), 'kop-plan-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: work, encoding: 'utf8' });
  execFileSync('git', [
    'clone',
    '--quiet',
    '--branch',
    'main',
    join(sandbox.context.dataDir, 'git', `${project}.git`),
    work,
  ]);
  git('config', 'user.name', 'kop release portal');
  git('config', 'user.email', 'release-portal@kop.example');

  return {
    layout,
    /** The seeded branch head. */
    head,
    work,
    git,
    /** What the engine reads before planning: the files at the head, and both live readings. */
    async read(paths: string[]) {
      const files: Record<string, string> = {};
      for (const path of paths) {
        files[path] = (await gitlab.readFile(project, head, path))!.content;
      }
      const live = await readLiveColour({
        layout,
        environment: 'prod',
        gitlab,
        argocd,
      });
      return { files, live };
    },
    /** Checks the step's blobs against the clone's files and applies its diff, which must leave its files. */
    apply(step: DeployPlanStep) {
      const { before, diff, files } = step.git!;
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
    },
    /** Commits what the clone holds with the step's message, as it is. */
    commit(step: DeployPlanStep) {
      const messageFile = join(work, '.git', 'step.msg');
      writeFileSync(messageFile, step.git!.message);
      git(
        'commit',
        '--quiet',
        '--all',
        '--cleanup=verbatim',
        '--file',
        messageFile,
      );
    },
    async close() {
      await sandbox.close();
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** @see startIacSandbox */
export type IacSandbox = Awaited<ReturnType<typeof startIacSandbox>>;
