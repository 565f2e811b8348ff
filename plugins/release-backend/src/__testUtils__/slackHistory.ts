import { slackSandboxDefaults } from 'sandbox';

/** What a sandbox Slack channel shows, oldest first. */
export async function channelTexts(
  sandboxUrl: string,
  channel: string,
): Promise<string[]> {
  const res = await fetch(`${sandboxUrl}/slack/api/conversations.history`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: slackSandboxDefaults.botToken,
      channel,
    }),
  });
  const body = (await res.json()) as { messages: Array<{ text: string }> };
  return body.messages.map(m => m.text).reverse();
}
