import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  Release,
  ReleaseAuditRecord,
} from '@internal/plugin-release-common';
import {
  decisionStageOf,
  mapAuditRow,
  type MessageContext,
} from './mapAuditRow';
import type { MessageOutbox } from './MessageOutbox';
import type { MessagePeople } from './people';
import type { OutgoingMessage } from './types';

const CURSOR = 'audit';

export interface MessageRelayOptions {
  knex: Knex;
  outbox: Pick<MessageOutbox, 'enqueue'>;
  audit: {
    list(options: {
      afterSeq?: number;
      limit: number;
    }): Promise<ReleaseAuditRecord[]>;
  };
  releases: { get(id: string): Promise<Release> };
  people: Pick<MessagePeople, 'approversOf'>;
  /** Everything of the context but the release, the run and the approvers. */
  settings: Omit<
    MessageContext,
    'release' | 'run' | 'approvers' | 'pageUrl'
  > & {
    pageUrlOf(releaseId: string): string;
  };
  logger?: LoggerService;
  /** Audit rows read per transaction (default 100). */
  batch?: number;
}

/**
 * Derives the release messages from the audit trail: reads the rows after its cursor, maps each to
 * its messages, and queues them and moves the cursor in one transaction. The cursor only moves
 * from where this relay read it, so of two relays at once one queues a batch and the other reads
 * on from there; the messages' keys make a batch queued twice queue nothing new.
 */
export class MessageRelay {
  private readonly batch: number;

  constructor(private readonly options: MessageRelayOptions) {
    this.batch = options.batch ?? 100;
  }

  /** Relays every row written so far; resolves with the messages queued. */
  async run(): Promise<number> {
    let queued = 0;
    for (;;) {
      const cursor = await this.cursor();
      const rows = await this.options.audit.list({
        afterSeq: cursor,
        limit: this.batch,
      });
      if (rows.length === 0) return queued;
      const messages: OutgoingMessage[] = [];
      for (const row of rows) messages.push(...(await this.messagesOf(row)));
      const last = rows[rows.length - 1].seq;
      const moved = await this.options.knex.transaction(async tx => {
        const updated = await tx('release_message_relay')
          .where({ name: CURSOR, seq: cursor })
          .update({ seq: last });
        if (updated !== 1) return false;
        await this.options.outbox.enqueue(messages, tx);
        return true;
      });
      if (moved) queued += messages.length;
    }
  }

  private async cursor(): Promise<number> {
    const row = await this.options
      .knex('release_message_relay')
      .where({ name: CURSOR })
      .first('seq');
    return Number(row?.seq ?? 0);
  }

  /**
   * One row's messages. A database that cannot be read fails the batch (tried again on the next
   * run); approvers the catalog cannot name leave out only the direct messages; a row the mapping
   * cannot read is logged and passed, never a wall.
   */
  private async messagesOf(
    row: ReleaseAuditRecord,
  ): Promise<OutgoingMessage[]> {
    if (!row.releaseId || row.meta?.dryRun) return [];
    const release = await this.options.releases.get(row.releaseId);
    const runId = row.meta?.runId;
    const run =
      typeof runId === 'string'
        ? await this.options
            .knex('deploy_runs')
            .where({ id: runId })
            .first('environment', 'kind')
        : undefined;
    const stage = decisionStageOf(row);
    let approvers: string[] = [];
    try {
      if (stage)
        approvers = await this.options.people.approversOf(release, stage);
    } catch (e) {
      this.options.logger?.warn(
        `No direct messages to the approvers of release ${release.id}: ${
          (e as Error).message
        }`,
      );
    }
    const { pageUrlOf, ...settings } = this.options.settings;
    try {
      return mapAuditRow(row, {
        ...settings,
        release,
        pageUrl: pageUrlOf(release.id),
        ...(run
          ? { run: { environment: run.environment, kind: run.kind } }
          : {}),
        approvers,
      });
    } catch (e) {
      this.options.logger?.error(
        `No messages for audit row ${row.seq} (${row.action}): ${
          (e as Error).message
        }`,
      );
      return [];
    }
  }
}
