export {
  HybrisClusterClient,
  type HybrisCheckResult,
  type HybrisClusterClientOptions,
  type HybrisClusterStatus,
} from './HybrisClusterClient';
