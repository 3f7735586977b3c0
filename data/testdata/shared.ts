/**
 * Paths of the shared reference data sets (`../shared/data` beside the repository).
 *
 * @module
 */

/** The shared data folder. */
export const SHARED_DATA: URL = new URL("../../../shared/data/", import.meta.url);

/** Path of one shared data file. */
export function sharedFile(name: string): string {
  return new URL(name, SHARED_DATA).pathname;
}
