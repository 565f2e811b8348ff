/** The release form (scaffolder template `kop-prepare-release`). */
export const newReleaseFormPath =
  '/create/templates/default/kop-prepare-release';

/** The on-screen IaC edit form (scaffolder template `kop-config-change`). */
export const configChangeFormPath =
  '/create/templates/default/kop-config-change';
