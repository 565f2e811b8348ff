export {
  computeDeployPlan,
  deployPlanFiles,
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
export { computeConfigPlan, configPlanFiles } from './configPlan';
export { deployPlanFingerprint } from './fingerprint';
export {
  defaultDeployPlanSettings,
  readDeployPlanSettings,
  type DeployPlanSettings,
} from './settings';
export { DeployPlanConflictError, DeployPlanInputError } from './errors';
export { readDeployPlanWorld } from './readDeployPlanWorld';
