/*
 * The release engine's persistent runner: deploy runs stored with their steps, claimed under a
 * lease in the database, advanced through an injected step executor.
 */
export {
  DeployEngine,
  type DeployEngineOptions,
  type EngineReleases,
  type PressedBy,
  type StartDeployRun,
  type StepFailurePolicy,
} from './DeployEngine';
export { releaseEngineActor } from './actor';
export {
  DEPLOY_ENGINE_TASK_ID,
  scheduleDeployEngine,
} from './scheduleDeployEngine';
export type {
  DeployRun,
  DeployRunKind,
  DeployRunState,
  DeployRunStep,
  DeployStepState,
  RunStepContext,
  StepApproval,
  StepExecutor,
  StepResult,
} from './types';
