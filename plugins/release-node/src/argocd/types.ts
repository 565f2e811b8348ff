/*
 * Hand-written types for the part of the Argo CD API the portal uses, named after the definitions of
 * Argo CD's API documentation (its swagger.json). Every field is optional there, so it is here; only
 * the fields the portal reads or writes are listed, and ArgoCdClient.test checks they are Argo CD's.
 */

/** @public */
export interface v1alpha1Info {
  name?: string;
  value?: string;
}

/** @public */
export interface v1ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** @public */
export interface v1ListMeta {
  resourceVersion?: string;
  continue?: string;
}

/** @public */
export interface v1alpha1ApplicationSourceHelm {
  valueFiles?: string[];
  values?: string;
  releaseName?: string;
}

/** @public */
export interface v1alpha1ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  helm?: v1alpha1ApplicationSourceHelm;
}

/** @public */
export interface v1alpha1ApplicationDestination {
  server?: string;
  namespace?: string;
  name?: string;
}

/** @public */
export interface v1alpha1SyncPolicyAutomated {
  enabled?: boolean;
  prune?: boolean;
  selfHeal?: boolean;
  allowEmpty?: boolean;
}

/** @public */
export interface v1alpha1SyncPolicy {
  automated?: v1alpha1SyncPolicyAutomated;
  syncOptions?: string[];
}

/** @public */
export interface v1alpha1ApplicationSpec {
  project?: string;
  source?: v1alpha1ApplicationSource;
  sources?: v1alpha1ApplicationSource[];
  destination?: v1alpha1ApplicationDestination;
  syncPolicy?: v1alpha1SyncPolicy;
  info?: v1alpha1Info[];
}

/** @public */
export interface v1alpha1OperationInitiator {
  username?: string;
  automated?: boolean;
}

/** @public */
export interface v1alpha1SyncOperationResource {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** @public */
export interface v1alpha1SyncOperation {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: v1alpha1SyncOperationResource[];
  source?: v1alpha1ApplicationSource;
  syncOptions?: string[];
}

/** @public */
export interface v1alpha1Operation {
  sync?: v1alpha1SyncOperation;
  initiatedBy?: v1alpha1OperationInitiator;
  info?: v1alpha1Info[];
}

/** @public */
export interface v1alpha1ResourceResult {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  message?: string;
  hookPhase?: string;
  syncPhase?: string;
  images?: string[];
}

/** @public */
export interface v1alpha1SyncOperationResult {
  revision?: string;
  source?: v1alpha1ApplicationSource;
  resources?: v1alpha1ResourceResult[];
}

/** Argo CD's operation phases (gitops-engine `common.OperationPhase`). @public */
export type ArgoCdOperationPhase =
  | 'Running'
  | 'Terminating'
  | 'Failed'
  | 'Error'
  | 'Succeeded';

/** @public */
export interface v1alpha1OperationState {
  operation?: v1alpha1Operation;
  phase?: ArgoCdOperationPhase | string;
  message?: string;
  syncResult?: v1alpha1SyncOperationResult;
  startedAt?: string;
  finishedAt?: string;
  retryCount?: number;
}

/** @public */
export interface v1alpha1HealthStatus {
  status?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** @public */
export interface v1alpha1AppHealthStatus {
  status?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** @public */
export interface v1alpha1ComparedTo {
  source?: v1alpha1ApplicationSource;
  destination?: v1alpha1ApplicationDestination;
}

/** @public */
export interface v1alpha1SyncStatus {
  status?: 'Synced' | 'OutOfSync' | 'Unknown' | string;
  revision?: string;
  comparedTo?: v1alpha1ComparedTo;
}

/** @public */
export interface applicationv1alpha1ResourceStatus {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  health?: v1alpha1HealthStatus;
  requiresPruning?: boolean;
}

/** @public */
export interface v1alpha1RevisionHistory {
  id?: number;
  revision?: string;
  source?: v1alpha1ApplicationSource;
  deployedAt?: string;
  deployStartedAt?: string;
  initiatedBy?: v1alpha1OperationInitiator;
}

/** @public */
export interface v1alpha1ApplicationSummary {
  images?: string[];
  externalURLs?: string[];
}

/** @public */
export interface v1alpha1ApplicationCondition {
  type?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** @public */
export interface v1alpha1ApplicationStatus {
  sync?: v1alpha1SyncStatus;
  health?: v1alpha1AppHealthStatus;
  operationState?: v1alpha1OperationState;
  resources?: applicationv1alpha1ResourceStatus[];
  history?: v1alpha1RevisionHistory[];
  summary?: v1alpha1ApplicationSummary;
  conditions?: v1alpha1ApplicationCondition[];
  reconciledAt?: string;
  sourceType?: string;
}

/** @public */
export interface v1alpha1Application {
  metadata?: v1ObjectMeta;
  spec?: v1alpha1ApplicationSpec;
  status?: v1alpha1ApplicationStatus;
  /** Set while an operation is pending or running; cleared when it completes. */
  operation?: v1alpha1Operation;
}

/** @public */
export interface v1alpha1ApplicationList {
  metadata?: v1ListMeta;
  /** Argo CD answers null rather than [] when nothing matches. */
  items?: v1alpha1Application[] | null;
}

/** @public */
export interface applicationApplicationSyncRequest {
  name?: string;
  revision?: string;
  dryRun?: boolean;
  prune?: boolean;
  infos?: v1alpha1Info[];
  resources?: v1alpha1SyncOperationResource[];
  appNamespace?: string;
  project?: string;
}

/** @public */
export interface applicationApplicationRollbackRequest {
  name?: string;
  id?: number;
  dryRun?: boolean;
  prune?: boolean;
  appNamespace?: string;
  project?: string;
}

/** @public */
export interface applicationResourceActionParameters {
  name?: string;
  value?: string;
}

/** @public */
export interface applicationResourceActionRunRequestV2 {
  name?: string;
  namespace?: string;
  resourceName?: string;
  version?: string;
  group?: string;
  kind?: string;
  action?: string;
  resourceActionParameters?: applicationResourceActionParameters[];
  appNamespace?: string;
  project?: string;
}

/** @public */
export interface v1alpha1ResourceAction {
  name?: string;
  disabled?: boolean;
  displayName?: string;
  iconClass?: string;
}

/** @public */
export interface applicationResourceActionsListResponse {
  actions?: v1alpha1ResourceAction[];
}

/** @public */
export interface v1alpha1ResourceRef {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

/** @public */
export interface v1alpha1InfoItem {
  name?: string;
  value?: string;
}

/** @public */
export interface v1alpha1ResourceNode extends v1alpha1ResourceRef {
  parentRefs?: v1alpha1ResourceRef[];
  info?: v1alpha1InfoItem[];
  health?: v1alpha1HealthStatus;
  images?: string[];
  resourceVersion?: string;
  createdAt?: string;
}

/** @public */
export interface v1alpha1ApplicationTree {
  nodes?: v1alpha1ResourceNode[];
}

/** @public */
export interface v1alpha1AppProjectSpec {
  description?: string;
  destinations?: v1alpha1ApplicationDestination[];
  sourceRepos?: string[];
}

/** @public */
export interface v1alpha1AppProject {
  metadata?: v1ObjectMeta;
  spec?: v1alpha1AppProjectSpec;
}

/** @public */
export interface v1alpha1ApplicationWatchEvent {
  type?: 'ADDED' | 'MODIFIED' | 'DELETED' | string;
  application?: v1alpha1Application;
}

/** @public */
export interface runtimeError {
  error?: string;
  code?: number;
  message?: string;
}

/** @public */
export interface runtimeStreamError {
  grpc_code?: number;
  http_code?: number;
  message?: string;
  http_status?: string;
}
