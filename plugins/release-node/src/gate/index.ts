export {
  HybrisGate,
  gateQuery,
  type GateCheckResult,
  type GateEvaluation,
  type GateOutcome,
  type GateTarget,
  type HybrisGateOptions,
  type WaitForGateOptions,
} from './HybrisGate';
