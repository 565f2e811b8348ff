import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { NotAllowedError } from '@backstage/errors';
import {
  isOpenReleaseState,
  type CreateReleaseRequest,
  type ReleaseState,
} from '@internal/plugin-release-common';
import type {
  Actor,
  ReleaseService,
  RequestContext,
} from '../src/service/ReleaseService';
import { groupsOf, user } from '../src/__testUtils__/org';
import { hashAuditRow, type AuditRow } from '../src/database/AuditLog';

/**
 * Seeding: a sample of releases goes through the real ReleaseService (create, request approval,
 * a refused self-approval, approvals, the engine's moves through the deploy states up to done), then the rest are bulk-inserted
 * as clones of those rows with new ids, titles and times, continuing the same hash chain.
 */

export const actor = (name: string): Actor => ({
  ref: user(name),
  groups: groupsOf(user(name)),
  isAdmin: false,
});

type Row = Record<string, unknown>;

/** A small deterministic PRNG (mulberry32), so every run seeds the same shape. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** A Wednesday 10:30 in Seoul about 14 months ago: inside the default release window. */
function historyStart(now: number): Date {
  const d = new Date(now - 420 * DAY);
  d.setUTCHours(1, 30, 0, 0);
  while (d.getUTCDay() !== 3) d.setTime(d.getTime() - DAY);
  return d;
}

interface Snapshot {
  state: ReleaseState;
  revision: number;
  updatedAt: string;
  retroApprovalPending: boolean;
  windowOverride?: unknown;
  approvalIds: string[];
}

/** One sample release as stored, used as the shape of many bulk ones. */
interface Template {
  id: string;
  title: string;
  appsLabel: string;
  createdAt: number;
  release: Row;
  apps: Row[];
  approvals: Row[];
  /** Audit rows of successful changes, in order, with the release after each. */
  successes: { row: AuditRow; after: Snapshot }[];
  /** Refused attempts (audited failures), repeatable while awaiting approval. */
  refusals: AuditRow[];
  /** How many successes come before the refusals belong (after request-approval). */
  refusalsAfter: number;
}

const hybrisRequest = (title: string): CreateReleaseRequest => ({
  title,
  grade: 'B',
  dbUpdate: false,
  apps: [{ app: 'hybris', version: 'deploy-2026-11-25' }],
  items: [
    {
      title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      app: 'hybris',
      source: {
        type: 'mr',
        project: 'kop/hybris',
        iid: 412,
        url: 'https://gitlab.example/kop/hybris/-/merge_requests/412',
      },
    },
    {
      title: '[버티컬] 대표이사 성명 변경 작업 원복',
      source: { type: 'asana', gid: '1209000000000042' },
    },
  ],
  links: [
    {
      title: 'Release checklist',
      url: 'https://wiki.example/kop/release-checklist',
    },
  ],
});

const webRequest = (title: string): CreateReleaseRequest => ({
  title,
  grade: 'B',
  dbUpdate: false,
  apps: [{ app: 'web', version: 'a7ed4db1' }],
  items: [
    {
      title: '[WEB] 메인 배너 영역 레이아웃 수정',
      app: 'web',
      source: {
        type: 'commit',
        project: 'kop/web',
        sha: 'a7ed4db1',
        url: 'https://gitlab.example/kop/web/-/commit/a7ed4db1',
      },
    },
  ],
});

const flows = {
  hybris: {
    request: hybrisRequest,
    author: 'kim.minjun',
    // park.jihoon is a developer, not a PL: refused for his role.
    refusedBy: ['kim.minjun', 'park.jihoon'],
    pl: 'choi.yuna',
    superior: 'seo.yeongho',
    before: ['beta'] as ReleaseState[],
    after: ['announced', 'scaling_down', 'done'] as ReleaseState[],
  },
  web: {
    request: webRequest,
    author: 'lee.seoyeon',
    refusedBy: ['lee.seoyeon'],
    pl: 'jung.hyunwoo',
    superior: 'baek.eunji',
    before: [] as ReleaseState[],
    after: ['done'] as ReleaseState[],
  },
};

/**
 * Takes `count` releases (alternating hybris and web) through their whole life with the real
 * service, on a clock that the service reads (`setClock`), and returns them as templates.
 */
export async function seedSample(
  knex: Knex,
  service: ReleaseService,
  setClock: (d: Date) => void,
  count: number,
): Promise<{ templates: Template[]; start: Date }> {
  const start = historyStart(Date.now());
  let clock = start.getTime();
  const tick = () => {
    clock += 20_000;
    setClock(new Date(clock));
  };
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const kind = n % 2 === 0 ? 'hybris' : 'web';
    const flow = flows[kind];
    const ctx = (): RequestContext => ({ requestId: randomUUID() });
    const title = `Bench template ${String(n).padStart(3, '0')}`;
    tick();
    const r = await service.create(actor(flow.author), flow.request(title), {
      requestId: randomUUID(),
    });
    ids.push(r.id);
    for (const to of flow.before) {
      tick();
      await service.transition(actor(flow.author), r.id, { to }, ctx());
    }
    tick();
    await service.requestApproval(actor(flow.author), r.id, ctx());
    for (const who of flow.refusedBy) {
      tick();
      try {
        await service.decide(
          actor(who),
          r.id,
          { decision: 'approve', stage: 'approval' },
          ctx(),
        );
        throw new Error(`${who} was allowed to approve ${r.id}`);
      } catch (e) {
        if (!(e instanceof NotAllowedError)) throw e;
      }
    }
    tick();
    await service.decide(
      actor(flow.pl),
      r.id,
      { decision: 'approve', stage: 'approval', comment: '확인했습니다' },
      ctx(),
    );
    // The deploy states are the engine's: it moves the release on behalf of who pressed Deploy.
    const engineMove = (to: ReleaseState) =>
      service.engineMove(
        r.id,
        { requestId: randomUUID(), onBehalfOf: actor(flow.author).ref },
        {
          action: to === 'deploying' ? 'deploy.start' : 'deploy.step.start',
          person: actor(flow.author),
          record: async () => ({ to }),
        },
      );
    for (const to of ['deploying', 'verifying', 'awaiting_signoff'] as const) {
      tick();
      await engineMove(to);
    }
    tick();
    await service.decide(
      actor(flow.superior),
      r.id,
      { decision: 'approve', stage: 'signoff' },
      ctx(),
    );
    for (const to of flow.after) {
      tick();
      await engineMove(to);
    }
    const final = await service.get(r.id);
    if (final.state !== 'done') {
      throw new Error(`sample release ${r.id} ended ${final.state}, not done`);
    }
  }

  const templates: Template[] = [];
  for (const id of ids) {
    const release: Row = await knex('releases').where({ id }).first();
    const audit: AuditRow[] = (
      await knex('release_audit').where({ release_id: id }).orderBy('seq')
    ).map((row: AuditRow) => ({ ...row, seq: Number(row.seq) }));
    // The engine's own rows (deploy.start, …) hold no release: the one before them still stands.
    let current: Snapshot | undefined;
    const successes = audit
      .filter(a => a.outcome === 'success')
      .map(row => {
        if (row.after) {
          const after = JSON.parse(row.after);
          current = {
            state: after.state,
            revision: after.revision,
            updatedAt: after.updatedAt,
            retroApprovalPending: after.retroApprovalPending,
            windowOverride: after.windowOverride,
            approvalIds: after.approvals.map((a: { id: string }) => a.id),
          };
        }
        return { row, after: current! };
      });
    templates.push({
      id,
      title: String(release.title),
      appsLabel: JSON.parse(String(release.apps))
        .map((a: { app: string }) => a.app)
        .join('+'),
      createdAt: Date.parse(String(release.created_at)),
      release,
      apps: await knex('release_apps').where({ release_id: id }),
      approvals: await knex('release_approvals').where({ release_id: id }),
      successes,
      refusals: audit.filter(a => a.outcome === 'failure'),
      refusalsAfter:
        successes.findIndex(s => s.row.action === 'release.request-approval') +
        1,
    });
  }
  return { templates, start };
}

export interface BulkResult {
  releases: number;
  auditRows: number;
  openReleases: number;
}

/**
 * Inserts `releases` more releases and exactly `auditRows` more audit rows, continuing the hash
 * chain from the head, in one transaction. Releases are spread evenly from a day after the sample
 * until an hour ago; most are done, some were left half-way, the newest are still in flight.
 */
export async function seedBulk(
  knex: Knex,
  templates: Template[],
  start: Date,
  releases: number,
  auditRows: number,
): Promise<BulkResult> {
  const random = prng(0x6b6f70);
  const from = start.getTime() + DAY;
  const spacing = Math.floor((Date.now() - 3_600_000 - from) / releases);

  // How far each release got (successful changes) and how many refused attempts it saw.
  const plan = Array.from({ length: releases }, (_, i) => {
    const t = templates[i % templates.length];
    const full = t.successes.length;
    const inFlight = i >= releases - 60;
    const abandoned = random() < 0.06;
    const steps =
      inFlight || abandoned ? 1 + Math.floor(random() * (full - 1)) : full;
    return { t, steps, refusals: 0 };
  });
  let total = plan.reduce((sum, p) => sum + p.steps, 0);
  while (total > auditRows) {
    const p = plan[Math.floor(random() * releases)];
    if (p.steps > 1) {
      p.steps -= 1;
      total -= 1;
    }
  }
  const canRefuse = plan.filter(p => p.steps >= p.t.refusalsAfter);
  if (total < auditRows && canRefuse.length === 0) {
    throw new Error('no release reached approval: cannot pad the audit trail');
  }
  while (total < auditRows) {
    canRefuse[Math.floor(random() * canRefuse.length)].refusals += 1;
    total += 1;
  }

  return knex.transaction(async tx => {
    const headQuery = tx('release_audit_head').where({ id: 1 }).first();
    if (knex.client.config.client === 'pg') headQuery.forUpdate();
    const head = await headQuery;
    let seq = Number(head.seq);
    let prevHash: string = head.hash;

    let releaseRows: Row[] = [];
    let appRows: Row[] = [];
    let approvalRows: Row[] = [];
    let auditBatch: AuditRow[] = [];
    let open = 0;

    const insert = async (table: string, rows: Row[], size: number) => {
      for (let i = 0; i < rows.length; i += size) {
        await tx(table).insert(rows.slice(i, i + size));
      }
    };
    // SQLite caps a compound SELECT (knex's multi-row insert there) at 500 terms.
    const flush = async () => {
      await insert('releases', releaseRows, 400);
      await insert('release_apps', appRows, 400);
      await insert('release_approvals', approvalRows, 400);
      await insert('release_audit', auditBatch, 400);
      releaseRows = [];
      appRows = [];
      approvalRows = [];
      auditBatch = [];
    };

    for (let i = 0; i < releases; i++) {
      const { t, steps, refusals } = plan[i];
      const id = randomUUID();
      const base = from + i * spacing;
      const delta = base - t.createdAt;
      const shift = (iso: string) =>
        new Date(Date.parse(iso) + delta).toISOString();
      const title = `Release ${String(i + 1).padStart(5, '0')} ${t.appsLabel}`;
      const ids = new Map<string, string>([[t.id, id]]);
      for (const a of t.approvals) ids.set(String(a.id), randomUUID());
      const remap = (s: string | null): string | null => {
        if (s === null) return null;
        let out = s.replace(ISO, shift);
        for (const [old, to] of ids) out = out.split(old).join(to);
        return out.split(JSON.stringify(t.title)).join(JSON.stringify(title));
      };

      const last = t.successes[steps - 1].after;
      if (isOpenReleaseState(last.state)) open += 1;
      releaseRows.push({
        ...t.release,
        id,
        title,
        state: last.state,
        revision: last.revision,
        created_at: shift(String(t.release.created_at)),
        updated_at: shift(last.updatedAt),
        retro_approval_pending: last.retroApprovalPending,
        window_override: last.windowOverride
          ? JSON.stringify(last.windowOverride)
          : null,
      });
      for (const a of t.apps) {
        appRows.push({
          ...a,
          release_id: id,
          created_at: shift(String(a.created_at)),
        });
      }
      for (const a of t.approvals) {
        if (!last.approvalIds.includes(String(a.id))) continue;
        approvalRows.push({
          ...a,
          id: ids.get(String(a.id)),
          release_id: id,
          created_at: shift(String(a.created_at)),
        });
      }

      const events: AuditRow[] = [];
      for (let s = 0; s < steps; s++) {
        if (s === t.refusalsAfter) {
          for (let k = 0; k < refusals; k++)
            events.push(t.refusals[k % t.refusals.length]);
        }
        events.push(t.successes[s].row);
      }
      if (steps === t.refusalsAfter) {
        for (let k = 0; k < refusals; k++)
          events.push(t.refusals[k % t.refusals.length]);
      }
      for (let k = 0; k < events.length; k++) {
        const e = events[k];
        seq += 1;
        const row: Omit<AuditRow, 'hash'> = {
          seq,
          id: randomUUID(),
          at: new Date(base + k * 20_000 + 137).toISOString(),
          actor: e.actor,
          action: e.action,
          release_id: id,
          outcome: e.outcome,
          before: remap(e.before),
          after: remap(e.after),
          request_id: randomUUID(),
          meta: e.meta,
          prev_hash: prevHash,
        };
        const hash = hashAuditRow(row);
        auditBatch.push({ ...row, hash });
        prevHash = hash;
      }

      if (auditBatch.length >= 5000) await flush();
    }
    await flush();
    await tx('release_audit_head')
      .where({ id: 1 })
      .update({ seq, hash: prevHash });
    return { releases, auditRows: total, openReleases: open };
  });
}
