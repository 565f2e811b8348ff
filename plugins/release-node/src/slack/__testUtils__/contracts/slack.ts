import { z } from 'zod';

/*
 * What the Slack Web API answers, for the methods the portal's client and the sandbox use. Each
 * schema refuses any field it does not name, so a misspelt field fails; slack.test.ts checks at the
 * type level that every field named here is one of @slack/web-api's response types, with a type
 * they allow.
 */

const responseMetadata = z
  .object({
    next_cursor: z.string().optional(),
    warnings: z.array(z.string()).optional(),
    messages: z.array(z.string()).optional(),
    scopes: z.array(z.string()).optional(),
    acceptedScopes: z.array(z.string()).optional(),
  })
  .strict();

/** Fields every answer, success or error, may carry. */
const envelope = {
  warning: z.string().optional(),
  response_metadata: responseMetadata.optional(),
};

const ok = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ok: z.literal(true), ...envelope, ...shape }).strict();

const topic = z
  .object({ value: z.string(), creator: z.string(), last_set: z.number() })
  .strict();

/** A conversation as conversations.info shows it. */
const conversationInfo = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    name_normalized: z.string().optional(),
    created: z.number().int(),
    creator: z.string().optional(),
    is_channel: z.boolean().optional(),
    is_group: z.boolean().optional(),
    is_im: z.boolean().optional(),
    is_mpim: z.boolean().optional(),
    is_private: z.boolean().optional(),
    is_archived: z.boolean().optional(),
    is_general: z.boolean().optional(),
    is_shared: z.boolean().optional(),
    is_ext_shared: z.boolean().optional(),
    is_org_shared: z.boolean().optional(),
    is_pending_ext_shared: z.boolean().optional(),
    pending_shared: z.array(z.string()).optional(),
    is_member: z.boolean().optional(),
    unlinked: z.number().int().optional(),
    num_members: z.number().int().optional(),
    topic: topic.optional(),
    purpose: topic.optional(),
    previous_names: z.array(z.string()).optional(),
    is_open: z.boolean().optional(),
    is_read_only: z.boolean().optional(),
    last_read: z.string().optional(),
    // A direct conversation: the person, and its place in the sidebar.
    user: z.string().optional(),
    priority: z.number().optional(),
  })
  .strict();

/** A conversation as conversations.list shows it. */
const conversationListed = conversationInfo
  .omit({ is_open: true, is_read_only: true, last_read: true })
  .strict();

/** Slack's message timestamps: seconds, a dot, six digits. */
const ts = z.string().regex(/^\d+\.\d{6}$/);

const block = z
  .object({
    type: z.string(),
    block_id: z.string().optional(),
    text: z
      .object({
        type: z.enum(['plain_text', 'mrkdwn']),
        text: z.string(),
        emoji: z.boolean().optional(),
        verbatim: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const postedMessage = z
  .object({
    type: z.literal('message'),
    subtype: z.string().optional(),
    text: z.string(),
    ts,
    user: z.string().optional(),
    bot_id: z.string().optional(),
    username: z.string().optional(),
    team: z.string().optional(),
    blocks: z.array(block).optional(),
    thread_ts: ts.optional(),
    parent_user_id: z.string().optional(),
  })
  .strict();

/** What conversations.replies shows of a message: its thread, no subtype or username. */
const threadMessage = postedMessage
  .omit({ subtype: true, username: true })
  .extend({
    reply_count: z.number().int().optional(),
    reply_users_count: z.number().int().optional(),
    reply_users: z.array(z.string()).optional(),
    latest_reply: ts.optional(),
    subscribed: z.boolean().optional(),
  })
  .strict();

/** What conversations.history shows of a message. */
const historyMessage = threadMessage
  .extend({ subtype: z.string().optional(), username: z.string().optional() })
  .strict();

const profile = z
  .object({
    avatar_hash: z.string(),
    status_text: z.string(),
    status_emoji: z.string(),
    real_name: z.string(),
    display_name: z.string(),
    real_name_normalized: z.string(),
    display_name_normalized: z.string(),
    email: z.string().email().optional(),
    team: z.string(),
    title: z.string(),
    phone: z.string(),
    skype: z.string(),
    fields: z.record(z.unknown()).nullable(),
  })
  .strict();

const user = z
  .object({
    id: z.string(),
    team_id: z.string(),
    name: z.string(),
    deleted: z.boolean(),
    color: z.string().optional(),
    real_name: z.string(),
    tz: z.string(),
    tz_label: z.string(),
    tz_offset: z.number().int(),
    profile,
    is_admin: z.boolean(),
    is_owner: z.boolean(),
    is_primary_owner: z.boolean(),
    is_restricted: z.boolean(),
    is_ultra_restricted: z.boolean(),
    is_bot: z.boolean(),
    is_app_user: z.boolean(),
    updated: z.number().int(),
    has_2fa: z.boolean().optional(),
  })
  .strict();

/** The successful answer of each method. */
export const slackSuccess = {
  'auth.test': ok({
    url: z.string().url(),
    team: z.string(),
    user: z.string(),
    team_id: z.string(),
    user_id: z.string(),
    bot_id: z.string().optional(),
    enterprise_id: z.string().optional(),
    is_enterprise_install: z.boolean().optional(),
  }),
  'chat.postMessage': ok({ channel: z.string(), ts, message: postedMessage }),
  'chat.update': ok({
    channel: z.string(),
    ts,
    text: z.string(),
    message: z
      .object({ text: z.string(), user: z.string().optional() })
      .strict(),
  }),
  'users.lookupByEmail': ok({ user }),
  'conversations.info': ok({ channel: conversationInfo }),
  'conversations.list': ok({ channels: z.array(conversationListed) }),
  'conversations.members': ok({ members: z.array(z.string()) }),
  'conversations.open': ok({
    channel: z.object({ id: z.string() }).strict(),
    no_op: z.boolean().optional(),
    already_open: z.boolean().optional(),
  }),
  'conversations.history': ok({
    messages: z.array(historyMessage),
    has_more: z.boolean(),
    pin_count: z.number().int().optional(),
    channel_actions_ts: z.number().nullable().optional(),
    channel_actions_count: z.number().int().optional(),
  }),
  'conversations.replies': ok({
    messages: z.array(threadMessage),
    has_more: z.boolean(),
  }),
};

export type SlackMethod = keyof typeof slackSuccess;

/** Errors any method may answer (Slack's method documentation, "Errors" of every method). */
const anyMethodErrors = [
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'invalid_arguments',
  'invalid_arg_name',
  'invalid_charset',
  'invalid_form_data',
  'invalid_post_type',
  'missing_post_type',
  'request_timeout',
  'ratelimited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
];

/** Each method's own errors, as its documentation lists them (those the portal can meet). */
const methodErrors: Record<SlackMethod, string[]> = {
  'auth.test': [],
  'chat.postMessage': [
    'channel_not_found',
    'not_in_channel',
    'is_archived',
    'msg_too_long',
    'no_text',
    'invalid_blocks',
    'invalid_array_arg',
    'restricted_action',
    'too_many_attachments',
  ],
  'chat.update': [
    'channel_not_found',
    'message_not_found',
    'cant_update_message',
    'edit_window_closed',
    'msg_too_long',
    'no_text',
    'invalid_blocks',
    'invalid_array_arg',
    'is_archived',
  ],
  'users.lookupByEmail': ['users_not_found'],
  'conversations.info': ['channel_not_found'],
  'conversations.list': ['invalid_cursor', 'invalid_limit', 'invalid_types'],
  'conversations.members': [
    'channel_not_found',
    'invalid_cursor',
    'invalid_limit',
  ],
  'conversations.open': [
    'channel_not_found',
    'user_not_found',
    'users_list_not_supplied',
    'method_not_supported_for_channel_type',
    'not_enough_users',
    'too_many_users',
  ],
  'conversations.history': [
    'channel_not_found',
    'not_in_channel',
    'invalid_cursor',
  ],
  'conversations.replies': [
    'channel_not_found',
    'thread_not_found',
    'invalid_cursor',
  ],
};

/** The error answer of a method: `ok: false` and one of the codes Slack documents for it. */
export function slackError(method: SlackMethod) {
  const codes = [...anyMethodErrors, ...methodErrors[method]] as [
    string,
    ...string[],
  ];
  return z
    .object({
      ok: z.literal(false),
      error: z.enum(codes),
      needed: z.string().optional(),
      provided: z.string().optional(),
      ...envelope,
    })
    .strict();
}

function isMethod(method: string): method is SlackMethod {
  return Object.hasOwn(slackSuccess, method);
}

/**
 * Checks a Slack Web API answer: the method's success schema when `ok` is true, its error schema
 * otherwise. Lists what does not fit; empty when the answer does.
 */
export function createSlackContractValidator() {
  return (method: string, body: unknown): string[] => {
    if (!isMethod(method)) return [`${method} is not in the Slack contract`];
    const succeeded = (body as { ok?: unknown } | null)?.ok === true;
    const schema = succeeded ? slackSuccess[method] : slackError(method);
    const result = schema.safeParse(body);
    if (result.success) return [];
    return result.error.issues.map(
      i => `${method}${i.path.map(p => `/${p}`).join('')} ${i.message}`,
    );
  };
}

/**
 * A fetch for the WebClient that checks every JSON answer of the Slack API against the contract
 * and notes what does not fit. Looks global fetch up at call time, so msw's interception applies.
 */
export function createValidatingFetch() {
  const validate = createSlackContractValidator();
  const violations: string[] = [];
  const seen: string[] = [];
  const validatingFetch = async (url: string | URL, init?: RequestInit) => {
    const response = await fetch(url, init);
    const method = String(url).split('/').pop()!;
    if (
      response.status === 200 &&
      response.headers.get('content-type')?.includes('application/json')
    ) {
      const body = await response.clone().json();
      seen.push(method);
      violations.push(...validate(method, body));
    }
    return response;
  };
  return { fetch: validatingFetch, violations, seen };
}
