import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ReleaseMessage,
  ReleaseMessageKind,
  ReleaseMessageState,
} from '@internal/plugin-release-common';
import {
  DeliveryError,
  destinationOf,
  summaryOf,
  type MessagePayload,
  type MessageSender,
  type OutgoingMessage,
} from './types';

/** A message row as stored. */
type MessageRow = {
  seq: number | string;
  id: string;
  key: string;
  release_id: string | null;
  kind: string;
  audience: string;
  destination: string;
  summary: string;
  payload: string;
  urgent: boolean | number;
  state: string;
  attempts: number | string;
  last_error: string | null;
  next_attempt_at: number | string;
  claimed_by: string | null;
  claim_expires_at: number | string;
  created_at: string;
  sent_at: string | null;
};

const WAITING: ReleaseMessageState[] = ['queued', 'retrying'];

/** slack or asana: a 429 from one pauses its messages only. */
const systemOf = (kind: string) => kind.split('.')[0];

function toMessage(row: MessageRow): ReleaseMessage {
  const state = row.state as ReleaseMessageState;
  const next = Number(row.next_attempt_at);
  return {
    id: row.id,
    ...(row.release_id ? { releaseId: row.release_id } : {}),
    kind: row.kind as ReleaseMessageKind,
    audience: row.audience,
    destination: row.destination,
    summary: row.summary,
    urgent: Boolean(row.urgent),
    state,
    attempts: Number(row.attempts),
    ...(row.last_error ? { lastError: row.last_error } : {}),
    ...(WAITING.includes(state)
      ? {
          nextAttemptAt: new Date(
            next || Date.parse(row.created_at),
          ).toISOString(),
        }
      : {}),
    createdAt: row.created_at,
    ...(row.sent_at ? { sentAt: row.sent_at } : {}),
  };
}

export interface MessageOutboxOptions {
  knex: Knex;
  send: MessageSender;
  logger?: LoggerService;
  /** Epoch ms; tests move it instead of waiting. */
  now?: () => number;
  /** Who this sender is in a claim; unique per backend process by default. */
  holder?: string;
  /** Longer than one send with all of a client's tries, so a live sender keeps its claim. */
  claimMs?: number;
  /** The first wait after a failed try, doubled each try up to maxBackoffMs (30 s, 15 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Messages one flush looks at (default 50). */
  batch?: number;
}

/**
 * The release messages' outbox in the plugin's database, shared by every backend. Messages are
 * queued in the transaction that decided them (keyed, so queueing twice is a no-op) and a flush
 * sends the due ones: each is claimed by one conditional update, so of two backends flushing at
 * once exactly one sends it; to one destination they go out in order; a failure is kept with its
 * next try (Retry-After honoured, backoff otherwise) and nothing waits on it but later messages
 * to the same place. Sent rows stay for the release page.
 */
export class MessageOutbox {
  private readonly knex: Knex;
  private readonly now: () => number;
  private readonly holder: string;
  private readonly claimMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly batch: number;
  private stopped = false;
  private readonly flushing = new Set<Promise<unknown>>();

  constructor(private readonly options: MessageOutboxOptions) {
    this.knex = options.knex;
    this.now = options.now ?? (() => Date.now());
    this.holder =
      options.holder ??
      `${hostname().slice(0, 40)}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.claimMs = options.claimMs ?? 5 * 60_000;
    this.backoffMs = options.backoffMs ?? 30_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 15 * 60_000;
    this.batch = options.batch ?? 50;
  }

  /** Queues messages, in the caller's transaction when given; a key already queued is left as it is. */
  async enqueue(
    messages: OutgoingMessage[],
    tx: Knex | Knex.Transaction = this.knex,
  ): Promise<void> {
    if (messages.length === 0) return;
    const at = new Date(this.now()).toISOString();
    const rows = messages.map(m => ({
      id: randomUUID(),
      key: m.key.slice(0, 255),
      release_id: m.releaseId ?? null,
      kind: m.payload.kind,
      audience: m.audience.slice(0, 40),
      destination: destinationOf(m.payload).slice(0, 255),
      summary: summaryOf(m.payload),
      payload: JSON.stringify(m.payload),
      urgent: Boolean(m.urgent),
      state: 'queued',
      attempts: 0,
      next_attempt_at: 0,
      claim_expires_at: 0,
      created_at: at,
    }));
    await tx('release_messages').insert(rows).onConflict('key').ignore();
  }

  /** The message queued under this key, as the release page shows it. */
  async getByKey(
    key: string,
    tx: Knex | Knex.Transaction = this.knex,
  ): Promise<ReleaseMessage | undefined> {
    const row: MessageRow | undefined = await tx('release_messages')
      .where({ key: key.slice(0, 255) })
      .first();
    return row ? toMessage(row) : undefined;
  }

  /** A release's messages, oldest first, as the release page shows them. */
  async listFor(releaseId: string): Promise<ReleaseMessage[]> {
    const rows: MessageRow[] = await this.knex('release_messages')
      .where({ release_id: releaseId })
      .orderBy('seq');
    return rows.map(toMessage);
  }

  /**
   * Sends what is due now, oldest first; a failure keeps the message with its next try. Resolves
   * with what this flush sent and what still waits; it never throws for a send that failed.
   */
  async flush(): Promise<{ sent: number; waiting: number }> {
    const flushing = this.flushOnce();
    this.flushing.add(flushing);
    try {
      return await flushing;
    } finally {
      this.flushing.delete(flushing);
    }
  }

  /**
   * Claims nothing more and waits for the sends in hand, so a stopping backend leaves no message
   * claimed for minutes (another backend would send it late).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.flushing]);
  }

  private async flushOnce(): Promise<{ sent: number; waiting: number }> {
    let sent = 0;
    // A destination that failed keeps its later messages behind it; a system that asked for a
    // pause (429) is left alone until then.
    const refused = new Set<string>();
    const resting = new Set(
      ['slack', 'asana'].filter(
        system => (this.options.send.notBefore?.(system) ?? 0) > this.now(),
      ),
    );
    for (;;) {
      const due = (await this.due(refused)).filter(
        row => !resting.has(systemOf(row.kind)),
      );
      if (due.length === 0) break;
      let progressed = false;
      for (const row of due) {
        if (refused.has(row.destination) || resting.has(systemOf(row.kind))) {
          continue;
        }
        if (this.stopped || !(await this.claim(row))) continue;
        progressed = true;
        const failure = await this.deliver(row);
        if (!failure) {
          sent += 1;
          continue;
        }
        refused.add(row.destination);
        if (failure.notBefore > this.now()) resting.add(systemOf(row.kind));
      }
      if (!progressed) break;
    }
    const [{ count }] = await this.knex('release_messages')
      .whereIn('state', WAITING)
      .count({ count: '*' });
    return { sent, waiting: Number(count) };
  }

  /**
   * How long until the earliest message kept for a later try is due, or undefined when none is;
   * messages queued behind it wait for it, not for a time of their own.
   */
  async msUntilNextTry(): Promise<number | undefined> {
    const now = this.now();
    const [{ at }] = await this.knex('release_messages')
      .whereIn('state', WAITING)
      .where('next_attempt_at', '>', now)
      .min({ at: 'next_attempt_at' });
    return at === null || at === undefined ? undefined : Number(at) - now;
  }

  /** The earliest waiting message per destination whose time has come and that nobody holds. */
  private async due(skip: Set<string>): Promise<MessageRow[]> {
    const now = this.now();
    const rows: MessageRow[] = await this.knex('release_messages as m')
      .whereIn('m.state', WAITING)
      .where('m.next_attempt_at', '<=', now)
      .andWhere(free =>
        free.whereNull('m.claimed_by').orWhere('m.claim_expires_at', '<=', now),
      )
      .whereNotExists(earlier =>
        earlier
          .select(this.knex.raw('1'))
          .from('release_messages as e')
          .whereRaw('e.destination = m.destination')
          .whereRaw('e.seq < m.seq')
          .whereIn('e.state', WAITING),
      )
      .whereNotIn('m.destination', [...skip])
      .orderBy('m.seq')
      .limit(this.batch)
      .select('m.*');
    return rows;
  }

  /** One conditional update: of two senders asking at once, exactly one gets the message. */
  private async claim(row: MessageRow): Promise<boolean> {
    const now = this.now();
    const updated = await this.knex('release_messages')
      .where({ id: row.id })
      .whereIn('state', WAITING)
      .andWhere(free =>
        free.whereNull('claimed_by').orWhere('claim_expires_at', '<=', now),
      )
      .update({
        claimed_by: this.holder,
        claim_expires_at: now + this.claimMs,
      });
    return updated === 1;
  }

  /** Sends one claimed message and records how it went; the failure when it was not sent. */
  private async deliver(row: MessageRow): Promise<DeliveryError | undefined> {
    const payload = JSON.parse(row.payload) as MessagePayload;
    const mine = () =>
      this.knex('release_messages').where({
        id: row.id,
        claimed_by: this.holder,
      });
    try {
      await this.options.send(payload);
    } catch (e) {
      const attempts = Number(row.attempts) + 1;
      const failure =
        e instanceof DeliveryError
          ? e
          : new DeliveryError((e as Error)?.message ?? String(e), true);
      const now = this.now();
      const backoff = Math.min(
        this.maxBackoffMs,
        this.backoffMs * 2 ** (attempts - 1),
      );
      await mine().update({
        state: failure.retryable ? 'retrying' : 'failed',
        attempts,
        last_error: failure.message.slice(0, 2000),
        next_attempt_at: failure.retryable
          ? Math.max(now + backoff, failure.notBefore)
          : now,
        claimed_by: null,
        claim_expires_at: 0,
      });
      const what = `${row.kind} to ${row.destination}: ${failure.message}`;
      if (failure.retryable) {
        this.options.logger?.warn(`Release message kept, ${what}`);
      } else {
        this.options.logger?.error(`Release message refused, ${what}`);
      }
      return failure;
    }
    await mine().update({
      state: 'sent',
      attempts: Number(row.attempts) + 1,
      sent_at: new Date(this.now()).toISOString(),
      next_attempt_at: 0,
      claimed_by: null,
      claim_expires_at: 0,
    });
    return undefined;
  }
}
