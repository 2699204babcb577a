import { describe, expect, it } from 'vitest';
import { heading, table } from '../../src/cli/format.js';

describe('CLI tables', () => {
  it('head columns with their words apart, aligned to the widest cell', () => {
    expect(heading('activeJobs')).toBe('ACTIVE JOBS');
    expect(heading('pauseOnFailure')).toBe('PAUSE ON FAILURE');
    expect(heading('failed items')).toBe('FAILED ITEMS');
    const lines = table([{ name: 'default', activeJobs: 12, pauseOnFailure: false }], ['name', 'activeJobs', 'pauseOnFailure']).split('\n');
    expect(lines[0]).toBe('NAME     ACTIVE JOBS  PAUSE ON FAILURE');
    expect(lines[1]).toBe('default  12           false');
  });
});
