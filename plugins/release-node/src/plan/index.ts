export {
  computeDeployPlan,
  deployPlanFiles,
  type DeployPlanInput,
  type DeployPlanColourReading,
  type DeployPlanWorld,
} from './computeDeployPlan';
export { deployPlanFingerprint } from './fingerprint';
export {
  defaultDeployPlanSettings,
  readDeployPlanSettings,
  type DeployPlanSettings,
} from './settings';
export { DeployPlanConflictError, DeployPlanInputError } from './errors';
