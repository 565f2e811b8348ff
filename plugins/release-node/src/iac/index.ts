export {
  applyIacEdit,
  checkIacEdit,
  planIacEdit,
  type IacChange,
  type IacEdit,
  type IacEditPlan,
  type IacFileEdit,
} from './planIacEdit';
export {
  checkIacValue,
  iacTargets,
  type IacKeyKind,
  type IacTarget,
} from './iacTargets';
export { diffHunks, unifiedDiff } from './unifiedDiff';
export { gitBlobId } from './gitBlob';
export { spliceYamlValues } from './spliceYamlValues';
export {
  IacConflictError,
  IacInputError,
  IacStaleFileError,
  toIacRequestError,
} from './errors';
export { releaseIacChanges } from './releaseChanges';
