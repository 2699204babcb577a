import { SwitchyardError } from '../model/index.js';

/**
 * Refuses a database that a newer Switchyard has migrated: this code would write its rows
 * without what the newer schema keeps beside them (since migration 25, the summaries the items'
 * path filter reads), and the newer hubs would miss it. Checked where the store migrates, at
 * its start; the hubs of one database are upgraded together.
 */
export function refuseNewerSchema(applied: Iterable<number>, known: readonly { version: number }[]): void {
  const newest = Math.max(0, ...applied);
  const knows = Math.max(0, ...known.map((migration) => migration.version));
  if (newest > knows) {
    throw new SwitchyardError(
      'SWY_ERR_SCHEMA_NEWER',
      `The database is at schema version ${newest}, which a newer Switchyard wrote; this one knows versions up to ${knows}. Run the newer Switchyard against it.`,
    );
  }
}
