export * from './ReleaseApi';
export type {
  AppStatus,
  ArgoAppStatus,
  ColourStatus,
  EnvironmentStatus,
  MetricPoint,
  ReleaseStatus,
  SetupCheckItem,
  SetupCheckResult,
  SetupCheckSystem,
  StatusStreamHandlers,
} from './status';
