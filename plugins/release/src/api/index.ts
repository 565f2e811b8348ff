export * from './ReleaseApi';
export type {
  SetupCheckItem,
  SetupCheckResult,
  SetupCheckSystem,
  StatusStreamHandlers,
} from './status';
