import express from 'express';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxContext, SandboxService } from '../types';

/** The demo people (catalog/org.yaml) as Slack users. */
const defaultUsers = [
  'kim.minjun',
  'lee.seoyeon',
  'park.jihoon',
  'choi.yuna',
  'jung.hyunwoo',
  'han.jisoo',
  'yoon.seojun',
  'kang.minho',
  'oh.sujin',
  'seo.yeongho',
  'baek.eunji',
  'song.hana',
  'lim.jaewon',
].map(name => ({ name, email: `${name}@kop.example` }));

/** The channels of config-sketch.yaml (the bot is in them) and one it is not in. */
const defaultChannels = [
  { name: 'kop-release', botIsMember: true },
  { name: 'kop-release-core', botIsMember: true },
  { name: 'kop-incident', botIsMember: true },
  { name: 'kop-qa', botIsMember: true },
  { name: 'kop-release-room', botIsMember: true },
  { name: 'general', botIsMember: false, isGeneral: true },
];

export interface SlackSandboxOptions {
  /** The bot token the portal must send; default `xoxb-sandbox-token`. */
  botToken?: string;
  users?: Array<{ name: string; email: string; realName?: string }>;
  channels?: Array<{
    name: string;
    botIsMember?: boolean;
    isPrivate?: boolean;
    isGeneral?: boolean;
  }>;
}

export const slackSandboxDefaults = {
  botToken: 'xoxb-sandbox-token',
  teamId: 'T0KOPTEAM1',
  botUserId: 'U0KOPBOT01',
  botId: 'B0KOPBOT01',
};

interface User {
  id: string;
  name: string;
  realName: string;
  email: string;
}

interface Message {
  ts: string;
  user: string;
  text: string;
  blocks?: Array<{ type: string }>;
  threadTs?: string;
  edited?: boolean;
}

interface Channel {
  id: string;
  name: string;
  created: number;
  isPrivate: boolean;
  isIm: boolean;
  isGeneral: boolean;
  archived: boolean;
  /** For a direct conversation: the person. */
  user?: string;
  members: string[];
  messages: Message[];
}

interface State {
  seq: number;
  users: User[];
  channels: Channel[];
}

type Params = Record<string, string | undefined>;
type Answer = Record<string, unknown>;

const fail = (error: string): Answer => ({ ok: false, error });

/**
 * A stand-in for the Slack Web API under `/slack/api/<method>`: checks the bot token, keeps the
 * channels with their messages and threads, the people with their e-mail addresses and the direct
 * conversations. Answers follow the Slack OpenAPI spec's response schemas.
 */
export function createSlackService(
  options: SlackSandboxOptions = {},
): (ctx: SandboxContext) => SandboxService {
  return ctx => {
    const token = options.botToken ?? slackSandboxDefaults.botToken;
    const { teamId, botUserId, botId } = slackSandboxDefaults;
    const file = join(ctx.dataDir, 'slack.json');
    const created = Math.floor(Date.now() / 1000);
    const state: State = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : seed();

    function seed(): State {
      const given: Array<{ name: string; email: string; realName?: string }> =
        options.users ?? defaultUsers;
      const users = given.map((u, i) => ({
        id: `U0KOP${String(i + 1).padStart(5, '0')}`,
        name: u.name,
        realName: u.realName ?? u.name,
        email: u.email.toLowerCase(),
      }));
      const wanted: NonNullable<SlackSandboxOptions['channels']> =
        options.channels ?? defaultChannels;
      const channels = wanted.map((c, i) => ({
        id: `C0KOP${String(i + 1).padStart(5, '0')}`,
        name: c.name,
        created,
        isPrivate: Boolean(c.isPrivate),
        isIm: false,
        isGeneral: Boolean(c.isGeneral),
        archived: false,
        members: [
          ...(c.botIsMember === false ? [] : [botUserId]),
          ...users.map(u => u.id),
        ],
        messages: [],
      }));
      return { seq: 0, users, channels };
    }

    const save = () => writeFileSync(file, JSON.stringify(state));

    const nextTs = () => {
      state.seq += 1;
      return `${Math.floor(Date.now() / 1000)}.${String(
        state.seq % 1_000_000,
      ).padStart(6, '0')}`;
    };

    const userName = (id: string) =>
      id === botUserId
        ? 'kop-release-bot'
        : state.users.find(u => u.id === id)?.name ?? id;

    /** A channel by ID or name, as the bot may see it. */
    const findChannel = (ref: string | undefined) => {
      if (!ref) return undefined;
      const name = ref.replace(/^#/, '');
      const channel = state.channels.find(c => c.id === ref || c.name === name);
      if (!channel) return undefined;
      if (channel.isPrivate && !channel.members.includes(botUserId))
        return undefined;
      return channel;
    };

    const openIm = (userId: string) => {
      let im = state.channels.find(c => c.isIm && c.user === userId);
      const existed = Boolean(im);
      if (!im) {
        im = {
          id: `D0KOP${String(
            state.channels.filter(c => c.isIm).length + 1,
          ).padStart(5, '0')}`,
          name: userId,
          created: Math.floor(Date.now() / 1000),
          isPrivate: true,
          isIm: true,
          isGeneral: false,
          archived: false,
          user: userId,
          members: [botUserId, userId],
          messages: [],
        };
        state.channels.push(im);
      }
      return { im, existed };
    };

    const conversation = (c: Channel): Answer =>
      c.isIm
        ? {
            id: c.id,
            created: c.created,
            is_im: true,
            is_org_shared: false,
            user: c.user,
            priority: 0,
            is_archived: false,
            is_open: true,
          }
        : {
            id: c.id,
            name: c.name,
            name_normalized: c.name,
            created: c.created,
            creator: state.users[0]?.id ?? botUserId,
            is_channel: !c.isPrivate,
            is_group: c.isPrivate,
            is_im: false,
            is_mpim: false,
            is_private: c.isPrivate,
            is_archived: c.archived,
            is_general: c.isGeneral,
            is_shared: false,
            is_org_shared: false,
            is_ext_shared: false,
            is_member: c.members.includes(botUserId),
            num_members: c.members.length,
            topic: { value: '', creator: '', last_set: 0 },
            purpose: { value: `kop ${c.name}`, creator: '', last_set: 0 },
          };

    const messageObject = (m: Message, c: Channel): Answer => {
      const replies = c.messages.filter(
        r => r.threadTs === m.ts && r.ts !== m.ts,
      );
      return {
        type: 'message',
        text: m.text,
        ts: m.ts,
        user: m.user,
        team: teamId,
        ...(m.user === botUserId ? { bot_id: botId } : {}),
        ...(m.blocks ? { blocks: m.blocks } : {}),
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
        ...(m.threadTs && m.threadTs !== m.ts
          ? { parent_user_id: c.messages.find(p => p.ts === m.threadTs)?.user }
          : {}),
        ...(replies.length
          ? {
              reply_count: replies.length,
              reply_users_count: new Set(replies.map(r => r.user)).size,
              reply_users: [...new Set(replies.map(r => r.user))],
              latest_reply: replies[replies.length - 1].ts,
            }
          : {}),
      };
    };

    const parseBlocks = (raw: string | undefined) => {
      if (raw === undefined || raw === '') return { blocks: undefined };
      try {
        const blocks = JSON.parse(raw);
        if (
          !Array.isArray(blocks) ||
          blocks.some(b => typeof b?.type !== 'string')
        ) {
          return { error: 'invalid_array_arg' };
        }
        return { blocks: blocks as Array<{ type: string }> };
      } catch {
        return { error: 'invalid_array_arg' };
      }
    };

    const page = <T>(items: T[], p: Params) => {
      const limit = Math.min(1000, Math.max(1, Number(p.limit) || 100));
      const offset = p.cursor
        ? Number(Buffer.from(p.cursor, 'base64').toString('utf8')) || 0
        : 0;
      const next = offset + limit < items.length ? offset + limit : undefined;
      return {
        items: items.slice(offset, offset + limit),
        next_cursor:
          next === undefined
            ? ''
            : Buffer.from(String(next), 'utf8').toString('base64'),
      };
    };

    const methods: Record<string, (p: Params) => Answer> = {
      'auth.test': () => ({
        ok: true,
        url: 'https://kop-sandbox.slack.com/',
        team: 'kop',
        user: 'kop-release-bot',
        team_id: teamId,
        user_id: botUserId,
        bot_id: botId,
        is_enterprise_install: false,
      }),

      'chat.postMessage': p => {
        let channel = findChannel(p.channel);
        if (!channel && p.channel && state.users.some(u => u.id === p.channel))
          channel = openIm(p.channel).im;
        if (!channel) return fail('channel_not_found');
        if (channel.archived) return fail('is_archived');
        if (!channel.members.includes(botUserId)) return fail('not_in_channel');
        const parsed = parseBlocks(p.blocks);
        if (parsed.error) return fail(parsed.error);
        if (!p.text && !parsed.blocks?.length) return fail('no_text');
        if ((p.text ?? '').length > 40_000) return fail('msg_too_long');
        const parent = p.thread_ts
          ? channel.messages.find(m => m.ts === p.thread_ts && !m.threadTs) ??
            channel.messages.find(m => m.ts === p.thread_ts)
          : undefined;
        const message: Message = {
          ts: nextTs(),
          user: botUserId,
          text: p.text ?? '',
          blocks: parsed.blocks,
        };
        if (parent) {
          const root = parent.threadTs ?? parent.ts;
          parent.threadTs = root;
          message.threadTs = root;
        }
        channel.messages.push(message);
        save();
        return {
          ok: true,
          channel: channel.id,
          ts: message.ts,
          message: messageObject(message, channel),
        };
      },

      'chat.update': p => {
        const channel = findChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        const message = channel.messages.find(m => m.ts === p.ts);
        if (!message) return fail('message_not_found');
        if (message.user !== botUserId) return fail('cant_update_message');
        const parsed = parseBlocks(p.blocks);
        if (parsed.error) return fail(parsed.error);
        if (!p.text && !parsed.blocks?.length) return fail('no_text');
        message.text = p.text ?? '';
        if (parsed.blocks) message.blocks = parsed.blocks;
        message.edited = true;
        save();
        return {
          ok: true,
          channel: channel.id,
          ts: message.ts,
          text: message.text,
          message: { text: message.text },
        };
      },

      'users.lookupByEmail': p => {
        const user = state.users.find(
          u => u.email === (p.email ?? '').toLowerCase(),
        );
        if (!user) return fail('users_not_found');
        return {
          ok: true,
          user: {
            id: user.id,
            team_id: teamId,
            name: user.name,
            deleted: false,
            real_name: user.realName,
            tz: 'Asia/Seoul',
            tz_label: 'Korea Standard Time',
            tz_offset: 32400,
            profile: {
              real_name: user.realName,
              real_name_normalized: user.realName,
              display_name: user.name,
              display_name_normalized: user.name,
              avatar_hash: '',
              title: '',
              phone: '',
              skype: '',
              status_text: '',
              status_emoji: '',
              fields: {},
              email: user.email,
              team: teamId,
            },
            is_admin: false,
            is_owner: false,
            is_primary_owner: false,
            is_restricted: false,
            is_ultra_restricted: false,
            is_bot: false,
            is_app_user: false,
            updated: created,
          },
        };
      },

      'conversations.info': p => {
        const channel = findChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        return { ok: true, channel: conversation(channel) };
      },

      'conversations.members': p => {
        const channel = findChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        const { items, next_cursor } = page(channel.members, p);
        return { ok: true, members: items, response_metadata: { next_cursor } };
      },

      'conversations.list': p => {
        const types = (p.types ?? 'public_channel').split(',');
        const visible = state.channels.filter(
          c =>
            !c.isIm &&
            (c.isPrivate
              ? types.includes('private_channel') &&
                c.members.includes(botUserId)
              : types.includes('public_channel')) &&
            !(p.exclude_archived === 'true' && c.archived),
        );
        const { items, next_cursor } = page(visible, p);
        return {
          ok: true,
          channels: items.map(conversation),
          response_metadata: { next_cursor },
        };
      },

      'conversations.open': p => {
        const ids = (p.users ?? '').split(',').filter(Boolean);
        if (p.channel) {
          const channel = findChannel(p.channel);
          if (!channel) return fail('channel_not_found');
          return { ok: true, channel: { id: channel.id }, no_op: true };
        }
        if (ids.length === 0) return fail('users_list_not_supplied');
        if (ids.length > 1)
          return fail('method_not_supported_for_channel_type');
        if (!state.users.some(u => u.id === ids[0]))
          return fail('user_not_found');
        const { im, existed } = openIm(ids[0]);
        save();
        return {
          ok: true,
          channel: { id: im.id },
          ...(existed ? { no_op: true, already_open: true } : {}),
        };
      },

      'conversations.history': p => {
        const channel = findChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        const top = channel.messages
          .filter(m => !m.threadTs || m.threadTs === m.ts)
          .reverse();
        return {
          ok: true,
          messages: top.map(m => messageObject(m, channel)),
          has_more: false,
          pin_count: 0,
          channel_actions_ts: null,
          channel_actions_count: 0,
        };
      },

      'conversations.replies': p => {
        const channel = findChannel(p.channel);
        if (!channel) return fail('channel_not_found');
        const parent = channel.messages.find(m => m.ts === p.ts);
        if (!parent) return fail('thread_not_found');
        const root = parent.threadTs ?? parent.ts;
        const head = channel.messages.find(m => m.ts === root)!;
        const replies = channel.messages.filter(
          m => m.threadTs === root && m.ts !== root,
        );
        return {
          ok: true,
          has_more: false,
          messages: [
            {
              type: 'message',
              user: head.user,
              text: head.text,
              ts: head.ts,
              thread_ts: root,
              team: teamId,
              reply_count: replies.length,
              subscribed: false,
              ...(replies.length
                ? {
                    reply_users: [...new Set(replies.map(r => r.user))],
                    reply_users_count: new Set(replies.map(r => r.user)).size,
                    latest_reply: replies[replies.length - 1].ts,
                  }
                : {}),
            },
            ...replies.map(r => ({
              type: 'message',
              user: r.user,
              text: r.text,
              ts: r.ts,
              thread_ts: root,
              parent_user_id: head.user,
              team: teamId,
            })),
          ],
        };
      },
    };

    const router = express.Router();
    router.use(express.urlencoded({ extended: false }));
    router.all('/api/:method', (req, res) => {
      const params: Params = {};
      for (const source of [req.query, req.body ?? {}]) {
        for (const [k, v] of Object.entries(source as object)) {
          params[k] = typeof v === 'string' ? v : JSON.stringify(v);
        }
      }
      const method = methods[req.params.method];
      if (!method) {
        res.status(404).json(fail('unknown_method'));
        return;
      }
      const header = req.get('authorization') ?? '';
      const given = header.startsWith('Bearer ')
        ? header.slice('Bearer '.length)
        : params.token;
      if (!given) {
        res.json(fail('not_authed'));
        return;
      }
      if (given !== token) {
        res.json(fail('invalid_auth'));
        return;
      }
      res.json(method(params));
    });

    return {
      name: 'Slack',
      prefix: '/slack',
      router,
      async describe() {
        const rows: Array<Record<string, string | number>> = [];
        for (const c of state.channels) {
          for (const m of c.messages) {
            rows.push({
              channel: c.isIm ? `@${userName(c.user!)}` : `#${c.name}`,
              ts: m.ts,
              thread: m.threadTs && m.threadTs !== m.ts ? m.threadTs : '',
              from: userName(m.user),
              text: m.text.length > 160 ? `${m.text.slice(0, 160)}…` : m.text,
              edited: m.edited ? 'yes' : '',
            });
          }
        }
        if (rows.length === 0) {
          return state.channels
            .filter(c => !c.isIm)
            .map(c => ({
              channel: `#${c.name}`,
              id: c.id,
              bot: c.members.includes(botUserId) ? 'member' : 'not a member',
              messages: 0,
            }));
        }
        return rows.sort((a, b) => String(a.ts).localeCompare(String(b.ts)));
      },
    };
  };
}
