import type {
  AuthTestResponse,
  ChatPostMessageResponse,
  ChatUpdateResponse,
  ConversationsHistoryResponse,
  ConversationsInfoResponse,
  ConversationsListResponse,
  ConversationsMembersResponse,
  ConversationsOpenResponse,
  ConversationsRepliesResponse,
  UsersLookupByEmailResponse,
} from '@slack/web-api';
import { expectFits, type OmitPath } from 'sandbox';
import type { z } from 'zod';
import {
  createSlackContractValidator,
  slackError,
  slackSuccess,
  type SlackMethod,
} from './slack';

type Success<M extends SlackMethod> = z.infer<(typeof slackSuccess)[M]>;
type Failure = z.infer<ReturnType<typeof slackError>>;
type EditedUpdate = Success<'chat.update'> & { edited: boolean };

// Every field the schemas name is a field of @slack/web-api's response type, of a type it allows.
expectFits<Success<'auth.test'>, AuthTestResponse>(true);
expectFits<Success<'chat.postMessage'>, ChatPostMessageResponse>(true);
expectFits<Success<'chat.update'>, ChatUpdateResponse>(true);
// Slack answers a profile's custom fields; the SDK's types, generated from sample answers, leave them out.
expectFits<
  OmitPath<Success<'users.lookupByEmail'>, 'user.profile.fields'>,
  UsersLookupByEmailResponse
>(true);
// A direct conversation's user and priority: the SDK's conversations.list type has them, its info type not.
expectFits<
  OmitPath<Success<'conversations.info'>, 'channel.user' | 'channel.priority'>,
  ConversationsInfoResponse
>(true);
expectFits<Success<'conversations.list'>, ConversationsListResponse>(true);
expectFits<Success<'conversations.members'>, ConversationsMembersResponse>(
  true,
);
expectFits<Success<'conversations.open'>, ConversationsOpenResponse>(true);
// Slack answers channel_actions_ts null when there is none; the SDK's type says only number.
expectFits<
  OmitPath<Success<'conversations.history'>, 'channel_actions_ts'>,
  ConversationsHistoryResponse
>(true);
expectFits<Success<'conversations.replies'>, ConversationsRepliesResponse>(
  true,
);
expectFits<Failure, AuthTestResponse>(true);
expectFits<Failure, ChatPostMessageResponse>(true);
// @ts-expect-error a field chat.update does not answer
expectFits<EditedUpdate, ChatUpdateResponse>(true);

describe('the Slack contract', () => {
  const validate = createSlackContractValidator();

  it('accepts the answers of Slack’s method documentation', () => {
    expect(
      validate('chat.postMessage', {
        ok: true,
        channel: 'C012AB3CD',
        ts: '1503435956.000247',
        message: {
          type: 'message',
          subtype: 'bot_message',
          text: 'Here’s a message for you',
          ts: '1503435956.000247',
          username: 'ecto1',
          bot_id: 'B123ABC456',
        },
      }),
    ).toEqual([]);
    expect(
      validate('conversations.open', {
        ok: true,
        no_op: true,
        already_open: true,
        channel: { id: 'D069C7QFK' },
      }),
    ).toEqual([]);
    expect(
      validate('users.lookupByEmail', { ok: false, error: 'users_not_found' }),
    ).toEqual([]);
  });

  it('refuses a missing field, a misspelt field, a wrong type and an undocumented error', () => {
    expect(
      validate('chat.postMessage', { ok: true, channel: 'C012AB3CD' }),
    ).toEqual([
      'chat.postMessage/ts Required',
      'chat.postMessage/message Required',
    ]);
    expect(
      validate('chat.update', {
        ok: true,
        channel: 'C012AB3CD',
        ts: '1503435956.000247',
        text: 'x',
        message: { text: 'x' },
        edited: true,
      }),
    ).toEqual(["chat.update Unrecognized key(s) in object: 'edited'"]);
    expect(
      validate('conversations.members', {
        ok: true,
        members: 'U061F7AUR',
      }),
    ).toEqual([
      'conversations.members/members Expected array, received string',
    ]);
    expect(
      validate('auth.test', { ok: false, error: 'no_such_error' }),
    ).toEqual([expect.stringMatching(/^auth\.test\/error Invalid enum value/)]);
    expect(validate('chat.delete', { ok: true })).toEqual([
      'chat.delete is not in the Slack contract',
    ]);
  });
});
