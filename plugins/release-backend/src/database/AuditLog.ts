import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  AuditVerification,
  ReleaseAuditRecord,
} from '@internal/plugin-release-common';

/** One thing that happened: a state change, a decision, a refused attempt, an external action. */
export interface AuditEntry {
  actor: string;
  action: string;
  releaseId?: string;
  outcome: 'success' | 'failure';
  before?: unknown;
  after?: unknown;
  requestId?: string;
  meta?: Record<string, unknown>;
}

/** An audit row as served: the API's shape, defined once in release-common. */
export type AuditRecord = ReleaseAuditRecord;

export type { AuditVerification };

const GENESIS = '0'.repeat(64);

/** An audit row as stored. */
export type AuditRow = {
  seq: number | string;
  id: string;
  at: string;
  actor: string;
  action: string;
  release_id: string | null;
  outcome: string;
  before: string | null;
  after: string | null;
  request_id: string | null;
  meta: string | null;
  prev_hash: string;
  hash: string;
};

/** The hash a row must carry: every column but the hash itself, in a fixed order. */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  const material = JSON.stringify([
    Number(row.seq),
    row.id,
    row.at,
    row.actor,
    row.action,
    row.release_id,
    row.outcome,
    row.before,
    row.after,
    row.request_id,
    row.meta,
    row.prev_hash,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

const json = (value: unknown) =>
  value === undefined ? null : JSON.stringify(value);

/**
 * The append-only audit trail. It only inserts and reads: there is no code path that updates or
 * deletes a row, and the database triggers refuse both anyway.
 */
export class AuditLog {
  constructor(private readonly knex: Knex) {}

  /** Appends within the caller's transaction, so the change and its record commit together. */
  async append(tx: Knex.Transaction, entry: AuditEntry): Promise<AuditRecord> {
    // Locking the head row serialises appends across backend replicas and keeps the chain linear.
    const headQuery = tx('release_audit_head').where({ id: 1 }).first();
    if (this.knex.client.config.client === 'pg') headQuery.forUpdate();
    const head = await headQuery;
    const row: Omit<AuditRow, 'hash'> = {
      seq: Number(head.seq) + 1,
      id: randomUUID(),
      at: new Date().toISOString(),
      actor: entry.actor,
      action: entry.action,
      release_id: entry.releaseId ?? null,
      outcome: entry.outcome,
      before: json(entry.before),
      after: json(entry.after),
      request_id: entry.requestId ?? null,
      meta: json(entry.meta),
      prev_hash: head.hash,
    };
    const hash = hashAuditRow(row);
    await tx('release_audit').insert({ ...row, hash });
    await tx('release_audit_head')
      .where({ id: 1 })
      .update({ seq: row.seq, hash });
    return toRecord({ ...row, hash });
  }

  /** Appends on its own, for refused attempts that change nothing else. */
  async record(entry: AuditEntry): Promise<AuditRecord> {
    return this.knex.transaction(tx => this.append(tx, entry));
  }

  async list(options: {
    releaseId?: string;
    afterSeq?: number;
    limit: number;
  }): Promise<AuditRecord[]> {
    const query = this.knex<AuditRow>('release_audit')
      .orderBy('seq', 'asc')
      .limit(options.limit);
    if (options.releaseId) query.where('release_id', options.releaseId);
    if (options.afterSeq !== undefined)
      query.where('seq', '>', options.afterSeq);
    return (await query).map(toRecord);
  }

  /** Walks the whole chain: every hash, every link, no gap, and the head matches the tail. */
  async verify(): Promise<AuditVerification> {
    let expectedPrev = GENESIS;
    let expectedSeq = 1;
    let rows = 0;
    const pageSize = 5000;
    for (;;) {
      const page: AuditRow[] = await this.knex<AuditRow>('release_audit')
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(pageSize);
      for (const row of page) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) {
          return {
            ok: false,
            rows,
            firstBadSeq: expectedSeq,
            problem: `row ${expectedSeq} is missing`,
          };
        }
        if (row.prev_hash !== expectedPrev) {
          return {
            ok: false,
            rows,
            firstBadSeq: seq,
            problem: `row ${seq} does not follow row ${seq - 1}`,
          };
        }
        const { hash, ...rest } = row;
        if (hashAuditRow(rest) !== hash) {
          return {
            ok: false,
            rows,
            firstBadSeq: seq,
            problem: `row ${seq} was changed after it was written`,
          };
        }
        expectedPrev = hash;
        expectedSeq = seq + 1;
        rows += 1;
      }
      if (page.length < pageSize) break;
    }
    const head = await this.knex('release_audit_head').where({ id: 1 }).first();
    if (Number(head.seq) !== rows || head.hash !== expectedPrev) {
      return {
        ok: false,
        rows,
        firstBadSeq: rows + 1,
        problem: `the trail ends at row ${rows} but ${Number(
          head.seq,
        )} rows were written`,
      };
    }
    return { ok: true, rows };
  }
}

function parse(value: string | null): unknown {
  return value === null ? undefined : JSON.parse(value);
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    releaseId: row.release_id ?? undefined,
    outcome: row.outcome as AuditRecord['outcome'],
    before: parse(row.before),
    after: parse(row.after),
    requestId: row.request_id ?? undefined,
    meta: parse(row.meta) as Record<string, unknown> | undefined,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
