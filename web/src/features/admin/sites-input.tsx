import { Checkbox, MultiSelect, Stack } from '@mantine/core';
import { useSites } from '../../api/catalog-queries.js';

/**
 * Which sites a user or token may see: every site (null, including sites made later) or a
 * chosen few. Sites already chosen stay listed even if the hub no longer knows them.
 */
export function SitesInput({ value, onChange, error }: { value: string[] | null; onChange: (value: string[] | null) => void; error?: string }) {
  const sites = useSites();
  const names = [...new Set([...(sites.data ?? []).map((s) => s.name), ...(value ?? [])])];
  return (
    <Stack gap={6}>
      <Checkbox label="Every site (also sites added later)" checked={value === null} onChange={(e) => onChange(e.currentTarget.checked ? null : [])} />
      {value !== null ? (
        <MultiSelect
          label="Sites"
          placeholder={value.length ? undefined : 'Choose sites'}
          data={names}
          value={value}
          onChange={onChange}
          searchable
          error={error}
        />
      ) : null}
    </Stack>
  );
}

/** "All sites" or the list, as a table cell reads it. */
export function sitesLabel(sites: string[] | null): string {
  return sites === null ? 'All sites' : sites.length === 0 ? 'None' : sites.join(', ');
}
