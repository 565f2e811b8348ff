export {
  builtImagePlaceholder,
  computeDeployPlan,
  deployPlanFiles,
  type DeployPlanBuild,
  type DeployPlanInput,
  type DeployPlanColourReading,
  type DeployPlanWorld,
} from './computeDeployPlan';
export {
  ABORT_SWITCH_BACK,
  abortPlanFiles,
  checkAbortPlan,
  computeAbortPlan,
  type AbortPlanInput,
  type AbortPlanRunStep,
} from './computeAbortPlan';
export {
  builtImageRefusal,
  resolveBuiltImages,
  type BuiltImageRunStep,
} from './builtImages';
export { computeConfigPlan, configPlanFiles } from './configPlan';
export { deployPlanFingerprint } from './fingerprint';
export {
  rebaseDeployPlan,
  rebasePlanFiles,
  type RebasedDeployPlan,
  type RebasePlanInput,
} from './rebaseDeployPlan';
export {
  defaultDeployPlanSettings,
  readDeployPlanSettings,
  type DeployPlanSettings,
} from './settings';
export { DeployPlanConflictError, DeployPlanInputError } from './errors';
export { readDeployPlanWorld } from './readDeployPlanWorld';
