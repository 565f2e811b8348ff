export {
  SlackClient,
  type SlackBlock,
  type SlackCheckResult,
  type SlackClientOptions,
  type SlackPostedMessage,
  type SlackUser,
} from './SlackClient';
export { verifySlackSignature } from './verifySlackSignature';
export { realClock, type CallClock } from '../http/retryingCaller';
