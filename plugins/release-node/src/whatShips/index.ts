export {
  whatShips,
  whatShipsContext,
  type WhatShips,
  type WhatShipsCommit,
  type WhatShipsContext,
  type WhatShipsMergeRequest,
  type WhatShipsRequest,
} from './whatShips';
export { readDeployedVersion, type DeployedVersion } from './deployed';
export { WhatShipsInputError, WhatShipsNotFoundError } from './errors';
