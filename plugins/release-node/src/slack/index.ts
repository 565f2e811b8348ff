export {
  SlackClient,
  type SlackBlock,
  type SlackCheckResult,
  type SlackClientOptions,
  type SlackPostedMessage,
  type SlackUser,
} from './SlackClient';
export {
  SlackNotifier,
  type SlackMessenger,
  type SlackSendOutcome,
} from './SlackNotifier';
export {
  InMemoryOutboxStore,
  type OutboxStore,
  type SlackOutboxEntry,
  type SlackOutboxMessage,
} from './outbox';
export { verifySlackSignature } from './verifySlackSignature';
export { realClock, type CallClock } from '../http/retryingCaller';
