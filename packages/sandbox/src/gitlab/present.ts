import type { GitCommit, GitFileDiff } from '../git/GitRepos';
import type {
  MergeRequestRecord,
  PipelineRecord,
  ProjectRecord,
  SandboxUser,
} from './state';

/** GitLab's JSON shapes (the fields `@gitbeaker/rest` and the portal read, as GitLab names them). */

export function presentUser(user: SandboxUser, webBase: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${webBase}/${user.username}`,
  };
}

export function presentCurrentUser(user: SandboxUser, webBase: string) {
  return {
    ...presentUser(user, webBase),
    created_at: '2025-01-02T09:00:00.000+09:00',
    bio: '',
    bot: user.bot ?? false,
    public_email: null,
    email: user.email,
    is_admin: false,
    can_create_group: false,
    can_create_project: false,
    two_factor_enabled: false,
    external: false,
  };
}

export function presentMember(user: SandboxUser, webBase: string) {
  return {
    ...presentUser(user, webBase),
    access_level: user.accessLevel,
    created_at: '2025-01-02T09:00:00.000+09:00',
    expires_at: null,
    membership_state: 'active',
  };
}

const namespace = (webBase: string) => ({
  id: 10,
  name: 'kop',
  path: 'kop',
  kind: 'group',
  full_path: 'kop',
  parent_id: null,
  avatar_url: null,
  web_url: `${webBase}/groups/kop`,
});

export function presentProject(
  project: ProjectRecord,
  user: SandboxUser,
  webBase: string,
  lastActivityAt: string,
) {
  const name = project.path.split('/').pop()!;
  return {
    id: project.id,
    description: project.description,
    name,
    name_with_namespace: `kop / ${name}`,
    path: name,
    path_with_namespace: project.path,
    created_at: project.createdAt,
    default_branch: project.defaultBranch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@gitlab.kop.example:${project.path}.git`,
    http_url_to_repo: `${webBase}/${project.path}.git`,
    web_url: `${webBase}/${project.path}`,
    readme_url: null,
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: lastActivityAt,
    namespace: namespace(webBase),
    visibility: 'internal',
    empty_repo: false,
    archived: false,
    merge_method: 'merge',
    squash_option: 'default_off',
    only_allow_merge_if_pipeline_succeeds:
      project.onlyAllowMergeIfPipelineSucceeds,
    remove_source_branch_after_merge: true,
    merge_requests_enabled: true,
    jobs_enabled: project.ci,
    permissions: {
      project_access: { access_level: user.accessLevel, notification_level: 3 },
      group_access: null,
    },
  };
}

export function presentCommit(
  commit: GitCommit,
  project: ProjectRecord,
  webBase: string,
) {
  return {
    id: commit.sha,
    short_id: commit.sha.slice(0, 8),
    created_at: commit.committedDate,
    parent_ids: commit.parents,
    title: commit.title,
    message: commit.message,
    author_name: commit.authorName,
    author_email: commit.authorEmail,
    authored_date: commit.authoredDate,
    committer_name: commit.committerName,
    committer_email: commit.committerEmail,
    committed_date: commit.committedDate,
    trailers: {},
    extended_trailers: {},
    web_url: `${webBase}/${project.path}/-/commit/${commit.sha}`,
  };
}

export function presentDiff(diff: GitFileDiff) {
  return {
    diff: diff.diff,
    new_path: diff.newPath,
    old_path: diff.oldPath,
    a_mode: diff.aMode,
    b_mode: diff.bMode,
    new_file: diff.newFile,
    renamed_file: diff.renamedFile,
    deleted_file: diff.deletedFile,
    generated_file: false,
  };
}

/** What a pipeline shows at a moment: running until its simulated time is up, then its outcome. */
export function pipelineStatus(pipeline: PipelineRecord, now: number) {
  const started = Date.parse(pipeline.createdAt);
  const done = now - started >= pipeline.durationMs;
  return {
    status: done ? pipeline.outcome : 'running',
    finishedAt: done
      ? new Date(started + pipeline.durationMs).toISOString()
      : null,
  };
}

export function presentPipeline(
  pipeline: PipelineRecord,
  project: ProjectRecord,
  webBase: string,
  now: number,
) {
  const { status, finishedAt } = pipelineStatus(pipeline, now);
  return {
    id: pipeline.id,
    iid: pipeline.iid,
    project_id: pipeline.projectId,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status,
    source: pipeline.source,
    created_at: pipeline.createdAt,
    updated_at: finishedAt ?? pipeline.createdAt,
    web_url: `${webBase}/${project.path}/-/pipelines/${pipeline.id}`,
    name: null,
  };
}

export function presentPipelineDetail(
  pipeline: PipelineRecord,
  project: ProjectRecord,
  webBase: string,
  now: number,
  user: SandboxUser,
) {
  const base = presentPipeline(pipeline, project, webBase, now);
  const label = base.status === 'running' ? 'running' : base.status;
  return {
    ...base,
    before_sha: '0000000000000000000000000000000000000000',
    tag: false,
    yaml_errors: null,
    user: presentUser(user, webBase),
    started_at: pipeline.createdAt,
    finished_at: base.status === 'running' ? null : base.updated_at,
    committed_at: null,
    duration:
      base.status === 'running' ? null : Math.round(pipeline.durationMs / 1000),
    queued_duration: 0,
    coverage: null,
    detailed_status: {
      icon: `status_${label}`,
      text: label === 'success' ? 'Passed' : label,
      label: label === 'success' ? 'passed' : label,
      group: label,
      tooltip: label,
      has_details: true,
      details_path: `/${project.path}/-/pipelines/${pipeline.id}`,
      illustration: null,
      favicon: `favicon_status_${label}`,
    },
  };
}

export function presentMergeRequest(
  mr: MergeRequestRecord,
  project: ProjectRecord,
  webBase: string,
  users: (username: string | null) => SandboxUser | undefined,
  detailedStatus: string,
) {
  const author = users(mr.authorUsername);
  const mergedBy = users(mr.mergedByUsername);
  const person = (u?: SandboxUser) => (u ? presentUser(u, webBase) : null);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: mr.projectId,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_by: person(mergedBy),
    merge_user: person(mergedBy),
    merged_at: mr.mergedAt,
    closed_by: null,
    closed_at: mr.closedAt,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: 0,
    upvotes: 0,
    downvotes: 0,
    author: person(author),
    assignees: [],
    assignee: null,
    reviewers: [],
    source_project_id: project.id,
    target_project_id: project.id,
    labels: [],
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status:
      detailedStatus === 'broken_status' ? 'cannot_be_merged' : 'can_be_merged',
    detailed_merge_status: detailedStatus,
    sha: mr.sha,
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: mr.removeSourceBranch,
    force_remove_source_branch: mr.removeSourceBranch,
    prepared_at: mr.createdAt,
    reference: `!${mr.iid}`,
    references: {
      short: `!${mr.iid}`,
      relative: `!${mr.iid}`,
      full: `${project.path}!${mr.iid}`,
    },
    web_url: `${webBase}/${project.path}/-/merge_requests/${mr.iid}`,
    time_stats: {
      time_estimate: 0,
      total_time_spent: 0,
      human_time_estimate: null,
      human_total_time_spent: null,
    },
    squash: false,
    squash_on_merge: false,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: detailedStatus === 'broken_status',
    blocking_discussions_resolved: true,
    approvals_before_merge: null,
  };
}
