export { startSandbox } from './server';
export { closedPort } from './closedPort';
export type {
  RunningSandbox,
  SandboxContext,
  SandboxOptions,
  SandboxService,
} from './types';
export { FaultInjector, type Fault } from './faults';
export * from './argocd';
export * from './hybris';
export * from './slack';
export * from './asana';
export * from './jenkins';
export * from './prometheus';
export * from './gitlab';
export { GitRepos, GitError } from './git/GitRepos';
export * from './defaultServices';
export * from './contracts';
