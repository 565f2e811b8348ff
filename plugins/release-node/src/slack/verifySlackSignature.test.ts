import { createHmac } from 'node:crypto';
import { verifySlackSignature } from './verifySlackSignature';

// Slack's own worked example (docs: "Verifying requests from Slack").
const example = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  rawBody:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature:
    'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  now: 1531420618 * 1000,
};

const sign = (secret: string, timestamp: string, body: string) =>
  `v0=${createHmac('sha256', secret)
    .update(`v0:${timestamp}:${body}`)
    .digest('hex')}`;

describe('verifySlackSignature (RELIABILITY 16)', () => {
  it('accepts Slack’s documented example', () => {
    expect(verifySlackSignature(example)).toBe(true);
  });

  it('accepts a body given as the raw bytes', () => {
    expect(
      verifySlackSignature({
        ...example,
        rawBody: Buffer.from(example.rawBody),
      }),
    ).toBe(true);
  });

  it('refuses a bad signature', () => {
    const flipped = `${example.signature.slice(0, -1)}4`;
    expect(verifySlackSignature({ ...example, signature: flipped })).toBe(
      false,
    );
    expect(
      verifySlackSignature({
        ...example,
        signature: sign('another-secret', example.timestamp, example.rawBody),
      }),
    ).toBe(false);
  });

  it('refuses a body changed after signing, even by re-encoding it', () => {
    expect(
      verifySlackSignature({
        ...example,
        rawBody: example.rawBody.replace('text=', 'text=deploy'),
      }),
    ).toBe(false);
    expect(
      verifySlackSignature({
        ...example,
        rawBody: example.rawBody.replace('%2Fwebhook', '/webhook'),
      }),
    ).toBe(false);
  });

  it('refuses a timestamp older than 5 minutes, and one from the future', () => {
    const stale = String(Number(example.timestamp) - 301);
    const signedStale = sign(example.signingSecret, stale, example.rawBody);
    expect(
      verifySlackSignature({
        ...example,
        timestamp: stale,
        signature: signedStale,
      }),
    ).toBe(false);
    const justInTime = String(Number(example.timestamp) - 300);
    expect(
      verifySlackSignature({
        ...example,
        timestamp: justInTime,
        signature: sign(example.signingSecret, justInTime, example.rawBody),
      }),
    ).toBe(true);
    const future = String(Number(example.timestamp) + 301);
    expect(
      verifySlackSignature({
        ...example,
        timestamp: future,
        signature: sign(example.signingSecret, future, example.rawBody),
      }),
    ).toBe(false);
  });

  it('refuses anything missing or malformed', () => {
    expect(verifySlackSignature({ ...example, signature: undefined })).toBe(
      false,
    );
    expect(verifySlackSignature({ ...example, timestamp: undefined })).toBe(
      false,
    );
    expect(verifySlackSignature({ ...example, timestamp: 'soon' })).toBe(false);
    expect(verifySlackSignature({ ...example, signingSecret: '' })).toBe(false);
    expect(
      verifySlackSignature({
        ...example,
        signature: example.signature.slice(3),
      }),
    ).toBe(false);
    expect(verifySlackSignature({ ...example, signature: 'v0=abc' })).toBe(
      false,
    );
    expect(
      verifySlackSignature({
        ...example,
        signature: `v1=${example.signature.slice(3)}`,
      }),
    ).toBe(false);
  });
});
