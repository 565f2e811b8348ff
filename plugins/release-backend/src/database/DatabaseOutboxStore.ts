import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type {
  OutboxStore,
  SlackOutboxEntry,
  SlackOutboxMessage,
} from '@internal/plugin-release-node';

/** An outbox row as stored. */
type OutboxRow = {
  seq: number | string;
  id: string;
  message: string;
  created_at: string;
  attempts: number | string;
  last_error: string | null;
  last_attempt_at: string | null;
};

/**
 * Longer than one message can take with all of the Slack client's tries (4 × 15 s plus waits), so
 * a live sender never loses its claim in the middle of a send.
 */
export const DEFAULT_OUTBOX_CLAIM_MS = 5 * 60_000;

const CLAIM = 'flush';

export interface DatabaseOutboxStoreOptions {
  /** Who this sender is in the claim; unique per backend process by default. */
  holder?: string;
  /** How long a claim lasts after the holder last touched the outbox. */
  claimMs?: number;
  /** Epoch ms, for the claim's expiry. */
  now?: () => number;
}

function toEntry(row: OutboxRow): SlackOutboxEntry {
  return {
    id: row.id,
    message: JSON.parse(row.message) as SlackOutboxMessage,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.last_attempt_at !== null
      ? { lastAttemptAt: row.last_attempt_at }
      : {}),
  };
}

/**
 * The Slack outbox in the plugin's database, shared by every backend instance. One sender at a time
 * holds the whole outbox (a claim row with an expiry): it is handed the waiting messages, sends them
 * oldest first, and lets go when its notifier is idle. Every other sender is handed nothing, so no
 * message goes out twice and none overtakes an older one. A sender that dies keeps the claim only
 * until it expires.
 */
export class DatabaseOutboxStore implements OutboxStore {
  private readonly holder: string;
  private readonly claimMs: number;
  private readonly now: () => number;

  constructor(
    private readonly knex: Knex,
    options: DatabaseOutboxStoreOptions = {},
  ) {
    this.holder =
      options.holder ??
      `${hostname().slice(0, 40)}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.claimMs = options.claimMs ?? DEFAULT_OUTBOX_CLAIM_MS;
    this.now = options.now ?? (() => Date.now());
  }

  async add(
    message: SlackOutboxMessage,
    note: { at: string; error?: string },
  ): Promise<SlackOutboxEntry> {
    const row = {
      id: randomUUID(),
      message: JSON.stringify(message),
      created_at: note.at,
      attempts: note.error ? 1 : 0,
      last_error: note.error ?? null,
      last_attempt_at: note.error ? note.at : null,
    };
    await this.knex('slack_outbox').insert(row);
    return toEntry({ seq: 0, ...row });
  }

  /** The waiting messages when this sender holds (or now takes) the claim; none otherwise. */
  async pending(): Promise<SlackOutboxEntry[]> {
    const any = await this.knex('slack_outbox').first('seq');
    if (!any) {
      await this.release();
      return [];
    }
    if (!(await this.claim())) return [];
    const rows: OutboxRow[] = await this.knex('slack_outbox').orderBy('seq');
    return rows.map(toEntry);
  }

  async markSent(id: string): Promise<void> {
    await this.knex('slack_outbox').where({ id }).delete();
    await this.touch();
  }

  async markFailed(
    id: string,
    failure: { error: string; at: string },
  ): Promise<void> {
    await this.knex('slack_outbox')
      .where({ id })
      .update({
        attempts: this.knex.raw('attempts + 1'),
        last_error: failure.error,
        last_attempt_at: failure.at,
      });
    await this.touch();
  }

  /** Lets another sender have the outbox now instead of when the claim expires. */
  async release(): Promise<void> {
    await this.knex('slack_outbox_claim')
      .where({ name: CLAIM, holder: this.holder })
      .update({ holder: null, expires_at: 0 });
  }

  /** One conditional update, so of two senders asking at once exactly one gets the outbox. */
  private async claim(): Promise<boolean> {
    const now = this.now();
    const updated = await this.knex('slack_outbox_claim')
      .where({ name: CLAIM })
      .andWhere(free =>
        free
          .whereNull('holder')
          .orWhere('holder', this.holder)
          .orWhere('expires_at', '<=', now),
      )
      .update({ holder: this.holder, expires_at: now + this.claimMs });
    return updated === 1;
  }

  /** The holder is still at work: its claim runs on. */
  private async touch(): Promise<void> {
    await this.knex('slack_outbox_claim')
      .where({ name: CLAIM, holder: this.holder })
      .update({ expires_at: this.now() + this.claimMs });
  }
}
