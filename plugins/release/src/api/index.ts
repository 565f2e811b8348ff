export * from './ReleaseApi';
export type { StatusStreamHandlers } from './status';
