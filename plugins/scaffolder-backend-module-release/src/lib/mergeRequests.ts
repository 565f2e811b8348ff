// The merge request wait lives in release-node, shared with the release engine.
export { waitUntilMergeable } from '@internal/plugin-release-node';
