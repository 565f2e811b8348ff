import { randomUUID } from 'node:crypto';
import type { SlackBlock } from './SlackClient';

/**
 * One Slack message the portal means to send, as plain JSON so any store can keep it.
 *
 * @public
 */
export type SlackOutboxMessage =
  | {
      kind: 'post';
      channel: string;
      text: string;
      blocks?: SlackBlock[];
      threadTs?: string;
    }
  | {
      kind: 'update';
      channel: string;
      ts: string;
      text: string;
      blocks?: SlackBlock[];
    }
  | {
      kind: 'direct';
      userId?: string;
      email?: string;
      text: string;
      blocks?: SlackBlock[];
    };

/** @public */
export interface SlackOutboxEntry {
  id: string;
  message: SlackOutboxMessage;
  /** ISO time the message was first meant to go out. */
  createdAt: string;
  /** Failed sends so far. */
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
}

/**
 * Where messages that could not be sent wait (RELIABILITY 14: nothing is lost). The release-backend
 * can back this with a table; `InMemoryOutboxStore` is for tests and the sandbox.
 *
 * @public
 */
export interface OutboxStore {
  /** Keeps a message that has not been sent (yet), with why when a try failed. */
  add(
    message: SlackOutboxMessage,
    note: { at: string; error?: string },
  ): Promise<SlackOutboxEntry>;
  /** Unsent messages, oldest first. */
  pending(): Promise<SlackOutboxEntry[]>;
  /** The message went out: forget it. */
  markSent(id: string): Promise<void>;
  /** Another try failed. */
  markFailed(id: string, failure: { error: string; at: string }): Promise<void>;
  /**
   * The notifier has nothing in hand: a store that hands its entries to one sender at a time (a
   * table shared by several backends) lets another sender have them now.
   */
  release?(): Promise<void>;
}

/** @public */
export class InMemoryOutboxStore implements OutboxStore {
  private readonly entries: SlackOutboxEntry[] = [];

  async add(
    message: SlackOutboxMessage,
    note: { at: string; error?: string },
  ): Promise<SlackOutboxEntry> {
    const entry: SlackOutboxEntry = {
      id: randomUUID(),
      message: structuredClone(message),
      createdAt: note.at,
      attempts: note.error ? 1 : 0,
      ...(note.error ? { lastError: note.error, lastAttemptAt: note.at } : {}),
    };
    this.entries.push(entry);
    return structuredClone(entry);
  }

  async pending(): Promise<SlackOutboxEntry[]> {
    return structuredClone(this.entries);
  }

  async markSent(id: string): Promise<void> {
    const index = this.entries.findIndex(e => e.id === id);
    if (index >= 0) this.entries.splice(index, 1);
  }

  async markFailed(
    id: string,
    failure: { error: string; at: string },
  ): Promise<void> {
    const entry = this.entries.find(e => e.id === id);
    if (!entry) return;
    entry.attempts += 1;
    entry.lastError = failure.error;
    entry.lastAttemptAt = failure.at;
  }
}
