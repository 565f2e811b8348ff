export {
  whatShips,
  whatShipsContext,
  type WhatShipsContext,
  type WhatShipsRequest,
} from './whatShips';
export { readDeployedVersion } from './deployed';
export { WhatShipsInputError, WhatShipsNotFoundError } from './errors';
