import type { Knex } from 'knex';
import { InputError } from '@backstage/errors';
import type {
  Release,
  ReleaseApp,
  ReleaseApproval,
  ReleaseBuild,
  ReleaseState,
} from '@internal/plugin-release-common';

type ReleaseRow = {
  id: string;
  product: string;
  title: string;
  state: string;
  grade: string;
  grade_reason: string | null;
  minimum_grade: string;
  change_classes: string;
  db_update: boolean | number;
  apps: string;
  config: string | null;
  items: string;
  links: string;
  author: string;
  author_groups: string;
  service_teams: string;
  window_override: string | null;
  retro_approval_pending: boolean | number;
  acknowledgements: string;
  builds: string;
  tests: string;
  test_overrides: string;
  created_at: string;
  updated_at: string;
  revision: number;
};

type ApprovalRow = {
  id: string;
  release_id: string;
  stage: string;
  requirement: string;
  role: string;
  approver: string;
  decision: string;
  comment: string | null;
  plan_fingerprint: string | null;
  created_at: string;
};

/** A release with what the policy needs that the API does not show. */
export interface StoredRelease extends Release {
  authorGroups: string[];
  serviceTeams: string[];
}

export interface ListReleasesOptions {
  state?: ReleaseState[];
  app?: ReleaseApp;
  author?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** Thrown when a release changed between read and write; the caller retries or answers 409. */
export class RevisionConflict extends Error {}

function toRelease(row: ReleaseRow, approvals: ApprovalRow[]): StoredRelease {
  return {
    id: row.id,
    product: row.product,
    title: row.title,
    state: row.state as ReleaseState,
    grade: row.grade as Release['grade'],
    gradeReason: row.grade_reason ?? undefined,
    minimumGrade: row.minimum_grade as Release['grade'],
    changeClasses: JSON.parse(row.change_classes),
    dbUpdate: Boolean(row.db_update),
    apps: JSON.parse(row.apps),
    ...(row.config ? { config: JSON.parse(row.config) } : {}),
    items: JSON.parse(row.items),
    links: JSON.parse(row.links),
    author: row.author,
    authorGroups: JSON.parse(row.author_groups),
    serviceTeams: JSON.parse(row.service_teams),
    windowOverride: row.window_override
      ? JSON.parse(row.window_override)
      : undefined,
    retroApprovalPending: Boolean(row.retro_approval_pending),
    acknowledgements: JSON.parse(row.acknowledgements ?? '[]'),
    builds: JSON.parse(row.builds ?? '[]'),
    tests: JSON.parse(row.tests ?? '[]'),
    testOverrides: JSON.parse(row.test_overrides ?? '[]'),
    approvals: approvals.map(a => ({
      id: a.id,
      stage: a.stage as ReleaseApproval['stage'],
      requirement: a.requirement,
      role: a.role,
      approver: a.approver,
      decision: a.decision as ReleaseApproval['decision'],
      comment: a.comment ?? undefined,
      ...(a.plan_fingerprint ? { planFingerprint: a.plan_fingerprint } : {}),
      createdAt: a.created_at,
    })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: row.revision,
  };
}

function toRow(r: StoredRelease): ReleaseRow {
  return {
    id: r.id,
    product: r.product,
    title: r.title,
    state: r.state,
    grade: r.grade,
    grade_reason: r.gradeReason ?? null,
    minimum_grade: r.minimumGrade,
    change_classes: JSON.stringify(r.changeClasses),
    db_update: r.dbUpdate,
    apps: JSON.stringify(r.apps),
    config: r.config ? JSON.stringify(r.config) : null,
    items: JSON.stringify(r.items),
    links: JSON.stringify(r.links),
    author: r.author,
    author_groups: JSON.stringify(r.authorGroups),
    service_teams: JSON.stringify(r.serviceTeams),
    window_override: r.windowOverride ? JSON.stringify(r.windowOverride) : null,
    retro_approval_pending: r.retroApprovalPending,
    acknowledgements: JSON.stringify(r.acknowledgements ?? []),
    builds: JSON.stringify(r.builds ?? []),
    tests: JSON.stringify(r.tests ?? []),
    test_overrides: JSON.stringify(r.testOverrides ?? []),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    revision: r.revision,
  };
}

function encodeCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): [string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every(v => typeof v === 'string')
  ) {
    throw new InputError('cursor: not a cursor from a previous page');
  }
  return value as [string, string];
}

/** Releases and approvals in the database. Writes take the caller's transaction. */
export class ReleaseStore {
  constructor(private readonly knex: Knex) {}

  async insert(tx: Knex.Transaction, release: StoredRelease): Promise<void> {
    await tx('releases').insert(toRow(release));
    await tx('release_apps').insert(
      release.apps.map(a => ({
        release_id: release.id,
        app: a.app,
        created_at: release.createdAt,
      })),
    );
  }

  async get(
    id: string,
    tx: Knex | Knex.Transaction = this.knex,
  ): Promise<StoredRelease | undefined> {
    const row = await tx<ReleaseRow>('releases').where({ id }).first();
    if (!row) return undefined;
    const approvals = await tx<ApprovalRow>('release_approvals')
      .where({ release_id: id })
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc');
    return toRelease(row, approvals);
  }

  /**
   * Writes the release's changed fields if nobody changed it since `expectedRevision`;
   * throws RevisionConflict otherwise.
   */
  async update(
    tx: Knex.Transaction,
    release: StoredRelease,
    expectedRevision: number,
  ): Promise<void> {
    const { id, created_at: _created, ...fields } = toRow(release);
    const count = await tx('releases')
      .where({ id, revision: expectedRevision })
      .update(fields);
    if (count !== 1) {
      throw new RevisionConflict(`Release ${id} changed meanwhile`);
    }
  }

  async insertApproval(
    tx: Knex.Transaction,
    releaseId: string,
    approval: ReleaseApproval,
  ): Promise<void> {
    await tx('release_approvals').insert({
      id: approval.id,
      release_id: releaseId,
      stage: approval.stage,
      requirement: approval.requirement,
      role: approval.role,
      approver: approval.approver,
      decision: approval.decision,
      comment: approval.comment ?? null,
      plan_fingerprint: approval.planFingerprint ?? null,
      created_at: approval.createdAt,
    });
  }

  /** Rewrites the requirement of approvals asked for again, so they stay on record and fill nothing. */
  async supersedeApprovals(
    tx: Knex.Transaction,
    releaseId: string,
    approvals: ReleaseApproval[],
  ): Promise<void> {
    for (const a of approvals) {
      if (!a.requirement.includes(':superseded:')) continue;
      await tx('release_approvals')
        .where({ id: a.id, release_id: releaseId })
        .update({ requirement: a.requirement });
    }
  }

  /**
   * The newest successful build of `app` a release recorded that pushed `imageTag`, with that
   * release's id; undefined when none did.
   */
  async findBuildByImageTag(
    app: ReleaseApp,
    imageTag: string,
  ): Promise<{ releaseId: string; build: ReleaseBuild } | undefined> {
    // Builds are JSON text: LIKE narrows the rows on both engines, the parsed builds decide.
    const needle = JSON.stringify({ imageTag }).slice(1, -1);
    const rows: Array<Pick<ReleaseRow, 'id' | 'builds'>> = await this.knex(
      'releases',
    )
      .select('id', 'builds')
      .whereRaw(`builds like ? escape '!'`, [
        `%${needle.replace(/[!%_]/g, c => `!${c}`)}%`,
      ])
      .orderBy([
        { column: 'updated_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    for (const row of rows) {
      const builds: ReleaseBuild[] = JSON.parse(row.builds ?? '[]');
      const build = builds.find(
        b => b.app === app && b.imageTag === imageTag && b.result === 'success',
      );
      if (build) return { releaseId: row.id, build };
    }
    return undefined;
  }

  /** Newest first, keyset-paged so page N costs the same as page 1. */
  async list(
    options: ListReleasesOptions,
  ): Promise<{ items: StoredRelease[]; nextCursor?: string }> {
    const query = this.knex<ReleaseRow>('releases as r')
      .select('r.*')
      .orderBy([
        { column: 'r.created_at', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(options.limit + 1);
    if (options.app) {
      query.whereIn(
        'r.id',
        this.knex('release_apps')
          .select('release_id')
          .where('app', options.app),
      );
    }
    if (options.state?.length) query.whereIn('r.state', options.state);
    if (options.author) query.where('r.author', options.author);
    if (options.cursor) {
      const [createdAt, id] = decodeCursor(options.cursor);
      // A row-value comparison lets both engines seek the (created_at, id) index to the cursor.
      query.whereRaw('(r.created_at, r.id) < (?, ?)', [createdAt, id]);
    }
    const rows: ReleaseRow[] = await query;
    const page = rows.slice(0, options.limit);
    const approvals = page.length
      ? await this.knex<ApprovalRow>('release_approvals')
          .whereIn(
            'release_id',
            page.map(r => r.id),
          )
          .orderBy('created_at', 'asc')
      : [];
    const byRelease = new Map<string, ApprovalRow[]>();
    for (const a of approvals) {
      byRelease.set(a.release_id, [...(byRelease.get(a.release_id) ?? []), a]);
    }
    return {
      items: page.map(r => toRelease(r, byRelease.get(r.id) ?? [])),
      nextCursor:
        rows.length > options.limit
          ? encodeCursor(page[page.length - 1])
          : undefined,
    };
  }
}
