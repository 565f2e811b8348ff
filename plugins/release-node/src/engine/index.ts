/*
 * The step executors of the release engine: one deploy plan step at a time, level-triggered, with
 * what they must remember in the outputs the runner persists.
 */
export { createStepExecutor, executeStep } from './executeStep';
export { gitChangeEdit } from './gitChange';
export { syncOperationKey } from './sync';
export {
  defaultStepSettings,
  type StepApproval,
  type StepCall,
  type StepCallOutput,
  type StepContext,
  type StepExecutorOptions,
  type StepGateOutput,
  type StepOutputs,
  type StepProgress,
  type StepReading,
  type StepReadings,
  type StepSettings,
  type StepSyncOutput,
} from './types';
