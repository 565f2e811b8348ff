import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Who wrote a commit. */
export interface GitAuthor {
  name: string;
  email: string;
}

/** One commit, with git's own dates (ISO 8601 with offset). */
export interface GitCommit {
  sha: string;
  parents: string[];
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  committedDate: string;
}

/** A path a commit changed (for a merge commit: against its first parent). */
export interface GitChange {
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  path: string;
  oldPath: string;
}

export interface GitLogEntry extends GitCommit {
  changes: GitChange[];
}

export interface GitTreeEntry {
  sha: string;
  name: string;
  type: 'blob' | 'tree';
  path: string;
  mode: string;
}

export interface GitFileDiff {
  oldPath: string;
  newPath: string;
  aMode: string;
  bMode: string;
  newFile: boolean;
  deletedFile: boolean;
  renamedFile: boolean;
  diff: string;
}

/** The actions of GitLab's Commits API. */
export interface CommitFileAction {
  action: 'create' | 'update' | 'delete' | 'move';
  filePath: string;
  content?: string;
  previousPath?: string;
  /** Refuse the action when another commit touched the file since this one. */
  lastCommitId?: string;
}

export interface CommitFilesOptions {
  branch: string;
  /** Where a new branch starts; without it the branch must exist (or the repository be empty). */
  startRef?: string;
  message: string;
  author: GitAuthor;
  /** ISO date for author and committer; now when absent. */
  date?: string;
  actions: CommitFileAction[];
  /** Fail with a race instead of committing when the branch head is not this commit. */
  expectedHeadSha?: string;
}

/** One commit of a history written in bulk with git fast-import. */
export interface ImportCommit {
  /** Positive, unique within one import; later commits name their parents by mark. */
  mark: number;
  branch: string;
  /** First parent, by mark (undefined for a root commit). */
  from?: number;
  /** Second parent of a merge commit, by mark. */
  merge?: number;
  message: string;
  author: GitAuthor;
  date: string;
  /** Path → new content, or null to delete. */
  files: Record<string, string | null>;
}

export type GitErrorCode =
  | 'invalid'
  | 'not_found'
  | 'exists'
  | 'missing'
  | 'changed'
  | 'conflict'
  | 'race'
  | 'failed';

/** A refusal or failure, with a code the HTTP layer maps to GitLab's answer. */
export class GitError extends Error {
  readonly code: GitErrorCode;
  constructor(code: GitErrorCode, message: string) {
    super(message);
    this.name = 'GitError';
    this.code = code;
  }
}

const ZERO_SHA = '0000000000000000000000000000000000000000';
const FULL_SHA = /^[0-9a-f]{40}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const FIELD = '\x1f';
const RECORD = '\x1e';
const END = '\x1d';
const LOG_FORMAT = `${RECORD}%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%cn${FIELD}%ce${FIELD}%cI${FIELD}%B${END}`;

/** Checks a project path such as `kop/hybris`: plain segments only, so it can never leave the root. */
export function assertProjectPath(project: string): void {
  const segments = typeof project === 'string' ? project.split('/') : [];
  if (
    segments.length < 2 ||
    project.length > 255 ||
    !segments.every(s => SEGMENT.test(s) && !s.includes('..'))
  ) {
    throw new GitError('invalid', `invalid project path '${project}'`);
  }
}

/** Checks a branch, tag or commit name: no option, no `..`, nothing git would read specially. */
export function assertRef(ref: string): void {
  if (
    typeof ref !== 'string' ||
    ref.length > 255 ||
    !REF.test(ref) ||
    ref.includes('..') ||
    ref.includes('//') ||
    ref.endsWith('/') ||
    ref.endsWith('.') ||
    ref.endsWith('.lock') ||
    ref.includes('/.')
  ) {
    throw new GitError('invalid', `invalid reference name '${ref}'`);
  }
}

/** Checks a file path inside a repository: relative, no `.`/`..`/`.git` segment. */
export function assertFilePath(path: string): void {
  const segments = typeof path === 'string' ? path.split('/') : [];
  if (
    segments.length === 0 ||
    path.length > 1024 ||
    path.includes('\0') ||
    path.includes('\\') ||
    segments.some(
      s => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git',
    )
  ) {
    throw new GitError('invalid', `invalid file path '${path}'`);
  }
}

/** Environment for every git call: no user or system config, no prompts, nothing inherited from GIT_*. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GIT_')) env[k] = v;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        env: gitEnv(options.env),
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const code =
          error && typeof (error as { code?: unknown }).code === 'number'
            ? ((error as { code: number }).code as number)
            : 0;
        if (error && code === 0) {
          reject(new GitError('failed', `git could not run: ${error.message}`));
          return;
        }
        resolve({ code, stdout, stderr: stderr.toString('utf8') });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** A path as fast-import reads it: quoted when it holds what would end or escape it. */
function quotePath(path: string): string {
  return /["\\\n]|^\s|\s$/.test(path) || path.startsWith('"')
    ? JSON.stringify(path)
    : path;
}

/** A name or e-mail as a git ident holds it: no angle brackets or line breaks. */
function identPart(text: string): string {
  return text.replace(/[<>\n]/g, '').trim();
}

/** A date as fast-import's raw format reads it: epoch seconds and the offset, now by default. */
function gitDate(date?: string): string {
  const when = date === undefined ? Date.now() : Date.parse(date);
  if (Number.isNaN(when)) throw new GitError('invalid', `bad date ${date}`);
  const given = date && /([+-])(\d\d):?(\d\d)$/.exec(date);
  // A date without an offset (or in Z) is UTC; none at all is now, in this machine's zone.
  let minutes = date === undefined ? -new Date(when).getTimezoneOffset() : 0;
  if (given) {
    minutes =
      (given[1] === '-' ? -1 : 1) * (Number(given[2]) * 60 + Number(given[3]));
  }
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${Math.floor(when / 1000)} ${sign}${hh}${mm}`;
}

function authorEnv(author: GitAuthor, date?: string): Record<string, string> {
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  if (date) {
    env.GIT_AUTHOR_DATE = date;
    env.GIT_COMMITTER_DATE = date;
  }
  return env;
}

function statusOf(letter: string): GitChange['status'] {
  if (letter.startsWith('A')) return 'added';
  if (letter.startsWith('D')) return 'deleted';
  if (letter.startsWith('R')) return 'renamed';
  return 'modified';
}

function parseLog(text: string): GitLogEntry[] {
  return text
    .split(RECORD)
    .filter(r => r.length > 0)
    .map(record => {
      const end = record.indexOf(END);
      const [sha, parents, an, ae, ad, cn, ce, cd, ...body] = record
        .slice(0, end)
        .split(FIELD);
      const message = body.join(FIELD).replace(/\n+$/, '');
      const tokens = record
        .slice(end + 1)
        .split('\0')
        .map(t => t.replace(/^\n/, ''))
        .filter(t => t.length > 0);
      const changes: GitChange[] = [];
      for (let i = 0; i < tokens.length; ) {
        const status = tokens[i];
        if (/^[RC]/.test(status)) {
          changes.push({
            status: statusOf(status),
            oldPath: tokens[i + 1],
            path: tokens[i + 2],
          });
          i += 3;
        } else {
          changes.push({
            status: statusOf(status),
            oldPath: tokens[i + 1],
            path: tokens[i + 1],
          });
          i += 2;
        }
      }
      return {
        sha,
        parents: parents ? parents.split(' ') : [],
        title: message.split('\n')[0],
        message,
        authorName: an,
        authorEmail: ae,
        authoredDate: ad,
        committerName: cn,
        committerEmail: ce,
        committedDate: cd,
        changes,
      };
    });
}

/** How much the cache of reads at a fixed commit may hold. */
export interface GitReadCacheLimits {
  /** Most reads kept (default 5000). */
  entries?: number;
  /** Most bytes of keys and answers kept (default 64 MiB). */
  bytes?: number;
}

interface CachedRead {
  value: Promise<unknown>;
  bytes: number;
}

/**
 * Answers of reads that can never change (a file, a blob id or a history at a full commit sha),
 * least recently used first out; a read in flight is shared, a failed one is forgotten.
 */
class CommitReadCache {
  private readonly entries = new Map<string, CachedRead>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): Promise<T> | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value as Promise<T>;
  }

  read<T>(
    key: string,
    read: () => Promise<T>,
    sizeOf: (value: T) => number,
  ): Promise<T> {
    const hit = this.get<T>(key);
    if (hit) return hit;
    const entry: CachedRead = { value: Promise.resolve(), bytes: 0 };
    const value = read().then(
      answer => {
        if (this.entries.get(key) === entry) {
          entry.bytes = key.length + sizeOf(answer);
          this.bytes += entry.bytes;
          this.trim();
        }
        return answer;
      },
      error => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw error;
      },
    );
    entry.value = value;
    this.entries.set(key, entry);
    this.trim();
    return value;
  }

  private trim() {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) {
        return;
      }
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}

/**
 * Real bare git repositories under `<root>/<group>/<name>.git`, driven with the git CLI (never a shell).
 * Writes go through plumbing and end with `update-ref <new> <old>`, so a concurrent change of the same
 * branch makes the later write fail (a race) instead of overwriting.
 */
export class GitRepos {
  readonly root: string;
  private readonly cache: CommitReadCache;
  /** Full-sha lookups under way, shared by identical ones that start meanwhile. */
  private readonly resolving = new Map<string, Promise<string | undefined>>();
  private processes = 0;

  constructor(root: string, cacheLimits: GitReadCacheLimits = {}) {
    this.root = root;
    this.cache = new CommitReadCache(
      cacheLimits.entries ?? 5000,
      cacheLimits.bytes ?? 64 * 1024 * 1024,
    );
    mkdirSync(root, { recursive: true });
  }

  /** How many git processes this has started, and how many reads at a fixed commit it keeps. */
  get usage(): { gitProcesses: number; cachedReads: number } {
    return { gitProcesses: this.processes, cachedReads: this.cache.size };
  }

  /** The repositories of one sandbox: `<dataDir>/git`. */
  static forContext(context: { dataDir: string }): GitRepos {
    return new GitRepos(join(context.dataDir, 'git'));
  }

  /** The bare repository directory of a project. */
  dir(project: string): string {
    assertProjectPath(project);
    return `${join(this.root, ...project.split('/'))}.git`;
  }

  exists(project: string): boolean {
    const dir = this.dir(project);
    return existsSync(join(dir, 'HEAD'));
  }

  /** Every project on disk, e.g. `kop/hybris`, sorted. */
  projects(): string[] {
    const found: string[] = [];
    const walk = (dir: string, prefix: string[]) => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        if (!statSync(full).isDirectory()) continue;
        if (name.endsWith('.git') && existsSync(join(full, 'HEAD'))) {
          found.push([...prefix, name.slice(0, -4)].join('/'));
        } else if (SEGMENT.test(name)) {
          walk(full, [...prefix, name]);
        }
      }
    };
    walk(this.root, []);
    return found.filter(p => p.includes('/'));
  }

  /** Creates an empty bare repository (nothing happens when it exists). */
  async create(
    project: string,
    options: { defaultBranch?: string } = {},
  ): Promise<void> {
    const dir = this.dir(project);
    const branch = options.defaultBranch ?? 'main';
    assertRef(branch);
    if (this.exists(project)) return;
    mkdirSync(dir, { recursive: true });
    this.processes++;
    const res = await run([
      'init',
      '--quiet',
      '--bare',
      `--initial-branch=${branch}`,
      dir,
    ]);
    if (res.code !== 0) {
      throw new GitError('failed', `git init ${project}: ${res.stderr.trim()}`);
    }
  }

  private async git(
    project: string,
    args: string[],
    options: { input?: string | Buffer; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    this.mustExist(project);
    this.processes++;
    return run(['--git-dir', this.dir(project), ...args], options);
  }

  private mustExist(project: string): void {
    if (!this.exists(project)) {
      throw new GitError('not_found', `project ${project} not found`);
    }
  }

  /** A read at a full commit sha, which can never change: answered once, then from the cache. */
  private atCommit<T>(
    project: string,
    what: string,
    sha: string,
    path: string,
    read: () => Promise<T>,
  ): Promise<T> {
    this.mustExist(project);
    return this.cache.read(`${what}\0${project}\0${sha}:${path}`, read, v =>
      typeof v === 'string' ? Buffer.byteLength(v) : 0,
    );
  }

  private async gitOk(
    project: string,
    args: string[],
    options: { input?: string | Buffer; env?: Record<string, string> } = {},
  ): Promise<string> {
    const res = await this.git(project, args, options);
    if (res.code !== 0) {
      throw new GitError(
        'failed',
        `git ${args[0]} in ${project} failed: ${res.stderr.trim()}`,
      );
    }
    return res.stdout.toString('utf8');
  }

  /** The commit a branch, tag or (short) sha names, or undefined. Branches win over anything else. */
  async resolveRef(project: string, ref: string): Promise<string | undefined> {
    assertRef(ref);
    if (!FULL_SHA.test(ref)) return this.lookupRef(project, ref);
    // A full sha that names itself is kept (commits never go away); a branch moves, so never.
    const key = `commit\0${project}\0${ref}`;
    const known = this.cache.get<string>(key);
    if (known) {
      this.mustExist(project);
      return known;
    }
    const inFlight = this.resolving.get(key);
    if (inFlight) {
      const found = await inFlight;
      // A miss is asked again: the commit may have been written after that lookup began.
      if (found) return found;
      return this.lookupRef(project, ref);
    }
    const lookup = this.lookupRef(project, ref);
    this.resolving.set(key, lookup);
    try {
      const found = await lookup;
      if (found === ref) {
        this.cache.read(
          key,
          async () => found,
          () => found.length,
        );
      }
      return found;
    } finally {
      this.resolving.delete(key);
    }
  }

  /**
   * A branch git keeps as a loose ref, read as git reads it: a file holding the sha, replaced by a
   * rename on each update, so no git process is needed. Undefined when git keeps it elsewhere.
   */
  private async looseBranch(
    project: string,
    ref: string,
  ): Promise<string | undefined> {
    this.mustExist(project);
    try {
      const text = await readFile(
        join(this.dir(project), 'refs', 'heads', ref),
        'utf8',
      );
      const sha = text.trim();
      return FULL_SHA.test(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }

  private async lookupRef(
    project: string,
    ref: string,
  ): Promise<string | undefined> {
    const loose = await this.looseBranch(project, ref);
    if (loose) return loose;
    const res = await this.git(
      project,
      ['cat-file', '--batch-check=%(objectname) %(objecttype)'],
      { input: `refs/heads/${ref}^{commit}\n${ref}^{commit}\n` },
    );
    return res.stdout
      .toString('utf8')
      .split('\n')
      .map(line => /^([0-9a-f]{40}) commit$/.exec(line)?.[1])
      .find(Boolean);
  }

  private async mustResolve(project: string, ref: string): Promise<string> {
    const sha = await this.resolveRef(project, ref);
    if (!sha) throw new GitError('not_found', `reference ${ref} not found`);
    return sha;
  }

  /** A file's text at a ref; undefined when the ref or the file is absent. */
  async readFile(
    project: string,
    ref: string,
    path: string,
  ): Promise<string | undefined> {
    assertFilePath(path);
    const sha = await this.resolveRef(project, ref);
    if (!sha) return undefined;
    return this.atCommit(project, 'blob', sha, path, async () => {
      const res = await this.git(project, [
        'cat-file',
        'blob',
        `${sha}:${path}`,
      ]);
      return res.code === 0 ? res.stdout.toString('utf8') : undefined;
    });
  }

  /** The blob id of a file at a ref, or undefined. */
  async blobId(
    project: string,
    ref: string,
    path: string,
  ): Promise<string | undefined> {
    assertFilePath(path);
    const sha = await this.resolveRef(project, ref);
    if (!sha) return undefined;
    return this.atCommit(project, 'blob-id', sha, path, async () => {
      const res = await this.git(project, [
        'rev-parse',
        '--verify',
        '--quiet',
        `${sha}:${path}`,
      ]);
      return res.code === 0 ? res.stdout.toString('utf8').trim() : undefined;
    });
  }

  /** The last commit reachable from ref that touched path, or undefined. */
  async lastCommitForPath(
    project: string,
    ref: string,
    path: string,
  ): Promise<string | undefined> {
    assertFilePath(path);
    const sha = await this.resolveRef(project, ref);
    if (!sha) return undefined;
    return this.atCommit(project, 'last-commit', sha, path, async () => {
      const out = await this.gitOk(project, [
        'log',
        '-1',
        '--format=%H',
        sha,
        '--',
        path,
      ]);
      return out.trim() || undefined;
    });
  }

  /** Entries of a directory at a ref (all below it when recursive). */
  /** Every file path of a commit (cached: a commit never changes). */
  private async paths(project: string, sha: string): Promise<string[]> {
    const text = await this.atCommit(project, 'paths', sha, '', () =>
      this.gitOk(project, ['ls-tree', '-r', '-z', '--name-only', sha]),
    );
    return text.split('\0').filter(Boolean);
  }

  private knowPaths(project: string, sha: string, paths: string[]): void {
    void this.atCommit(project, 'paths', sha, '', async () =>
      paths.map(p => `${p}\0`).join(''),
    );
  }

  async listTree(
    project: string,
    ref: string,
    options: { path?: string; recursive?: boolean } = {},
  ): Promise<GitTreeEntry[]> {
    const sha = await this.mustResolve(project, ref);
    if (options.path) assertFilePath(options.path);
    const treeish = options.path ? `${sha}:${options.path}` : sha;
    const res = await this.git(project, [
      'ls-tree',
      '-z',
      ...(options.recursive ? ['-r', '-t'] : []),
      treeish,
    ]);
    if (res.code !== 0) {
      throw new GitError('not_found', `tree ${options.path ?? ''} not found`);
    }
    const prefix = options.path ? `${options.path}/` : '';
    return res.stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map(line => {
        const [meta, name] = line.split('\t');
        const [mode, type, id] = meta.split(' ');
        const path = `${prefix}${name}`;
        return {
          sha: id,
          mode,
          type: type === 'tree' ? 'tree' : 'blob',
          path,
          name: path.split('/').pop()!,
        } as GitTreeEntry;
      });
  }

  /**
   * Commits reachable from `to` and not from `from` (all of `to` when from is undefined), newest
   * first, each with the paths it changed (a merge commit: against its first parent).
   */
  async log(
    project: string,
    from: string | undefined,
    to: string,
    options: {
      limit?: number;
      skip?: number;
      path?: string;
      firstParent?: boolean;
      since?: string;
      until?: string;
    } = {},
  ): Promise<GitLogEntry[]> {
    const range = await this.range(project, from, to);
    if (options.path) assertFilePath(options.path);
    const out = await this.gitOk(project, [
      'log',
      `--format=${LOG_FORMAT}`,
      '--name-status',
      '-z',
      '-M',
      '--diff-merges=first-parent',
      ...(options.firstParent ? ['--first-parent'] : []),
      ...(options.limit !== undefined ? [`--max-count=${options.limit}`] : []),
      ...(options.skip ? [`--skip=${options.skip}`] : []),
      ...(options.since ? [`--since=${options.since}`] : []),
      ...(options.until ? [`--until=${options.until}`] : []),
      ...range,
      '--',
      ...(options.path ? [options.path] : []),
    ]);
    return parseLog(out);
  }

  /** How many commits `log` would list without limit and skip. */
  async countCommits(
    project: string,
    from: string | undefined,
    to: string,
    options: {
      path?: string;
      firstParent?: boolean;
      since?: string;
      until?: string;
    } = {},
  ): Promise<number> {
    const range = await this.range(project, from, to);
    if (options.path) assertFilePath(options.path);
    const out = await this.gitOk(project, [
      'rev-list',
      '--count',
      ...(options.firstParent ? ['--first-parent'] : []),
      ...(options.since ? [`--since=${options.since}`] : []),
      ...(options.until ? [`--until=${options.until}`] : []),
      ...range,
      '--',
      ...(options.path ? [options.path] : []),
    ]);
    return Number(out.trim());
  }

  private async range(
    project: string,
    from: string | undefined,
    to: string,
  ): Promise<string[]> {
    const toSha = await this.mustResolve(project, to);
    if (from === undefined) return [toSha];
    const fromSha = await this.mustResolve(project, from);
    return [`^${fromSha}`, toSha];
  }

  /** One commit with the paths it changed, or undefined. */
  async showCommit(
    project: string,
    ref: string,
  ): Promise<GitLogEntry | undefined> {
    const sha = await this.resolveRef(project, ref);
    return sha ? this.showSha(project, sha) : undefined;
  }

  private async showSha(
    project: string,
    sha: string,
  ): Promise<GitLogEntry | undefined> {
    const out = await this.gitOk(project, [
      'log',
      '-1',
      `--format=${LOG_FORMAT}`,
      '--name-status',
      '-z',
      '-M',
      '--diff-merges=first-parent',
      sha,
    ]);
    return parseLog(out)[0];
  }

  /** Lines added and removed by a commit (against its first parent). */
  async stats(
    project: string,
    sha: string,
  ): Promise<{ additions: number; deletions: number; total: number }> {
    assertRef(sha);
    const out = await this.gitOk(project, [
      'diff-tree',
      '--numstat',
      '-r',
      '--root',
      '-m',
      '--first-parent',
      '--no-commit-id',
      sha,
    ]);
    let additions = 0;
    let deletions = 0;
    for (const line of out.split('\n')) {
      const [a, d] = line.split('\t');
      if (/^\d+$/.test(a ?? '')) additions += Number(a);
      if (/^\d+$/.test(d ?? '')) deletions += Number(d);
    }
    return { additions, deletions, total: additions + deletions };
  }

  /** The per-file diff between two commits (from undefined: from the empty tree). */
  async diff(
    project: string,
    from: string | undefined,
    to: string,
  ): Promise<GitFileDiff[]> {
    const toSha = await this.mustResolve(project, to);
    const fromSha = from
      ? await this.mustResolve(project, from)
      : (
          await this.gitOk(project, ['hash-object', '-t', 'tree', '--stdin'], {
            input: '',
          })
        ).trim();
    const raw = await this.gitOk(project, [
      'diff-tree',
      '-r',
      '-z',
      '-M',
      fromSha,
      toSha,
    ]);
    const tokens = raw.split('\0').filter(Boolean);
    const diffs: GitFileDiff[] = [];
    for (let i = 0; i < tokens.length; ) {
      const [aMode, bMode, , , status] = tokens[i].replace(/^:/, '').split(' ');
      const renamed = /^[RC]/.test(status);
      const oldPath = tokens[i + 1];
      const newPath = renamed ? tokens[i + 2] : oldPath;
      i += renamed ? 3 : 2;
      const patch = await this.gitOk(project, [
        'diff',
        '--no-color',
        '--no-ext-diff',
        '-M',
        fromSha,
        toSha,
        '--',
        ...(renamed ? [oldPath, newPath] : [newPath]),
      ]);
      const hunk = patch.indexOf('\n@@');
      diffs.push({
        oldPath,
        newPath,
        aMode,
        bMode,
        newFile: status.startsWith('A'),
        deletedFile: status.startsWith('D'),
        renamedFile: renamed,
        diff: hunk >= 0 ? `${patch.slice(hunk + 1)}` : '',
      });
    }
    return diffs;
  }

  async mergeBase(
    project: string,
    a: string,
    b: string,
  ): Promise<string | undefined> {
    const [shaA, shaB] = [
      await this.mustResolve(project, a),
      await this.mustResolve(project, b),
    ];
    const res = await this.git(project, ['merge-base', shaA, shaB]);
    return res.code === 0 ? res.stdout.toString('utf8').trim() : undefined;
  }

  /** Whether `ancestor` is reachable from `descendant`. */
  async isAncestor(
    project: string,
    ancestor: string,
    descendant: string,
  ): Promise<boolean> {
    const [a, d] = [
      await this.mustResolve(project, ancestor),
      await this.mustResolve(project, descendant),
    ];
    const res = await this.git(project, ['merge-base', '--is-ancestor', a, d]);
    return res.code === 0;
  }

  /** Branches with their head commits, sorted by name. */
  async branches(
    project: string,
  ): Promise<Array<{ name: string; sha: string }>> {
    const out = await this.gitOk(project, [
      'for-each-ref',
      '--format=%(refname:strip=2) %(objectname)',
      'refs/heads/',
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const at = line.lastIndexOf(' ');
        return { name: line.slice(0, at), sha: line.slice(at + 1) };
      })
      .sort((x, y) => x.name.localeCompare(y.name));
  }

  async branchHead(project: string, name: string): Promise<string | undefined> {
    assertRef(name);
    const loose = await this.looseBranch(project, name);
    if (loose) return loose;
    const res = await this.git(project, [
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${name}^{commit}`,
    ]);
    return res.code === 0 ? res.stdout.toString('utf8').trim() : undefined;
  }

  /** The branch HEAD points at (the project's default branch). */
  async defaultBranch(project: string): Promise<string> {
    const out = await this.gitOk(project, ['symbolic-ref', '--short', 'HEAD']);
    return out.trim();
  }

  /** Creates a branch at ref; fails when it exists. Returns its commit. */
  async createBranch(
    project: string,
    name: string,
    ref: string,
  ): Promise<string> {
    assertRef(name);
    if (/^[0-9a-f]{40}$/.test(name) || name === 'HEAD') {
      throw new GitError('invalid', `invalid branch name '${name}'`);
    }
    const sha = await this.mustResolve(project, ref);
    await this.updateRef(
      project,
      `refs/heads/${name}`,
      sha,
      ZERO_SHA,
      'exists',
    );
    return sha;
  }

  async deleteBranch(project: string, name: string): Promise<void> {
    const head = await this.branchHead(project, name);
    if (!head) throw new GitError('not_found', `branch ${name} not found`);
    await this.updateRef(project, `refs/heads/${name}`, '', head, 'race', true);
  }

  /**
   * Creates, moves (sha) or deletes (null) several branches in one transaction (`update-ref --stdin`).
   */
  async updateBranches(
    project: string,
    updates: Array<{ name: string; sha: string | null }>,
  ): Promise<void> {
    if (!updates.length) return;
    const lines = updates.map(u => {
      assertRef(u.name);
      if (u.sha !== null && !/^[0-9a-f]{40}$/.test(u.sha)) {
        throw new GitError('invalid', `not a commit id: ${u.sha}`);
      }
      return u.sha === null
        ? `delete refs/heads/${u.name}`
        : `update refs/heads/${u.name} ${u.sha}`;
    });
    await this.gitOk(project, ['update-ref', '--stdin'], {
      input: `${lines.join('\n')}\n`,
    });
  }

  private async updateRef(
    project: string,
    ref: string,
    next: string,
    previous: string,
    onFail: GitErrorCode,
    remove = false,
  ): Promise<void> {
    const res = await this.git(project, [
      'update-ref',
      ...(remove ? ['-d', ref, previous] : [ref, next, previous]),
    ]);
    if (res.code !== 0) {
      const short = ref.replace(/^refs\/heads\//, '');
      throw new GitError(
        onFail,
        onFail === 'exists'
          ? `branch ${short} already exists`
          : `Could not update ${ref}: reference does not point to expected object`,
      );
    }
  }

  /**
   * One commit of several file actions on a branch, written by one `git fast-import` under a
   * temporary ref and published with `update-ref <new> <old>` in the transaction that drops that
   * ref: when the branch moved in between, this fails with code 'race' and nothing is written to
   * the branch. A real GitLab answers this in one request; here it costs a few processes, not one
   * per file.
   */
  async commitFiles(
    project: string,
    options: CommitFilesOptions,
  ): Promise<GitCommit> {
    assertRef(options.branch);
    if (!options.actions.length) {
      throw new GitError('invalid', 'a commit needs at least one action');
    }
    const head = await this.branchHead(project, options.branch);
    if (options.expectedHeadSha && head !== options.expectedHeadSha) {
      throw new GitError(
        'race',
        `Could not update refs/heads/${options.branch}: reference does not point to expected object`,
      );
    }
    let parent = head;
    if (!parent && options.startRef) {
      parent = await this.mustResolve(project, options.startRef);
    }
    if (!parent && (await this.branches(project)).length > 0) {
      throw new GitError('not_found', `branch ${options.branch} not found`);
    }
    const existing = new Set(parent ? await this.paths(project, parent) : []);
    const chunks: Buffer[] = [];
    const put = (text: string) => chunks.push(Buffer.from(text, 'utf8'));
    const data = (text: string) => {
      put(`data ${Buffer.byteLength(text, 'utf8')}\n`);
      put(`${text}\n`);
    };
    const changes: string[] = [];
    for (const action of options.actions) {
      assertFilePath(action.filePath);
      const path = action.filePath;
      if (action.lastCommitId && parent && action.action !== 'create') {
        const last = await this.lastCommitForPath(
          project,
          parent,
          action.action === 'move' ? action.previousPath ?? path : path,
        );
        if (last && last !== action.lastCommitId) {
          throw new GitError(
            'changed',
            `The file has changed since you started editing it: ${path}`,
          );
        }
      }
      if (action.action === 'create' || action.action === 'move') {
        if (existing.has(path)) {
          throw new GitError(
            'exists',
            `A file with this name already exists: ${path}`,
          );
        }
      }
      if (action.action === 'update' || action.action === 'delete') {
        if (!existing.has(path)) {
          throw new GitError(
            'missing',
            `A file with this name doesn't exist: ${path}`,
          );
        }
      }
      if (action.action === 'delete') {
        changes.push(`D ${quotePath(path)}\n`);
        existing.delete(path);
        continue;
      }
      let content = action.content;
      if (action.action === 'move') {
        const from = action.previousPath ?? '';
        assertFilePath(from);
        if (!existing.has(from)) {
          throw new GitError(
            'missing',
            `A file with this name doesn't exist: ${from}`,
          );
        }
        if (content === undefined) {
          content = await this.readFile(project, parent!, from);
        }
        changes.push(`D ${quotePath(from)}\n`);
        existing.delete(from);
      }
      if (content === undefined) {
        throw new GitError('invalid', `content is missing for ${path}`);
      }
      changes.push(`M 100644 inline ${quotePath(path)}\n`);
      changes.push(`data ${Buffer.byteLength(content, 'utf8')}\n${content}\n`);
      existing.add(path);
    }
    const scratch = `refs/kop-commits/${randomUUID()}`;
    const who = `${identPart(options.author.name)} <${identPart(
      options.author.email,
    )}> ${gitDate(options.date)}`;
    put(`commit ${scratch}\nmark :1\nauthor ${who}\ncommitter ${who}\n`);
    data(options.message);
    if (parent) put(`from ${parent}\n`);
    changes.forEach(put);
    put('\n');
    const marks = join(this.dir(project), `kop-marks-${randomUUID()}`);
    let sha: string | undefined;
    try {
      const res = await this.git(
        project,
        ['fast-import', '--quiet', `--export-marks=${marks}`],
        { input: Buffer.concat(chunks) },
      );
      if (res.code !== 0) {
        throw new GitError(
          'failed',
          `git fast-import in ${project} failed: ${res.stderr.trim()}`,
        );
      }
      sha = /^:1 ([0-9a-f]{40})$/m.exec(readFileSync(marks, 'utf8'))?.[1];
    } finally {
      rmSync(marks, { force: true });
    }
    if (!sha) {
      throw new GitError(
        'failed',
        `git fast-import in ${project} wrote no commit`,
      );
    }
    const published = await this.git(project, ['update-ref', '--stdin'], {
      input: `update refs/heads/${options.branch} ${sha} ${
        head ?? ZERO_SHA
      }\ndelete ${scratch}\n`,
    });
    if (published.code !== 0) {
      await this.git(project, ['update-ref', '-d', scratch]);
      throw new GitError(
        'race',
        `Could not update refs/heads/${options.branch}: reference does not point to expected object`,
      );
    }
    // The next commit on this branch starts from here: its file list is known already.
    this.knowPaths(project, sha, [...existing]);
    return (await this.showSha(project, sha))!;
  }

  /** Whether source merges into target without conflicts. */
  async canMerge(
    project: string,
    source: string,
    target: string,
  ): Promise<boolean> {
    const [s, t] = [
      await this.mustResolve(project, source),
      await this.mustResolve(project, target),
    ];
    const res = await this.git(project, ['merge-tree', '--write-tree', t, s]);
    return res.code === 0;
  }

  /**
   * Merges branch `source` into branch `target` with a real merge commit (two parents), as GitLab's
   * "merge commit" method does; fails with 'conflict' when the trees conflict.
   */
  async merge(
    project: string,
    source: string,
    target: string,
    message: string,
    options: {
      author?: GitAuthor;
      date?: string;
      expectedSourceSha?: string;
    } = {},
  ): Promise<GitCommit> {
    assertRef(target);
    const targetHead = await this.branchHead(project, target);
    if (!targetHead)
      throw new GitError('not_found', `branch ${target} not found`);
    const sourceSha = await this.mustResolve(project, source);
    if (options.expectedSourceSha && options.expectedSourceSha !== sourceSha) {
      throw new GitError('changed', 'SHA does not match HEAD of source branch');
    }
    const res = await this.git(project, [
      'merge-tree',
      '--write-tree',
      '--no-messages',
      targetHead,
      sourceSha,
    ]);
    if (res.code !== 0) {
      throw new GitError(
        'conflict',
        `${source} does not merge cleanly into ${target}`,
      );
    }
    const tree = res.stdout.toString('utf8').split('\n')[0].trim();
    const author = options.author ?? {
      name: 'GitLab',
      email: 'gitlab@sandbox.invalid',
    };
    const sha = (
      await this.gitOk(
        project,
        ['commit-tree', tree, '-p', targetHead, '-p', sourceSha, '-F', '-'],
        { input: message, env: authorEnv(author, options.date) },
      )
    ).trim();
    await this.updateRef(
      project,
      `refs/heads/${target}`,
      sha,
      targetHead,
      'race',
    );
    return (await this.showSha(project, sha))!;
  }

  /**
   * Writes a whole history in one `git fast-import` (for seeding: hundreds of commits in one process).
   * Returns the commit sha of every mark. Branches are set to their last commit in the list.
   */
  async importHistory(
    project: string,
    commits: ImportCommit[],
  ): Promise<Map<number, string>> {
    const chunks: Buffer[] = [];
    const put = (text: string) => chunks.push(Buffer.from(text, 'utf8'));
    const data = (text: string) => {
      put(`data ${Buffer.byteLength(text, 'utf8')}\n`);
      put(`${text}\n`);
    };
    for (const c of commits) {
      assertRef(c.branch);
      const when = Date.parse(c.date);
      if (Number.isNaN(when))
        throw new GitError('invalid', `bad date ${c.date}`);
      const offset = /([+-])(\d\d):?(\d\d)$/.exec(c.date);
      const tz = offset ? `${offset[1]}${offset[2]}${offset[3]}` : '+0000';
      const who = `${c.author.name} <${c.author.email}> ${Math.floor(
        when / 1000,
      )} ${tz}`;
      put(`commit refs/heads/${c.branch}\nmark :${c.mark}\n`);
      put(`author ${who}\ncommitter ${who}\n`);
      data(c.message);
      if (c.from !== undefined) put(`from :${c.from}\n`);
      if (c.merge !== undefined) put(`merge :${c.merge}\n`);
      for (const [path, content] of Object.entries(c.files)) {
        assertFilePath(path);
        if (content === null) {
          put(`D ${path}\n`);
        } else {
          put(`M 100644 inline ${path}\n`);
          data(content);
        }
      }
      put('\n');
    }
    const marks = join(this.dir(project), `kop-marks-${randomUUID()}`);
    try {
      const res = await this.git(
        project,
        ['fast-import', '--quiet', `--export-marks=${marks}`],
        { input: Buffer.concat(chunks) },
      );
      if (res.code !== 0) {
        throw new GitError(
          'failed',
          `fast-import into ${project}: ${res.stderr.trim()}`,
        );
      }
      const result = new Map<number, string>();
      for (const line of readFileSync(marks, 'utf8').split('\n')) {
        const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line.trim());
        if (m) result.set(Number(m[1]), m[2]);
      }
      return result;
    } finally {
      rmSync(marks, { force: true });
    }
  }
}
