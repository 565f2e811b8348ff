import { http, HttpResponse } from 'msw';

/**
 * msw handlers answering like the Slack Web API, from the example responses of Slack's method
 * documentation (ids, timestamps and the bot's names kept from there), with just enough memory for
 * a post → reply → update round. The same spec check as for the sandbox holds for them.
 */
export function createSlackHandlers(options: {
  apiUrl: string;
  token: string;
}) {
  const botUserId = 'W12345678';
  const channels = [
    { id: 'C012AB3CD', name: 'kop-release', members: [botUserId, 'U061F7AUR'] },
    { id: 'C061EG9T2', name: 'kop-qa', members: ['U061F7AUR', botUserId] },
    { id: 'C0GENERAL1', name: 'general', members: ['U061F7AUR'] },
  ];
  const users = [
    {
      id: 'W012A3CDE',
      name: 'spengler',
      real_name: 'Egon Spengler',
      email: 'spengler@ghostbusters.example.com',
    },
  ];
  const posted: Array<{ channel: string; ts: string; text: string }> = [];
  let seq = 247;

  const fail = (error: string) => HttpResponse.json({ ok: false, error });

  async function params(request: Request): Promise<Record<string, string>> {
    const url = new URL(request.url);
    const out = Object.fromEntries(url.searchParams);
    if (request.method === 'POST') {
      const text = await request.text();
      const type = request.headers.get('content-type') ?? '';
      Object.assign(
        out,
        type.includes('json')
          ? JSON.parse(text || '{}')
          : Object.fromEntries(new URLSearchParams(text)),
      );
    }
    return out;
  }

  const find = (ref: string | undefined) =>
    channels.find(c => c.id === ref || `#${c.name}` === ref || c.name === ref);

  type Handler = (p: Record<string, string>) => Response;
  const methods: Record<string, Handler> = {
    'auth.test': () =>
      HttpResponse.json({
        ok: true,
        url: 'https://subarachnoid.slack.com/',
        team: 'Subarachnoid Workspace',
        user: 'grace',
        team_id: 'T12345678',
        user_id: botUserId,
      }),
    'chat.postMessage': p => {
      const channel =
        find(p.channel) ??
        (p.channel === 'D069C7QFK'
          ? { id: 'D069C7QFK', members: [botUserId] }
          : undefined);
      if (!channel) return fail('channel_not_found');
      if (!channel.members.includes(botUserId)) return fail('not_in_channel');
      if (!p.text) return fail('no_text');
      seq += 1;
      const ts = `1503435956.${String(seq).padStart(6, '0')}`;
      posted.push({ channel: channel.id, ts, text: p.text });
      return HttpResponse.json({
        ok: true,
        channel: channel.id,
        ts,
        message: {
          text: p.text,
          username: 'ecto1',
          bot_id: 'B123ABC456',
          type: 'message',
          subtype: 'bot_message',
          ts,
          ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}),
        },
      });
    },
    'chat.update': p => {
      const message = posted.find(
        m => m.channel === p.channel && m.ts === p.ts,
      );
      if (!message) return fail('message_not_found');
      message.text = p.text;
      return HttpResponse.json({
        ok: true,
        channel: message.channel,
        ts: message.ts,
        text: p.text,
        message: { text: p.text, user: 'U34567890' },
      });
    },
    'users.lookupByEmail': p => {
      const user = users.find(u => u.email === p.email);
      if (!user) return fail('users_not_found');
      return HttpResponse.json({
        ok: true,
        user: {
          id: user.id,
          team_id: 'T012AB3C4',
          name: user.name,
          deleted: false,
          color: '9f69e7',
          real_name: user.real_name,
          tz: 'America/Los_Angeles',
          tz_label: 'Pacific Daylight Time',
          tz_offset: -25200,
          profile: {
            avatar_hash: 'ge3b51ca72de',
            status_text: 'Print is dead',
            status_emoji: ':books:',
            real_name: user.real_name,
            display_name: user.name,
            real_name_normalized: user.real_name,
            display_name_normalized: user.name,
            email: user.email,
            team: 'T012AB3C4',
            title: '',
            phone: '',
            skype: '',
            fields: {},
          },
          is_admin: true,
          is_owner: false,
          is_primary_owner: false,
          is_restricted: false,
          is_ultra_restricted: false,
          is_bot: false,
          is_app_user: false,
          updated: 1502138686,
          has_2fa: false,
        },
      });
    },
    'conversations.list': () =>
      HttpResponse.json({
        ok: true,
        channels: channels.map(c => ({
          id: c.id,
          name: c.name,
          is_channel: true,
          is_group: false,
          is_im: false,
          created: 1449252889,
          creator: 'U012A3CDE',
          is_archived: false,
          is_general: c.name === 'general',
          unlinked: 0,
          name_normalized: c.name,
          is_shared: false,
          is_ext_shared: false,
          is_org_shared: false,
          pending_shared: [],
          is_pending_ext_shared: false,
          is_member: c.members.includes(botUserId),
          is_private: false,
          is_mpim: false,
          topic: { value: '', creator: '', last_set: 0 },
          purpose: { value: '', creator: '', last_set: 0 },
          previous_names: [],
          num_members: c.members.length,
        })),
        response_metadata: { next_cursor: '' },
      }),
    'conversations.info': p => {
      const channel = find(p.channel);
      if (!channel) return fail('channel_not_found');
      return HttpResponse.json({
        ok: true,
        channel: {
          id: channel.id,
          name: channel.name,
          is_channel: true,
          is_group: false,
          is_im: false,
          is_mpim: false,
          is_private: false,
          created: 1449252889,
          creator: 'W012A3BCD',
          is_archived: false,
          is_general: channel.name === 'general',
          unlinked: 0,
          name_normalized: channel.name,
          is_read_only: false,
          is_shared: false,
          is_ext_shared: false,
          is_org_shared: false,
          pending_shared: [],
          is_pending_ext_shared: false,
          is_member: channel.members.includes(botUserId),
          last_read: '1502126650.228446',
          topic: { value: '', creator: '', last_set: 0 },
          purpose: { value: '', creator: '', last_set: 0 },
          previous_names: [],
        },
      });
    },
    'conversations.members': p => {
      const channel = find(p.channel);
      if (!channel) return fail('channel_not_found');
      return HttpResponse.json({
        ok: true,
        members: channel.members,
        response_metadata: { next_cursor: '' },
      });
    },
    'conversations.open': p => {
      if (!p.users) return fail('users_list_not_supplied');
      if (!users.some(u => u.id === p.users)) return fail('user_not_found');
      return HttpResponse.json({
        ok: true,
        no_op: true,
        already_open: true,
        channel: { id: 'D069C7QFK' },
      });
    },
  };

  const base = options.apiUrl.replace(/\/?$/, '/');
  const handle = async ({ request }: { request: Request }) => {
    const method = new URL(request.url).pathname.split('/').pop()!;
    const handler = methods[method];
    if (!handler)
      return HttpResponse.json(fail('unknown_method'), { status: 404 });
    const auth = request.headers.get('authorization');
    if (!auth) return fail('not_authed');
    if (auth !== `Bearer ${options.token}`) return fail('invalid_auth');
    return handler(await params(request));
  };
  return [
    http.post(`${base}:method`, handle),
    http.get(`${base}:method`, handle),
  ];
}
