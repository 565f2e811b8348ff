import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses replays older than this; so do we. */
const MAX_AGE_SECONDS = 5 * 60;

/**
 * Checks a request Slack sent (slash command, interaction) by its v0 signature: the hex HMAC-SHA256
 * of `v0:<timestamp>:<raw body>` keyed with the signing secret, compared in constant time. A
 * timestamp more than 5 minutes away from `now` fails, so does anything missing or malformed.
 * Verify the raw body exactly as received, before any parsing.
 *
 * @public
 */
export function verifySlackSignature(options: {
  signingSecret: string;
  /** The X-Slack-Request-Timestamp header (seconds since the epoch). */
  timestamp: string | undefined;
  rawBody: string | Buffer;
  /** The X-Slack-Signature header, `v0=<hex>`. */
  signature: string | undefined;
  /** Epoch ms; defaults to Date.now(). */
  now?: number;
}): boolean {
  const { signingSecret, timestamp, rawBody, signature } = options;
  if (!signingSecret || !timestamp || !signature) return false;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_AGE_SECONDS) return false;
  const match = /^v0=([0-9a-f]{64})$/i.exec(signature);
  if (!match) return false;
  const expected = createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:`)
    .update(rawBody)
    .digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
