export {
  whatShips,
  whatShipsContext,
  type WhatShipsContext,
  type WhatShipsRequest,
} from './whatShips';
export { readDeployedVersion } from './deployed';
export {
  resolveRunningCommit,
  type RecordedImageBuild,
  type RunningCommit,
  type RunningCommitSources,
} from './runningCommit';
export { WhatShipsInputError, WhatShipsNotFoundError } from './errors';
