import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** GitLab's access levels. */
export const AccessLevel = {
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

/** A user of the sandbox GitLab; those with a token can call the API. */
export interface SandboxUser {
  id: number;
  username: string;
  name: string;
  email: string;
  /** Access level on every kop project. */
  accessLevel: number;
  bot?: boolean;
}

/** A token the sandbox accepts and whose user it acts as. */
export interface SandboxToken {
  token: string;
  username: string;
}

export interface ProjectRecord {
  id: number;
  path: string;
  description: string;
  defaultBranch: string;
  createdAt: string;
  /** Branch names or `*` patterns only maintainers push to. */
  protectedBranches: string[];
  /** Whether pushes and merge requests run a pipeline. */
  ci: boolean;
  onlyAllowMergeIfPipelineSucceeds: boolean;
}

export interface MergeRequestRecord {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  sourceBranch: string;
  targetBranch: string;
  state: 'opened' | 'merged' | 'closed';
  /** Head of the source branch (at merge time once merged). */
  sha: string;
  mergeCommitSha: string | null;
  authorUsername: string;
  mergedByUsername: string | null;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  removeSourceBranch: boolean;
  webUrl: string;
}

export interface PipelineRecord {
  id: number;
  iid: number;
  projectId: number;
  sha: string;
  ref: string;
  source: 'push' | 'merge_request_event' | 'web';
  createdAt: string;
  /** Simulated run time (already scaled); status follows from createdAt + durationMs. */
  durationMs: number;
  outcome: 'success' | 'failed';
}

export interface GitlabState {
  version: 1;
  projects: ProjectRecord[];
  mergeRequests: MergeRequestRecord[];
  pipelines: PipelineRecord[];
  nextMergeRequestId: number;
  nextPipelineId: number;
}

/** The people and bots of the sandbox GitLab (authors come from catalog/org.yaml). */
export const sandboxUsers: SandboxUser[] = [
  {
    id: 11,
    username: 'kop-release-bot',
    name: 'kop release portal',
    email: 'kop-release-bot@kop.example',
    accessLevel: AccessLevel.maintainer,
    bot: true,
  },
  {
    id: 12,
    username: 'kop-viewer',
    name: 'kop read-only viewer',
    email: 'kop-viewer@kop.example',
    accessLevel: AccessLevel.reporter,
    bot: true,
  },
  {
    id: 21,
    username: 'kim.minjun',
    name: '김민준 Kim Minjun',
    email: 'kim.minjun@kop.example',
    accessLevel: AccessLevel.developer,
  },
  {
    id: 22,
    username: 'lee.seoyeon',
    name: '이서연 Lee Seoyeon',
    email: 'lee.seoyeon@kop.example',
    accessLevel: AccessLevel.developer,
  },
  {
    id: 23,
    username: 'park.jihoon',
    name: '박지훈 Park Jihoon',
    email: 'park.jihoon@kop.example',
    accessLevel: AccessLevel.maintainer,
  },
  {
    id: 24,
    username: 'choi.yuna',
    name: '최유나 Choi Yuna',
    email: 'choi.yuna@kop.example',
    accessLevel: AccessLevel.developer,
  },
  {
    id: 25,
    username: 'jung.hyunwoo',
    name: '정현우 Jung Hyunwoo',
    email: 'jung.hyunwoo@kop.example',
    accessLevel: AccessLevel.maintainer,
  },
];

/**
 * Tokens the sandbox GitLab accepts by default: one that can push to every kop project (maintainer),
 * one that can only read (reporter). Sandbox values, never used anywhere real.
 */
export const sandboxGitlabTokens = {
  maintainer: 'glpat-kop-sandbox-release-bot',
  readOnly: 'glpat-kop-sandbox-read-only',
} as const;

export const defaultSandboxTokens: SandboxToken[] = [
  { token: sandboxGitlabTokens.maintainer, username: 'kop-release-bot' },
  { token: sandboxGitlabTokens.readOnly, username: 'kop-viewer' },
];

/** Whether a branch name matches a protected name or `*` pattern. */
export function isProtected(project: ProjectRecord, branch: string): boolean {
  return project.protectedBranches.some(p =>
    p.includes('*')
      ? new RegExp(
          `^${p
            .split('*')
            .map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ).test(branch)
      : p === branch,
  );
}

/** The JSON file that keeps projects, merge requests and pipelines across restarts. */
export class GitlabStateStore {
  readonly file: string;
  state: GitlabState;

  private constructor(file: string, state: GitlabState) {
    this.file = file;
    this.state = state;
  }

  static fileIn(dataDir: string): string {
    return join(dataDir, 'gitlab', 'state.json');
  }

  static load(dataDir: string): GitlabStateStore | undefined {
    const file = GitlabStateStore.fileIn(dataDir);
    if (!existsSync(file)) return undefined;
    return new GitlabStateStore(
      file,
      JSON.parse(readFileSync(file, 'utf8')) as GitlabState,
    );
  }

  static create(dataDir: string, state: GitlabState): GitlabStateStore {
    const store = new GitlabStateStore(GitlabStateStore.fileIn(dataDir), state);
    store.save();
    return store;
  }

  /** Written whole to a temporary file, then renamed: a crash never leaves half a file. */
  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  project(idOrPath: string): ProjectRecord | undefined {
    if (/^\d+$/.test(idOrPath)) {
      return this.state.projects.find(p => p.id === Number(idOrPath));
    }
    const wanted = idOrPath.toLowerCase();
    return this.state.projects.find(p => p.path.toLowerCase() === wanted);
  }

  mergeRequests(projectId: number): MergeRequestRecord[] {
    return this.state.mergeRequests.filter(m => m.projectId === projectId);
  }

  addMergeRequest(
    fields: Omit<MergeRequestRecord, 'id' | 'iid'>,
  ): MergeRequestRecord {
    const iid =
      Math.max(0, ...this.mergeRequests(fields.projectId).map(m => m.iid)) + 1;
    const record: MergeRequestRecord = {
      ...fields,
      id: this.state.nextMergeRequestId++,
      iid,
    };
    this.state.mergeRequests.push(record);
    this.save();
    return record;
  }

  addPipeline(fields: Omit<PipelineRecord, 'id' | 'iid'>): PipelineRecord {
    const iid =
      Math.max(
        0,
        ...this.state.pipelines
          .filter(p => p.projectId === fields.projectId)
          .map(p => p.iid),
      ) + 1;
    const record: PipelineRecord = {
      ...fields,
      id: this.state.nextPipelineId++,
      iid,
    };
    this.state.pipelines.push(record);
    this.save();
    return record;
  }
}
